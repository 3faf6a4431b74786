/**
 * Hand-rolled timing loops. tinybench times every call on its own (a clock read per call), which
 * costs more than the 20–50 ns calls measured here, so the loops below time a whole batch instead.
 */

type Call = (context: unknown) => unknown;
type SyncLoop = (call: Call, contexts: readonly unknown[], iterations: number, sink: unknown[]) => number;
type AsyncLoop = (
  call: Call,
  contexts: readonly unknown[],
  iterations: number,
  sink: unknown[],
) => Promise<number>;

/** Where results go, so that the optimiser cannot drop the calls that produce them. */
const sink: unknown[] = new Array(16).fill(null);

// Each timed call gets a loop compiled from its own source: a loop shared by every product would
// see many callees at one call site and become megamorphic, taxing whichever product runs last.
// Contexts are cycled with a mask (their count is a power of two) so every branch stays in play.
const SYNC_LOOP = `
  const mask = contexts.length - 1;
  let hits = 0;
  for (let i = 0; i < iterations; i++) {
    const result = call(contexts[i & mask]);
    if (result === true) hits++;
    sink[i & 15] = result;
  }
  return hits;`;

const ASYNC_LOOP = `
  const mask = contexts.length - 1;
  let hits = 0;
  for (let i = 0; i < iterations; i++) {
    const result = await call(contexts[i & mask]);
    if (result === true) hits++;
    sink[i & 15] = result;
  }
  return hits;`;

function freshSyncLoop(): SyncLoop {
  return new Function('call', 'contexts', 'iterations', 'sink', SYNC_LOOP) as SyncLoop;
}

function freshAsyncLoop(): AsyncLoop {
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => AsyncLoop;
  return new AsyncFunction('call', 'contexts', 'iterations', 'sink', ASYNC_LOOP);
}

/** A timed call with its own loop; `run` returns the nanoseconds per call of one batch. */
export interface Timer {
  run(iterations: number): Promise<number>;
}

export function timer(call: Call, contexts: readonly unknown[], async: boolean): Timer {
  if ((contexts.length & (contexts.length - 1)) !== 0)
    throw new Error('context count must be a power of two');
  if (async) {
    const loop = freshAsyncLoop();
    return {
      async run(iterations) {
        const start = process.hrtime.bigint();
        await loop(call, contexts, iterations, sink);
        return Number(process.hrtime.bigint() - start) / iterations;
      },
    };
  }
  const loop = freshSyncLoop();
  return {
    async run(iterations) {
      const start = process.hrtime.bigint();
      loop(call, contexts, iterations, sink);
      return Number(process.hrtime.bigint() - start) / iterations;
    },
  };
}

/**
 * Warms a timer up (JIT tiers settle) for at least `warmupMs`, then returns the iteration count that
 * makes one batch last about `batchMs`.
 */
export async function calibrate(t: Timer, warmupMs: number, batchMs: number): Promise<number> {
  let iterations = 64;
  const deadline = performance.now() + warmupMs;
  let nsPerCall = await t.run(iterations);
  while (performance.now() < deadline) {
    nsPerCall = await t.run(iterations);
    if (nsPerCall * iterations < 20e6) iterations *= 2;
  }
  return Math.max(64, Math.round((batchMs * 1e6) / nsPerCall));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
