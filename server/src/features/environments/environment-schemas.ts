import { z } from '@hono/zod-openapi';

/** An environment key: `production`, `staging`, `eu-prod`. */
export const environmentKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 of a-z, 0-9, "_", "-", starting with a letter or digit');

const originSchema = z
  .string()
  .max(256)
  .regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be an origin like https://app.example.com, or *');

/** The browser origins allowed to call `/client/v1` with the environment's client keys; each once. */
const originsSchema = z
  .array(originSchema)
  .max(100)
  .superRefine((origins, ctx) => {
    origins.forEach((origin, index) => {
      if (origins.indexOf(origin) !== index) {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is listed twice`, path: [index] });
      }
    });
  });

export const newEnvironmentSchema = z
  .object({
    key: environmentKeySchema,
    name: z.string().min(1).max(128),
    order: z.number().int().min(0).max(10_000).optional(),
    requireApproval: z.boolean().optional(),
    corsOrigins: originsSchema.optional(),
  })
  .strict();

export const environmentChangesSchema = newEnvironmentSchema.omit({ key: true }).partial().strict();

/** The body of `PUT /api/v1/environments/order`: every environment's key, in the new pipeline order. */
export const environmentOrderSchema = z
  .object({ order: z.array(environmentKeySchema).min(1).max(1000) })
  .strict();

export type NewEnvironment = z.infer<typeof newEnvironmentSchema>;
export type EnvironmentChanges = z.infer<typeof environmentChangesSchema>;
