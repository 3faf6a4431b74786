import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../logger.js';
import { RefusedOriginLog } from './refused-origins.js';

function recorder() {
  const lines: { message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    info() {},
    warn: (message, fields) => lines.push({ message, fields }),
    error() {},
  };
  return { lines, logger };
}

describe('RefusedOriginLog', () => {
  it('keeps to a number of lines per window whatever the origins, and counts the rest in the next line', () => {
    const { lines, logger } = recorder();
    let now = 0;
    const log = new RefusedOriginLog(logger, () => now, { windowMs: 60_000, maxLinesPerWindow: 3 });
    for (let i = 0; i < 10; i++) log.refused('production', `https://site-${i}.example`);
    expect(lines.map((l) => l.fields?.origin)).toEqual([
      'https://site-0.example',
      'https://site-1.example',
      'https://site-2.example',
    ]);
    now = 60_000;
    log.refused('production', 'https://site-9.example');
    expect(lines[3]?.fields).toEqual({
      environment: 'production',
      origin: 'https://site-9.example',
      otherRefusalsNotLogged: 7,
    });
  });

  it('tells environments apart, cuts a long origin, and forgets the oldest pairs beyond its memory', () => {
    const { lines, logger } = recorder();
    const now = 0;
    const log = new RefusedOriginLog(logger, () => now, { maxKept: 2 });
    log.refused('production', 'https://a.example');
    log.refused('staging', 'https://a.example');
    log.refused('production', 'https://a.example');
    expect(lines).toHaveLength(2);
    log.refused('production', `https://${'x'.repeat(500)}.example`);
    expect(String(lines[2]?.fields?.origin)).toHaveLength(201);
    // Three pairs in a memory of two: the one least recently seen (staging's) is forgotten, so it is
    // logged again, and the others are not.
    log.refused('staging', 'https://a.example');
    expect(lines).toHaveLength(4);
    expect(lines[3]?.fields).toEqual({ environment: 'staging', origin: 'https://a.example' });
  });
});
