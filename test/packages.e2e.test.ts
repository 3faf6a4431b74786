/**
 * The packages as an app outside this repository gets them: `pnpm pack` of @ringflag/sdk-node,
 * @ringflag/sdk-browser and @ringflag/cli, `npm install` of the three tarballs into a new app under
 * the system's temporary folder, and that app run against the real server (a child process): a Node
 * script on the SDK (ready, a change arriving live, a refused key, starting from its cacheFile while
 * the server is down), the browser SDK's entry, the declarations type-checking the app's code, and
 * `npx ringflag` from the installed CLI changing a flag with an API token, and `ringflag relay` from it
 * serving that script.
 */
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminClient,
  freePort,
  type RingflagProcess,
  startRingflagProcess,
} from './support/ringflag-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLAG = 'packaged-checkout';

let work: string;
let app: string;
let server: RingflagProcess;
let admin: AdminClient;
let sdkKey: string;
let apiToken: string;

/** The Node script of the app: what a service does with @ringflag/sdk-node, reporting on stdout. */
const SERVICE = `import { Ringflag, RingflagHttpError } from '@ringflag/sdk-node';

const flags = new Ringflag({
  sdkKey: process.env.RINGFLAG_SDK_KEY,
  baseUrl: process.env.RINGFLAG_URL,
  cacheFile: process.env.CACHE_FILE || undefined,
  logger: { warn() {}, error() {} },
});
const say = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
try {
  await flags.ready({ timeoutMs: 15000 });
} catch (error) {
  say({ notReady: error.message, status: error instanceof RingflagHttpError ? error.status : null });
  await flags.close();
  process.exit(3);
}
say({ ready: flags.isEnabled('${FLAG}', { key: 'user-1' }) });
if (process.argv[2] === 'until-change') {
  flags.on('change', ({ key }) => {
    if (key !== '${FLAG}') return;
    say({ changed: flags.isEnabled('${FLAG}', { key: 'user-1' }) });
    flags.close().then(() => process.exit(0));
  });
} else {
  await flags.close();
}
`;

