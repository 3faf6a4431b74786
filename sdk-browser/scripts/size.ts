/**
 * The size budget of the browser SDK: bundles the smallest real app (create a client, read a flag)
 * with esbuild — minified, ESM, ES2020 — gzips it at level 9 and prints the bytes.
 *
 * Run: `pnpm --filter @ringflag/sdk-browser size` (also part of the root `pnpm bench`).
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget: 3 KB, minified and gzipped. */
export const SIZE_BUDGET_BYTES = 3072;

const ENTRY = `import { createClient } from './src/index.ts';
const c = createClient({ clientKey: 'rf_cli_x', baseUrl: 'https://flags.example.com', context: { key: 'user-1' } });
c.isEnabled('x');
`;

/** Bundles the sample app and returns its minified and gzipped sizes in bytes. */
export async function measureBundle(): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { minified, gzipped } = await measureBundle();
  const verdict = gzipped <= SIZE_BUDGET_BYTES ? 'within' : 'OVER';
  process.stdout.write(
    `sdk-browser: createClient + isEnabled = ${gzipped} bytes min+gzip (${minified} minified), ${verdict} the ${SIZE_BUDGET_BYTES}-byte budget\n`,
  );
  if (gzipped > SIZE_BUDGET_BYTES) process.exitCode = 1;
}
