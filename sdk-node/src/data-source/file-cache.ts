import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SdkPatch, SdkPayload } from '../engine/index.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { DataSink, DataSource } from './data-source.js';
import { parseJson, parsePayload } from './parse.js';

export interface FileCacheOptions {
  /** The file holding the last payload; the same format as a bootstrap file. */
  path: string;
  /** Writes are gathered for this long, so a burst of patches costs one write. Default 1 s. */
  debounceMs?: number;
  clock?: Clock;
}

interface PlainPayload {
  revision: number;
  flags: Record<string, unknown>;
  segments: Record<string, unknown>;
}

/**
 * Wraps a network data source with a file holding the last payload it delivered. At start the file
 * is read, and its payload makes the client ready if the network has not answered by then — so a
 * service restarts while the Ringflag server is down — while the network source keeps trying.
 * Writes go to a temporary file renamed over the cache, so a crash never leaves half a file.
 *
 * @example
 * new Ringflag({ sdkKey, baseUrl, cacheFile: '/var/cache/my-service/ringflag.json' });
 */
export class FileCacheDataSource implements DataSource {
  private current: PlainPayload | null = null;
  private delivered = false;
  private gaveUp = false;
  private closed = false;
  private dirty = false;
  private timer: TimerHandle | null = null;
  private reading: Promise<void> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  private writeFailing = false;
  private sink: DataSink | null = null;
  private readonly clock: Clock;

  constructor(
    private readonly inner: DataSource,
    private readonly options: FileCacheOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  start(sink: DataSink): void {
    this.sink = sink;
    this.inner.start({
      init: (payload) => {
        this.delivered = true;
        this.current = {
          revision: payload.revision,
          flags: { ...payload.flags },
          segments: { ...payload.segments },
        };
        this.scheduleWrite();
        sink.init(payload);
      },
      patch: (patch) => {
        this.applyPatch(patch);
        sink.patch(patch);
      },
      error: (error, fatal) => {
        if (fatal) this.gaveUp = true;
        sink.error(error, fatal);
      },
      open: () => sink.open?.(),
    });
    this.reading = this.readCache().then(
      (payload) => {
        // Network data is newer than any file; after a fatal error the client must not turn ready.
        if (payload && !this.delivered && !this.gaveUp && !this.closed) sink.init(payload);
      },
      (error: Error) => sink.error(error, false),
    );
  }

  /**
   * Settles once the file read at start was delivered, set aside or reported, and every write queued
   * so far has finished (for tests and diagnostics: nothing is left in flight).
   */
  async settled(): Promise<void> {
    await this.reading;
    await this.writing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.dirty) this.write();
    await this.writing;
  }

  /** Errors are reported through the sink later; a missing file is the normal first start. */
  private async readCache(): Promise<SdkPayload | null> {
    let text: string;
    try {
      text = await readFile(this.options.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read cache file ${this.options.path}: ${(error as Error).message}`);
    }
    const source = `cache file ${this.options.path}`;
    try {
      return parsePayload(parseJson(text, source), source);
    } catch (error) {
      throw new Error(`${(error as Error).message}; ignoring it`);
    }
  }

  private applyPatch(patch: SdkPatch): void {
    const current = this.current;
    if (current === null) return;
    current.revision = patch.revision;
    for (const [key, config] of Object.entries(patch.flags ?? {})) {
      if (config === null) delete current.flags[key];
      else current.flags[key] = config;
    }
    for (const [key, segment] of Object.entries(patch.segments ?? {})) {
      if (segment === null) delete current.segments[key];
      else current.segments[key] = segment;
    }
    this.scheduleWrite();
  }

  private scheduleWrite(): void {
    this.dirty = true;
    if (this.timer !== null || this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.write();
    }, this.options.debounceMs ?? 1_000);
  }

  /** Queues a write of the current payload behind any write in progress. */
  private write(): void {
    const current = this.current;
    if (current === null) return;
    this.dirty = false;
    const text = JSON.stringify(current);
    const { path } = this.options;
    this.writing = this.writing
      .then(() => writeAtomically(path, text))
      .then(
        () => {
          this.writeFailing = false;
        },
        (error: Error) => {
          // One report per run of failures, not one per write.
          if (!this.writeFailing)
            this.sink?.error(new Error(`cannot write cache file ${path}: ${error.message}`), false);
          this.writeFailing = true;
        },
      );
  }
}

/**
 * Writes `text` to a temporary file beside `path` and renames it over `path`, so a crash never leaves
 * half a file; `mode` sets the permissions of a new file (default 0o666 less the umask).
 */
export async function writeAtomically(
  path: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, text, { encoding: 'utf8', mode: options.mode });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
