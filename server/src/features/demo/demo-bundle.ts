import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser SDK's source, beside the server in the workspace (same depth from src/ and dist/). */
const SDK_ENTRY = fileURLToPath(new URL('../../../../sdk-browser/src/index.ts', import.meta.url));

let bundle: Promise<string> | undefined;

/**
 * The browser SDK as one minified ES module, built from its source with esbuild on the first request
 * for the demo and kept in memory. Building here rather than in a separate step means the demo can
 * never serve a stale or missing build after `npm start`, and a server that never shows the demo
 * never pays for it. A failed build is retried on the next request.
 *
 * @example
 * const code = await demoBundle(); // 'var …;export{… as createClient};'
 */
export function demoBundle(): Promise<string> {
  if (!bundle) {
    const building = build({
      entryPoints: [SDK_ENTRY],
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
    }).then((result) => result.outputFiles[0]?.text ?? '');
    bundle = building;
    building.catch(() => {
      bundle = undefined;
    });
  }
  return bundle;
}
