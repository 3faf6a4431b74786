import type { Clock, TimerHandle } from '../clock.js';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock that moves only when a test calls {@link advance}: timers fire in order, deterministically. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), seq: id, callback });
    return id;
  }

  clearTimeout(timer: TimerHandle): void {
    this.timers.delete(timer as number);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing every timer due by then (including ones those timers set). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [number, Timer] | null = null;
      for (const entry of this.timers) {
        if (entry[1].at > target) continue;
        if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))
          next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = target;
  }
}
