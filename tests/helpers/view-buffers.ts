// What the durable view buffers of a store hold, read from outside the server: the PostgreSQL
// buffer table and the Redis stream. A crashed server's acknowledged views must all be in there.
import type { RedisClientType } from '@redis/client';
import type { DatabaseHandle } from '../../src/db/client.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { VIEW_GROUP } from '../../src/view-counting/view-stream.js';
import type { ProcessStore } from './process-store.js';

/** Views per contact (global id) in the PostgreSQL buffer of a store the caller has open. */
export async function tableBufferIn(handle: DatabaseHandle): Promise<Map<string, number>> {
  const rows = await handle.query<{ contact_id: number; n: number }>('select contact_id, count(*)::int as n from contact_view_buffer group by contact_id');
  return new Map(rows.map((row) => [toGlobalId('Contact', Number(row.contact_id)), row.n]));
}

/** Views per contact (global id) in the store's Redis stream, read or not. */
export async function streamBuffer(redis: RedisClientType, store: ProcessStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (!store.redisKey) return counts;
  const entries = (await redis.sendCommand(['XRANGE', store.redisKey, '-', '+'])) as Array<[string, string[]]>;
  for (const [, fields] of entries) {
    const contact = fields[fields.indexOf('c') + 1];
    const id = toGlobalId('Contact', Number(contact));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Entries in the store's stream, and of those, read by a flusher and not acknowledged. */
export async function streamState(redis: RedisClientType, store: ProcessStore): Promise<{ length: number; pending: number }> {
  if (!store.redisKey) return { length: 0, pending: 0 };
  const length = await redis.xLen(store.redisKey);
  if (length === 0) return { length, pending: 0 };
  const pending = (await redis.sendCommand(['XPENDING', store.redisKey, VIEW_GROUP]).catch((error: Error) => {
    // No flusher has read the stream yet: its group does not exist, and nothing is pending.
    if (error.message.includes('NOGROUP')) return [0];
    throw error;
  })) as [number];
  return { length, pending: Number(pending[0]) };
}
