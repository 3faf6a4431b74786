/**
 * The public surfaces' rate limits are settings an operator can change (many browsers behind one NAT
 * need a higher per-address limit): RINGFLAG_RATE_LIMIT_PER_ADDRESS reaches the running server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, type RingflagProcess, startRingflagProcess } from '../support/ringflag-process.js';
import { requestFrom } from './public-key-support.js';

let server: RingflagProcess;
let clientKey: string;

beforeAll(async () => {
  server = await startRingflagProcess({ env: { RINGFLAG_RATE_LIMIT_PER_ADDRESS: '1' } });
  const admin = await AdminClient.login(server.base);
  clientKey = await admin.createSdkKey('development', 'client');
});
afterAll(() => server?.stop());

describe('RINGFLAG_RATE_LIMIT_PER_ADDRESS', () => {
  it('limits one address to the configured rate (bursts of five), while another address is served', async () => {
    const evaluate = (address: string) =>
      requestFrom(address, `${server.base}/client/v1/evaluate`, {
        headers: { authorization: clientKey },
        body: { context: { key: 'user-1' } },
      });
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 12; i++) statuses.push((await evaluate('127.0.0.31')).status);
    const seconds = (performance.now() - started) / 1000;
    // A burst of 5, plus one request per second that passed meanwhile, then 429s.
    const served = statuses.filter((status) => status === 200).length;
    expect(served).toBeGreaterThanOrEqual(5);
    expect(served).toBeLessThanOrEqual(5 + Math.ceil(seconds));
    expect(statuses).toContain(429);
    expect((await evaluate('127.0.0.32')).status).toBe(200);
  });
});
