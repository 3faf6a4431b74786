import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Context,
  createStore,
  type EvaluationDetail,
  evaluate,
  type JsonValue,
  type SdkPayload,
} from './index.js';

interface CaseFile {
  payload: SdkPayload;
  cases: {
    name: string;
    flag: string;
    context: Context;
    default: JsonValue;
    expect: EvaluationDetail;
  }[];
}

const file = JSON.parse(
  readFileSync(new URL('../../../test/cases/evaluation.json', import.meta.url), 'utf8'),
) as CaseFile;

describe('shared evaluation cases (test/cases/evaluation.json)', () => {
  const store = createStore(file.payload);
  it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(evaluate(c.flag, c.context, store, c.default)).toEqual(c.expect);
  });
});
