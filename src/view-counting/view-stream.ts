// The Redis side of the view buffer: a stream recorded views are appended to, read by the flushers
// of every instance through one consumer group. An entry stays in the group's pending list from
// the moment a flusher reads it until that flusher has counted it and sends XACK; entries left
// pending by an instance that died are claimed by another (XAUTOCLAIM) once idle long enough.
//
// Commands go through RedisConnection.run, so they share the cache's timeout and circuit breaker:
// while Redis is failing, every call here throws RedisUnavailable at once.
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import type { RedisConnection } from '../redis/connection.js';
import type { RecordedView } from '../db/repositories/views.js';

/** The consumer group every instance's flusher reads the stream through. */
export const VIEW_GROUP = 'view-flushers';

// KEYS: stream. ARGV: group, consumer. Deletes the consumer only if nothing is pending for it, in
// one step: DELCONSUMER drops a consumer's pending entries, and those views would never be counted.
const FORGET_IF_IDLE = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** One stream entry; `view` is undefined when the entry is gone (deleted) or unreadable. */
export interface StreamEntry {
  entryId: string;
  view: RecordedView | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type RawEntry = [id: string, fields: string[] | null] | null;

function parseEntry(raw: RawEntry): StreamEntry | undefined {
  if (!raw) return undefined;
  const [entryId, fields] = raw;
  if (!fields) return { entryId, view: undefined };
  const value: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) value[fields[i]!] = fields[i + 1]!;
  const workspaceId = Number(value.w);
  const contactId = Number(value.c);
  const viewedAt = new Date(Number(value.t));
  // Only what append() writes is counted: one malformed entry must not fail every batch it is in.
  const valid = UUID.test(value.v ?? '') && Number.isSafeInteger(workspaceId) && Number.isSafeInteger(contactId) && !Number.isNaN(viewedAt.getTime());
  return { entryId, view: valid ? { viewId: value.v!, workspaceId, contactId, viewedAt } : undefined };
}

/** XREADGROUP's reply: one [stream, entries] pair per stream, or null when nothing was new. */
function entriesOfRead(reply: unknown): StreamEntry[] {
  const streams = reply as Array<[string, RawEntry[]]> | null;
  if (!streams || streams.length === 0) return [];
  return streams[0]![1].flatMap((raw) => parseEntry(raw) ?? []);
}

export class ViewStream {
  /** Unique per process: a restarted instance is a new consumer, and claims what the old one left. */
  readonly consumer = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private claimCursor = '0-0';

  constructor(
    private readonly redis: RedisConnection,
    private readonly key: string,
  ) {}

  /** Appends a view; once this resolves the view is in Redis. */
  async append(view: RecordedView): Promise<void> {
    await this.redis.run((client) =>
      client.sendCommand([
        'XADD', this.key, '*',
        'v', view.viewId,
        'w', String(view.workspaceId),
        'c', String(view.contactId),
        't', String(view.viewedAt.getTime()),
      ]),
    );
  }

  /**
   * Runs a group command, creating the group first when Redis says it does not exist (the first
   * flush ever, or a Redis that lost its data). The group starts at 0: it reads entries appended
   * before it existed.
   */
  private withGroup<T>(command: (client: RedisClientType) => Promise<T>): Promise<T> {
    return this.redis.run(async (client) => {
      try {
        return await command(client);
      } catch (error) {
        if (!String((error as Error).message).includes('NOGROUP')) throw error;
        await client.sendCommand(['XGROUP', 'CREATE', this.key, VIEW_GROUP, '0', 'MKSTREAM']).catch((createError: Error) => {
          if (!createError.message.includes('BUSYGROUP')) throw createError;
        });
        return command(client);
      }
    });
  }

  /**
   * Views in the stream not counted yet (counted ones are deleted), and when the oldest was
   * appended: its entry id starts with Redis's clock in ms.
   */
  async backlog(): Promise<{ count: number; oldest: Date | undefined }> {
    return this.redis.run(async (client) => {
      const length = Number(await client.sendCommand(['XLEN', this.key]));
      const first = (await client.sendCommand(['XRANGE', this.key, '-', '+', 'COUNT', '1'])) as unknown as Array<[string, unknown]>;
      const appendedMs = first?.[0]?.[0] ? Number(String(first[0][0]).split('-')[0]) : NaN;
      return { count: length, oldest: Number.isFinite(appendedMs) ? new Date(appendedMs) : undefined };
    });
  }

  /** Entries nobody has read yet, up to `count`; they become pending for this consumer. */
  async readNew(count: number): Promise<StreamEntry[]> {
    return this.withGroup(async (client) =>
      entriesOfRead(
        await client.sendCommand(['XREADGROUP', 'GROUP', VIEW_GROUP, this.consumer, 'COUNT', String(count), 'STREAMS', this.key, '>']),
      ),
    );
  }

  /** Entries this consumer read earlier and has not acknowledged (a flush that failed half-way). */
  async readOwnPending(count: number): Promise<StreamEntry[]> {
    return this.withGroup(async (client) =>
      entriesOfRead(
        await client.sendCommand(['XREADGROUP', 'GROUP', VIEW_GROUP, this.consumer, 'COUNT', String(count), 'STREAMS', this.key, '0']),
      ),
    );
  }

  /**
   * Takes over entries other consumers have left pending for at least `minIdleMs` (their instance
   * died, or is stuck). One call scans part of the pending list; `done` says the scan wrapped
   * around, so the caller can rest until the next round.
   */
  async claimIdle(minIdleMs: number, count: number): Promise<{ entries: StreamEntry[]; done: boolean }> {
    const reply = (await this.withGroup((client) =>
      client.sendCommand([
        'XAUTOCLAIM', this.key, VIEW_GROUP, this.consumer, String(minIdleMs), this.claimCursor, 'COUNT', String(count),
      ]),
    )) as [string, RawEntry[], string[]?];
    this.claimCursor = reply[0];
    return { entries: reply[1].flatMap((raw) => parseEntry(raw) ?? []), done: reply[0] === '0-0' };
  }

  /** Acknowledges counted entries and deletes them: the stream holds only views not yet counted. */
  async ack(entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await this.redis.run((client) =>
      Promise.all([
        client.sendCommand(['XACK', this.key, VIEW_GROUP, ...entryIds]),
        client.sendCommand(['XDEL', this.key, ...entryIds]),
      ]),
    );
  }

  /**
   * Forgets consumers of stopped instances: nothing pending and silent for `idleMs`. Every restart
   * adds a consumer name, and the group would otherwise keep them all. A live consumer reads every
   * flush interval, so it is never this idle; were it forgotten, its next read would recreate it.
   */
  async forgetIdleConsumers(idleMs: number): Promise<void> {
    const consumers = (await this.withGroup((client) => client.sendCommand(['XINFO', 'CONSUMERS', this.key, VIEW_GROUP]))) as Array<
      Array<string | number>
    >;
    const stale = consumers
      .map((fields) => {
        const info: Record<string, string | number> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) info[String(fields[i])] = fields[i + 1]!;
        return info;
      })
      .filter((info) => info.name !== this.consumer && Number(info.pending) === 0 && Number(info.idle) >= idleMs);
    for (const info of stale) await this.redis.script(FORGET_IF_IDLE, [this.key], [VIEW_GROUP, String(info.name)]);
  }
}
