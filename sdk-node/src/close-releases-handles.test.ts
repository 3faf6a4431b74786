import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { booleanFlag, SdkTestServer, waitUntil } from './data-source/test-support/sdk-test-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'data-source', 'test-support', 'close-and-exit.fixture.ts');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  killedByTest: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs the fixture under tsx with the `ringflag-source` condition; kills it if it has not exited in
 * time, or, with `endAfterReport`, as soon as it has listed what holds its event loop.
 */
function runFixture(
  args: string[],
  env: Record<string, string> = {},
  limitMs = 8_000,
  endAfterReport = false,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=ringflag-source', '--import', 'tsx', fixture, ...args],
      {
        cwd: join(here, '..'),
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let killedByTest = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (endAfterReport && /^holding: .*\n/m.test(stdout)) {
        killedByTest = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // A safety bound, not a wait: the verdict comes from the exit event and the handles the child
    // lists; this only ends a child that would otherwise hang the suite (and so fails the test).
    const limit = setTimeout(() => {
      killedByTest = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, killedByTest, stdout, stderr });
    });
  });
}

/** What still held the child's event loop after close(), besides its stdio pipes to this test. */
function holding(exit: Exit): string[] {
  const line = /^holding: (.*)$/m.exec(exit.stdout)?.[1];
  if (line === undefined) throw new Error(`the fixture printed no resources: ${exit.stdout}${exit.stderr}`);
  return (JSON.parse(line) as string[]).filter((resource) => resource !== 'PipeWrap');
}

let server: SdkTestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('close()', () => {
  it('releases every handle: a process that connected, became ready and closed exits on its own', async () => {
    server = await SdkTestServer.start({ heartbeatMs: 50 });
    server.flags.a = booleanFlag('a', true);
    const dir = await mkdtemp(join(tmpdir(), 'ringflag-exit-'));
    try {
      const exit = await runFixture([server.baseUrl, 'ready', join(dir, 'flags.json')]);
      expect(exit.stderr).toBe('');
      expect(exit).toMatchObject({ code: 0, signal: null, killedByTest: false });
      expect(exit.stdout).toContain('closed (ready: true)');
      expect(holding(exit)).toEqual([]);
      // close() sent the last exposures and the tracked event, and hung up the stream.
      expect(server.eventBodies).toMatchObject([
        { exposures: [{ flag: 'a', variant: 'on', count: 1 }], events: [{ event: 'checkout-error' }] },
      ]);
      await waitUntil(() => server?.openStreams === 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('releases every handle while the server is unreachable and reconnects are pending', async () => {
    server = await SdkTestServer.start();
    const baseUrl = server.baseUrl;
    await server.close();
    server = null;
    const exit = await runFixture([baseUrl, 'unreachable']);
    expect(exit).toMatchObject({ code: 0, signal: null, killedByTest: false });
    expect(exit.stdout).toContain('closed (ready: false)');
    // No timer of EventSource's own retry, no socket: nothing but unref'ed timers may remain.
    expect(holding(exit)).toEqual([]);
  });

  it('is what lets the process exit: without close() the open stream keeps it alive', async () => {
    server = await SdkTestServer.start({ heartbeatMs: 50 });
    const exit = await runFixture(
      [server.baseUrl, 'ready'],
      { RINGFLAG_FIXTURE_SKIP_CLOSE: '1' },
      8_000,
      true,
    );
    expect(exit.stdout).toContain('closed (ready: true)');
    // The stream's socket holds the event loop: the process could not have exited on its own.
    expect(holding(exit)).toContain('TCPSocketWrap');
  });
});
