import type { ClusterSignal } from '../../write/cluster-signal.js';

/** A cache other replicas can make stale. */
interface Clearable {
  clear(): void;
}

/** The caches of the SDK-facing surfaces that a cluster signal may make stale. */
export interface SurfaceCaches {
  /** SDK keys by secret (sdk-key-lookup.ts). */
  keys: Clearable & { forgetKey(id: number): void };
  /** Environment rows by id (environment-cache.ts). */
  environments: Clearable;
  /** The environments' allowed origins (cors.ts). */
  origins: Clearable;
  /** Evaluations per environment key and revision (evaluation-cache.ts). */
  evaluations: Clearable;
}

/**
 * Drops what a cluster signal makes stale in one set of caches:
 * - `sdk-key-revoked`: that key (its open streams are closed by the change feed);
 * - `sdk-keys-changed`: every key;
 * - `environments-changed`: environment rows, allowed origins, evaluations (kept per environment
 *   key) and keys (they name their environment).
 * For a signal that never arrives, keys, environment rows and origins are kept for a second at most;
 * an evaluation belongs to one revision of an environment and never goes stale by itself.
 *
 * @example
 * dropStale(surfaceCaches, { type: 'sdk-key-revoked', keyId: 7 });
 */
export function dropStale(caches: SurfaceCaches, signal: ClusterSignal): void {
  switch (signal.type) {
    case 'sdk-key-revoked':
      caches.keys.forgetKey(signal.keyId);
      return;
    case 'sdk-keys-changed':
      caches.keys.clear();
      return;
    case 'environments-changed':
      caches.environments.clear();
      caches.origins.clear();
      caches.evaluations.clear();
      caches.keys.clear();
      return;
  }
}

/**
 * The caches of this replica that other replicas can make stale. The change feed hands every committed
 * signal (on every replica, the writer's included) to {@link onClusterSignal}; each client surface
 * registers its caches here when it is built.
 *
 * @example
 * const clusterCaches = new ClusterCaches();
 * new ChangeFeed({ database, hub, logger, onSignal: (signal) => clusterCaches.onClusterSignal(signal) });
 * createClientSurface({ database, hub, payloads, findSdkKey, clusterCaches });
 */
export class ClusterCaches {
  private readonly registered = new Set<SurfaceCaches>();

  /** Drops, in every registered set of caches, what `signal` makes stale. */
  onClusterSignal(signal: ClusterSignal): void {
    for (const caches of this.registered) dropStale(caches, signal);
  }

  /** Adds a set of caches; returns a function that removes it. */
  register(caches: SurfaceCaches): () => void {
    this.registered.add(caches);
    return () => this.registered.delete(caches);
  }
}
