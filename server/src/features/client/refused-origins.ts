import { LRUCache } from 'lru-cache';
import type { Logger } from '../../logger.js';

/** Options of {@link RefusedOriginLog}. */
export interface RefusedOriginLogOptions {
  /** One line per origin and environment per window. Default 60 s. */
  windowMs?: number;
  /** Lines per window in all, whatever the origins (a client can send any `Origin`). Default 20. */
  maxLinesPerWindow?: number;
  /** Origin and environment pairs remembered (least recently logged forgotten first). Default 1,000. */
  maxKept?: number;
}

/** The longest origin written to the log; a longer header is cut. */
const MAX_ORIGIN_CHARS = 200;

/**
 * Logs browser origins that an environment's allowed origins refuse, so an operator sees why a page
 * gets no flag values (the browser tells the page nothing but "failed"): a warning naming the
 * environment and the origin, never the key. Bounded, because the origin is whatever the client
 * sent: once per origin and environment per window, at most `maxLinesPerWindow` lines per window in
 * all (the refusals not logged for that reason are counted in the next line), and a bounded memory.
 *
 * @example
 * const refusals = new RefusedOriginLog(logger, () => Date.now());
 * refusals.refused('production', 'https://staging.example.com');
 */
export class RefusedOriginLog {
  private readonly logged: LRUCache<string, number>;
  private readonly windowMs: number;
  private readonly maxLines: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private lines = 0;
  private unlogged = 0;

  constructor(
    private readonly logger: Logger,
    /** The clock of the windows, in milliseconds. */
    private readonly now: () => number,
    options: RefusedOriginLogOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxLines = options.maxLinesPerWindow ?? 20;
    this.logged = new LRUCache({ max: options.maxKept ?? 1_000 });
  }

  /**
   * Notes a request from `origin` that `environment` (its key) refused; `undefined` for a preflight,
   * which carries no key and was refused because no environment allows the origin.
   */
  refused(environment: string | undefined, origin: string): void {
    const now = this.now();
    const id = `${environment ?? ''}\u0000${origin}`;
    const last = this.logged.get(id);
    if (last !== undefined && now - last < this.windowMs) return;
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.lines = 0;
    }
    if (this.lines >= this.maxLines) {
      this.unlogged += 1;
      return;
    }
    this.lines += 1;
    this.logged.set(id, now);
    const fields = {
      origin: origin.length > MAX_ORIGIN_CHARS ? `${origin.slice(0, MAX_ORIGIN_CHARS)}…` : origin,
      ...(this.unlogged > 0 ? { otherRefusalsNotLogged: this.unlogged } : {}),
    };
    this.unlogged = 0;
    if (environment === undefined) {
      this.logger.warn('browser origin refused: no environment allows it (CORS preflight)', fields);
    } else {
      this.logger.warn("browser origin refused: not among the environment's allowed origins", {
        environment,
        ...fields,
      });
    }
  }
}
