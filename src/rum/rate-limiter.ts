// A token bucket per key, in process. Buckets live in an LRU with a fixed number of entries, so a
// flood of distinct keys costs bounded memory; an evicted key simply starts again with a full
// bucket, which only matters once that many keys are active at once.
import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

export interface RateLimiterOptions {
  /** Tokens added per second, up to `burst`. */
  ratePerSecond: number;
  burst: number;
  maxKeys: number;
  now: () => number;
}

export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(private readonly options: RateLimiterOptions) {
    this.buckets = new LRUCache({ max: options.maxKeys });
  }

  /** Takes one token for `key`: 0 when granted, otherwise the whole seconds until one is due. */
  take(key: string): number {
    const { ratePerSecond, burst } = this.options;
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
