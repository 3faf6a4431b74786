import { z } from 'zod';
import type { SdkPatch } from '../engine/index.js';
import { formatPath } from '../engine/validate.js';

export { parsePayload } from './bootstrap.js';

const changesSchema = z.record(z.string(), z.unknown().nullable());

/** A stream `patch`: `{ revision, flags: {key: config|null}, segments: {key: segment|null} }`. */
const sdkPatchSchema = z.object({
  revision: z.number().int().min(0),
  flags: changesSchema.optional(),
  segments: changesSchema.optional(),
});

/** Checks the envelope of a `patch`; the flags in it are checked one by one when compiled. */
export function parsePatch(input: unknown, source: string): SdkPatch {
  const parsed = sdkPatchSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${formatPath(first.path) || '(root)'}: ${first.message}` : 'invalid';
    throw new Error(`${source} is not an SDK patch ({ revision, flags, segments }): ${where}`);
  }
  return parsed.data;
}

/** Parses JSON text, naming the source in the error. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
}
