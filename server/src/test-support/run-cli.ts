import { type RemoteEnv, runRemote } from '../cli/index.js';

/** What one CLI run printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a remote CLI command in-process as a holder of `token`, and collects what it prints: against
 * `fetch` (a test app, or a fake server), or a real server at `url` over the network.
 *
 * @example
 * const run = await runCli(['flags', 'list'], { fetch: (input, init) => t.app.request(new Request(input, init)) });
 * const other = await runCli(['export', '--project', 'payments'], { url: server.url, token });
 */
export async function runCli(
  argv: string[],
  {
    fetch,
    url = 'http://ringflag.test',
    token = 'rf_api_test',
    env = {},
  }: { fetch?: typeof globalThis.fetch; url?: string; token?: string; env?: RemoteEnv },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runRemote(argv, {
    env: { RINGFLAG_URL: url, RINGFLAG_TOKEN: token, ...env },
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
