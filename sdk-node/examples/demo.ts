/**
 * A first look at Ringflag without a server: the Node SDK evaluates a bootstrap file offline and
 * explains every answer. Run it with `npm start` at the repository root.
 */
import { fileURLToPath } from 'node:url';
import { type Context, Ringflag } from '../src/index.js';

const flags = new Ringflag({
  offline: true,
  bootstrap: fileURLToPath(new URL('./flags.json', import.meta.url)),
});
await flags.ready({ timeoutMs: 2000 });

const people: Context[] = [
  { key: 'alice', groups: ['staff'] },
  { key: 'carol', email: 'carol@example.com' },
  { key: 'dave', email: 'dave@beta.example.com' },
  ...Array.from({ length: 6 }, (_, i) => ({ key: `customer-${i + 1}`, country: 'de' })),
  { key: 'erin', country: 'us' },
];

const explain = (reason: { kind: string; ruleId?: string; inRollout?: boolean }) =>
  [reason.kind, reason.ruleId, reason.inRollout === undefined ? '' : `inRollout=${reason.inRollout}`]
    .filter(Boolean)
    .join(' ');

console.log('Ringflag demo: flags from sdk-node/examples/flags.json, evaluated locally\n');
console.table(
  people.map((context) => {
    const checkout = flags.variationDetail('new-checkout', context, false);
    const backend = flags.variationDetail('checkout-backend', context, 'blue');
    return {
      user: context.key,
      'new-checkout': checkout.value ? 'on' : 'off',
      why: explain(checkout.reason),
      'checkout-backend': backend.value,
      'why ': explain(backend.reason),
    };
  }),
);
await flags.close();
