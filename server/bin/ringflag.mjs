#!/usr/bin/env node
// The server's `ringflag` command. In a checkout (src/ is here) it runs the TypeScript source through
// tsx with the workspace's `ringflag-source` condition, so there is no build step to forget and no
// stale build to run; a copy of the package without its sources runs the built dist/cli.js.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (!existsSync(source)) {
  await import(new URL('../dist/cli.js', import.meta.url).href);
} else {
  let tsx;
  try {
    tsx = createRequire(import.meta.url).resolve('tsx');
  } catch {
    process.stderr.write(
      'ringflag: tsx is needed to run from source (pnpm install at the repository root)\n',
    );
    process.exit(1);
  }
  const child = spawn(
    process.execPath,
    ['--conditions=ringflag-source', '--import', tsx, source, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // A stop signal goes to the command, which ends cleanly (a server or relay closes its streams and
  // writes what waits); this process ends with it. As process 1 of a container, this matters.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
