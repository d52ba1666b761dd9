// Fixed-window request counters in process: the fallback when Redis is absent or unavailable.
// Counters live in an LRU with a byte budget, so a flood of distinct keys (addresses, made-up
// tokens) costs bounded memory; an evicted key starts its window again, which only loosens the
// limit while that many keys are active at once.
import { LRUCache } from 'lru-cache';
import { rateKeyBytes } from './rate-key-bytes.js';

interface Window {
  count: number;
  /** When the window ends, in ms. */
  endsAt: number;
}

export interface Counted {
  count: number;
  /** Milliseconds until the key's window ends. */
  remainingMs: number;
}

export class WindowCounter {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    private readonly windowMs: number,
    maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new LRUCache({ maxSize: maxBytes, sizeCalculation: (_, key) => rateKeyBytes(key) });
  }

  /** Bytes held, as counted against the budget. */
  get bytes(): number {
    return this.windows.calculatedSize;
  }

  /** Counts one request for `key` in its current window. */
  hit(key: string): Counted {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, remainingMs: window.endsAt - now };
  }
}
