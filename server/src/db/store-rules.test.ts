import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = sources(SRC)
  .map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }))
  .filter(({ path }) => !path.startsWith('db/') && !path.startsWith('test-support/'));

/**
 * The rules that let one store implementation run on SQLite and PostgreSQL (db/client.ts): tables
 * come from the handle, and only awaited builders run queries.
 */
describe('code that queries runs on both dialects', () => {
  it('takes tables from the handle, never from a value import of the SQLite schema', () => {
    const offenders = files
      .filter(({ text }) => /import\s+\{[^}]*\}\s+from\s+'[./]+\/db\/schema\.js'/.test(text))
      .filter(({ text }) =>
        [...text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'[./]+\/db\/schema\.js'/g)].some(
          (match) =>
            match[1] === undefined && match[2]!.split(',').some((name) => !name.trim().startsWith('type ')),
        ),
      )
      .map(({ path }) => path);
    expect(offenders).toEqual([]);
  });

  it('never calls the SQLite-only query methods on a builder', () => {
    const sqliteOnly = /\)\s*\.(get|all|run|values)\(\s*\)|\.prepare\(\)\s*[,;)]/;
    const offenders = files
      .filter(({ path }) => path.endsWith('.store.ts'))
      .filter(({ text }) => sqliteOnly.test(text))
      .map(({ path }) => path);
    expect(offenders).toEqual([]);
  });

  it('only stores and the unit of work import the query handle’s tables', () => {
    const offenders = files
      .filter(
        ({ path }) =>
          !path.endsWith('.store.ts') && !path.startsWith('write/') && !path.startsWith('stream/'),
      )
      .filter(({ text }) => /\b(db|tx)\.(select|insert|update|delete)\(/.test(text))
      .map(({ path }) => path);
    expect(offenders).toEqual([]);
  });
});
