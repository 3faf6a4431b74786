import type { ParseArgsConfig } from 'node:util';
import type { ApiClient } from './api-client.js';
import { badInput } from './cli-error.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** What a remote command gets: the API, the output, and its parsed arguments. */
export interface CommandContext {
  api: ApiClient;
  out: Output;
  /** `--fail-on-pending`: a change that awaits approval ends with exit 6 instead of 0. */
  failOnPending: boolean;
  /** The positional argument at `index` (after the command words); exit 2 when missing. */
  arg(index: number, name: string): string;
  /** An option's value; exit 2 when missing. */
  need(name: string): string;
  /** An option's value, or undefined. */
  option(name: string): string | undefined;
  /** A boolean option. */
  flag(name: string): boolean;
}

/** One remote command: its words, its help line, its own options and what it does. */
export interface CommandSpec {
  /** The command words: `['flags', 'enable']`, `['promote']`. */
  words: readonly string[];
  /** `flags enable KEY --env E [--comment C]` */
  usage: string;
  summary: string;
  options?: OptionsConfig;
  /** How many positionals after the words (to refuse extras). */
  positionals?: number;
  /**
   * Acts on the organisation (the project list), not in a project: takes no `--project` and ignores
   * `RINGFLAG_PROJECT`. Every other command acts in the project they name.
   */
  organisation?: boolean;
  run(ctx: CommandContext): Promise<ExitCode | undefined>;
}

/** The `options` of `parseArgs`. */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Builds the accessors of a {@link CommandContext} over parsed arguments. */
export function accessors(
  spec: CommandSpec,
  values: Values,
  positionals: readonly string[],
): Pick<CommandContext, 'arg' | 'need' | 'option' | 'flag'> {
  const option = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    arg(index, name) {
      const value = positionals[index];
      if (value === undefined || value === '') throw badInput(`${spec.words.join(' ')} needs ${name}`);
      return value;
    },
    need(name) {
      const value = option(name);
      if (value === undefined || value === '') throw badInput(`${spec.words.join(' ')} needs --${name}`);
      return value;
    },
    option,
    flag: (name) => values[name] === true,
  };
}

/**
 * Reads a percentage: 0–100 with at most 3 decimals (weights are thousandths of a percent).
 *
 * @example
 * parsePercent('12.5', '--percent'); // 12.5
 */
export function parsePercent(text: string, what: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw badInput(`${what} must be a number from 0 to 100, not "${text}"`);
  }
  if (Math.abs(value * 1000 - Math.round(value * 1000)) > 1e-6) {
    throw badInput(`${what} allows at most 3 decimals, not "${text}"`);
  }
  return value;
}

/** Reads a whole number ≥ `min`. */
export function parseInteger(text: string, what: string, min = 0): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw badInput(`${what} must be a whole number ≥ ${min}, not "${text}"`);
  }
  return value;
}
