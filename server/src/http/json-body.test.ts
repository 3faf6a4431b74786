import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { parseJsonText } from './json-body.js';

function problemOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('no error');
}

const pathOf = (text: string, path?: string) =>
  problemOf(() => parseJsonText(text, { path })).errors[0]?.path;

describe('parseJsonText', () => {
  it('parses JSON within the depth bound', () => {
    expect(parseJsonText('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonText('"text"')).toBe('text');
    expect(parseJsonText('[[1]]', { maxDepth: 2 })).toEqual([[1]]);
  });

  it('names the path where JSON nests too deep, without recursing', () => {
    const problem = problemOf(() => parseJsonText('{"rules":[{"x":[[1]]}]}', { maxDepth: 3 }));
    expect(problem.errors).toEqual([{ path: 'rules[0].x', message: 'nested deeper than 3 levels' }]);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(problemOf(() => parseJsonText(deep)).status).toBe(400);
  });

  it('reports malformed JSON under the given path', () => {
    expect(problemOf(() => parseJsonText('{', { path: 'query.context' })).errors).toEqual([
      { path: 'query.context', message: 'malformed JSON' },
    ]);
  });

  it('names the first lone surrogate, in a value or a member name, at any depth', () => {
    expect(pathOf('{"email":"x\\ud800@example.com"}')).toBe('email');
    expect(pathOf('{"rules":[{"clauses":[{"values":["a","\\uDFFF"]}]}]}')).toBe(
      'rules[0].clauses[0].values[1]',
    );
    expect(pathOf('{"context":{"k\\udc00":1}}')).toBe('context.k\udc00');
    expect(pathOf('"\\ud83d"')).toBe('');
    expect(pathOf('{"key":"\\ud800"}', 'query.context')).toBe('query.context.key');
  });

  it('names the first U+0000, which PostgreSQL cannot store, in a value or a member name', () => {
    expect(pathOf('{"name":"a\\u0000b"}')).toBe('name');
    expect(pathOf('{"context":{"k\\u0000":1}}')).toBe('context.k\u0000');
    expect(() => parseJsonText('{"name":"a\\u0000b"}')).toThrow('U+0000');
    expect(parseJsonText('{"name":"a\\\\u0000b"}')).toEqual({ name: 'a\\u0000b' }); // an escaped backslash
  });

  it('accepts surrogate pairs, escaped backslashes and text without escapes', () => {
    expect(parseJsonText('{"e":"x\\ud83d\\ude00@example.com"}')).toEqual({ e: 'x😀@example.com' });
    expect(parseJsonText('{"e":"\\\\ud800"}')).toEqual({ e: '\\ud800' }); // a backslash, then "ud800"
    expect(parseJsonText('{"e":"käse 🧀"}')).toEqual({ e: 'käse 🧀' });
  });

  it('stops a deep ill-formed body at the depth bound, so the answer stays small', () => {
    const deep = `${'['.repeat(100_000)}"\\ud800"${']'.repeat(100_000)}`;
    expect(pathOf(deep)).toBe('[0]'.repeat(64));
  });
});
