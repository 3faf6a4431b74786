import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates SQLite migrations from src/db/schema.ts into the repository's migrations/sqlite. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: '../migrations/sqlite',
});
