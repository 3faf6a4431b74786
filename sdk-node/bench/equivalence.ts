import { type FlagSpec, makeUsers, ON_FLAG, RULES_FLAG, type User } from './scenario.js';
import type { Subject, SubjectFactory } from './subject.js';

/** Checks that each product gives the same answers as the reference (Ringflag); returns failures. */
export interface EquivalenceReport {
  readonly lines: string[];
  readonly failures: string[];
}

interface Factories {
  readonly reference: SubjectFactory;
  readonly others: readonly SubjectFactory[];
}

const SAMPLE = 1_000;
const SHARE_SAMPLE = 20_000;
/** Allowed distance of a rollout share from its weight, in percentage points (σ ≈ 0.2 at 20,000). */
const SHARE_TOLERANCE = 1;

async function evaluateAll(subject: Subject, flagKey: string, users: readonly User[]): Promise<boolean[]> {
  const call = subject.evaluator(flagKey);
  const out: boolean[] = [];
  for (const user of users) out.push((await call(subject.toContext(user))) === true);
  return out;
}

function compare(name: string, what: string, expected: boolean[], actual: boolean[], failures: string[]) {
  const wrong = expected.findIndex((value, i) => actual[i] !== value);
  if (wrong >= 0) {
    const count = expected.filter((value, i) => actual[i] !== value).length;
    failures.push(`${name}: ${what}: ${count} answers differ from Ringflag's (first at user #${wrong})`);
  }
}

/**
 * The check, before any timing:
 * - (a) every product answers `true` for every sampled user;
 * - (b) with the rollout at 0%, the rules alone: every product gives exactly Ringflag's answers for
 *   1,000 users spread over every branch (listed key, group, email suffix, none);
 * - (b) with the 10% rollout: exactly Ringflag's answers wherever a rule matched, and among the users
 *   no rule matched each product's share of `true` over 20,000 users is within ±1 point of 10%
 *   (products hash differently, so which users land in the 10% differs; the hand-written floor
 *   uses Ringflag's bucketing and is compared exactly);
 * - (c) `allFlags` over 100 flags gives exactly Ringflag's map for 200 users with the rollout at 0%,
 *   and exactly Ringflag's rule answers with it at 10%.
 */
export async function checkEquivalence(
  factories: Factories,
  single: (rolloutPercent?: number) => FlagSpec[],
  many: (rolloutPercent?: number) => FlagSpec[],
): Promise<EquivalenceReport> {
  const lines: string[] = [];
  const failures: string[] = [];
  const users = makeUsers(SAMPLE, 7);
  const shareUsers = makeUsers(SHARE_SAMPLE, 11);

  const refRules = await factories.reference(single(0));
  const refFull = await factories.reference(single());
  const onAnswers = await evaluateAll(refFull, ON_FLAG, users);
  if (onAnswers.some((v) => !v)) failures.push('Ringflag: (a) is not on for everyone');
  const ruleAnswers = await evaluateAll(refRules, RULES_FLAG, users);
  const fullAnswers = await evaluateAll(refFull, RULES_FLAG, users);
  const shareRuleAnswers = await evaluateAll(refRules, RULES_FLAG, shareUsers);
  const matched = ruleAnswers.filter(Boolean).length;
  lines.push(
    `(b) sample: ${SAMPLE} users, ${matched} matched by a rule, ${SAMPLE - matched} left to the rollout`,
  );

  const refMany0 = await factories.reference(many(0));
  const refMany = await factories.reference(many());
  const manyUsers = users.slice(0, 200);
  const refAll0 = await Promise.all(manyUsers.map((u) => refMany0.allValues(refMany0.toContext(u))));
  const refAll = await Promise.all(manyUsers.map((u) => refMany.allValues(refMany.toContext(u))));

  for (const factory of [factories.reference, ...factories.others]) {
    const rules = await factory(single(0));
    const full = await factory(single());
    const name = full.name;
    const before = failures.length;
    const exactRollout = name === 'hand-written JS';

    compare(name, '(a) on for everyone', onAnswers, await evaluateAll(full, ON_FLAG, users), failures);
    compare(
      name,
      '(b) rules, rollout at 0%',
      ruleAnswers,
      await evaluateAll(rules, RULES_FLAG, users),
      failures,
    );
    const answers = await evaluateAll(full, RULES_FLAG, users);
    const missed = answers.filter((value, i) => ruleAnswers[i] && !value).length;
    if (missed > 0) failures.push(`${name}: (b) ${missed} rule-matched users get false with the rollout on`);
    if (exactRollout) compare(name, '(b) rollout at 10%', fullAnswers, answers, failures);

    const shareAnswers = await evaluateAll(full, RULES_FLAG, shareUsers);
    let pool = 0;
    let on = 0;
    shareAnswers.forEach((value, i) => {
      if (shareRuleAnswers[i]) return;
      pool++;
      if (value) on++;
    });
    const share = (100 * on) / pool;
    if (Math.abs(share - 10) > SHARE_TOLERANCE)
      failures.push(`${name}: (b) rollout share ${share.toFixed(2)}% is not within 10 ± ${SHARE_TOLERANCE}%`);

    const many0 = await factory(many(0));
    const manyFull = await factory(many());
    let mismatches = 0;
    for (let i = 0; i < manyUsers.length; i++) {
      const user = manyUsers[i] as User;
      const got0 = await many0.allValues(many0.toContext(user));
      const got = await manyFull.allValues(manyFull.toContext(user));
      const want0 = refAll0[i] as Record<string, boolean>;
      const want = refAll[i] as Record<string, boolean>;
      if (Object.keys(got0).length !== Object.keys(want0).length) mismatches++;
      for (const key of Object.keys(want0)) {
        if (got0[key] !== want0[key]) mismatches++;
        if (want0[key] && got[key] !== true) mismatches++;
        if (exactRollout && got[key] !== want[key]) mismatches++;
      }
    }
    if (mismatches > 0) failures.push(`${name}: (c) ${mismatches} allFlags answers differ from Ringflag's`);
    const verdict = failures.length === before ? 'same answers' : 'MISMATCH';
    lines.push(
      `${name.padEnd(16)} ${verdict}; rollout share ${share.toFixed(2)}% of ${pool} users no rule matched` +
        (exactRollout ? ' (bucketing identical to Ringflag, compared exactly)' : ''),
    );
    for (const subject of [rules, full, many0, manyFull]) await subject.close();
  }
  for (const subject of [refRules, refFull, refMany0, refMany]) await subject.close();
  return { lines, failures };
}
