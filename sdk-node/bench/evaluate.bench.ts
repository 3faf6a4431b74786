/**
 * Evaluation benchmark: Ringflag against flagd-core, unleash-client, LaunchDarkly's server SDK and a
 * hand-written floor, on the same flags and the same users, in one run. `pnpm bench` at the root.
 *
 * (a) a boolean flag on for everyone, (b) three rules (key in a list of 20, groups contains `beta`,
 * email ends with `@example.com`) then a 10% rollout, (c) "all flags" over 100 flags like (b), and
 * (d) the same 100 flags evaluated one call each in a loop, timed in the same rounds as (c): what
 * (c) costs beyond evaluating its flags. Answers are checked for equivalence before anything is
 * timed; see equivalence.ts.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { checkEquivalence } from './equivalence.js';
import { createFlagd } from './products/flagd.js';
import { createFloor } from './products/floor.js';
import { createLaunchDarkly } from './products/launchdarkly.js';
import { createRingflag } from './products/ringflag.js';
import { createUnleash } from './products/unleash.js';
import { CONTEXT_COUNT, makeUsers, manyFlags, ON_FLAG, RULES_FLAG, singleFlags } from './scenario.js';
import type { Subject, SubjectFactory } from './subject.js';
import { calibrate, median, timer } from './timing.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300);
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 40);

// No forced garbage collection between batches: an earlier version ran a full GC before each batch,
// and after the first one flagd-core and LaunchDarkly ran 1.5–2× slower for the rest of the process
// (Ringflag and the floor, which allocate nothing per call, did not change). Each product's own
// scavenges land in its own batches, since it is the one allocating.

const PRODUCTS: readonly SubjectFactory[] = [
  createRingflag,
  createFloor,
  createFlagd,
  createUnleash,
  createLaunchDarkly,
];

interface Scenario {
  readonly label: string;
  /** The target for Ringflag, in ns; `null` for a scenario that is there for comparison only. */
  readonly targetNs: number | null;
  readonly subjects: readonly Subject[];
  readonly call: (subject: Subject) => (context: unknown) => unknown;
}

/**
 * A product's single-flag call for each of `keys`, in turn, counting the `true`s: "all flags" done
 * one flag at a time, with no object built. The loop is compiled for each product, as the timing loops
 * are (timing.ts), so that its call site sees one product's calls only.
 */
function loopOver(subject: Subject, keys: readonly string[]): (context: unknown) => unknown {
  const calls = keys.map((key) => subject.evaluator(key));
  const body = subject.async
    ? 'return async (context) => { let on = 0; for (const call of calls) if ((await call(context)) === true) on++; return on; };'
    : 'return (context) => { let on = 0; for (let i = 0; i < calls.length; i++) if (calls[i](context) === true) on++; return on; };';
  return new Function('calls', body)(calls) as (context: unknown) => unknown;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function formatNs(ns: number): string {
  if (ns >= 100_000) return `${(ns / 1000).toFixed(0)} µs`;
  if (ns >= 10_000) return `${(ns / 1000).toFixed(1)} µs`;
  if (ns >= 1000) return `${(ns / 1000).toFixed(2)} µs`;
  return `${ns.toFixed(ns < 100 ? 1 : 0)} ns`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row, r) =>
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  ')
        .concat(r === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''),
    )
    .join('\n');
}

/**
 * Each product's batches (ns per call) for each of `group`'s scenarios, by scenario then product, in
 * rounds that rotate the order of the timed calls. Scenarios of one group share their rounds, so they
 * can be compared round by round like the products.
 */
async function measure(
  group: readonly Scenario[],
  contextsOf: (subject: Subject) => unknown[],
): Promise<number[][][]> {
  const timers = group.flatMap((scenario) =>
    scenario.subjects.map((subject) => timer(scenario.call(subject), contextsOf(subject), subject.async)),
  );
  const iterations: number[] = [];
  for (const t of timers) iterations.push(await calibrate(t, WARMUP_MS, BATCH_MS));
  const samples: number[][] = timers.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no product always runs right after the same neighbour.
    for (let k = 0; k < timers.length; k++) {
      const i = (k + round) % timers.length;
      samples[i]?.push(await (timers[i] as (typeof timers)[number]).run(iterations[i] as number));
    }
  }
  let next = 0;
  return group.map((scenario) => scenario.subjects.map(() => samples[next++] as number[]));
}

