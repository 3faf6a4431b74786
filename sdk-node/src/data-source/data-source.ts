import type { SdkPatch, SdkPayload } from '../engine/index.js';

/** Where a data source delivers what it learns; implemented by the client. */
export interface DataSink {
  /** A full payload: the initial data, a stream `put`, a poll, a bootstrap file. */
  init(payload: SdkPayload): void;
  /** A stream `patch`. */
  patch(patch: SdkPatch): void;
  /** A problem; `fatal` means the source gave up (bad key, unreadable bootstrap) and will not retry. */
  error(error: Error, fatal: boolean): void;
  /**
   * The stream is open again. It may bring nothing at all: a reconnect that missed no change gets no
   * event. Optional; a relay uses it to know its upstream is back.
   */
  open?(): void;
}

/**
 * Something that supplies flag data to the client: a stream, a poller, a bootstrap object or file.
 * Tests replace it with a fake; the client knows nothing of HTTP or files.
 */
export interface DataSource {
  start(sink: DataSink): void;
  /** Releases every handle (sockets, timers); the client awaits it in `close()`. */
  close(): Promise<void>;
}
