// The response cache: L1 (this process) in front of L2 (Redis), with tag invalidation, a guard
// against stale fills, single-flight for concurrent misses and stale-while-revalidate.
//
// Invariant: once a mutation has returned, no tier of any instance serves a response that depends
// on what it changed. The mutation purges its tags here before it responds: in L1 at once, in L2
// (deleting the entries and bumping the workspace's write sequence) and, through a Redis channel,
// in every other instance's L1. Fills that began before the purge are refused by sequence checks.
// L1 is trusted only while this instance is subscribed to that channel; when the subscription
// drops, L1 is emptied and bypassed until it is back, since invalidations may have been missed.
// The channel alone is not enough: a message can reach this instance after the mutation that sent
// it has responded, and a client may read here in between. So with Redis, an L1 entry remembers
// the workspace's write sequence it was current at, and is served only while Redis still reports
// that sequence (a GET, shared by the hits that arrive together: sequence-reads.ts); otherwise
// L2, which every purge has reached by then, decides.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { CachedResponse } from './entry.js';
import type { CacheKeys } from './keys.js';
import type { MemoryTier } from './memory-tier.js';
import type { RedisTier } from './redis-tier.js';
import { SequenceReads } from './sequence-reads.js';

export type { CacheOutcome } from '../observability/cache-outcomes.js';

export interface CacheEvents {
  stored(tier: 'l1' | 'l2'): void;
  invalidated(tier: 'l1' | 'l2', count: number): void;
  failed(operation: string): void;
  /**
   * A background refresh ended: `done` (refreshed), `held-elsewhere` (another instance holds the
   * key's refresh lock, so this one left it) or `failed` (the entry stays stale until a later try).
   */
  refreshed(result: RefreshResult): void;
}

export type RefreshResult = 'done' | 'held-elsewhere' | 'failed';

export interface Hit {
  entry: CachedResponse;
  tier: 'l1' | 'l2';
  stale: boolean;
}

/** The write sequences right after a mutation's purge: what a write-through may be stamped with. */
export interface WriteStamp {
  local: number;
  /** Undefined without Redis, or when the purge did not reach it. */
  redis: string | undefined;
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
  private readonly inFlight = new Map<string, { ticket: FillTicket; promise: Promise<unknown> }>();
  private readonly refreshing = new Set<string>();
  /**
   * Tags of purges that did not reach Redis, by workspace. Until they do, this instance does not
   * read that workspace from Redis, which may still hold what those writes replaced.
   */
  private readonly unsent = new Map<number, Set<string>>();
  /** With Redis: the workspace write sequence each L1 entry was current at. */
  private readonly confirmedAt = new WeakMap<CachedResponse, string>();
  /** False while L1 cannot hear other instances' invalidations. */
  private memoryTrusted: boolean;
  private publish: ((message: string) => Promise<unknown>) | undefined;

  private readonly sequences: SequenceReads | undefined;

