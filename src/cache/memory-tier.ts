// L1: serialized responses in this process, bounded by bytes (lru-cache), with an index from each
// invalidation tag to the keys that depend on it so a purge touches only those keys.
import { LRUCache } from 'lru-cache';
import type { CachedResponse } from './entry.js';

export interface TierCounters {
  onEvict?: () => void;
}

export class MemoryTier {
  private readonly entries: LRUCache<string, CachedResponse>;
  private readonly keysByTag = new Map<string, Set<string>>();

  constructor(maxBytes: number, counters: TierCounters = {}) {
    this.entries = new LRUCache<string, CachedResponse>({
      maxSize: maxBytes,
      // The body as a string and as bytes, its compressed forms, and the rest of the entry.
      sizeCalculation: (entry) => Math.max(1, entry.bytes * 2 + (entry.encoded ? entry.encoded.gzip.length + entry.encoded.br.length : 0) + 256),
      // Entries leave by expiry (staleUntil), purge or eviction; the tag index follows in each case.
      ttlAutopurge: false,
      dispose: (entry, key, reason) => {
        this.unindex(key, entry);
        if (reason === 'evict') counters.onEvict?.();
      },
    });
  }

  get(key: string, now = Date.now()): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.staleUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CachedResponse): void {
    this.entries.set(key, entry);
    for (const name of entry.tags) {
      let keys = this.keysByTag.get(name);
      if (!keys) this.keysByTag.set(name, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Drops every entry that depends on one of `tags`; returns how many. */
  purge(tags: Iterable<string>): number {
    let dropped = 0;
    for (const name of tags) {
      const keys = this.keysByTag.get(name);
      if (!keys) continue;
      for (const key of [...keys]) if (this.entries.delete(key)) dropped += 1;
      this.keysByTag.delete(name);
    }
    return dropped;
  }

  clear(): void {
    this.entries.clear();
    this.keysByTag.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.entries.calculatedSize;
  }

  private unindex(key: string, entry: CachedResponse): void {
    for (const name of entry.tags) {
      const keys = this.keysByTag.get(name);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(name);
    }
  }
}