/** The interquartile range as a share of the median: how much the batches of one product scatter. */
function spread(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] as number;
  return (q(0.75) - q(0.25)) / median(sorted);
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log('Ringflag evaluation benchmark');
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs (${cpuModel()}), ${new Date().toISOString()}`,
  );
  console.log(
    `${CONTEXT_COUNT} contexts cycled; median of ${ROUNDS} batches of ~${BATCH_MS} ms after ${WARMUP_MS} ms warm-up per product\n`,
  );

  console.log('Equivalence check (before timing):');
  const report = await checkEquivalence(
    { reference: createRingflag, others: PRODUCTS.slice(1) },
    singleFlags,
    manyFlags,
  );
  for (const line of report.lines) console.log(`  ${line}`);
  console.log(
    '  Rule branches are compared exactly. Rollout buckets differ by product (different hashes and\n' +
      '  salts), so for the 10% rollout only each product’s share is checked (10 ± 1 points over 20,000\n' +
      '  users); the hand-written floor uses Ringflag’s bucketing and is compared exactly.\n',
  );
  if (report.failures.length > 0) {
    for (const failure of report.failures) console.error(`MISMATCH ${failure}`);
    console.error(
      '\nAborting: the products do not answer alike, so timing them would compare different work.',
    );
    process.exitCode = 1;
    return;
  }

  const singles = await Promise.all(PRODUCTS.map((create) => create(singleFlags())));
  const manys = await Promise.all(PRODUCTS.map((create) => create(manyFlags())));
  const users = makeUsers(CONTEXT_COUNT, 42);
  const contexts = new Map<Subject, unknown[]>();
  for (const subject of [...singles, ...manys])
    contexts.set(
      subject,
      users.map((user) => subject.toContext(user)),
    );
  const contextsOf = (subject: Subject) => contexts.get(subject) as unknown[];
  const manyKeys = manyFlags().map((spec) => spec.key);

  const scenarios: Scenario[] = [
    {
      label: '(a) boolean, on for everyone',
      targetNs: 50,
      subjects: singles,
      call: (s) => s.evaluator(ON_FLAG),
    },
    {
      label: '(b) 3 rules + 10% rollout',
      targetNs: 250,
      subjects: singles,
      call: (s) => s.evaluator(RULES_FLAG),
    },
    {
      label: '(c) allFlags, 100 flags like (b)',
      targetNs: 30_000,
      subjects: manys,
      call: (s) => (context) => s.allFlags(context),
    },
    {
      label: '(d) loop over the 100 flags of (c)',
      targetNs: null,
      subjects: manys,
      call: (s) => loopOver(s, manyKeys),
    },
  ];
  // (c) and (d) share their rounds, so "all flags" and the loop are compared round by round.
  const groups = [[scenarios[0]], [scenarios[1]], [scenarios[2], scenarios[3]]] as Scenario[][];

  const names = singles.map((s) => s.name);
  const samples: number[][][] = [];
  for (const group of groups) {
    process.stdout.write(`timing ${group.map((scenario) => scenario.label).join(' and ')} …\n`);
    samples.push(...(await measure(group, contextsOf)));
  }
  const results = samples.map((perProduct) => perProduct.map(median));
  // Ratios are taken round by round (the products of one round run within a few hundred ms of each
  // other), then the median over rounds: a burst of load from elsewhere slows both sides of a pair.
  const ratios = samples.map((perProduct) =>
    perProduct.map((theirs) =>
      median(theirs.map((t, round) => ((perProduct[0] as number[])[round] as number) / t)),
    ),
  );

  console.log('\nns per evaluation (median; lower is better)\n');
  console.log(
    table([
      ['scenario', ...names],
      ...scenarios.map((s, i) => [s.label, ...(results[i] ?? []).map(formatNs)]),
    ]),
  );

  console.log('\nscatter of the batches (interquartile range ÷ median)\n');
  console.log(
    table([
      ['scenario', ...names],
      ...scenarios.map((s, i) => [
        s.label,
        ...(samples[i] ?? []).map((batches) => `${(100 * spread(batches)).toFixed(0)}%`),
      ]),
    ]),
  );

  console.log(
    '\nRingflag time ÷ product time, median of per-round ratios (below 1: Ringflag is faster; in brackets, how many times)\n',
  );
  console.log(
    table([
      ['scenario', ...names.slice(1)],
      ...scenarios.map((s, i) => {
        const row = ratios[i] ?? [];
        return [
          s.label,
          ...row.slice(1).map((ratio) => {
            return ratio < 1
              ? `${ratio.toFixed(3)} (${(1 / ratio).toFixed(1)}× faster)`
              : `${ratio.toFixed(2)}`;
          }),
        ];
      }),
    ]),
  );

  // (c) ÷ (d) for each product, round by round: what "all flags" costs against the loop.
  const allOverLoop = names.map((_, p) =>
    median(
      ((samples[2] ?? [])[p] ?? []).map((all, round) => all / ((samples[3] ?? [])[p]?.[round] as number)),
    ),
  );
  console.log('\n(c) ÷ (d), median of per-round ratios: "all flags" against a loop over the same flags\n');
  console.log(table([names, allOverLoop.map((ratio) => ratio.toFixed(2))]));

  console.log('\nTargets for Ringflag');
  const floorIndex = names.indexOf('hand-written JS');
  const flagdIndex = names.indexOf('flagd-core');
  scenarios.forEach((s, i) => {
    if (s.targetNs === null) return;
    const ours = (results[i] ?? [])[0] as number;
    const row = ratios[i] ?? [];
    const checks = [`≤ ${formatNs(s.targetNs)}: ${ours <= s.targetNs ? 'met' : 'MISSED'}`];
    if (i > 0) {
      const vsFloor = row[floorIndex] as number;
      const vsFlagd = 1 / (row[flagdIndex] as number);
      checks.push(`≤ 1.5× floor: ${vsFloor.toFixed(2)}× ${vsFloor <= 1.5 ? 'met' : 'MISSED'}`);
      checks.push(`≥ 6× faster than flagd-core: ${vsFlagd.toFixed(1)}× ${vsFlagd >= 6 ? 'met' : 'MISSED'}`);
    }
    console.log(`  ${s.label.padEnd(34)} ${formatNs(ours).padStart(9)}   ${checks.join('; ')}`);
  });
  const loopRatio = allOverLoop[0] as number;
  console.log(
    `  ${'(c) no slower than (d)'.padEnd(34)} ${loopRatio.toFixed(2).padStart(9)}×  ${loopRatio <= 1 ? 'met' : 'MISSED'}`,
  );

  for (const subject of [...singles, ...manys]) await subject.close();
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
// Some SDKs keep handles (sockets, timers) open after close(); the numbers are printed, so leave.
process.exit(process.exitCode ?? 0);
