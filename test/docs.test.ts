/**
 * The documentation stands alone: docs/ and the READMEs link only inside the repository (web
 * addresses only for loopback and reserved example names), every relative link reaches a file here,
 * and neither the documentation nor the code names issue or pull-request numbers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Files under `folder` whose names pass `keep`, without node_modules, builds or test output. */
function walk(folder: string, keep: (name: string) => boolean): string[] {
  const skip = new Set(['node_modules', 'dist', 'test-output', 'data', '.git']);
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : walk(path, keep);
    return keep(entry.name) ? [path] : [];
  });
}

/** docs/ and every README of the repository. */
function documentation(): string[] {
  return [
    ...walk(join(ROOT, 'docs'), (name) => name.endsWith('.md')),
    ...walk(ROOT, (name) => name === 'README.md'),
  ];
}

/** `file:line: text` for every line of the files that `bad` finds something on. */
function findings(files: string[], bad: (line: string) => string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => bad(line).map((found) => `${relative(ROOT, file)}:${index + 1}: ${found}`)),
  );
}

/** Hosts a document may name: this machine, and names reserved for examples (RFC 2606, RFC 6761). */
const LOCAL_OR_EXAMPLE =
  /^(?:127\.\d+\.\d+\.\d+|localhost|\[::1\]|(?:[\w-]+\.)*example(?:\.com|\.org|\.net)?|(?:[\w-]+\.)*(?:test|invalid|localhost))$/i;

/** Web addresses on a line whose host is neither local nor an example. */
function outsideLinks(line: string): string[] {
  return [...line.matchAll(/\bhttps?:\/\/(\[[^\]\s]+\]|[\w.-]+)[^\s)`'"<>,]*/gi)]
    .filter((match) => !LOCAL_OR_EXAMPLE.test(match[1] ?? ''))
    .map((match) => match[0]);
}

/** References to issue, pull-request or ticket numbers on a line. */
function issueReferences(line: string): string[] {
  return [...line.matchAll(/\b(?:issues?|pull requests?|PRs?|tickets?|bugs?) ?#?\d+\b|\bGH-\d+\b/gi)].map(
    (match) => match[0],
  );
}

describe('the documentation', () => {
  it('links nowhere outside the repository', () => {
    expect(findings(documentation(), outsideLinks)).toEqual([]);
  });

  it('links only to files that exist in the repository', () => {
    const broken = documentation().flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => (match[1] ?? '').split('#')[0] ?? '')
        .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target))
        .filter((target) => !existsSync(join(dirname(file), decodeURIComponent(target))))
        .map((target) => `${relative(ROOT, file)}: ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('and the code name no issue or pull-request numbers', () => {
    // This file is left out: its last test shows the patterns what they must find.
    const code = walk(ROOT, (name) => /\.(?:ts|tsx|mjs|md|yaml|html)$/.test(name)).filter(
      (file) => file !== fileURLToPath(import.meta.url),
    );
    expect(findings(code, issueReferences)).toEqual([]);
  });

  it('catch what they are meant to catch', () => {
    expect(outsideLinks('see https://github.com/acme/ringflag and http://127.0.0.1:4280/demo')).toEqual([
      'https://github.com/acme/ringflag',
    ]);
    expect(
      outsideLinks(
        '`https://flags.example.com`, http://localhost:4280, https://site-1.example, http://ringflag.test',
      ),
    ).toEqual([]);
    expect(issueReferences('fixed in issue #42, see PR 7 and GH-12')).toEqual(['issue #42', 'PR 7', 'GH-12']);
    expect(issueReferences('Checkpoint #2 signs event #1100')).toEqual([]);
  });
});
