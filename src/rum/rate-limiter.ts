// A token bucket per key, in process. Buckets live in an LRU bounded in bytes (keys included), so a
// flood of distinct keys costs bounded memory; an evicted key simply starts again with a full
// bucket, which only matters once more keys are active at once than the budget holds.
import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

/**
 * What one bucket costs besides its key's characters: the object with its two numbers and the
 * LRU's slots and map entry for it (an estimate on the generous side).
 */
const BUCKET_OVERHEAD_BYTES = 120;

export interface RateLimiterOptions {
  /** Tokens added per second, up to `burst`. */
  ratePerSecond: number;
  burst: number;
  /** Memory the buckets and their keys may take, estimated. */
  maxBytes: number;
  /** Longer keys are cut to this many characters (a key is whatever a client sent). */
  maxKeyLength: number;
  now: () => number;
}

export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(private readonly options: RateLimiterOptions) {
    this.buckets = new LRUCache({
      maxSize: options.maxBytes,
      // JavaScript strings take up to two bytes a character.
      sizeCalculation: (_bucket, key) => BUCKET_OVERHEAD_BYTES + key.length * 2,
    });
  }

  /** Estimated bytes held now; never more than `maxBytes`. */
  get bytes(): number {
    return this.buckets.calculatedSize;
  }

  /** Takes one token for `key`: 0 when granted, otherwise the whole seconds until one is due. */
  take(fullKey: string): number {
    const { ratePerSecond, burst } = this.options;
    const key = fullKey.slice(0, this.options.maxKeyLength);
    const now = this.options.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    // A clock that steps back adds nothing rather than taking tokens away.
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(burst, bucket.tokens + (elapsed / 1000) * ratePerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}
