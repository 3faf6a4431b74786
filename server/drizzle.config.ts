import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates SQL migrations from src/db/schema.ts into the repository's migrations/ folder. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: '../migrations',
});
