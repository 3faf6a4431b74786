import { z } from '@hono/zod-openapi';

/** An environment key: `production`, `staging`, `eu-prod`. */
export const environmentKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 of a-z, 0-9, "_", "-", starting with a letter or digit');

const originSchema = z
  .string()
  .max(256)
  .regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be an origin like https://app.example.com, or *');

export const newEnvironmentSchema = z
  .object({
    key: environmentKeySchema,
    name: z.string().min(1).max(128),
    order: z.number().int().min(0).max(10_000).optional(),
    requireApproval: z.boolean().optional(),
    corsOrigins: z.array(originSchema).max(100).optional(),
  })
  .strict();

export const environmentChangesSchema = newEnvironmentSchema.omit({ key: true }).partial().strict();

export type NewEnvironment = z.infer<typeof newEnvironmentSchema>;
export type EnvironmentChanges = z.infer<typeof environmentChangesSchema>;
