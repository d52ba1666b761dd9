// Builds the cache layer the configuration asks for: L1 unless its budget is 0, L2 when REDIS_URL
// is set, and the invalidation channel between instances.
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { cacheKeys, type CacheKeys } from './keys.js';
import { MemoryTier } from './memory-tier.js';
import { RedisConnection } from '../redis/connection.js';
import { RedisTier } from './redis-tier.js';
import { ResponseCache } from './response-cache.js';
import { EntityCache } from './entity-cache.js';

export interface CacheLayer {
  keys: CacheKeys;
  responses: ResponseCache;
  /** Undefined when ENTITY_CACHE or RESPONSE_CACHE is off. */
  entities: EntityCache | undefined;
  redis: RedisConnection | undefined;
  close(): Promise<void>;
}

const circuitValue = { closed: 0, 'half-open': 1, open: 2 } as const;

export function createCacheLayer(config: Config, logger: Logger, metrics: Metrics, now: () => number = Date.now): CacheLayer {
  const keys = cacheKeys(config.cacheNamespace);
  const redis = config.redisUrl
    ? new RedisConnection(
        { url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, failureThreshold: 3, openMs: config.redisCircuitOpenMs },
        logger,
        (state) => metrics.redisCircuit.set(circuitValue[state]),
      )
    : undefined;
  const memory =
    config.responseCache && config.memoryCacheMaxBytes > 0
      ? new MemoryTier(config.memoryCacheMaxBytes, { onEvict: () => metrics.cacheEvictions.inc() })
      : undefined;
  const redisTier = config.responseCache && redis ? new RedisTier(redis, keys) : undefined;
  const responses = new ResponseCache({
    memory,
    redis: redisTier,
    refreshLockMs: 5_000,
    now,
    keys,
    logger,
    events: {
      stored: (tier) => metrics.cacheStores.inc({ tier }),
      invalidated: (tier, count) => metrics.cacheInvalidations.inc({ tier }, count),
      failed: (operation) => metrics.cacheErrors.inc({ operation }),
      refreshed: (result) => metrics.cacheRefreshes.inc({ result }),
    },
  });
  if (memory) metrics.sources.memoryCacheBytes = () => memory.bytes;
  const entities =
    config.responseCache && config.entityCache
      ? new EntityCache({
          keys,
          responses,
          redis: redisTier,
          maxEntries: config.entityCacheMaxEntries,
          ttlMs: config.entityCacheTtlSeconds * 1000,
          onOutcome: (type, outcome, count) => {
            if (count > 0) metrics.entityRows.inc({ type, outcome }, count);
          },
        })
      : undefined;
  if (entities) metrics.sources.entityCacheEntries = () => entities.size;

  if (redis) {
    redis.start();
    if (config.responseCache) {
      const channel = responses.connectChannel((message) =>
        redis.run((client) => client.publish(keys.invalidationChannel, message)),
      );
      void redis.subscribe(keys.invalidationChannel, channel.onMessage, channel.onSubscribed, channel.onUnsubscribed);
    }
  }

  return {
    keys,
    responses,
    entities,
    redis,
    close: async () => {
      await redis?.close();
    },
  };
}
