import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Ed25519 key that signs audit checkpoints; the private half never enters the database. */
export interface AuditSigner {
  /** The first 16 hex digits of sha256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** The public key, SPKI PEM: what an outside verifier needs. */
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature of `message` (UTF-8). */
  sign(message: string): string;
  /** Whether `signature` (base64) is this key's signature of `message`. */
  verify(message: string, signature: string): boolean;
}

/** A signed statement that the chain's event `eventId` had `hash` at time `at`. */
export interface SignedHead {
  eventId: number;
  hash: string;
  at: string;
}

/**
 * The exact text a checkpoint signs: four lines, UTF-8, no trailing newline. An outside verifier
 * rebuilds it from an exported head and checks the signature with the public key.
 *
 * @example
 * checkpointMessage({ eventId: 42, hash: 'ab…', at: '2026-01-01T00:00:00.000Z' });
 * // 'ringflag-audit-checkpoint-v1\n42\nab…\n2026-01-01T00:00:00.000Z'
 */
export function checkpointMessage(head: SignedHead): string {
  return `ringflag-audit-checkpoint-v1\n${head.eventId}\n${head.hash}\n${head.at}`;
}

/** The key file used when none is configured: `audit-signing.pem` beside the SQLite file. */
export function defaultAuditKeyPath(dbPath: string): string | undefined {
  return dbPath === ':memory:' ? undefined : join(dirname(dbPath), 'audit-signing.pem');
}

/**
 * Loads the Ed25519 private key (PKCS#8 PEM) at `path`, creating it (mode 0600) when the file does not
 * exist. Without a path (an in-memory database) the key lives only as long as the process.
 * Throws an error that names the file when it holds something else.
 *
 * @example
 * const signer = loadAuditSigner('/run/secrets/ringflag-audit.pem');
 */
export function loadAuditSigner(path: string | undefined): AuditSigner {
  if (path === undefined) return signerOf(generateKeyPairSync('ed25519').privateKey);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      // Another process created it first: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      pem = readFileSync(path, 'utf8');
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`the audit signing key ${path} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `the audit signing key ${path} is a ${key.asymmetricKeyType ?? 'secret'} key, not Ed25519`,
    );
  }
  return signerOf(key);
}

function signerOf(privateKey: KeyObject): AuditSigner {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
    verify: (message, signature) => {
      if (!/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false;
      return verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
    },
  };
}
