import { describe, expect, it } from 'vitest';
import { guardTrip } from './guard.js';
import { weightOf } from './release-compiler.js';
import { nextAdvanceAt } from './release-plan.js';

const guard = { event: 'error', maxRate: 0.05, minExposures: 100 };

describe('guardTrip', () => {
  it('trips only above maxRate and from minExposures on', () => {
    expect(guardTrip(guard, { exposures: 99, events: 99 })).toBeNull();
    expect(guardTrip(guard, { exposures: 100, events: 5 })).toBeNull();
    expect(guardTrip(guard, { exposures: 100, events: 6 })).toEqual({
      event: 'error',
      rate: 0.06,
      exposures: 100,
      events: 6,
      maxRate: 0.05,
    });
  });
});

describe('weightOf', () => {
  it('turns percentages with up to three decimals into thousandths', () => {
    expect(weightOf(0.001)).toBe(1);
    expect(weightOf(12.345)).toBe(12_345);
    expect(weightOf(33.3)).toBe(33_300);
    expect(weightOf(100)).toBe(100_000);
  });
});

describe('nextAdvanceAt', () => {
  const base = {
    state: 'running' as const,
    stages: [
      { name: 'a', percentage: 1, holdMinutes: 30 },
      { name: 'b', percentage: 100, approval: true },
    ],
    currentStage: 0,
    stageStartedAt: '2030-01-01T00:00:00.000Z',
    approvals: [],
  };
  it('is the end of the hold, unless an approval is missing or the plan is paused', () => {
    expect(nextAdvanceAt(base)).toBeNull();
    const approved = {
      ...base,
      approvals: [
        { stage: 1, by: { type: 'user' as const, id: 'user:2', name: 'b' }, at: '', comment: null },
      ],
    };
    expect(nextAdvanceAt(approved)).toBe('2030-01-01T00:30:00.000Z');
    expect(nextAdvanceAt({ ...approved, state: 'paused' })).toBeNull();
    // The last stage has no hold: it completes only by hand.
    expect(nextAdvanceAt({ ...approved, currentStage: 1 })).toBeNull();
  });
});
