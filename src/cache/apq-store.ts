// The store of automatic persisted queries (sha256 -> query text): an in-process LRU in front of
// Redis, where every instance finds what any instance learned. Redis is reached through keyv and
// Apollo's KeyvAdapter; its errors count as misses, so an outage means clients resend the full
// query once, never an error.
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import { ErrorsAreMissesCache, InMemoryLRUCache, type KeyValueCache, type KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import KeyvRedis, { Keyv } from '@keyv/redis';
import type { Logger } from '../observability/logger.js';
import type { RedisConnection } from './redis-connection.js';

class TwoLevelCache implements KeyValueCache<string> {
  constructor(
    private readonly near: KeyValueCache<string>,
    private readonly far: KeyValueCache<string>,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const near = await this.near.get(key);
    if (near !== undefined) return near;
    const far = await this.far.get(key);
    if (far !== undefined) await this.near.set(key, far);
    return far;
  }

  // Writes to the far tier are best effort: a document Redis did not take is sent again by the
  // client the next time another instance asks for it.
  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    await this.near.set(key, value, options);
    await this.far.set(key, value, options).catch(() => {});
  }

  async delete(key: string): Promise<boolean | void> {
    await this.near.delete(key);
    await Promise.resolve(this.far.delete(key)).catch(() => {});
  }
}

export function createApqStore(redis: RedisConnection | undefined, keyPrefix: string, logger: Logger): KeyValueCache<string> {
  // Documents are small; 20 MB holds tens of thousands of them.
  const near = new InMemoryLRUCache<string>({ maxSize: 20_000_000 });
  if (!redis) return near;
  const store = new KeyvRedis(redis.client as never, { namespace: undefined });
  store.on('error', () => {});
  // useKeyPrefix: false, or keyv and the store would both prefix the key.
  const keyv = new Keyv<string>({ store, namespace: undefined, useKeyPrefix: false });
  keyv.on('error', (error: Error) => logger.debug({ err: { message: error.message } }, 'apq store error'));
  // A cast: KeyvAdapter's Keyv type and this package's are separate declarations of one class.
  const far = new ErrorsAreMissesCache<string>(new KeyvAdapter(keyv as never), { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} });
  return new TwoLevelCache(near, prefixed(bounded(far, redis), keyPrefix));
}

/**
 * The far tier through the connection's command timeout and circuit breaker: a Redis that stops
 * answering without closing the connection costs a miss, never a request waiting on it.
 */
function bounded(cache: KeyValueCache<string>, redis: RedisConnection): KeyValueCache<string> {
  return {
    get: (key) => redis.run(() => cache.get(key)).catch(() => undefined),
    set: (key, value, options) => redis.run(() => cache.set(key, value, options)).catch(() => {}),
    delete: (key) => redis.run(async () => cache.delete(key)).catch(() => false),
  };
}

function prefixed(cache: KeyValueCache<string>, prefix: string): KeyValueCache<string> {
  return {
    get: (key) => cache.get(prefix + key),
    set: (key, value, options) => cache.set(prefix + key, value, options),
    delete: (key) => cache.delete(prefix + key),
  };
}
