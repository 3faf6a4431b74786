/**
 * The server serves the browser SDK's built file (`/demo/ringflag.js` comes from
 * @ringflag/sdk-browser's `dist/`), and the package test packs it: before any test runs, this builds
 * the browser SDK when its `dist/` is missing or older than what it is built from. Quick when it is
 * current. Test runs that start together take turns through a lock directory, so one builds and the
 * others find it done.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = fileURLToPath(new URL('../../sdk-browser/', import.meta.url));
const OUTPUTS = ['dist/ringflag.js', 'dist/openfeature.js', 'dist/index.d.ts', 'dist/openfeature.d.ts'];
const INPUTS = ['src', 'scripts/build.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const LOCK = join(tmpdir(), `ringflag-build-${Buffer.from(PACKAGE).toString('base64url').slice(-24)}.lock`);

/** The newest modification time under `path` (a file, or a folder walked without its tests). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name.endsWith('.test.ts') || entry.name === 'test-support') continue;
    latest = Math.max(latest, newest(join(path, entry.name)));
  }
  return latest;
}

/** Whether every output exists and is newer than every input. */
function current(): boolean {
  const built = OUTPUTS.map((output) => statSync(join(PACKAGE, output), { throwIfNoEntry: false })?.mtimeMs);
  if (built.some((time) => time === undefined)) return false;
  const oldest = Math.min(...(built as number[]));
  return INPUTS.every((input) => newest(join(PACKAGE, input)) <= oldest);
}

async function withLock(body: () => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is left over from a run that was killed.
      const stat = statSync(LOCK, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test run holds ${LOCK}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    body();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export async function setup(): Promise<void> {
  if (current()) return;
  await withLock(() => {
    if (current()) return;
    execFileSync('pnpm', ['--filter', '@ringflag/sdk-browser', 'run', 'build'], {
      cwd: PACKAGE,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  });
}
