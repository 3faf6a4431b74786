import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { settings } from './schema.js';

const SECRET_SETTING = 'jwt_secret';

/**
 * The JWT signing secret: the configured one, else the one generated on first start and kept in the
 * database (so sessions survive restarts).
 *
 * @example
 * const secret = resolveSecret(db, process.env.RINGFLAG_SECRET);
 */
export function resolveSecret(db: Db, configured: string | undefined): Uint8Array {
  if (configured !== undefined) return new TextEncoder().encode(configured);
  const stored = db.select().from(settings).where(eq(settings.key, SECRET_SETTING)).get();
  if (stored) return Buffer.from(stored.value, 'base64url');
  const generated = randomBytes(48);
  db.insert(settings)
    .values({ key: SECRET_SETTING, value: generated.toString('base64url') })
    .onConflictDoNothing()
    .run();
  // Another process may have won the race; use what is stored.
  const winner = db.select().from(settings).where(eq(settings.key, SECRET_SETTING)).get();
  return Buffer.from(winner?.value ?? generated.toString('base64url'), 'base64url');
}
