import { badInput } from './cli-error.js';
import { parseInteger, parsePercent } from './command.js';
import type { ReleaseStage } from './wire.js';

/**
 * The guard's defaults, the same in the admin UI: at most 5 events per 100 exposures of the released
 * variation (the rate is given in percent of exposures; the wire's `maxRate` is that over 100), judged
 * after 100 exposures.
 */
export const GUARD_DEFAULTS = { maxPercent: 5, minExposures: 100 } as const;

/** Ready-made plans for `release start --template`. */
export const RELEASE_TEMPLATES: Readonly<Record<string, readonly ReleaseStage[]>> = {
  /** staff → 1% → 10% → 50% → everyone, an hour at each ring before the next. */
  standard: [
    { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
    { name: 'canary', percentage: 1, holdMinutes: 60 },
    { name: 'early', percentage: 10, holdMinutes: 60 },
    { name: 'half', percentage: 50, holdMinutes: 60 },
    { name: 'everyone', percentage: 100 },
  ],
};

/**
 * Reads `--stages`: stages separated by commas, each a percentage or a name followed by
 * `:`-separated options — `segment=KEY` (repeatable, or `a+b`), `hold=MINUTES`, `approval`,
 * `name=NAME`, `percent=N`. A stage named by a number is that percentage.
 *
 * @example
 * parseStages('staff:segment=staff,1:hold=60,10:hold=60:approval,100');
 * // [{ name: 'staff', segments: ['staff'], percentage: 0 }, { name: '1%', percentage: 1, holdMinutes: 60 }, …]
 */
export function parseStages(text: string): ReleaseStage[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw badInput('--stages names no stage');
  const stages = parts.map((part, index) => parseStage(part, index));
  checkOrder(stages, '--stages');
  return stages;
}

function parseStage(text: string, index: number): ReleaseStage {
  const [head = '', ...options] = text.split(':');
  const where = `--stages stage ${index + 1} ("${text}")`;
  const numeric = /^\d+(\.\d+)?%?$/.test(head);
  const stage: ReleaseStage = numeric
    ? { name: `${head.replace(/%$/, '')}%`, percentage: parsePercent(head.replace(/%$/, ''), where) }
    : { name: head, percentage: 0 };
  if (stage.name === '') throw badInput(`${where}: needs a name or a percentage`);
  for (const option of options) {
    const [name = '', value] = option.split('=', 2);
    switch (name) {
      case 'segment':
      case 'segments': {
        if (!value) throw badInput(`${where}: segment= needs a segment key`);
        stage.segments = [...(stage.segments ?? []), ...value.split('+').filter((key) => key !== '')];
        break;
      }
      case 'hold':
        stage.holdMinutes = parseInteger(value ?? '', `${where}: hold`);
        break;
      case 'approval':
        if (value !== undefined && value !== 'true' && value !== 'false') {
          throw badInput(`${where}: approval is true or false`);
        }
        stage.approval = value !== 'false';
        break;
      case 'name':
        if (!value) throw badInput(`${where}: name= needs a value`);
        stage.name = value;
        break;
      case 'percent':
        stage.percentage = parsePercent(value ?? '', `${where}: percent`);
        break;
      default:
        throw badInput(`${where}: unknown option "${name}" (segment=, hold=, approval, name=, percent=)`);
    }
  }
  return stage;
}

/** Percentages never decrease from stage to stage */
export function checkOrder(stages: readonly ReleaseStage[], what: string): void {
  for (let i = 1; i < stages.length; i++) {
    if (stages[i]!.percentage < stages[i - 1]!.percentage) {
      throw badInput(
        `${what}: percentages never decrease, but stage ${i + 1} (${stages[i]!.percentage}%) comes after ${stages[i - 1]!.percentage}%`,
      );
    }
  }
}
