// Shared rate counts without a Redis round trip per request. Each instance keeps, per key, the
// count Redis last reported and the requests it admitted since; a request well under the limit
// by that estimate is admitted at once and counted in Redis afterwards, together with the others
// of the same turn of the event loop (one script call). Near the limit (over NEAR_LIMIT of it)
// the request is counted in Redis before it is answered, so the limit holds exactly where it
// matters: what other instances admitted in the last round trip can only ever be admitted under it.
// A round trip per request cost cache hits about a quarter of their throughput (bench/README.md, "What a request costs").
import { LRUCache } from 'lru-cache';
import { rateKeyBytes } from './rate-key-bytes.js';
import type { RedisWindow } from './redis-window.js';
import type { Counted } from './window-counter.js';

/** Share of the limit past which requests are counted in Redis before they are answered. */
const NEAR_LIMIT = 0.8;

interface KeyState {
  /** The count Redis reported last, for the window ending at `endsAt`. */
  shared: number;
  endsAt: number;
  /** Admitted here and not yet sent to Redis. */
  pending: number;
  /** Sent to Redis in a flush that has not answered yet. */
  sending: number;
}

export class SharedCounts {
  private readonly states: LRUCache<string, KeyState>;
  /** Keys with requests admitted here and not yet counted in Redis. */
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  /**
   * False after Redis failed a count: estimates here then miss what the caller counted on its own
   * meanwhile, so every request asks Redis (failing fast while its circuit is open) until one succeeds.
   */
  private healthy = true;

  constructor(
    private readonly redis: RedisWindow,
    maxBytes: number,
    private readonly now: () => number = Date.now,
    private readonly onFlushFailed: () => void = () => {},
  ) {
    this.states = new LRUCache({ maxSize: maxBytes, sizeCalculation: (_, key) => rateKeyBytes(key) });
  }

  /** Bytes held by the per-key estimates, as counted against the budget. */
  get bytes(): number {
    return this.states.calculatedSize;
  }

  private stateOf(key: string, now: number): KeyState {
    let state = this.states.get(key);
    if (!state || state.endsAt <= now) {
      // A window this instance has not heard of yet: counted from what it admits until Redis says more.
      state = { shared: 0, endsAt: Number.POSITIVE_INFINITY, pending: 0, sending: 0 };
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * Counts one request against each key. Resolves without waiting for Redis when every key is
   * well under its limit; throws RedisUnavailable when it had to ask Redis and Redis cannot answer.
   */
  async hit(keys: string[], limits: number[]): Promise<Counted[]> {
    const now = this.now();
    const states = keys.map((key) => this.stateOf(key, now));
    const near = states.some((state, i) => state.shared + state.sending + state.pending + 1 > limits[i]! * NEAR_LIMIT);
    if (!near && this.healthy) {
      for (const state of states) state.pending += 1;
      for (const key of keys) this.dirty.add(key);
      this.scheduleFlush();
      return states.map((state) => ({
        count: state.shared + state.sending + state.pending,
        remainingMs: Number.isFinite(state.endsAt) ? state.endsAt - now : 0,
      }));
    }
    // This request and whatever was admitted here for these keys, counted now.
    const amounts = states.map((state) => state.pending + 1);
    for (const state of states) state.pending = 0;
    try {
      const counted = await this.redis.hit(keys, amounts);
      this.healthy = true;
      counted.forEach((count, i) => this.learn(keys[i]!, count));
      return counted;
    } catch (error) {
      this.healthy = false;
      // Not counted in Redis: kept for the next flush, and the caller counts the request itself.
      states.forEach((state, i) => {
        state.pending += amounts[i]! - 1;
        if (state.pending > 0) this.dirty.add(keys[i]!);
      });
      throw error;
    }
  }

  private learn(key: string, counted: Counted) {
    const state = this.states.get(key);
    if (!state) return;
    state.shared = counted.count;
    state.endsAt = this.now() + counted.remainingMs;
  }

  private scheduleFlush() {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /** Counts in Redis what was admitted here since the last flush. */
  async flush(): Promise<void> {
    const keys: string[] = [];
    const amounts: number[] = [];
    for (const key of this.dirty) {
      const state = this.states.get(key);
      if (!state || state.pending === 0) continue;
      keys.push(key);
      amounts.push(state.pending);
      // Still part of the estimate until Redis has answered.
      state.sending += state.pending;
      state.pending = 0;
    }
    this.dirty.clear();
    if (keys.length === 0) return;
    let counted: Counted[] | undefined;
    try {
      counted = await this.redis.hit(keys, amounts);
    } catch {
      this.healthy = false;
      this.onFlushFailed();
    }
    keys.forEach((key, i) => {
      const state = this.states.get(key);
      if (!state) return;
      state.sending -= amounts[i]!;
      if (counted) {
        this.learn(key, counted[i]!);
        return;
      }
      // Kept to be counted with the next flush; the estimate here still includes them.
      state.pending += amounts[i]!;
      this.dirty.add(key);
    });
  }
}
