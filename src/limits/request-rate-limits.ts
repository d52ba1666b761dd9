// Per-token and per-address request rate limits for /graphql, counted in Redis when there is one,
// so that every instance shares the same counts, and in process otherwise. A Redis that is down,
// slow or behind an open circuit never fails a request: the request is counted in process instead,
// which keeps each instance within the limit on its own until Redis answers again.
import type { IncomingMessage } from 'node:http';
import { credentialsOfRequest } from '../auth/authorization-header.js';
import type { RedisConnection } from '../redis/connection.js';
import { clientAddressOf } from './client-address.js';
import { RedisWindow } from './redis-window.js';
import { SharedCounts } from './shared-counts.js';
import type { LimitSettings } from '../settings/limit-settings.js';
import { type Counted, WindowCounter } from './window-counter.js';

export type RateLimitSettings = Pick<LimitSettings, 'rateLimitPerToken' | 'rateLimitPerIp' | 'rateLimitWindowMs' | 'trustProxyHops'>;

/**
 * Byte budgets of the in-process memos: each about 50,000 keys (tokens and addresses) counted in
 * the current window; past that the least recently seen start their count again.
 */
export const RATE_COUNTS_MAX_BYTES = 16_000_000;
export const SHARED_COUNTS_MAX_BYTES = 16_000_000;
/** The memos' bytes now, as counted against their budgets (the memo-bytes gauge). */
export interface RateLimitMemoBytes {
  counts: number;
  sharedCounts: number;
}

export interface RateLimited {
  /** Whole seconds until the exceeded window ends (Retry-After). */
  retryAfterSeconds: number;
  scope: 'token' | 'address';
}

interface Check {
  key: string;
  limit: number;
  scope: RateLimited['scope'];
}

export class RequestRateLimits {
  private readonly local: WindowCounter;
  private readonly shared: SharedCounts | undefined;
  private readonly prefix: string;

  constructor(
    private readonly settings: RateLimitSettings,
    redis: RedisConnection | undefined,
    namespace: string,
    now: () => number = Date.now,
  ) {
    this.local = new WindowCounter(settings.rateLimitWindowMs, RATE_COUNTS_MAX_BYTES, now);
    this.shared = redis && new SharedCounts(new RedisWindow(redis, settings.rateLimitWindowMs), SHARED_COUNTS_MAX_BYTES, now);
    this.prefix = `${namespace}:rl:`;
  }

  get enabled(): boolean {
    return this.settings.rateLimitPerToken > 0 || this.settings.rateLimitPerIp > 0;
  }

  get memoBytes(): RateLimitMemoBytes {
    return { counts: this.local.bytes, sharedCounts: this.shared?.bytes ?? 0 };
  }

  private checksFor(request: IncomingMessage): Check[] {
    const checks: Check[] = [];
    const credentials = this.settings.rateLimitPerToken > 0 ? credentialsOfRequest(request.headers) : undefined;
    // A refused header gets its 401 without a lookup; the per-address limit counts it.
    if (credentials?.kind === 'bearer') {
      // Keyed by the parsed token, so every accepted spelling of it counts together, and by its
      // digest (the one the token check uses too), so that neither Redis (and its dumps) nor a
      // memo of this process holds a credential.
      checks.push({ key: `${this.prefix}t:${credentials.tokenHash}`, limit: this.settings.rateLimitPerToken, scope: 'token' });
    }
    if (this.settings.rateLimitPerIp > 0) {
      const address = clientAddressOf(request, this.settings.trustProxyHops);
      checks.push({ key: `${this.prefix}ip:${address}`, limit: this.settings.rateLimitPerIp, scope: 'address' });
    }
    return checks;
  }

  private async count(keys: string[], limits: number[]): Promise<Counted[]> {
    // Counted here always, so that the moment Redis fails this instance already knows what it
    // admitted in the window, including what it had not yet counted in Redis.
    const local = keys.map((key) => this.local.hit(key));
    if (!this.shared) return local;
    try {
      return await this.shared.hit(keys, limits);
    } catch {
      // Redis unavailable (RedisConnection has logged it and may open its circuit): judged here.
      return local;
    }
  }

  /** Counts the request; undefined when it may go on, otherwise how long its client must wait. */
  async check(request: IncomingMessage): Promise<RateLimited | undefined> {
    const checks = this.checksFor(request);
    if (checks.length === 0) return undefined;
    const counted = await this.count(
      checks.map((check) => check.key),
      checks.map((check) => check.limit),
    );
    let refused: RateLimited | undefined;
    for (const [i, check] of checks.entries()) {
      const { count, remainingMs } = counted[i]!;
      if (count <= check.limit) continue;
      const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
      if (!refused || retryAfterSeconds > refused.retryAfterSeconds) refused = { retryAfterSeconds, scope: check.scope };
    }
    return refused;
  }
}
