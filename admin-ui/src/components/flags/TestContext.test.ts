import { describe, expect, it } from 'vitest';
import type { FlagConfig } from '../../types';
import { explainReason } from './TestContext';

const config = {
  rules: [
    { id: 'staff', clauses: [], serve: { variation: 'on' } },
    { id: 'beta', name: 'Beta testers', clauses: [], serve: { variation: 'on' } },
  ],
} as unknown as FlagConfig;

describe('explainReason', () => {
  it('names a matched rule by the name the server evaluated, numbered from 1', () => {
    const reason = { kind: 'RULE_MATCH', ruleId: 'beta', ruleIndex: 1, inRollout: true } as const;
    expect(explainReason(reason, undefined, 'Beta testers')).toBe(
      'Matched rule 2 “Beta testers”, in the percentage rollout',
    );
    // Without the server's name, the page's config names it, if it still has that rule there.
    expect(explainReason({ kind: 'RULE_MATCH', ruleId: 'beta', ruleIndex: 1 }, config)).toBe(
      'Matched rule 2 “Beta testers”',
    );
    expect(explainReason({ kind: 'RULE_MATCH', ruleId: 'moved', ruleIndex: 1 }, config)).toBe(
      'Matched rule 2 (id moved)',
    );
    expect(explainReason({ kind: 'RULE_MATCH', ruleId: 'staff', ruleIndex: 0 }, config)).toBe(
      'Matched rule 1 (id staff)',
    );
  });

  it('explains the other reasons', () => {
    expect(explainReason({ kind: 'OFF' }, config)).toBe('The flag is off');
    expect(explainReason({ kind: 'FALLTHROUGH', inRollout: false }, config)).toBe(
      'Default rule, outside the rollout',
    );
    expect(explainReason({ kind: 'PREREQUISITE_FAILED', prerequisiteKey: 'payments' }, config)).toBe(
      'A prerequisite failed: payments',
    );
  });
});
