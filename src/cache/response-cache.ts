// The response cache: L1 (this process) in front of L2 (Redis), with tag invalidation, a guard
// against stale fills, single-flight for concurrent misses and stale-while-revalidate.
//
// Invariant: once a mutation has returned, no tier of any instance serves a response that depends
// on what it changed. The mutation purges its tags here before it responds: in L1 at once, in L2
// (deleting the entries and bumping the workspace's write sequence) and, through a Redis channel,
// in every other instance's L1. Fills that began before the purge are refused by sequence checks.
// L1 is trusted only while this instance is subscribed to that channel; when the subscription
// drops, L1 is emptied and bypassed until it is back, since invalidations may have been missed.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { CachedResponse } from './entry.js';
import type { CacheKeys } from './keys.js';
import type { MemoryTier } from './memory-tier.js';
import type { RedisTier } from './redis-tier.js';

export type CacheOutcome = 'hit-l1' | 'hit-l2' | 'stale' | 'miss' | 'coalesced' | 'bypass';

export interface CacheEvents {
  outcome(outcome: CacheOutcome): void;
  stored(tier: 'l1' | 'l2'): void;
  invalidated(tier: 'l1' | 'l2', count: number): void;
  failed(operation: string): void;
  refreshed(): void;
}

export interface Hit {
  entry: CachedResponse;
  tier: 'l1' | 'l2';
  stale: boolean;
}

/** What a miss remembers so its result can be stored only if nothing changed meanwhile. */
export interface FillTicket {
  workspaceId: number;
  localSequence: number;
  redisSequence: string | undefined;
}

export interface ResponseCacheOptions {
  memory: MemoryTier | undefined;
  redis: RedisTier | undefined;
  /** How long a refresh lock is held across instances, in ms. */
  refreshLockMs: number;
  keys: CacheKeys;
  logger: Logger;
  events: CacheEvents;
  /** The clock entries are judged by (tests move it forward instead of waiting). */
  now: () => number;
}

interface InvalidationMessage {
  origin: string;
  workspaceId: number;
  tags: string[];
}

export class ResponseCache {
  private readonly instanceId = randomUUID();
  private readonly localSequences = new Map<number, number>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly refreshing = new Set<string>();
  /** False while L1 cannot hear other instances' invalidations. */
  private memoryTrusted: boolean;
  private publish: ((message: string) => Promise<unknown>) | undefined;

  constructor(private readonly options: ResponseCacheOptions) {
    this.memoryTrusted = !options.redis;
  }

  get enabled(): boolean {
    return Boolean(this.options.memory || this.options.redis);
  }

  /** Wires the invalidation channel (shared tier only). */
  connectChannel(publish: (message: string) => Promise<unknown>): {
    onMessage: (message: string) => void;
    onSubscribed: () => void;
    onUnsubscribed: () => void;
  } {
    this.publish = publish;
    return {
      onMessage: (text) => {
        let message: InvalidationMessage;
        try {
          message = JSON.parse(text) as InvalidationMessage;
        } catch {
          return;
        }
        if (message.origin === this.instanceId || !Array.isArray(message.tags)) return;
        this.bumpLocal(message.workspaceId);
        const dropped = this.options.memory?.purge(message.tags) ?? 0;
        this.options.events.invalidated('l1', dropped);
      },
      onSubscribed: () => {
        this.options.memory?.clear();
        this.memoryTrusted = true;
      },
      onUnsubscribed: () => {
        this.memoryTrusted = false;
        this.options.memory?.clear();
      },
    };
  }

  private get memory(): MemoryTier | undefined {
    return this.memoryTrusted ? this.options.memory : undefined;
  }

  private bumpLocal(workspaceId: number) {
    this.localSequences.set(workspaceId, (this.localSequences.get(workspaceId) ?? 0) + 1);
  }

