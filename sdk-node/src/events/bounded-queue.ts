/**
 * A first-in first-out queue of fixed capacity that drops its oldest item to make room, counting
 * what it dropped. A ring buffer, so dropping costs nothing however full it is.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;
  /** Items dropped to make room since the queue was created. */
  dropped = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.capacity === 0) {
      this.dropped += 1;
      return;
    }
    if (this.count === this.capacity) {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      this.dropped += 1;
      return;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
  }

  /** Removes and returns up to `max` of the oldest items. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return out;
  }

  /**
   * Puts items taken earlier back at the front, as they are older than anything queued since. When
   * they do not all fit, the oldest of them are dropped.
   */
  returnToFront(items: readonly T[]): void {
    const room = this.capacity - this.count;
    const keep = Math.min(room, items.length);
    this.dropped += items.length - keep;
    for (let i = items.length - 1; i >= items.length - keep; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = items[i];
      this.count += 1;
    }
  }
}
