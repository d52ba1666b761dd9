// The after-write path: what every writer does once its transaction has committed and before the
// write is acknowledged (a mutation answering, the view flusher finishing a batch), in this order:
//
// 1. The primary's write position is recorded for the workspace (read-your-writes with replicas:
//    src/db/replicas/). It must come before the purge: a reader that sees the purge and not the
//    position would pick a replica that lacks the write, read the old row and cache it again under
//    the new write sequence, where it would stay until the next write or its TTL.
// 2. Every tier is purged of what the write changed (ResponseCache.invalidate: L1, Redis, the other
//    instances), which also moves the workspace's write sequence and so retires its entity rows.
// 3. The rows the writer holds, as committed, go into the entity cache under the sequence the
//    purge produced (write-through), so the next batch finds them without SQL.
//
// Writers that skip a step reopen the hole it closes; so there is one path, and they all take it.
import type { EntityCache, EntityType } from './entity-cache.js';
import type { ResponseCache } from './response-cache.js';

/** A row a writer committed, for the entity cache to keep (write-through). */
export interface WrittenRow {
  type: EntityType;
  row: { id: number };
}

export interface AfterWriteOptions {
  /** Records the primary's current write position for the workspace; nothing to do without replicas. */
  recordWritePosition: (workspaceId: number) => Promise<void>;
  responses: ResponseCache;
  /** Undefined when the entity cache is off. */
  entities: EntityCache | undefined;
}

export class AfterWrite {
  constructor(private readonly options: AfterWriteOptions) {}

  /**
   * After a write of the workspace committed: records its position, purges what depends on `tags`
   * everywhere, then keeps `written`. Resolves once all three are done.
   */
  async committed(workspaceId: number, tags: readonly string[], written: readonly WrittenRow[] = []): Promise<void> {
    await this.options.recordWritePosition(workspaceId);
    const stamp = await this.options.responses.invalidate(workspaceId, [...tags]);
    const entities = this.options.entities;
    if (!entities || written.length === 0) return;
    const byType = new Map<EntityType, Array<{ id: number }>>();
    for (const { type, row } of written) {
      const rows = byType.get(type) ?? [];
      rows.push(row);
      byType.set(type, rows);
    }
    for (const [type, rows] of byType) await entities.writeThrough(workspaceId, type, rows, stamp);
  }
}
