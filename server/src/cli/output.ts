/**
 * Where the remote commands write. With `--json` a command prints exactly one JSON document on
 * stdout (so `ringflag flags list --json | jq` works); notes and errors always go to stderr.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: `human` lines in text mode, `data` as JSON with `--json`. */
  result(human: string | readonly string[], data: unknown): void;
  /** A note for people (stderr), in both modes. */
  note(line: string): void;
  /** Raw text on stdout (export writes its file this way). */
  raw(text: string): void;
}

export interface OutputOptions {
  json: boolean;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/**
 * @example
 * const out = createOutput({ json: values.json === true });
 * out.result(`enabled ${key} in ${env}`, config);
 */
export function createOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  return {
    json: options.json,
    result(human, data) {
      if (options.json) stdout(`${JSON.stringify(data, null, 2)}\n`);
      else {
        const lines = typeof human === 'string' ? [human] : human;
        if (lines.length > 0) stdout(`${lines.join('\n')}\n`);
      }
    },
    note(line) {
      stderr(`${line}\n`);
    },
    raw(text) {
      stdout(text);
    },
  };
}

/**
 * Lays rows out in columns, the first row being the header.
 *
 * @example
 * table([['KEY', 'KIND'], ['new-checkout', 'boolean']]); // ['KEY           KIND', 'new-checkout  boolean']
 */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Compact JSON for one-line diffs and summaries. */
export function compact(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}