  constructor(private readonly options: ResponseCacheOptions) {
    this.memoryTrusted = !options.redis;
    const redis = options.redis;
    this.sequences = redis ? new SequenceReads((workspaceId) => redis.sequence(workspaceId)) : undefined;
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
        // Redis is back: the purges it missed reach it, and the other instances, now.
        for (const workspaceId of [...this.unsent.keys()]) void this.sendPurge(workspaceId, []);
      },
      onUnsubscribed: () => {
        this.memoryTrusted = false;
        this.options.memory?.clear();
        for (const listener of this.trustLostListeners) listener();
      },
    };
  }

  private get memory(): MemoryTier | undefined {
    return this.memoryTrusted ? this.options.memory : undefined;
  }

  private bumpLocal(workspaceId: number) {
    this.localSequences.set(workspaceId, (this.localSequences.get(workspaceId) ?? 0) + 1);
  }

  /**
   * Looks a response up in L1, then L2. A miss returns the ticket to store its result with. With a
   * trace, each tier's lookup is a span.
   */
  async lookup(key: string, workspaceId: number, trace?: RequestTrace): Promise<Hit | FillTicket> {
    const now = this.options.now();
    const ticket: FillTicket = {
      workspaceId,
      localSequence: this.localSequences.get(workspaceId) ?? 0,
      redisSequence: undefined,
    };
    // Without its missed purges, Redis may answer with what a write of this instance replaced.
    if (this.unsent.has(workspaceId) && !(await this.sendPurge(workspaceId, []))) return ticket;
    const l1Done = this.memory && trace?.cacheLookup('l1');
    const local = this.memory?.get(key, now);
    if (local && (await this.stillCurrent(local, workspaceId))) {
      if (local.freshUntil > now) {
        l1Done?.('hit');
        return { entry: local, tier: 'l1', stale: false };
      }
      l1Done?.('stale');
      // Stale here: another instance may already have refreshed it into Redis.
      const l2Done = this.options.redis && trace?.cacheLookup('l2');
      const shared = await this.freshFromRedis(key, workspaceId, now);
      l2Done?.(shared ? 'hit' : 'miss');
      if (shared) {
        this.remember(key, shared.entry, shared.sequence);
        return { entry: shared.entry, tier: 'l2', stale: false };
      }
      return { entry: local, tier: 'l1', stale: true };
    }
    l1Done?.('miss');
    if (this.options.redis) {
      const l2Done = trace?.cacheLookup('l2');
      try {
        const { entry, sequence } = await this.options.redis.get(key, workspaceId);
        ticket.redisSequence = sequence;
        if (entry && entry.staleUntil > now) {
          l2Done?.(entry.freshUntil <= now ? 'stale' : 'hit');
          // Copy into L1 only if no purge for this workspace happened while Redis answered.
          if (this.memory && (this.localSequences.get(workspaceId) ?? 0) === ticket.localSequence) this.remember(key, entry, sequence);
          return { entry, tier: 'l2', stale: entry.freshUntil <= now };
        }
        l2Done?.('miss');
      } catch {
        l2Done?.('error');
        this.options.events.failed('l2-get');
      }
    }
    return ticket;
  }

  private async freshFromRedis(key: string, workspaceId: number, now: number) {
    if (!this.options.redis) return undefined;
    try {
      const { entry, sequence } = await this.options.redis.get(key, workspaceId);
      return entry && entry.freshUntil > now ? { entry, sequence } : undefined;
    } catch {
      this.options.events.failed('l2-get');
      return undefined;
    }
  }

  private remember(key: string, entry: CachedResponse, sequence: string | undefined) {
    if (sequence !== undefined) this.confirmedAt.set(entry, sequence);
    this.memory?.set(key, entry);
  }

  /** Whether no write in the workspace has reached Redis since an L1 entry was filled. */
  private async stillCurrent(entry: CachedResponse, workspaceId: number): Promise<boolean> {
    if (!this.sequences) return true;
    const sequence = this.confirmedAt.get(entry);
    if (sequence === undefined) return false;
    try {
      return (await this.sequences.current(workspaceId)) === sequence;
    } catch {
      this.options.events.failed('l2-sequence');
      return false;
    }
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
      this.remember(key, entry, ticket.redisSequence);
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

  /**
   * Concurrent callers with the same key share one run of `execute`, but only callers that saw the
   * same write sequences: a request that arrives after a write was acknowledged must not take the
   * answer of an execution that began before it. While Redis cannot tell (no sequence), nothing
   * proves that no other instance wrote meanwhile, so each caller runs its own.
   */
  async singleFlight<T>(key: string, ticket: FillTicket, execute: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const running = this.inFlight.get(key);
    if (running && this.sameWrites(running.ticket, ticket)) return { value: (await running.promise) as T, shared: true };
    const flight: { ticket: FillTicket; promise: Promise<T> } = { ticket, promise: execute() };
    flight.promise = flight.promise.finally(() => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    });
    this.inFlight.set(key, flight);
    return { value: await flight.promise, shared: false };
  }

  private sameWrites(running: FillTicket, arriving: FillTicket): boolean {
    if (running.workspaceId !== arriving.workspaceId || running.localSequence !== arriving.localSequence) return false;
    if (!this.options.redis) return true;
    return running.redisSequence !== undefined && running.redisSequence === arriving.redisSequence;
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
          if (!locked) return this.options.events.refreshed('held-elsewhere');
        }
        await refresh();
        this.options.events.refreshed('done');
      } catch (error) {
        this.options.events.refreshed('failed');
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
  async invalidate(workspaceId: number, tags: string[]): Promise<WriteStamp> {
    if (tags.length === 0) return { local: this.localSequence(workspaceId), redis: undefined };
    this.bumpLocal(workspaceId);
    const stamp: WriteStamp = { local: this.localSequence(workspaceId), redis: undefined };
    this.options.events.invalidated('l1', this.options.memory?.purge(tags) ?? 0);
    if (!this.options.redis) return stamp;
    stamp.redis = await this.sendPurge(workspaceId, tags);
    return stamp;
  }

  localSequence(workspaceId: number): number {
    return this.localSequences.get(workspaceId) ?? 0;
  }

  private readonly trustLostListeners: Array<() => void> = [];

  /**
   * Called whenever this instance may have missed invalidations (its subscription dropped; Redis
   * may have restarted, and write sequences with it): in-process copies must be dropped.
   */
  onTrustLost(listener: () => void): void {
    this.trustLostListeners.push(listener);
  }

  /** False while purges of this workspace have not reached Redis: its shared data may be stale. */
  sharedReadable(workspaceId: number): boolean {
    return !this.unsent.has(workspaceId);
  }

  /**
   * Purges `tags`, with any earlier purges of the workspace that did not get through, in Redis,
   * then tells the other instances. False when Redis could not be reached: the write itself has
   * committed and stays acknowledged, and the tags are kept to be sent once Redis answers again.
   */
  private async sendPurge(workspaceId: number, tags: string[]): Promise<string | undefined> {
    const sending = [...new Set([...(this.unsent.get(workspaceId) ?? []), ...tags])];
    if (sending.length === 0) return undefined;
    let sequence: number;
    try {
      sequence = await this.options.redis!.purge(workspaceId, sending);
    } catch (error) {
      let kept = this.unsent.get(workspaceId);
      if (!kept) this.unsent.set(workspaceId, (kept = new Set()));
      for (const name of tags) kept.add(name);
      this.options.events.failed('l2-purge');
      this.options.logger.warn({ err: { message: (error as Error)?.message }, tags: sending.length }, 'cache purge did not reach redis');
      return undefined;
    }
    const kept = this.unsent.get(workspaceId);
    if (kept) {
      for (const name of sending) kept.delete(name);
      if (kept.size === 0) this.unsent.delete(workspaceId);
    }
    this.options.events.invalidated('l2', sending.length);
    // Another instance that misses this message still sees the write sequence move (stillCurrent).
    const message: InvalidationMessage = { origin: this.instanceId, workspaceId, tags: sending };
    await this.publish?.(JSON.stringify(message)).catch(() => this.options.events.failed('publish'));
    return String(sequence);
  }
}
