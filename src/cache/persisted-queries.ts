// Automatic persisted queries: documents known by their sha256, so that a client (or a CDN-facing
// GET) can send the hash alone. The published SDK's documents are known from its manifest; others
// are registered when a client sends a document with its hash.
//
// Only verified pairs are ever held: a manifest entry whose hash is wrong is refused at start, a
// registration is made only after the hash was computed from the text (src/http/
// request-document.ts), and a text read back from Redis is checked again before it is believed.
// Registration is for valid tokens only, and bounded: each document lives PERSISTED_QUERY_TTL_SECONDS
// and each workspace may register at most PERSISTED_QUERIES_PER_WORKSPACE new documents in that
// time, so no one can fill Redis or this process with documents.
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import { documentHash } from './keys.js';
import type { RedisConnection } from '../redis/connection.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Apollo Server asks its persisted-query store for `apq:<hash>`. */
const APOLLO_PREFIX = 'apq:';
/** Documents registered here are at most MAX_QUERY_CHARS long; 20 MB holds thousands of them. */
export const PERSISTED_QUERIES_MAX_BYTES = 20_000_000;
/** Workspaces whose registrations this process counts when Redis cannot: bounded like every memo. */
const LOCAL_COUNTED_WORKSPACES = 10_000;

export interface PersistedQueriesOptions {
  /** sha256 hex -> text: the published operations, always known (checked as loaded: src/graphql/published-operations.ts). */
  manifest: ReadonlyMap<string, string>;
  redis: RedisConnection | undefined;
  /** Redis key of a registered document, and of a workspace's registration count. */
  documentKey: (hash: string) => string;
  registrationsKey: (workspaceId: number) => string;
  ttlSeconds: number;
  maxPerWorkspace: number;
  logger: Logger;
  now?: () => number;
  /** Told of each registration asked for: stored, or refused as over the workspace's bound. */
  onRegistration?: (result: 'stored' | 'over-limit') => void;
}

export class PersistedQueries {
  /** Verified documents of this process: registered here or read back from Redis and checked. */
  private readonly near: LRUCache<string, string>;
  /** Registrations per workspace in the current window, when Redis cannot count them. */
  private readonly localCounts = new LRUCache<number, { count: number; until: number }>({ max: LOCAL_COUNTED_WORKSPACES });
  private readonly now: () => number;

  constructor(private readonly options: PersistedQueriesOptions) {
    this.now = options.now ?? Date.now;
    this.near = new LRUCache<string, string>({
      maxSize: PERSISTED_QUERIES_MAX_BYTES,
      sizeCalculation: (text) => text.length * 2 + 200,
      ttl: options.ttlSeconds * 1000,
      perf: { now: () => this.now() },
    });
  }

  /** The bytes held by this process's copy, for the memory gauges. */
  get bytes(): number {
    return this.near.calculatedSize;
  }

  /**
   * The text of the document with this sha256 (lowercase hex), if it is known: at once when this
   * process holds it, otherwise once Redis has answered.
   */
  lookup(hash: string): string | undefined | Promise<string | undefined> {
    if (!SHA256_HEX.test(hash)) return undefined;
    const known = this.options.manifest.get(hash) ?? this.near.get(hash);
    if (known !== undefined || !this.options.redis) return known;
    return this.lookupShared(hash);
  }

  private async lookupShared(hash: string): Promise<string | undefined> {
    const shared = await this.options.redis!.run((client) => client.get(this.options.documentKey(hash))).catch(() => null);
    // Anything else writing under our keys (a deployment sharing the namespace by mistake) is not believed.
    if (typeof shared !== 'string' || documentHash(shared) !== hash) return undefined;
    this.near.set(hash, shared);
    return shared;
  }

  /**
   * Registers a document sent with its hash by a valid token's request. The caller has verified
   * `hash` against `text`. Already known documents cost nothing; a workspace past its bound gets
   * no more (its clients keep working: they send the text, as they do for an unknown hash).
   */
  async register(workspaceId: number, hash: string, text: string): Promise<void> {
    if (this.options.manifest.has(hash) || this.near.has(hash)) return;
    if (!(await this.allow(workspaceId))) {
      this.options.onRegistration?.('over-limit');
      return;
    }
    this.near.set(hash, text);
    this.options.onRegistration?.('stored');
    const redis = this.options.redis;
    if (!redis) return;
    // Best effort: a document Redis did not take is sent again by the client when another
    // instance does not know its hash.
    await redis.run((client) => client.set(this.options.documentKey(hash), text, { expiration: { type: 'EX', value: this.options.ttlSeconds } })).catch(() => {});
  }

  /** Counts one registration against the workspace's bound; false when the bound is reached. */
  private async allow(workspaceId: number): Promise<boolean> {
    const redis = this.options.redis;
    if (redis) {
      const key = this.options.registrationsKey(workspaceId);
      const ttl = this.options.ttlSeconds;
      const counted = await redis
        .run((client) => client.multi().incr(key).expire(key, ttl, 'NX').exec())
        .then((replies) => Number(replies[0]))
        .catch(() => undefined);
      if (counted !== undefined && Number.isFinite(counted)) return counted <= this.options.maxPerWorkspace;
    }
    const now = this.now();
    let window = this.localCounts.get(workspaceId);
    if (!window || window.until <= now) this.localCounts.set(workspaceId, (window = { count: 0, until: now + this.options.ttlSeconds * 1000 }));
    window.count += 1;
    return window.count <= this.options.maxPerWorkspace;
  }

  /**
   * The store as Apollo Server reads it, for the one case where Apollo still sees a hash: a hash
   * this process could not resolve, which Apollo then answers with PERSISTED_QUERY_NOT_FOUND.
   * Apollo never registers anything through it.
   */
  readOnlyForApollo(): KeyValueCache<string> {
    return {
      get: async (key) => (key.startsWith(APOLLO_PREFIX) ? await this.lookup(key.slice(APOLLO_PREFIX.length)) : undefined),
      set: async () => {},
      delete: async () => false,
    };
  }
}