/** Code of the app that the installed declarations must type-check, as an app's editor would. */
const TYPED = `import { Ringflag, RingflagHttpError } from '@ringflag/sdk-node';
import { evaluate } from '@ringflag/sdk-node/engine';
import { createClient } from '@ringflag/sdk-browser';

const flags = new Ringflag({ sdkKey: 'rf_srv_example', baseUrl: 'http://127.0.0.1:4280', cacheFile: 'flags.json' });
const on: boolean = flags.isEnabled('${FLAG}', { key: 'user-1', groups: ['beta'] });
const backend: string = flags.variation('checkout-backend', { key: 'user-1' }, 'blue');
// @ts-expect-error a numeric default gives a number, not a string
const wrong: string = flags.variation('limit', { key: 'user-1' }, 10);
const refused = (error: unknown) => error instanceof RingflagHttpError && error.fatal;
const browser = createClient({ clientKey: 'rf_cli_example', baseUrl: 'http://127.0.0.1:4280', context: { key: 'user-1' } });
const shown: boolean = browser.isEnabled('${FLAG}');
export { backend, evaluate, on, refused, shown, wrong };
`;

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the app, with the server's URL and the pipeline's token in its environment. */
function inApp(command: string, args: string[], env: Record<string, string> = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: app,
      env: { ...process.env, RINGFLAG_URL: server.base, RINGFLAG_TOKEN: apiToken, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `npx ringflag …` in the app: the installed CLI, never a package fetched by that name. */
function ringflag(args: string[], env: Record<string, string> = {}): Promise<Output> {
  return inApp('npx', ['--no-install', 'ringflag', ...args], env);
}

function expectExit(output: Output, code: number): Output {
  if (output.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${output.code}\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`,
    );
  }
  return output;
}

/** The app's service script, started; `lines` fills with what it reports, `exited` settles when it ends. */
function startService(env: Record<string, string>, mode = 'once') {
  const child = spawn(process.execPath, ['service.mjs', mode], {
    cwd: app,
    env: { ...process.env, CACHE_FILE: join(app, 'flags-cache.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const complete = output.split('\n');
    output = complete.pop() ?? '';
    for (const line of complete) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { lines, exited, stderr: () => stderr, kill: () => child.kill('SIGKILL') };
}

/** Packs one workspace package into `into` and returns the tarball's path. */
async function pack(folder: string, into: string, options: string[] = []): Promise<string> {
  await run('pnpm', ['pack', '--pack-destination', into, ...options], { cwd: join(ROOT, folder) });
  const name = readdirSync(into).find((file) => file.startsWith(`ringflag-${folder}-`));
  if (!name) throw new Error(`pnpm pack wrote no tarball for ${folder}`);
  return join(into, name);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ringflag-packages-'));
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  mkdirSync(tarballs);
  mkdirSync(app);
  // `pnpm pack` builds sdk-node and the CLI (their prepack script). The browser SDK was built before
  // the run (test/support/build-global-setup.ts): servers of other test files serve that very file,
  // so it is packed as it is rather than rebuilt under them.
  const [node, browser, cli] = await Promise.all([
    pack('sdk-node', tarballs),
    pack('sdk-browser', tarballs, ['--config.ignore-scripts=true']),
    pack('cli', tarballs),
  ]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'packaged-app', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--fetch-timeout=60000', node, browser, cli],
    { cwd: app },
  );
  writeFileSync(join(app, 'service.mjs'), SERVICE);

  server = await startRingflagProcess();
  admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/flags', { key: FLAG, kind: 'boolean' });
  sdkKey = await admin.createSdkKey('development', 'server');
  ({ token: apiToken } = await admin.request<{ token: string }>('POST', '/api/v1/api-tokens', {
    name: 'packaged-pipeline',
    role: 'editor',
  }));
}, 300_000);

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packages installed into an app outside the repository', { timeout: 120_000 }, () => {
  it('install built files only: no TypeScript sources, no tsx, no database driver', () => {
    const installed = (name: string) => join(app, 'node_modules', '@ringflag', name);
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/engine/index.js',
      'dist/openfeature.js',
      'README.md',
    ]) {
      expect(existsSync(join(installed('sdk-node'), file)), `sdk-node/${file}`).toBe(true);
    }
    for (const file of ['dist/ringflag.js', 'dist/index.d.ts', 'dist/openfeature.js', 'README.md']) {
      expect(existsSync(join(installed('sdk-browser'), file)), `sdk-browser/${file}`).toBe(true);
    }
    expect(existsSync(join(installed('cli'), 'README.md'))).toBe(true);
    expect(realpathSync(join(app, 'node_modules', '.bin', 'ringflag'))).toBe(
      join(realpathSync(installed('cli')), 'dist/ringflag.js'),
    );
    for (const name of ['sdk-node', 'sdk-browser', 'cli'])
      expect(existsSync(join(installed(name), 'src'))).toBe(false);
    for (const absent of ['tsx', 'typescript', 'better-sqlite3', 'pg', 'drizzle-orm', 'esbuild']) {
      expect(existsSync(join(app, 'node_modules', absent)), absent).toBe(false);
    }
    // pnpm rewrote the workspace dependency to the version it packed.
    const cli = JSON.parse(readFileSync(join(installed('cli'), 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(cli.dependencies['@ringflag/sdk-node']).toBe('0.1.0');
  });

  it('type-checks an app against the installed declarations', async () => {
    writeFileSync(join(app, 'typed.ts'), TYPED);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expectExit(await inApp(process.execPath, [tsc, '-p', 'tsconfig.json']), 0);
  });

  it('loads the browser SDK entry and its OpenFeature provider from the package', async () => {
    const probe = `const sdk = await import('@ringflag/sdk-browser');
const { fileURLToPath } = await import('node:url');
console.log(JSON.stringify({
  createClient: typeof sdk.createClient,
  entry: fileURLToPath(import.meta.resolve('@ringflag/sdk-browser')),
  provider: fileURLToPath(import.meta.resolve('@ringflag/sdk-browser/openfeature')),
}));`;
    writeFileSync(join(app, 'browser-probe.mjs'), probe);
    const output = expectExit(await inApp(process.execPath, ['browser-probe.mjs']), 0);
    const found = JSON.parse(output.stdout) as { createClient: string; entry: string; provider: string };
    expect(found.createClient).toBe('function');
    expect(found.entry).toBe(join(realpathSync(app), 'node_modules/@ringflag/sdk-browser/dist/ringflag.js'));
    expect(existsSync(found.provider)).toBe(true);
  });

  it('runs the CLI from its package: help, a local command refused, a remote one with an API token', async () => {
    const help = expectExit(await ringflag(['--help']), 0);
    expect(help.stdout).toContain('flags enable KEY --env E');
    expect(help.stdout).toContain('Exit codes');
    expect(expectExit(await ringflag(['flags', 'get', '--help']), 0).stdout).toContain(
      'Usage: ringflag flags get',
    );
    const local = expectExit(await ringflag(['keys', 'create', '--env', 'development']), 2);
    expect(local.stderr).toContain('local command of the server');

    const listed = expectExit(await ringflag(['flags', 'list', '--json']), 0);
    expect(
      (JSON.parse(listed.stdout) as { items: { key: string }[] }).items.map((flag) => flag.key),
    ).toContain(FLAG);
    const refused = expectExit(await ringflag(['flags', 'list'], { RINGFLAG_TOKEN: 'rf_api_wrong' }), 5);
    expect(refused.stderr).toContain('ringflag flags list');
  });

  it('serves a Node service: ready, a change from the CLI arriving live, and a refused key', async () => {
    const service = startService({ RINGFLAG_SDK_KEY: sdkKey, RINGFLAG_URL: server.base }, 'until-change');
    try {
      await expect.poll(() => service.lines[0], { timeout: 20_000 }).toEqual({ ready: false });
      expectExit(await ringflag(['flags', 'enable', FLAG, '--env', 'development']), 0);
      await expect.poll(() => service.lines[1], { timeout: 20_000 }).toEqual({ changed: true });
      expect(await service.exited).toBe(0);
    } finally {
      service.kill();
    }

    // Without a cache file: with one, the service may start from it before the server refuses the key.
    const refused = startService({
      RINGFLAG_SDK_KEY: 'rf_srv_not-a-key',
      RINGFLAG_URL: server.base,
      CACHE_FILE: '',
    });
    expect(await refused.exited).toBe(3);
    expect(refused.lines).toEqual([{ notReady: expect.any(String), status: 401 }]);
  });

  it('runs a relay from the CLI package, and a Node service reads its flags through it', async () => {
    const port = await freePort();
    const relay = spawn(
      process.execPath,
      [join(app, 'node_modules/@ringflag/cli/dist/ringflag.js'), 'relay'],
      {
        cwd: app,
        env: {
          ...process.env,
          RINGFLAG_UPSTREAM: server.base,
          RINGFLAG_RELAY_SDK_KEYS: sdkKey,
          RINGFLAG_PORT: String(port),
          RINGFLAG_RELAY_DATA_DIR: join(work, 'relay-state'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    relay.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      await expect.poll(() => stdout, { timeout: 20_000 }).toContain(`listening on http://127.0.0.1:${port}`);
      const service = startService({
        RINGFLAG_SDK_KEY: sdkKey,
        RINGFLAG_URL: `http://127.0.0.1:${port}`,
        CACHE_FILE: '',
      });
      expect(await service.exited, service.stderr()).toBe(0);
      // The flag was switched on by the CLI in the test before: the relay serves it as the server does.
      expect(service.lines).toEqual([{ ready: true }]);
    } finally {
      relay.kill('SIGKILL');
    }
  });

  it('starts a Node service from its cacheFile while the server is down', async () => {
    // The previous test's service wrote the cache when it closed; now nothing answers at the URL.
    expect(existsSync(join(app, 'flags-cache.json'))).toBe(true);
    await server.stop();
    const service = startService({ RINGFLAG_SDK_KEY: sdkKey, RINGFLAG_URL: server.base });
    expect(await service.exited, service.stderr()).toBe(0);
    expect(service.lines).toEqual([{ ready: true }]);
  });
});
