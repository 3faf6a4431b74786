import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';

interface SignedHead {
  eventId: number;
  hash: string;
  at: string;
  signature: string;
  keyId: string;
}

interface Verification {
  ok: boolean;
  count: number;
  checkpoints: number;
  signedThrough: number;
  reason?: string;
}

/** `audit head` and `audit verify`: export the signed head to an outside log, and check it later. */
export const auditCommands: CommandSpec[] = [
  {
    words: ['audit', 'head'],
    usage: 'audit head',
    summary:
      'print the signed head of the audit chain (keep it outside Ringflag; --json gives the signature and public key)',
    async run(ctx) {
      const head = await ctx.api.get<SignedHead>('/api/v1/audit/head');
      ctx.out.result(
        [
          `${head.eventId}:${head.hash}`,
          `  signed ${head.at} by key ${head.keyId}: ${head.signature}`,
          `  check it later with: ringflag audit verify --head ${head.eventId}:${head.hash}`,
        ],
        head,
      );
      return EXIT.ok;
    },
  },
  {
    words: ['audit', 'verify'],
    usage: 'audit verify [--head EVENT_ID:HASH]',
    summary:
      'check the hash chain, its signed checkpoints and a head you kept (exit 4 when it does not hold)',
    options: { head: { type: 'string' } },
    async run(ctx) {
      const head = ctx.option('head');
      const result = await ctx.api.get<Verification>('/api/v1/audit/verify', { head });
      ctx.out.result(
        result.ok
          ? `the audit trail holds: ${result.count} events, signed through #${result.signedThrough} (${result.checkpoints} checkpoints)`
          : `the audit trail was altered: ${result.reason ?? 'unknown reason'}`,
        result,
      );
      return result.ok ? EXIT.ok : EXIT.conflict;
    },
  },
];
