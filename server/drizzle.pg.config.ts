import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates PostgreSQL migrations from src/db/schema.pg.ts into migrations/postgres. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.pg.ts',
  out: '../migrations/postgres',
});
