#!/usr/bin/env node
// Runs the TypeScript CLI through tsx with the workspace's `source` condition (no build step needed).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let tsx;
try {
  tsx = require.resolve('tsx');
} catch {
  process.stderr.write('ringflag: tsx is needed to run from source (pnpm install at the repository root)\n');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=ringflag-source', '--import', tsx, cli, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
