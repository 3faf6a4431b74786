/**
 * The object an "all flags" call returns, prepared once per list of keys (a store snapshot has one for
 * every flag, one for the evaluable flags and one for the client-side flags).
 *
 * A call clones a template that already holds every key, so it fills existing properties instead of
 * adding a hundred to a fresh object (each added property moves the object to a new hidden class and
 * regrows its property store). It fills them with a function generated for these keys, one assignment
 * per key with the key written out (`out["new-checkout"] = values[0]`), which V8 compiles to a store
 * at a known offset. The loop `out[keys[i]] = values[i]` is instead a keyed store with a different key
 * at every step, which V8 runs through its generic lookup each time: about a fifth of an "all flags"
 * call over 100 flags, which made it slower than a loop of `evaluate()` (docs/benchmarks.md).
 *
 * Where code cannot be generated from strings (`--disallow-code-generation-from-strings`), that loop
 * is used instead, with the same result. Past about 1,000 keys V8 keeps such objects in dictionary
 * mode, and neither way is fast.
 */

/** Writes `values[i]` to `out[keys[i]]` for the keys it was generated for. */
type Filler = (out: Record<string, unknown>, values: readonly unknown[]) => void;

/** Keys per generated function: small enough for V8 to optimise each one (its bytecode size limit). */
const KEYS_PER_FILLER = 1_000;

export class ResultShape {
  /** The keys, in the order the result lists them. */
  readonly keys: readonly string[];
  /** Every key with a `null` value; built on first use, so that a shape never used costs nothing. */
  private template: Readonly<Record<string, null>> | null = null;
  /** Generated on first use; `null` until then. Empty when code generation is not allowed. */
  private fillers: readonly Filler[] | null;

  /** `generateCode: false` always uses the loop (for tests of that path). */
  constructor(keys: readonly string[], generateCode = true) {
    this.keys = keys;
    this.fillers = generateCode ? null : [];
  }

  /** A new object with `values[i]` under `keys[i]`, in the order of `keys`. */
  build<T>(values: readonly T[]): Record<string, T> {
    const out = { ...(this.template ?? this.createTemplate()) } as Record<string, T>;
    const fillers = this.fillers ?? this.generate();
    if (fillers.length > 0) {
      for (let i = 0; i < fillers.length; i++) (fillers[i] as Filler)(out, values);
    } else {
      const keys = this.keys;
      for (let i = 0; i < keys.length; i++) out[keys[i] as string] = values[i] as T;
    }
    return out;
  }

  /** Whether this shape lists exactly `keys`, in that order (so a new snapshot can keep it). */
  hasKeys(keys: readonly string[]): boolean {
    if (keys.length !== this.keys.length) return false;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== this.keys[i]) return false;
    return true;
  }

  private createTemplate(): Readonly<Record<string, null>> {
    const template: Record<string, null> = {};
    for (const key of this.keys) {
      // defineProperty, so that a key such as "__proto__" is an own property like any other; adding
      // the keys in one order on an empty object keeps the template's properties fast.
      Object.defineProperty(template, key, {
        value: null,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    this.template = template;
    return template;
  }

  private generate(): readonly Filler[] {
    const fillers: Filler[] = [];
    try {
      for (let start = 0; start < this.keys.length; start += KEYS_PER_FILLER) {
        const lines = ['"use strict";'];
        const end = Math.min(start + KEYS_PER_FILLER, this.keys.length);
        // JSON.stringify writes any string as a valid JavaScript string literal (quotes, backslashes,
        // control characters and lone surrogates escaped), so a key is only ever data here.
        for (let i = start; i < end; i++) lines.push(`out[${JSON.stringify(this.keys[i])}] = values[${i}];`);
        fillers.push(new Function('out', 'values', lines.join('\n')) as Filler);
      }
    } catch {
      // Code generation from strings is disabled: `build` falls back to the loop.
      fillers.length = 0;
    }
    this.fillers = fillers;
    return fillers;
  }
}
