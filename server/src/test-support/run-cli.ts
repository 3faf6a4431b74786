import { runRemote } from '../cli/index.js';

/** What one CLI run printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a remote CLI command in-process against `fetch` (a test app, or a fake server), as a holder of
 * `token`, and collects what it prints.
 *
 * @example
 * const run = await runCli(['flags', 'list'], { fetch: (input, init) => t.app.request(new Request(input, init)) });
 */
export async function runCli(
  argv: string[],
  { fetch, token = 'rf_api_test' }: { fetch: typeof globalThis.fetch; token?: string },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runRemote(argv, {
    env: { RINGFLAG_URL: 'http://ringflag.test', RINGFLAG_TOKEN: token },
    fetch,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
