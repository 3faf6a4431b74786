import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataSource,
  type SdkPatch as SdkNodePatch,
  StreamingDataSource,
  writeAtomically,
} from '@ringflag/sdk-node';
import type { SdkPayload } from '@ringflag/sdk-node/engine';
import type { SurfaceEnvironment } from '../features/client/environment-cache.js';
import { type RelayKeys, relayKeysSchema } from '../features/relay/relay-wire.js';
import { type CachedPayload, cachedPayload } from '../features/sdk/cached-payload.js';
import type { SdkKeyIdentity } from '../features/sdk-keys/sdk-key-identity.js';
import type { Logger } from '../logger.js';
import type { ChangeHub, SdkPatch } from '../stream/change-hub.js';

/** A payload as the relay keeps and persists it. */
interface PlainPayload {
  revision: number;
  flags: Record<string, unknown>;
  segments: Record<string, unknown>;
}

/** What a relay persists per environment: enough to serve at once after a restart without its upstream. */
interface PersistedState {
  /** When the relay last heard from its upstream (ISO time). */
  confirmedAt: string;
  keys: RelayKeys;
  payload: PlainPayload;
}

/** Where an environment's data comes from (the upstream stream; tests may pass another). */
export type UpstreamSource = (options: { baseUrl: string; sdkKey: string }) => DataSource;

/** Options of {@link RelayEnvironment}. */
export interface RelayEnvironmentOptions {
  /** The upstream's base URL: a Ringflag server or another relay. */
  upstream: string;
  /** The server key this relay follows the environment with. */
  sdkKey: string;
  /** Where the last payload and keys are kept (none: nothing persisted). */
  dataDir: string | undefined;
  /** The relay's streams, to which upstream changes are published. */
  hub: ChangeHub;
  logger: Logger;
  /** How often the environment's keys are asked again (ms). */
  keyPollMs: number;
  /** Called when the environment's keys or allowed origins changed. */
  onKeysChanged: () => void;
  /** Called when the upstream's revisions went back (restored from a backup): kept evaluations are stale. */
  onReset?: () => void;
  /** The stream to the upstream (default: the Node SDK's streaming data source). */
  source?: UpstreamSource;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
}

/** A snapshot of an environment's state, for `/readyz` and `/metrics`. */
export interface RelayEnvironmentStatus {
  /** The environment's key, or a label naming the server key while the upstream has not said. */
  environment: string;
  revision: number | null;
  /** Whether the upstream stream is delivering now. */
  connected: boolean;
  /** Seconds since the upstream was last heard from, while it is not (0 when connected). */
  staleSeconds: number;
  /** Why the upstream refused this relay's key, when it did. */
  refused: string | null;
}

const PERSIST_DEBOUNCE_MS = 1000;
/** The time the upstream was last heard from is written at least this often (ms). */
const CONFIRMATION_PERSIST_MS = 60_000;

/** The sha256 (hex) of an SDK key: what the server stores and a relay compares. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * One environment a relay follows with a server key: one upstream stream whose payload it keeps in
 * memory (and on disk), publishing every change to its own streams with the upstream's revisions, and
 * the environment's live keys, asked every `keyPollMs` (so a key revoked upstream is refused within
 * that) and at once when an unknown key shows up.
 *
 * A `put` from the upstream after a reconnect is turned into a `patch` of what differs, so the relay's
 * SDKs catch up on one event. When the upstream refuses the relay's key (revoked), the environment
 * stops serving: its keys are dropped and its streams closed.
 *
 * @example
 * const env = new RelayEnvironment({ upstream, sdkKey, dataDir, hub, logger, keyPollMs: 2000, onKeysChanged });
 * await env.start();
 */
export class RelayEnvironment {
  private payloadObject: PlainPayload | undefined;
  private cached: CachedPayload | undefined;
  private keys: RelayKeys | undefined;
  private byHash = new Map<string, SdkKeyIdentity>();
  private keysEtag: string | undefined;
  private connectedNow = false;
  /** When the upstream was last heard from (ms since the epoch); undefined before it ever was. */
  private confirmedAt: number | undefined;
  private refusedReason: string | undefined;
  private source: DataSource | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private persisting: Promise<void> = Promise.resolve();
  private keyRefresh: Promise<void> | undefined;
  /** The `confirmedAt` last written to the state file. */
  private persistedConfirmation = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly now: () => number;
  /** A name for logs that does not reveal the key. */
  readonly label: string;
  private readonly stateFile: string | undefined;