  /** Looks a response up in L1, then L2. A miss returns the ticket to store its result with. */
  async lookup(key: string, workspaceId: number): Promise<Hit | FillTicket> {
    const now = this.options.now();
    const ticket: FillTicket = {
      workspaceId,
      localSequence: this.localSequences.get(workspaceId) ?? 0,
      redisSequence: undefined,
    };
    const local = this.memory?.get(key, now);
    if (local) return { entry: local, tier: 'l1', stale: local.freshUntil <= now };
    if (this.options.redis) {
      try {
        const { entry, sequence } = await this.options.redis.get(key, workspaceId);
        ticket.redisSequence = sequence;
        if (entry && entry.staleUntil > now) {
          // Copy into L1 only if no purge for this workspace happened while Redis answered.
          if (this.memory && (this.localSequences.get(workspaceId) ?? 0) === ticket.localSequence) this.memory.set(key, entry);
          return { entry, tier: 'l2', stale: entry.freshUntil <= now };
        }
      } catch {
        this.options.events.failed('l2-get');
      }
    }
    return ticket;
  }

  /** A ticket for a fill that does not follow a lookup (a background refresh). */
  async ticket(workspaceId: number): Promise<FillTicket> {
    const ticket: FillTicket = { workspaceId, localSequence: this.localSequences.get(workspaceId) ?? 0, redisSequence: undefined };
    if (this.options.redis) ticket.redisSequence = await this.options.redis.sequence(workspaceId).catch(() => undefined);
    return ticket;
  }

  async store(key: string, entry: CachedResponse, ticket: FillTicket): Promise<void> {
    if ((this.localSequences.get(ticket.workspaceId) ?? 0) !== ticket.localSequence) return;
    if (this.memory) {
      this.memory.set(key, entry);
      this.options.events.stored('l1');
    }
    if (this.options.redis && ticket.redisSequence !== undefined) {
      try {
        if (await this.options.redis.store(key, ticket.workspaceId, entry, ticket.redisSequence)) this.options.events.stored('l2');
      } catch {
        this.options.events.failed('l2-set');
      }
    }
  }

  /** An L1 entry, if any: checked again right before executing, as L1 may have been filled while L2 answered. */
  fromMemory(key: string): CachedResponse | undefined {
    const now = this.options.now();
    const entry = this.memory?.get(key, now);
    return entry && entry.freshUntil > now ? entry : undefined;
  }

  /** Concurrent callers with the same key share one run of `execute`. */
  async singleFlight<T>(key: string, execute: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return { value: await running, shared: true };
    const promise = execute().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { value: await promise, shared: false };
  }

  /**
   * Refreshes a stale entry in the background: at most one refresh per key in this process and,
   * through a short Redis lock, across instances. Failures only mean the entry stays stale.
   */
  refreshInBackground(key: string, refresh: () => Promise<void>): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    void (async () => {
      try {
        if (this.options.redis) {
          const locked = await this.options.redis.tryLock(this.options.keys.refreshLock(key), this.options.refreshLockMs).catch(() => true);
          if (!locked) return;
        }
        await refresh();
        this.options.events.refreshed();
      } catch (error) {
        this.options.logger.warn({ err: { name: (error as Error)?.name } }, 'background refresh failed');
      } finally {
        this.refreshing.delete(key);
      }
    })();
  }

  /**
   * Purges every response that depends on one of `tags`, in every tier and every instance. Called
   * after a mutation's transaction commits and before it responds.
   */
  async invalidate(workspaceId: number, tags: string[]): Promise<void> {
    if (tags.length === 0) return;
    this.bumpLocal(workspaceId);
    this.options.events.invalidated('l1', this.options.memory?.purge(tags) ?? 0);
    if (!this.options.redis) return;
    try {
      await this.options.redis.purge(workspaceId, tags);
      this.options.events.invalidated('l2', tags.length);
      const message: InvalidationMessage = { origin: this.instanceId, workspaceId, tags };
      await this.publish?.(JSON.stringify(message));
    } catch (error) {
      // The write itself has committed and stays acknowledged; entries in Redis expire by TTL.
      this.options.events.failed('l2-purge');
      this.options.logger.warn({ err: { message: (error as Error)?.message }, tags: tags.length }, 'cache purge did not reach redis');
    }
  }
}
