import type { Context, EvaluationDetail, FlagStore, JsonValue } from '@ringflag/sdk-node/engine';
import type { EnvironmentRef } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../ops/metrics.js';
import type { ChangeHub, StreamConnection, StreamSink } from '../../stream/change-hub.js';
import { sseFrame } from '../../stream/sse-frame.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import type { EnvironmentReader } from './environment-cache.js';
import { type CachedEvaluation, evaluateScoped } from './evaluation-cache.js';

type Results = Readonly<Record<string, EvaluationDetail<JsonValue | null>>>;

/** The streams of one environment that share one context: evaluated once per revision. */
interface ContextGroup {
  readonly hash: string;
  readonly context: Context;
  revision: number;
  results: Results;
  /** The `put` frame at `revision`, built when a stream joins. */
  put: Buffer | undefined;
  readonly connections: Set<StreamConnection>;
  /** What the group is estimated to hold, in bytes (counted in {@link ClientStreams.bytes}). */
  readonly bytes: number;
}

/** Estimated bytes of a group: its context and results (strings and objects), and its `put` frame. */
function groupBytes(contextChars: number, resultsChars: number): number {
  return 512 + contextChars * 4 + resultsChars * 6;
}

/** What {@link ClientStreams} needs from the application. */
export interface ClientStreamsDeps {
  /** Where the current environment row is read after a publish. */
  environments: Pick<EnvironmentReader, 'byRef'>;
  payloads: PayloadReader;
  hub: ChangeHub;
  logger: Logger;
  metrics: Pick<Metrics, 'observeBrowserStream'>;
}

/** Options of {@link ClientStreams}. */
export interface ClientStreamsOptions {
  /** A stream whose unsent output passes this many bytes is closed (it reconnects and gets a `put`). */
  maxBufferedBytes?: number;
  /** A fan-out yields the event loop after this long, so other requests are not held up. */
  sliceMs?: number;
  /**
   * Memory the per-context state of all streams may take, in bytes (estimated from each context's and
   * its results' JSON; default 256 MiB). A stream with a new context past it is refused (429).
   */
  maxStateBytes?: number;
}

/** The hub channel of an environment's browser streams (heartbeats, key revocation, shutdown). */
export const clientChannel = (environment: EnvironmentRef) => `client:${environment}` as EnvironmentRef;

/**
 * The browser streams (`GET /client/v1/stream`): a `put` with the evaluated values of the stream's
 * context, then, on each revision of the environment, a `patch` with only the flags whose value,
 * variant or reason changed for that context (`null`: no longer visible). Streams with the same
 * context form a group that is evaluated once per revision and gets one serialised frame, so the cost
 * of a change is one evaluation per distinct context plus one write per stream.
 *
 * The streams also sit in the change hub under their own channel (`client:<env>`), which is never
 * published to: the hub gives them its staggered heartbeats, closes them when their key is revoked and
 * ends them at shutdown, without ever sending them the rules.
 *
 * @example
 * const streams = new ClientStreams({ environments, payloads, hub, logger, metrics });
 * streams.attach(response, env.ref, keyId, context, contextHash(context), initial);
 */
