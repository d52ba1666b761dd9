// Read-your-writes across replicas: after a workspace writes, the primary's WAL position at that
// moment is recorded (in this process and, with Redis, for every instance) before the write is
// acknowledged, and a request of that workspace reads from a replica only if the replica has
// replayed that far; otherwise from the primary.
//
// The position is read together with the workspace's write sequence, the stamp cache fills are
// checked against: a fill made from replica reads is kept only if no write of the workspace came
// after the position was read (a later write would not be covered by it).
import { LRUCache } from 'lru-cache';
import type { ReadFloor, WriteFloors } from '../db/replicas/read-routing.js';
import { walPositionFromKey, walPositionKey } from '../db/replicas/wal-position.js';
import type { Logger } from '../observability/logger.js';
import type { RedisConnection } from '../redis/connection.js';
import { entityStamp } from './entity-stamp.js';
import type { CacheKeys } from './keys.js';

export interface WritePositionsOptions {
  redis: RedisConnection | undefined;
  keys: CacheKeys;
  /** This instance's write sequence of a workspace (the response cache's), used without Redis. */
  localSequence: (workspaceId: number) => number;
  logger: Logger;
  onRedisFailure?: () => void;
}

// KEYS: the position key. ARGV: the position (16 hex digits, so string order is numeric order), ttl ms.
const RAISE = `
local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

// Far longer than any replica may lag and stay in rotation (DB_REPLICA_MAX_LAG_MS).
const KEEP_MS = 3_600_000;

export class WritePositions implements WriteFloors {
  /** Positions of this instance's own writes: kept even when Redis does not take them. */
  private readonly local = new LRUCache<number, bigint>({ max: 100_000, ttl: KEEP_MS });

  constructor(private readonly options: WritePositionsOptions) {}

  /** After a write of the workspace committed at or before `position`; before it is acknowledged. */
  async record(workspaceId: number, position: bigint): Promise<void> {
    if ((this.local.get(workspaceId) ?? 0n) < position) this.local.set(workspaceId, position);
    if (!this.options.redis) return;
    try {
      await this.options.redis.script(RAISE, [this.options.keys.writePosition(workspaceId)], [walPositionKey(position), String(KEEP_MS)]);
    } catch (error) {
      // The write stands. This instance still reads it back from the primary; other instances
      // read the workspace from the primary too while they cannot reach Redis (floor fails).
      this.options.onRedisFailure?.();
      this.options.logger.warn({ err: { message: (error as Error)?.message } }, 'write position did not reach redis');
    }
  }

  /** What the workspace's reads need; undefined when it cannot be known (Redis failing): read from the primary. */
  async floor(workspaceId: number): Promise<ReadFloor | undefined> {
    const local = this.local.get(workspaceId) ?? 0n;
    if (!this.options.redis) return { position: local, stamp: entityStamp({ local: this.options.localSequence(workspaceId) }) };
    try {
      const [sequence, shared] = await this.options.redis.run((client) =>
        client.mGet([this.options.keys.writeSequence(workspaceId), this.options.keys.writePosition(workspaceId)]),
      );
      const position = walPositionFromKey(shared) ?? 0n;
      return { position: position > local ? position : local, stamp: entityStamp({ shared: sequence }) };
    } catch {
      this.options.onRedisFailure?.();
      return undefined;
    }
  }
}
