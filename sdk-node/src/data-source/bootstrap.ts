import { readFile } from 'node:fs/promises';
import { type SdkPayload, sdkPayloadSchema } from '../engine/index.js';
import { formatPath } from '../engine/validate.js';
import type { DataSink, DataSource } from './data-source.js';

/**
 * Serves a fixed payload: an object, or the path of a JSON file holding one (`{ revision, flags,
 * segments }`, the body of `GET /sdk/v1/flags`). Used for offline mode, tests and local development.
 *
 * @example
 * new Ringflag({ offline: true, bootstrap: './flags.json' });
 */
export class BootstrapDataSource implements DataSource {
  constructor(private readonly bootstrap: SdkPayload | string) {}

  start(sink: DataSink): void {
    this.load().then(
      (payload) => sink.init(payload),
      (error: Error) => sink.error(error, true),
    );
  }

  async close(): Promise<void> {}

  private async load(): Promise<SdkPayload> {
    if (typeof this.bootstrap !== 'string') return parsePayload(this.bootstrap, 'bootstrap object');
    const path = this.bootstrap;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(`cannot read bootstrap file ${path}: ${(error as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`bootstrap file ${path} is not JSON: ${(error as Error).message}`);
    }
    return parsePayload(json, `bootstrap file ${path}`);
  }
}

/** Checks the envelope of a payload; the flags in it are checked one by one when compiled. */
export function parsePayload(input: unknown, source: string): SdkPayload {
  const parsed = sdkPayloadSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${formatPath(first.path) || '(root)'}: ${first.message}` : 'invalid';
    throw new Error(`${source} is not an SDK payload ({ revision, flags, segments }): ${where}`);
  }
  return parsed.data as SdkPayload;
}