export class ClientStreams {
  private readonly groups = new Map<EnvironmentRef, Map<string, ContextGroup>>();
  /** Environments whose fan-out is scheduled or running; `true` when another revision came meanwhile. */
  private readonly fanOuts = new Map<EnvironmentRef, boolean>();
  /** The newest revision published per environment, to catch up streams that attach behind it. */
  private readonly published = new Map<EnvironmentRef, number>();
  private readonly maxBufferedBytes: number;
  private readonly sliceMs: number;
  private readonly maxStateBytes: number;
  private stateBytes = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: ClientStreamsDeps,
    options: ClientStreamsOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.sliceMs = options.sliceMs ?? 25;
    this.maxStateBytes = options.maxStateBytes ?? 256 * 1024 * 1024;
    this.unsubscribe = deps.hub.onPublish((environment, patch) => {
      if (patch.revision > (this.published.get(environment) ?? 0))
        this.published.set(environment, patch.revision);
      this.schedule(environment);
    });
  }

  /** Open streams, in total or per environment. */
  connectionCount(environment?: EnvironmentRef): number {
    if (environment !== undefined) return this.deps.hub.connectionCount(clientChannel(environment));
    let total = 0;
    for (const ref of this.groups.keys()) total += this.deps.hub.connectionCount(clientChannel(ref));
    return total;
  }

  /**
   * Whether a stream for this context fits: it joins an open group, or a new group stays within
   * `maxStateBytes`.
   */
  hasRoomFor(
    environment: EnvironmentRef,
    hash: string,
    context: Context,
    initial: CachedEvaluation,
  ): boolean {
    if (this.groups.get(environment)?.has(hash)) return true;
    return (
      this.stateBytes + groupBytes(JSON.stringify(context).length, initial.json.length) <= this.maxStateBytes
    );
  }

  /** Estimated bytes held for the open streams' contexts. */
  get bytes(): number {
    return this.stateBytes;
  }

  /** Distinct contexts with open streams in an environment. */
  contextCount(environment: EnvironmentRef): number {
    return this.groups.get(environment)?.size ?? 0;
  }

  /**
   * Writes the `put` to a stream whose headers are already sent and keeps it until it closes.
   * `initial` is the context's evaluation at the environment's current revision; a stream joining a
   * group gets the group's values instead, so that every member is at the same revision.
   */
  attach(
    sink: StreamSink & { once(event: 'close', listener: () => void): unknown },
    environment: EnvironmentRef,
    keyId: number,
    context: Context,
    hash: string,
    initial: CachedEvaluation,
  ): void {
    let byHash = this.groups.get(environment);
    if (!byHash) {
      byHash = new Map();
      this.groups.set(environment, byHash);
    }
    let group = byHash.get(hash);
    if (!group) {
      group = {
        hash,
        context,
        revision: initial.revision,
        results: initial.results,
        put: Buffer.from(sseFrame('put', initial.revision, initial.json)),
        connections: new Set(),
        bytes: groupBytes(JSON.stringify(context).length, initial.json.length),
      };
      byHash.set(hash, group);
      this.stateBytes += group.bytes;
    }
    group.put ??= Buffer.from(
      sseFrame('put', group.revision, JSON.stringify({ revision: group.revision, flags: group.results })),
    );
    sink.write(group.put);
    const connection: StreamConnection = { environment: clientChannel(environment), keyId, sink };
    group.connections.add(connection);
    this.deps.hub.subscribe(connection);
    this.deps.metrics.observeBrowserStream(environment, 1);
    // `initial` was read before this call; a revision published meanwhile is fanned out to it now.
    if (group.revision < (this.published.get(environment) ?? 0)) this.schedule(environment);
    const joined = group;
    const groups = byHash;
    sink.once('close', () => {
      this.deps.hub.unsubscribe(connection);
      this.deps.metrics.observeBrowserStream(environment, -1);
      joined.connections.delete(connection);
      if (joined.connections.size === 0 && groups.get(hash) === joined) {
        groups.delete(hash);
        this.stateBytes -= joined.bytes;
      }
    });
  }

  /** Stops listening to the hub (streams themselves end with the hub). */
  close(): void {
    this.unsubscribe();
  }

  /** Re-evaluates an environment's contexts after the response to the write has gone out. */
  private schedule(environment: EnvironmentRef): void {
    if (!this.groups.get(environment)?.size) return;
    if (this.fanOuts.has(environment)) {
      this.fanOuts.set(environment, true);
      return;
    }
    this.fanOuts.set(environment, false);
    setImmediate(() => this.fanOut(environment));
  }

  private fanOut(environment: EnvironmentRef): void {
    this.fanOuts.set(environment, false);
    void this.currentStore(environment).then(
      (store) => {
        const byHash = this.groups.get(environment);
        if (!store || !byHash) {
          this.done(environment);
          return;
        }
        this.fanOutSlices(environment, store, [...byHash.values()]);
      },
      (error: unknown) => {
        // The groups stay at their revision; the next publish brings them up to date.
        this.deps.logger.error('browser stream fan-out failed', { environment, error: String(error) });
        this.done(environment);
      },
    );
  }

  /** The environment's payload at its current revision (undefined when it is gone). */
  private async currentStore(environment: EnvironmentRef): Promise<FlagStore | undefined> {
    const env = await this.deps.environments.byRef(environment);
    if (!env) return undefined;
    return (await this.deps.payloads.get(env)).store();
  }

  /** Updates the groups a slice at a time, yielding the event loop between slices. */
  private fanOutSlices(environment: EnvironmentRef, store: FlagStore, pending: ContextGroup[]): void {
    let index = 0;
    const slice = () => {
      const started = performance.now();
      try {
        while (index < pending.length) {
          const group = pending[index++] as ContextGroup;
          if (group.revision < store.revision && group.connections.size > 0) this.update(group, store);
          if ((index & 63) === 0 && performance.now() - started > this.sliceMs) {
            setImmediate(slice);
            return;
          }
        }
      } catch (error) {
        this.deps.logger.error('browser stream fan-out failed', { environment, error: String(error) });
      }
      this.done(environment);
    };
    slice();
  }

  /** Ends a fan-out pass: a revision that landed meanwhile gets its own pass. */
  private done(environment: EnvironmentRef): void {
    if (this.fanOuts.get(environment)) setImmediate(() => this.fanOut(environment));
    else this.fanOuts.delete(environment);
  }

  private update(group: ContextGroup, store: FlagStore): void {
    const next = evaluateScoped('client', store, group.context);
    const changes = diffResults(group.results, next);
    group.results = next;
    group.revision = store.revision;
    group.put = undefined;
    if (changes === null) return;
    const frame = Buffer.from(
      sseFrame('patch', store.revision, JSON.stringify({ revision: store.revision, flags: changes })),
    );
    for (const connection of group.connections) this.send(connection, frame);
  }

  private send(connection: StreamConnection, frame: Buffer): void {
    const sink = connection.sink;
    if (sink.destroyed) return;
    try {
      sink.write(frame);
      if (sink.writableLength > this.maxBufferedBytes) {
        this.deps.logger.warn('closing a browser stream that does not keep up', {
          environment: connection.environment,
        });
        sink.destroy();
      }
    } catch (error) {
      this.deps.logger.warn('browser stream write failed', { error: String(error) });
      sink.destroy();
    }
  }
}

