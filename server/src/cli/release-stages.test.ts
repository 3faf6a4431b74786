import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { parseStages, RELEASE_TEMPLATES } from './release-stages.js';

describe('parseStages', () => {
  it('reads names, percentages, segments, holds and approvals', () => {
    expect(parseStages('staff:segment=staff,1:hold=60,10:hold=60:approval,50,100')).toEqual([
      { name: 'staff', segments: ['staff'], percentage: 0 },
      { name: '1%', percentage: 1, holdMinutes: 60 },
      { name: '10%', percentage: 10, holdMinutes: 60, approval: true },
      { name: '50%', percentage: 50 },
      { name: '100%', percentage: 100 },
    ]);
  });

  it('takes several segments, a name for a percentage and a percentage for a name', () => {
    expect(parseStages('rings:segment=staff+beta:percent=2.5, 12.5%:name=early')).toEqual([
      { name: 'rings', segments: ['staff', 'beta'], percentage: 2.5 },
      { name: 'early', percentage: 12.5 },
    ]);
  });

  it.each([
    ['', 'names no stage'],
    ['10,5', 'never decrease'],
    ['150', 'from 0 to 100'],
    ['1.0001', 'at most 3 decimals'],
    ['staff:hold=soon', 'whole number'],
    ['staff:color=red', 'unknown option "color"'],
    ['staff:segment=', 'needs a segment key'],
  ])('refuses %j (exit 2)', (text, message) => {
    try {
      parseStages(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).message).toContain(message);
    }
  });

  it('has a standard template from staff to everyone whose percentages only grow', () => {
    const stages = RELEASE_TEMPLATES.standard!;
    expect(stages.map((stage) => stage.percentage)).toEqual([0, 1, 10, 50, 100]);
    expect(stages[0]!.segments).toEqual(['staff']);
  });
});
