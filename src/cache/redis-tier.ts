// L2: the same serialized responses in Redis, shared by every instance. A response is indexed
// under each of its tags in a Redis set (with a TTL, never a KEYS scan), and every purge bumps the
// workspace's write sequence: a fill that started before a purge carries the older sequence and is
// refused, so a slow request can never put back a value a mutation has just replaced.
import { RESP_TYPES, type RedisClientType } from '@redis/client';
import { type CachedResponse, deserializeEntryBytes, serializeEntry } from './entry.js';
import type { CacheKeys } from './keys.js';
import type { RedisConnection } from '../redis/connection.js';

// KEYS: sequence, entry. ARGV: expected sequence, value, ttl ms, then the tag index keys.
const STORE = `
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
for i = 4, #ARGV do
  redis.call('SADD', ARGV[i], KEYS[2])
  if redis.call('PTTL', ARGV[i]) < ttl then redis.call('PEXPIRE', ARGV[i], ttl) end
end
return 1`;

// KEYS: sequence. ARGV: the tag index keys. Deletes every entry indexed under them.
const PURGE = `
local sequence = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
for i = 1, #ARGV do
  local members = redis.call('SMEMBERS', ARGV[i])
  for j = 1, #members, 500 do
    redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', ARGV[i])
end
return sequence`;

// KEYS: sequence, then entity keys. ARGV: expected sequence, ttl ms, then one value per entity key.
const STORE_ENTITIES = `
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[2]) end
return 1`;

export interface RedisLookup {
  entry: CachedResponse | undefined;
  /** The workspace's write sequence when the lookup ran: pass it to store(). */
  sequence: string;
}

/** The client answering bulk strings as Buffers (one view per client, made once). */
const byteClients = new WeakMap<RedisClientType, RedisClientType>();
function asBytes(client: RedisClientType): RedisClientType {
  let bytes = byteClients.get(client);
  if (!bytes) {
    bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as RedisClientType;
    byteClients.set(client, bytes);
  }
  return bytes;
}

export class RedisTier {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: CacheKeys,
  ) {}

  async get(key: string, workspaceId: number): Promise<RedisLookup> {
    const [value, sequence] = (await this.redis.run((client) =>
      asBytes(client).mGet([key, this.keys.writeSequence(workspaceId)]),
    )) as unknown as Array<Buffer | null>;
    return { entry: value ? deserializeEntryBytes(value) : undefined, sequence: sequence ? sequence.toString() : '0' };
  }

  async sequence(workspaceId: number): Promise<string> {
    return (await this.redis.run((client) => client.get(this.keys.writeSequence(workspaceId)))) ?? '0';
  }

  /** Stores unless the workspace had a write since `sequence` was read; true when stored. */
  async store(key: string, workspaceId: number, entry: CachedResponse, sequence: string): Promise<boolean> {
    const ttlMs = Math.max(1, entry.staleUntil - Date.now());
    const stored = await this.redis.script(
      STORE,
      [this.keys.writeSequence(workspaceId), key],
      [sequence, serializeEntry(entry), String(ttlMs), ...entry.tags.map((name) => this.keys.dependencyIndex(name))],
    );
    return stored === 1;
  }

  /** Deletes every entry that depends on one of `tags`; returns the workspace's new write sequence. */
  async purge(workspaceId: number, tags: string[]): Promise<number> {
    return Number(await this.redis.script(PURGE, [this.keys.writeSequence(workspaceId)], tags.map((name) => this.keys.dependencyIndex(name))));
  }

  /** The workspace's write sequence and the stored values of `keys`, in one MGET. */
  async getEntities(workspaceId: number, keys: string[]): Promise<{ sequence: string; values: Array<string | null> }> {
    const [sequence, ...values] = await this.redis.run((client) => client.mGet([this.keys.writeSequence(workspaceId), ...keys]));
    return { sequence: sequence ?? '0', values };
  }

  /** Stores entity values unless the workspace had a write since `sequence`. */
  async storeEntities(workspaceId: number, entries: Array<[key: string, value: string]>, sequence: string, ttlMs: number): Promise<boolean> {
    if (entries.length === 0) return true;
    const stored = await this.redis.script(
      STORE_ENTITIES,
      [this.keys.writeSequence(workspaceId), ...entries.map(([key]) => key)],
      [sequence, String(ttlMs), ...entries.map(([, value]) => value)],
    );
    return stored === 1;
  }

  /** Takes a short lock; true for exactly one caller until it expires. */
  async tryLock(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.run((client) => client.set(name, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }))) === 'OK';
  }
}
