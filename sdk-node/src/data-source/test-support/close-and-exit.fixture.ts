// Run in a child process by close-releases-handles.test.ts: connects, becomes ready (or gives up),
// closes, and must then exit on its own. Any handle close() leaves open keeps the process alive.
import { Ringflag } from '@ringflag/sdk-node';

const [baseUrl = '', mode = 'ready', cacheFile] = process.argv.slice(2);
const flags = new Ringflag({
  sdkKey: 'rf_srv_test',
  baseUrl,
  cacheFile,
  logger: { warn: () => {}, error: () => {} },
});
if (mode === 'ready') {
  await flags.ready({ timeoutMs: 5_000 });
  flags.isEnabled('a', { key: 'u1' });
  flags.track('checkout-error', { key: 'u1' });
} else {
  await flags.ready({ timeoutMs: 300 }).catch(() => {});
}
if (process.env.RINGFLAG_FIXTURE_SKIP_CLOSE !== '1') await flags.close();
// Let sockets finish closing, then list what still holds the event loop (unref'ed timers are not listed).
await new Promise((resolve) => setImmediate(resolve));
console.log(`closed (ready: ${flags.isReady})`);
console.log(`holding: ${JSON.stringify(process.getActiveResourcesInfo())}`);
