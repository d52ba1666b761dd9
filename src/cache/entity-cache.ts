// The entity cache: database rows by id, read by DataLoader batches before SQL (cache-aside) and
// written through by mutations. A row is stamped with the workspace's write sequence it was read
// (or written) under and is valid only while that sequence is current, so any write in the
// workspace retires every cached row of it at once: coarse, but a row can never outlive a change.
// With Redis, each batch costs one MGET (the sequence and all the rows); rows found only in Redis
// are kept in L1 too, still checked against that MGET's sequence. Keys carry the workspace, and
// rows are only ever filled from workspace-scoped statements, so a batch sees its workspace alone.
import { LRUCache } from 'lru-cache';
import { entityStamp, sharedSequenceOf } from './entity-stamp.js';
import type { CacheKeys } from './keys.js';
import type { RedisTier } from './redis-tier.js';
import type { ResponseCache, WriteStamp } from './response-cache.js';

export type EntityType = 'Contact' | 'Company' | 'Tag' | 'Note';

interface Stamped {
  stamp: string;
  row: object;
}

export interface EntityCacheOptions {
  keys: CacheKeys;
  responses: ResponseCache;
  redis: RedisTier | undefined;
  maxEntries: number;
  ttlMs: number;
  onOutcome: (type: EntityType, outcome: 'hit' | 'miss', count: number) => void;
}

// Timestamps travel through Redis as ISO strings; rows carry them as Dates.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function revive(_key: string, value: unknown) {
  return typeof value === 'string' && INSTANT.test(value) ? new Date(value) : value;
}

export class EntityCache {
  private readonly memory: LRUCache<string, Stamped>;

  constructor(private readonly options: EntityCacheOptions) {
    this.memory = new LRUCache<string, Stamped>({ max: options.maxEntries, ttl: options.ttlMs });
    // A restarted Redis starts its write sequences again from 0, which would make old stamps look
    // current: in-process rows go whenever invalidations may have been missed.
    options.responses.onTrustLost(() => this.memory.clear());
  }

  /** Rows held in process (current or retired, until evicted). */
  get size(): number {
    return this.memory.size;
  }

  /**
   * Loads rows by id: from the cache where a current copy exists, the rest with `load` (whose
   * rows are then cached). Ids without a row are not cached: they stay misses. `fillsSince`: the
   * stamp under which the request chose where to read (a replica that had replayed the
   * workspace's writes up to then): loaded rows are cached only if the workspace has not written
   * since, as a later write might not be on that replica.
   */
  async load<T extends { id: number }>(
    workspaceId: number,
    type: EntityType,
    ids: readonly number[],
    load: (ids: readonly number[]) => Promise<T[]>,
    fillsSince?: string,
  ): Promise<T[]> {
    if (!this.options.responses.sharedReadable(workspaceId)) return load(ids);
    const keys = ids.map((id) => this.options.keys.entity(workspaceId, type, id));
    const found: T[] = [];
    let missing: number[] = [];
    let stamp: string;
    if (this.options.redis) {
      let shared;
      try {
        shared = await this.options.redis.getEntities(workspaceId, keys);
      } catch {
        return load(ids);
      }
      stamp = entityStamp({ shared: shared.sequence });
      ids.forEach((id, index) => {
        const local = this.memory.get(keys[index]!);
        if (local?.stamp === stamp) return void found.push(local.row as T);
        const value = shared.values[index];
        const cut = value ? value.indexOf('\n') : -1;
        if (value && cut > 0 && value.slice(0, cut) === stamp) {
          const row = JSON.parse(value.slice(cut + 1), revive) as T;
          this.memory.set(keys[index]!, { stamp, row });
          return void found.push(row);
        }
        missing.push(id);
      });
    } else {
      stamp = entityStamp({ local: this.options.responses.localSequence(workspaceId) });
      for (const [index, id] of ids.entries()) {
        const local = this.memory.get(keys[index]!);
        if (local?.stamp === stamp) found.push(local.row as T);
        else missing.push(id);
      }
    }
    this.options.onOutcome(type, 'hit', found.length);
    this.options.onOutcome(type, 'miss', missing.length);
    if (missing.length === 0) return found;
    const loaded = await load(missing);
    missing = [];
    if (fillsSince === undefined || fillsSince === stamp) await this.fill(workspaceId, type, loaded, stamp);
    return [...found, ...loaded];
  }

  /** After a mutation's purge: the rows it wrote, stamped with the sequence the purge produced. */
  async writeThrough(workspaceId: number, type: EntityType, rows: Array<{ id: number }>, written: WriteStamp): Promise<void> {
    if (this.options.redis) {
      if (written.redis !== undefined) await this.fill(workspaceId, type, rows, entityStamp({ shared: written.redis }));
    } else {
      await this.fill(workspaceId, type, rows, entityStamp({ local: written.local }));
    }
  }

  /** Stores rows read or written under `stamp`, unless the workspace has moved on since. */
  private async fill(workspaceId: number, type: EntityType, rows: Array<{ id: number }>, stamp: string): Promise<void> {
    if (rows.length === 0) return;
    const entries = rows.map((row) => [this.options.keys.entity(workspaceId, type, row.id), row] as const);
    if (!this.options.redis) {
      if (entityStamp({ local: this.options.responses.localSequence(workspaceId) }) !== stamp) return;
      for (const [key, row] of entries) this.memory.set(key, { stamp, row });
      return;
    }
    try {
      const stored = await this.options.redis.storeEntities(
        workspaceId,
        entries.map(([key, row]) => [key, `${stamp}\n${JSON.stringify(row)}`]),
        sharedSequenceOf(stamp),
        this.options.ttlMs,
      );
      // L1 copies are checked against Redis's sequence on every read, so keeping them is safe.
      if (stored) for (const [key, row] of entries) this.memory.set(key, { stamp, row });
    } catch {
      // A row that was not cached is read from the database next time.
    }
  }
}
