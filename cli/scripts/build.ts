/**
 * Builds `dist/ringflag.js`: the CLI entry and the server's remote commands and relay it imports, bundled into
 * one ES module for Node. The package's dependencies stay imports (npm installs them). The remote
 * commands throw the server's error classes, which describe themselves for OpenAPI with
 * `@hono/zod-openapi`, so that pure-JavaScript code is bundled along; any other package a bundled
 * module would reach (the database stack, a native addon) fails the build, so the package stays
 * light. Run: `pnpm --filter @ringflag/cli build` (`pnpm pack` runs it too).
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  dependencies: Record<string, string>;
};
/**
 * Packages bundled into the file rather than installed: what the server's error classes import, and
 * the HTTP server and caches of `ringflag relay`, all pure JavaScript.
 */
const BUNDLED = new Set([
  'hono',
  '@hono/zod-openapi',
  '@hono/zod-validator',
  '@asteasolutions/zod-to-openapi',
  '@hono/node-server',
  'lru-cache',
]);

/** The package a bundled input comes from, or undefined for the workspace's own sources. */
function packageOf(input: string): string | undefined {
  const path = input.split('node_modules/').at(-1);
  if (path === undefined || path === input) return undefined;
  const [scope, name] = path.split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : scope;
}

rmSync(`${root}/dist`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { ringflag: 'src/ringflag.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(manifest.dependencies),
  metafile: true,
  logLevel: 'warning',
});
const strays = Object.keys(result.metafile.inputs).filter((input) => {
  const name = packageOf(input);
  return name !== undefined && !BUNDLED.has(name);
});
if (strays.length > 0) {
  rmSync(`${root}/dist`, { recursive: true, force: true });
  throw new Error(`the CLI bundle would include packages it does not declare:\n  ${strays.join('\n  ')}`);
}
