import { readFile } from 'node:fs/promises';
import {
  flagKeySchema,
  flagKindSchema,
  idSchema,
  issuesToErrors,
  prerequisiteSchema,
  ruleSchema,
  segmentRuleSchema,
  serveSchema,
  targetSchema,
  variationSchema,
} from '@ringflag/sdk-node/engine';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { PROJECT_KEY_PATTERN } from '../features/projects/project-path.js';
import { parseJsonText } from '../http/json-body.js';
import { badInput, type FieldProblem } from './cli-error.js';

/**
 * The declarative file of `ringflag export`, `plan` and `apply` ("flags as code"):
 *
 * ```json
 * { "version": 1, "project": "payments",
 *   "segments": [{ "key": "staff", "name": "Staff", "included": ["user-1"], "excluded": [], "rules": [] }],
 *   "flags": [{ "key": "new-checkout", "name": "New checkout", "kind": "boolean",
 *               "variations": [{ "id": "off", "value": false }, { "id": "on", "value": true }],
 *               "tags": [], "clientSide": false, "temporary": true,
 *               "environments": { "production": { "enabled": true, "offVariation": "off",
 *                 "prerequisites": [], "targets": [], "rules": [], "fallthrough": { "variation": "on" } } } }] }
 * ```
 *
 * What the file leaves out is left alone: flags, segments and environments it does not list, and
 * the optional fields of a flag or segment it omits. Nothing is deleted. `project`, when present, is
 * the project the file is for: plan and apply refuse to use it in another one.
 */
const segmentEntrySchema = z
  .object({
    key: flagKeySchema,
    name: z.string().min(1).max(128).optional(),
    description: z.string().max(2000).optional(),
    included: z.array(z.string().min(1)).optional(),
    excluded: z.array(z.string().min(1)).optional(),
    rules: z.array(segmentRuleSchema).optional(),
  })
  .strict();
export type SegmentEntry = z.infer<typeof segmentEntrySchema>;

/** One environment's config of a flag: the writable part of a DESIGN §2 config. */
const configEntrySchema = z
  .object({
    enabled: z.boolean(),
    offVariation: idSchema,
    prerequisites: z.array(prerequisiteSchema).default([]),
    targets: z.array(targetSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    fallthrough: serveSchema,
  })
  .strict();
export type ConfigEntry = z.infer<typeof configEntrySchema>;

const flagEntrySchema = z
  .object({
    key: flagKeySchema,
    name: z.string().min(1).max(128).optional(),
    description: z.string().max(2000).optional(),
    kind: flagKindSchema,
    variations: z.array(variationSchema).min(1).optional(),
    tags: z.array(z.string().min(1).max(64)).optional(),
    owner: z.string().nullable().optional(),
    temporary: z.boolean().optional(),
    clientSide: z.boolean().optional(),
    environments: z.record(z.string(), configEntrySchema).default({}),
  })
  .strict();
export type FlagEntry = z.infer<typeof flagEntrySchema>;

const flagsFileSchema = z
  .object({
    version: z.literal(1),
    project: z
      .string()
      .regex(PROJECT_KEY_PATTERN, 'must be a project key: 1–64 of a-z, 0-9, ".", "_", "-"')
      .optional(),
    segments: z.array(segmentEntrySchema).default([]),
    flags: z.array(flagEntrySchema).default([]),
  })
  .strict();
export type FlagsFile = z.infer<typeof flagsFileSchema>;

/**
 * Checks a flags file; exit 2 with the field paths of every problem.
 *
 * @example
 * const file = parseFlagsFile(JSON.parse(text), 'flags.json');
 */
export function parseFlagsFile(data: unknown, name = 'the file'): FlagsFile {
  const parsed = flagsFileSchema.safeParse(data);
  if (!parsed.success)
    throw badInput(`${name} is not a valid flags file`, issuesToErrors(parsed.error.issues));
  const file = parsed.data;
  const errors: FieldProblem[] = [
    ...duplicates(
      file.segments.map((segment) => segment.key),
      'segments',
    ),
    ...duplicates(
      file.flags.map((flag) => flag.key),
      'flags',
    ),
  ];
  if (errors.length > 0) throw badInput(`${name} is not a valid flags file`, errors);
  return file;
}

/** Reads and checks a flags file from disk (`-` reads stdin). */
export async function readFlagsFile(path: string): Promise<FlagsFile> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw badInput(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let data: unknown;
  try {
    // The server's bounded parser: a value nested too deep is named here, not a stack overflow later.
    data = parseJsonText(text);
  } catch (error) {
    const at = error instanceof ValidationError ? error.errors[0]?.path : undefined;
    throw badInput(
      `${path} is not usable JSON: ${error instanceof Error ? error.message : String(error)}${at ? ` at ${at}` : ''}`,
    );
  }
  return parseFlagsFile(data, path);
}

function duplicates(keys: readonly string[], list: string): FieldProblem[] {
  const seen = new Set<string>();
  return keys.flatMap((key, index) => {
    if (!seen.has(key)) {
      seen.add(key);
      return [];
    }
    return [{ path: `${list}[${index}].key`, message: `"${key}" is listed twice` }];
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