  constructor(private readonly options: RelayEnvironmentOptions) {
    this.now = options.now ?? Date.now;
    const hash = keyHash(options.sdkKey);
    this.label = `server key ${hash.slice(0, 8)}`;
    this.stateFile =
      options.dataDir === undefined ? undefined : join(options.dataDir, `${hash.slice(0, 16)}.json`);
  }

  /** Reads the persisted state, then starts following the upstream (resolves once the keys were asked). */
  async start(): Promise<void> {
    // The state holds the rules and key hashes: the folder is the relay's alone.
    if (this.options.dataDir !== undefined)
      await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    await this.restore();
    const source = (this.options.source ?? defaultSource)({
      baseUrl: this.options.upstream,
      sdkKey: this.options.sdkKey,
    });
    this.source = source;
    source.start({
      init: (payload) => this.onPut(payload),
      patch: (patch) => this.onPatch(patch),
      error: (error, fatal) => this.onError(error, fatal),
      open: () => this.connected(),
    });
    await this.refreshKeys();
    this.schedulePoll();
  }

  /** The server key this environment is followed with. */
  get sdkKey(): string {
    return this.options.sdkKey;
  }

  /** The environment (with the upstream's id), once known. */
  get environment(): RelayKeys['environment'] | undefined {
    return this.refusedReason === undefined ? this.keys?.environment : undefined;
  }

  /** The live keys as the upstream listed them, with the environment (what `/relay/v1/keys` answers). */
  relayKeys(): RelayKeys | undefined {
    return this.refusedReason === undefined ? this.keys : undefined;
  }

  /**
   * Whether a key missing from this environment's list is known not to be one of its keys: the
   * upstream refused the relay, or its list is current (heard, and the upstream is connected).
   */
  judgesUnknownKeys(): boolean {
    return this.refusedReason !== undefined || (this.keys !== undefined && this.connectedNow);
  }

  /** The key with this sha256, if the upstream lists it for this environment. */
  identify(hash: string): SdkKeyIdentity | undefined {
    return this.byHash.get(hash);
  }

  /** The environment as the SDK surfaces read it, when it has a payload to serve. */
  surfaceEnvironment(): SurfaceEnvironment | undefined {
    const environment = this.environment;
    if (!environment || !this.cached) return undefined;
    return {
      id: environment.id,
      key: environment.key,
      ref: environment.ref,
      projectId: environment.projectId,
      revision: this.cached.revision,
    };
  }

  /** The payload held (from the upstream, or from disk after a restart). */
  payload(): CachedPayload | undefined {
    return this.refusedReason === undefined ? this.cached : undefined;
  }

  status(): RelayEnvironmentStatus {
    const confirmedAt = this.confirmedAt;
    return {
      // The ref: two projects' `production` are two lines of /readyz and two series in /metrics.
      environment: this.keys?.environment.ref ?? this.label,
      revision: this.cached?.revision ?? null,
      connected: this.connectedNow,
      staleSeconds:
        this.connectedNow || confirmedAt === undefined ? 0 : Math.max(0, (this.now() - confirmedAt) / 1000),
      refused: this.refusedReason ?? null,
    };
  }

