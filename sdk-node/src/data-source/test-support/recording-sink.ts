import type { SdkPatch, SdkPayload } from '../../engine/index.js';
import type { DataSink } from '../data-source.js';

/** A data sink that remembers everything it was given. */
export class RecordingSink implements DataSink {
  readonly inits: SdkPayload[] = [];
  readonly patches: SdkPatch[] = [];
  readonly errors: { error: Error; fatal: boolean }[] = [];

  init(payload: SdkPayload): void {
    this.inits.push(payload);
  }

  patch(patch: SdkPatch): void {
    this.patches.push(patch);
  }

  error(error: Error, fatal: boolean): void {
    this.errors.push({ error, fatal });
  }
}
