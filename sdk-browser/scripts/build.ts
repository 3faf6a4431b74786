/**
 * Builds the published files: `dist/ringflag.js` (the core: one self-contained ESM file, minified, so
 * a plain `<script type="module">` can load it), `dist/openfeature.js` (the provider, importing the
 * core from `./ringflag.js` and `@openfeature/web-sdk` from the app), then `tsc` writes the
 * declarations. Run: `pnpm --filter @ringflag/sdk-browser build`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist`, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  sourcemap: true,
  logLevel: 'warning',
} as const;
await build({ ...common, entryPoints: { ringflag: 'src/index.ts' } });
await build({
  ...common,
  entryPoints: { openfeature: 'src/openfeature.ts' },
  external: ['@openfeature/web-sdk'],
  plugins: [
    {
      name: 'core-from-ringflag-js',
      setup(builder) {
        builder.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: './ringflag.js', external: true }));
      },
    },
  ],
});
execFileSync('tsc', ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