  /**
   * Asks the upstream for the environment's keys now, unless a request is under way (then waits for
   * it). Never rejects: with the upstream away, the keys last known stay.
   */
  refreshKeys(): Promise<void> {
    this.keyRefresh ??= this.fetchKeys().finally(() => {
      this.keyRefresh = undefined;
    });
    return this.keyRefresh;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pollTimer);
    await this.source?.close();
    const pending = this.persistTimer !== undefined;
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    // The last time the upstream was heard is written too (it is otherwise written once a minute), so
    // that after a clean restart `staleSeconds` counts from it rather than from up to a minute earlier.
    const heardSince = this.confirmedAt !== undefined && this.confirmedAt > this.persistedConfirmation;
    if (pending || heardSince) this.persist();
    await this.persisting;
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      void this.refreshKeys().finally(() => this.schedulePoll());
    }, this.options.keyPollMs);
    this.pollTimer.unref();
  }

  private async fetchKeys(): Promise<void> {
    if (this.closed) return;
    let response: Response;
    try {
      response = await fetch(new URL('/relay/v1/keys', this.options.upstream), {
        headers: {
          authorization: this.options.sdkKey,
          ...(this.keysEtag === undefined ? {} : { 'if-none-match': this.keysEtag }),
        },
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      // The upstream is away: the keys last known stay (the stream reports the outage).
      return;
    }
    if (response.status === 304) {
      this.markHeard();
      return;
    }
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      await response.body?.cancel();
      this.refuse(`the upstream answered ${response.status} to this relay's key`);
      return;
    }
    if (!response.ok) {
      await response.body?.cancel();
      return;
    }
    const parsed = relayKeysSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      this.options.logger.warn('the upstream sent keys this relay cannot read', { environment: this.label });
      return;
    }
    this.keysEtag = response.headers.get('etag') ?? undefined;
    this.refusedReason = undefined;
    this.markHeard();
    this.setKeys(parsed.data);
    this.schedulePersist();
  }

  /** Takes a new list of keys: streams of keys no longer listed are closed. */
  private setKeys(keys: RelayKeys): void {
    const before = this.byHash;
    const environment = keys.environment;
    this.byHash = new Map(
      keys.keys.map((key) => [
        key.hash,
        { id: key.id, type: key.type, environmentId: environment.id, environment: environment.key },
      ]),
    );
    const previous = this.keys;
    this.keys = keys;
    const live = new Set(keys.keys.map((key) => key.id));
    for (const identity of before.values()) {
      if (!live.has(identity.id)) this.options.hub.disconnectKey(identity.id);
    }
    if (!previous || JSON.stringify(previous) !== JSON.stringify(keys)) this.options.onKeysChanged();
  }

  /** The upstream refused this relay's key: nothing of the environment is served any more. */
  private refuse(reason: string): void {
    if (this.refusedReason === undefined) {
      this.options.logger.error('the upstream refuses this relay: its environment is no longer served', {
        environment: this.keys?.environment.key ?? this.label,
        reason,
      });
    }
    const first = this.refusedReason === undefined;
    this.refusedReason = reason;
    // What was persisted is not served again after a restart either (nothing is written while refused).
    const file = this.stateFile;
    if (first && file !== undefined) {
      this.persisting = this.persisting
        .then(() => rm(file, { force: true }))
        .catch((error: unknown) => {
          this.options.logger.warn('cannot remove the relay state file', { file, error: String(error) });
        });
    }
    for (const identity of this.byHash.values()) this.options.hub.disconnectKey(identity.id);
    this.byHash = new Map();
    this.keysEtag = undefined;
    this.options.onKeysChanged();
  }

  private markHeard(): void {
    this.confirmedAt = this.now();
    // The persisted time says how stale the state is after a restart: kept within a minute even when
    // nothing changes (a change persists at once anyway).
    if (this.confirmedAt - this.persistedConfirmation >= CONFIRMATION_PERSIST_MS) this.schedulePersist();
  }

  private onPut(payload: SdkPayload): void {
    this.connected();
    const next: PlainPayload = {
      revision: payload.revision,
      flags: { ...payload.flags },
      segments: { ...payload.segments },
    };
    const previous = this.payloadObject;
    this.setPayload(next);
    const environment = this.keys?.environment.ref;
    if (!previous || environment === undefined) return;
    if (next.revision < previous.revision) {
      // The upstream went back (restored from a backup): every stream starts again from a `put`, and
      // evaluations kept per revision no longer describe what these revisions hold.
      this.options.onReset?.();
      this.options.hub.disconnectEnvironment(environment);
      return;
    }
    const patch = difference(previous, next);
    if (patch) this.options.hub.publish(environment, patch);
  }

  private onPatch(patch: SdkNodePatch): void {
    this.connected();
    const current = this.payloadObject;
    if (!current || patch.revision <= current.revision) return;
    const next: PlainPayload = {
      revision: patch.revision,
      flags: { ...current.flags },
      segments: { ...current.segments },
    };
    const published: SdkPatch = { revision: patch.revision, flags: {}, segments: {} };
    for (const [key, config] of Object.entries(patch.flags ?? {})) {
      if (config === null) delete next.flags[key];
      else next.flags[key] = config;
      published.flags[key] = config;
    }
    for (const [key, segment] of Object.entries(patch.segments ?? {})) {
      if (segment === null) delete next.segments[key];
      else next.segments[key] = segment;
      published.segments[key] = segment;
    }
    this.setPayload(next);
    const environment = this.keys?.environment.ref;
    if (environment !== undefined) this.options.hub.publish(environment, published);
  }

  private onError(error: Error, fatal: boolean): void {
    if (this.connectedNow) {
      this.options.logger.warn('the upstream stream is down: serving the last payload', {
        environment: this.keys?.environment.key ?? this.label,
        error: error.message,
      });
    }
    this.connectedNow = false;
    if (fatal) this.refuse(error.message);
  }

  private connected(): void {
    if (!this.connectedNow && this.confirmedAt !== undefined) {
      this.options.logger.info('the upstream stream is back', {
        environment: this.keys?.environment.key ?? this.label,
      });
    }
    this.connectedNow = true;
    this.markHeard();
  }

  private setPayload(payload: PlainPayload): void {
    this.payloadObject = payload;
    this.cached = cachedPayload(payload);
    this.schedulePersist();
  }

  /** Reads the state a previous run persisted; an unreadable file is set aside with a warning. */
  private async restore(): Promise<void> {
    if (this.stateFile === undefined) return;
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.logger.warn('cannot read the relay state file', {
          file: this.stateFile,
          error: String(error),
        });
      }
      return;
    }
    try {
      const state = JSON.parse(text) as PersistedState;
      const keys = relayKeysSchema.parse(state.keys);
      const payload = state.payload;
      if (typeof payload?.revision !== 'number' || typeof payload.flags !== 'object') {
        throw new Error('no payload');
      }
      const cached = cachedPayload(payload);
      cached.store(); // compiles it: an invalid payload is refused here, not on the first request
      this.payloadObject = payload;
      this.cached = cached;
      this.setKeys(keys);
      const confirmedAt = Date.parse(state.confirmedAt);
      this.confirmedAt = Number.isNaN(confirmedAt) ? this.now() : confirmedAt;
    } catch (error) {
      this.options.logger.warn('ignoring a relay state file that cannot be read', {
        file: this.stateFile,
        error: String(error),
      });
    }
  }

  private schedulePersist(): void {
    if (this.stateFile === undefined || this.persistTimer !== undefined || this.closed) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persist();
    }, PERSIST_DEBOUNCE_MS);
    this.persistTimer.unref();
  }

  /** Queues a write of the state behind any write in progress. */
  private persist(): void {
    const file = this.stateFile;
    const keys = this.keys;
    const payload = this.payloadObject;
    if (file === undefined || !keys || !payload || this.refusedReason !== undefined) return;
    const confirmedAt = this.confirmedAt ?? this.now();
    this.persistedConfirmation = confirmedAt;
    const state: PersistedState = {
      confirmedAt: new Date(confirmedAt).toISOString(),
      keys,
      payload,
    };
    const text = JSON.stringify(state);
    this.persisting = this.persisting
      .then(() => writeAtomically(file, text, { mode: 0o600 }))
      .catch((error: unknown) => {
        this.options.logger.warn('cannot write the relay state file', { file, error: String(error) });
      });
  }
}

function defaultSource(options: { baseUrl: string; sdkKey: string }): DataSource {
  return new StreamingDataSource({ baseUrl: options.baseUrl, sdkKey: options.sdkKey });
}

/** The patch that turns `before` into `after`, or undefined when they are the same. */
function difference(before: PlainPayload, after: PlainPayload): SdkPatch | undefined {
  const flags = changes(before.flags, after.flags);
  const segments = changes(before.segments, after.segments);
  if (before.revision === after.revision && !flags && !segments) return undefined;
  return { revision: after.revision, flags: flags ?? {}, segments: segments ?? {} };
}

function changes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const changed: Record<string, unknown> = {};
  let any = false;
  for (const [key, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, key) || JSON.stringify(before[key]) !== JSON.stringify(value)) {
      changed[key] = value;
      any = true;
    }
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) {
      changed[key] = null;
      any = true;
    }
  }
  return any ? changed : undefined;
}
