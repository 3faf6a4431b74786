/**
 * What linear-time regular expressions cost: a flag whose one rule is `email matches <pattern>`,
 * evaluated by the engine (RE2 semantics, re2js), against a floor that runs the same pattern with
 * JavaScript's backtracking RegExp, in one run. Typical patterns show the price of the guarantee;
 * a catastrophic pattern on growing input shows what the guarantee buys (the floor is stopped once a
 * input grows past what it can finish). `pnpm bench:regex` at the root.
 */
import { createStore, evaluate, type FlagStore } from '../src/engine/index.js';
import { calibrate, median, timer } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300);
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 40);

function storeFor(pattern: string): FlagStore {
  return createStore({
    revision: 1,
    segments: {},
    flags: {
      f: {
        key: 'f',
        version: 1,
        kind: 'boolean',
        enabled: true,
        offVariation: 'off',
        variations: [
          { id: 'off', value: false },
          { id: 'on', value: true },
        ],
        prerequisites: [],
        targets: [],
        rules: [
          {
            id: 'r',
            clauses: [{ attribute: 'email', op: 'matches', values: [pattern] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
    },
  });
}

async function nsPerCall(call: (context: unknown) => unknown, contexts: readonly unknown[]): Promise<number> {
  const t = timer(call, contexts, false);
  const iterations = await calibrate(t, WARMUP_MS, BATCH_MS);
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await t.run(iterations));
  return median(samples);
}

const format = (ns: number) =>
  ns >= 1e6
    ? `${(ns / 1e6).toFixed(1)} ms`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(2)} µs`
      : `${ns.toFixed(0)} ns`;

const TYPICAL = [
  { label: 'email domain', pattern: '^[a-z0-9.]+@example\\.com$' },
  { label: 'version prefix', pattern: '^v?1\\.(2|3)\\.' },
  { label: 'alternation of 5 words', pattern: '(alpha|beta|gamma|delta|omega)-tester' },
];

console.log('Typical patterns (1,024 contexts, half matching): median ns per evaluation');
console.log('| pattern | Ringflag (RE2) | floor (RegExp) | ratio |');
console.log('|---|---:|---:|---:|');
for (const { label, pattern } of TYPICAL) {
  const store = storeFor(pattern);
  const regex = new RegExp(pattern);
  const contexts = Array.from({ length: 1024 }, (_, i) => ({
    key: `u${i}`,
    email: i % 2 ? `user.${i}@example.com` : `v1.${i % 4}.beta-tester.${i}@other.org`,
  }));
  const ringflag = await nsPerCall(
    (c) => evaluate('f', c as { email: string }, store, false).value,
    contexts,
  );
  const floor = await nsPerCall((c) => regex.test((c as { email: string }).email), contexts);
  console.log(`| ${label} | ${format(ringflag)} | ${format(floor)} | ${(ringflag / floor).toFixed(1)}× |`);
}

console.log('\nCatastrophic pattern ((a|a))+$ on "a…a!": time of one evaluation');
console.log('| input length | Ringflag (RE2) | floor (RegExp) |');
console.log('|---:|---:|---:|');
const hostile = '((a|a))+$';
const store = storeFor(hostile);
const regex = new RegExp(hostile);
// Backtracking doubles per character here: past 26 characters the floor would run for hours.
const FLOOR_MAX_LENGTH = 26;
for (const length of [16, 20, 24, 26, 48, 1024, 4096]) {
  const value = `${'a'.repeat(length - 1)}!`;
  const ringflag = await nsPerCall(() => evaluate('f', { email: value }, store, false).value, [{}]);
  let floor = 'not run (hours)';
  if (length <= FLOOR_MAX_LENGTH) {
    const started = process.hrtime.bigint();
    regex.test(value);
    floor = format(Number(process.hrtime.bigint() - started));
  }
  console.log(`| ${length} | ${format(ringflag)} | ${floor} |`);
}
