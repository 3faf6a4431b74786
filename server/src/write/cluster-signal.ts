/**
 * What one replica tells the others besides payload changes: something it cached may be stale. A
 * replica that receives a signal drops what it caches (and closes the streams of a revoked key).
 */
export type ClusterSignal =
  | { type: 'sdk-key-revoked'; keyId: number }
  | { type: 'sdk-keys-changed' }
  | { type: 'environments-changed' };
