/**
 * Runs a Ringflag relay as a user does: `ringflag relay --upstream URL --port N --data-dir DIR` through
 * the server's command (server/bin/ringflag.mjs), its server keys in RINGFLAG_RELAY_SDK_KEYS (arguments
 * show in process lists). The command starts node on the TypeScript sources, so the relay is a child of
 * the command: both run in a process group of their own, and signals go to the whole group, as a
 * terminal's Ctrl-C or a service manager does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ringflag-process.js';

const BIN = fileURLToPath(new URL('../../server/bin/ringflag.mjs', import.meta.url));
const LISTENING = /Ringflag relay is listening on (http:\/\/\S+)/;

/** Options of {@link startRelayProcess}. */
export interface RelayProcessOptions {
  /** The server (or relay) the relay follows. */
  upstream: string;
  /** Server keys, one per environment followed. */
  sdkKeys: readonly string[];
  /** A free port unless given (a restart keeps its port). */
  port?: number;
  /** `--data-dir`; "off" keeps nothing. */
  dataDir: string;
  /** More RINGFLAG_* settings. */
  env?: Record<string, string>;
  /** How long to wait for the listening line (default 60 s: tsx on a loaded machine is slow). */
  startTimeoutMs?: number;
}

export interface RelayProcess {
  /** The URL the relay printed. */
  readonly url: string;
  readonly port: number;
  /** Everything it wrote so far, for failure messages. */
  output(): string;
  /** SIGKILL to the process group: the relay dies at once, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM to the process group, and waits until the relay wrote its state and exited. */
  stop(): Promise<void>;
  /** Stops it and starts it again with the same port, data directory and settings. */
  restart(): Promise<RelayProcess>;
}

/**
 * Starts `ringflag relay` on 127.0.0.1 and resolves once it printed where it listens (it serves from
 * then on, from its data directory when the upstream is away).
 */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const port = options.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {};
  // Only the test's own RINGFLAG_ settings: none of the test run's leaks in.
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('RINGFLAG_')) env[name] = value;
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'relay', '--upstream', options.upstream, '--port', String(port), '--data-dir', options.dataDir],
    {
      env: {
        ...env,
        RINGFLAG_RELAY_SDK_KEYS: options.sdkKeys.join(','),
        RINGFLAG_HOST: '127.0.0.1',
        RINGFLAG_LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own (the command and the relay it starts), signalled as one.
      detached: true,
    },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-40_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // 'close' comes once every holder of the output pipes is gone: the command and the relay both.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  const bounded = async (what: string) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), 15_000);
    });
    const outcome = await Promise.race([closed, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      signal('SIGKILL');
      await closed;
      throw new Error(`the relay did not exit within 15 s of ${what}:\n${output}`);
    }
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`the relay did not print where it listens:\n${output}`));
    }, options.startTimeoutMs ?? 60_000);
    const onData = () => {
      const match = LISTENING.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(match[1] as string);
    };
    child.stdout?.on('data', onData);
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error(`the relay exited during start (${child.exitCode ?? child.signalCode}):\n${output}`));
    });
  });

  const handle: RelayProcess = {
    url,
    port,
    output: () => output,
    kill: async () => {
      signal('SIGKILL');
      await bounded('SIGKILL');
    },
    stop: async () => {
      signal('SIGTERM');
      await bounded('SIGTERM');
    },
    restart: async () => {
      await handle.stop();
      return startRelayProcess({ ...options, port });
    },
  };
  return handle;
}
