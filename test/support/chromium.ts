/**
 * Debian's Chromium driven by playwright-core (no browser download at install; `.ci/system-packages.sh`
 * installs it). The flags keep it off the network this machine does not have.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the UI when admin-ui/dist is missing (the root `test` script builds it first). */
export function ensureUiBuilt(): void {
  if (existsSync(join(ROOT, 'admin-ui', 'dist', 'index.html'))) return;
  execFileSync('pnpm', ['--filter', '@ringflag/admin-ui', 'build'], { cwd: ROOT, stdio: 'ignore' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
