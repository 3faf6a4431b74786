import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/**
 * Where the built browser SDK is: `dist/ringflag.js` of the @ringflag/sdk-browser dependency (one
 * self-contained, minified ES module), or undefined when the package cannot be found.
 */
function bundlePath(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('@ringflag/sdk-browser/ringflag.js');
  } catch {
    return undefined;
  }
}

/**
 * The browser SDK the demo page loads: the built file of @ringflag/sdk-browser, read from disk on each
 * request (small, and a rebuild shows up without a restart). `npm start` builds it; a missing build
 * throws an error that says how to build it.
 *
 * @example
 * const code = await demoBundle(); // 'var …;export{… as createClient};'
 */
export async function demoBundle(): Promise<string> {
  const path = bundlePath();
  try {
    if (path !== undefined) return await readFile(path, 'utf8');
  } catch {}
  throw new Error(
    'the browser SDK is not built: run `pnpm --filter @ringflag/sdk-browser build` (`npm start` does it)',
  );
}
