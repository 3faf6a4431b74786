import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

describe('admin UI serving', () => {
  let t: TestApp;
  let dir: string;
  beforeEach(async () => {
    t = await createTestApp();
    dir = mkdtempSync(join(tmpdir(), 'ringflag-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Ringflag</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dir, '..', 'ringflag-secret.txt'), 'TOP-SECRET-CONTENT');
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'ringflag-secret.txt'), { force: true });
  });

  const get = (path: string, uiDir = dir) => createApp(t.deps, t.services, { uiDir }).request(path);

  it('serves index.html for the root and every client-side route, never cached', async () => {
    for (const path of [
      '/',
      '/flags',
      '/flags/new-checkout/production',
      '/audit',
      '/changes',
      '/segments/beta',
      '/login',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toContain('<title>Ringflag</title>');
    }
  });

  it('serves hashed assets with a long immutable cache and root files', async () => {
    const asset = await get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
    const icon = await get('/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('leaves API, SDK and unknown paths to their routes, and refuses to leave the folder', async () => {
    const api = await get('/api/v1/nope');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/missing.png')).headers.get('content-type')).toContain('application/problem+json');
    for (const path of [
      '/assets/..%2f..%2fringflag-secret.txt',
      '/assets/%2e%2e/%2e%2e/ringflag-secret.txt',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('answers an unknown page path with the UI and status 404, so the UI shows its own not-found page', async () => {
    for (const path of ['/demo-not-ours', '/no/such/page', '/settings?tab=x', '/%E2%9C%93']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('text/html');
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(await res.text(), path).toContain('<title>Ringflag</title>');
    }
    // The UI's own pages, new ones included, answer 200.
    for (const path of [
      '/environments',
      '/account',
      '/flags/no-such-flag/production',
      '/p/payments/flags/no-such-flag/production',
    ]) {
      expect((await get(path)).status, path).toBe(200);
    }
    // Unknown paths of the API and SDK surfaces stay problem+json (OFREP answers in its own way).
    for (const path of [
      '/api/v1/nope',
      '/api/nope',
      '/api',
      '/sdk/v1/nope',
      '/client/v1/nope',
      '/assets/nope',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
    const ofrep = await get('/ofrep/v1/nope');
    expect(ofrep.status).toBe(401);
    expect(await ofrep.text()).not.toContain('<title>Ringflag</title>');
    const post = await createApp(t.deps, t.services, { uiDir: dir }).request('/no/such/page', {
      method: 'POST',
    });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toContain('application/problem+json');
    // Without a built UI an unknown path is an ordinary 404.
    const missing = await get('/no/such/page', join(dir, 'nope'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('says how to build the UI when it is missing', async () => {
    const res = await get('/flags', join(dir, 'nope'));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('pnpm run build:ui');
  });
});