/**
 * The flags whose value, variant or reason differ between two evaluations of one context: the new
 * result, or `null` for a flag that is gone. `null` when nothing changed.
 *
 * @example
 * diffResults({ a: on, b: off }, { a: on, b: on }); // { b: on }
 */
export function diffResults(
  before: Results,
  after: Results,
): Record<string, EvaluationDetail<JsonValue | null> | null> | null {
  let changes: Record<string, EvaluationDetail<JsonValue | null> | null> | null = null;
  for (const key of Object.keys(after)) {
    const next = after[key] as EvaluationDetail<JsonValue | null>;
    // Own properties only: "constructor" is a valid flag key.
    const previous = Object.hasOwn(before, key) ? before[key] : undefined;
    if (previous === undefined || !sameDetail(previous, next)) {
      changes ??= {};
      changes[key] = next;
    }
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) {
      changes ??= {};
      changes[key] = null;
    }
  }
  return changes;
}

function sameDetail(a: EvaluationDetail<JsonValue | null>, b: EvaluationDetail<JsonValue | null>): boolean {
  if (a === b) return true;
  if (a.variant !== b.variant) return false;
  const ra = a.reason as Record<string, unknown>;
  const rb = b.reason as Record<string, unknown>;
  if (
    ra.kind !== rb.kind ||
    ra.ruleId !== rb.ruleId ||
    ra.ruleIndex !== rb.ruleIndex ||
    ra.inRollout !== rb.inRollout ||
    ra.prerequisiteKey !== rb.prerequisiteKey ||
    ra.errorKind !== rb.errorKind
  ) {
    return false;
  }
  if (a.value === b.value) return true;
  return typeof a.value === 'object' && JSON.stringify(a.value) === JSON.stringify(b.value);
}
