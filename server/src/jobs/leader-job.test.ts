import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLeaderJob, type LeaderJob } from './leader-job.js';

/** A promise and the function that resolves it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('leader jobs', () => {
  let job: LeaderJob<number> | undefined;
  afterEach(async () => {
    await job?.stop();
    job = undefined;
  });

  it('runs one pass at a time: a tick waits for the pass in progress', async () => {
    const gates = [deferred(), deferred()];
    let active = 0;
    let most = 0;
    let passes = 0;
    job = createLeaderJob({
      pass: async () => {
        const gate = gates[passes++];
        active++;
        most = Math.max(most, active);
        await gate?.promise;
        active--;
        return passes;
      },
      intervalMs: 60_000,
      isLeader: () => true,
      onError: () => {},
    });
    const first = job.tick();
    const second = job.tick();
    await vi.waitFor(() => expect(passes).toBe(1));
    gates[0]?.resolve();
    expect(await first).toBe(1);
    await vi.waitFor(() => expect(passes).toBe(2));
    gates[1]?.resolve();
    expect(await second).toBe(2);
    expect(most).toBe(1);
  });

  it('runs passes on its timer only while the replica leads, and a manual tick whenever asked', async () => {
    let leader = false;
    let passes = 0;
    job = createLeaderJob({
      pass: async () => ++passes,
      intervalMs: 5,
      isLeader: () => leader,
      onError: () => {},
    });
    await job.start();
    // Started as a follower: no pass, not even the first.
    expect(passes).toBe(0);
    leader = true;
    await vi.waitFor(() => expect(passes).toBeGreaterThanOrEqual(2));
    await job.stop();
    const stopped = passes;
    leader = false;
    expect(await job.tick()).toBe(stopped + 1);
  });

  it('runs the first pass before start resolves, reports failed timer passes and keeps going', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    job = createLeaderJob({
      pass: async () => {
        passes++;
        if (passes === 2) throw new Error('database down');
        return passes;
      },
      intervalMs: 5,
      isLeader: () => true,
      onError: (error) => errors.push(error),
    });
    await job.start();
    expect(passes).toBe(1);
    await vi.waitFor(() => expect(passes).toBeGreaterThanOrEqual(3));
    expect(errors).toEqual([new Error('database down')]);
    await expect(
      createLeaderJob({
        pass: () => Promise.reject(new Error('manual')),
        intervalMs: 5,
        isLeader: () => true,
        onError: () => {},
      }).tick(),
    ).rejects.toThrow('manual');
  });
});
