// Builds the cache layer the configuration asks for: L1 unless its budget is 0, L2 when REDIS_URL
// is set, and the invalidation channel between instances.
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from 'prom-client';
import { createCacheMetrics, type CacheMetrics } from './cache-metrics.js';
import { createCircuitGauge } from '../redis/redis-metrics.js';
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
  /** The cache's counters, for parts that fail on its behalf (the write positions) and the persisted queries. */
  metrics: CacheMetrics;
  close(): Promise<void>;
}

/** `registry`: where the cache registers its metrics (and the Redis circuit's). */
export function createCacheLayer(config: Config, logger: Logger, registry: Registry, now: () => number = Date.now): CacheLayer {
  const keys = cacheKeys(config.cacheNamespace);
  const metrics = createCacheMetrics(registry);
  const onCircuitChange = createCircuitGauge(registry);
  const redis = config.redisUrl
    ? new RedisConnection(
        { url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, failureThreshold: 3, openMs: config.redisCircuitOpenMs },
        logger,
        onCircuitChange,
      )
    : undefined;
  const memory =
    config.responseCache && config.memoryCacheMaxBytes > 0
      ? new MemoryTier(config.memoryCacheMaxBytes, { onEvict: () => metrics.evictions.inc() })
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
      stored: (tier) => metrics.stores.inc({ tier }),
      invalidated: (tier, count) => metrics.invalidations.inc({ tier }, count),
      failed: (operation) => metrics.errors.inc({ operation }),
      refreshed: (result) => metrics.refreshes.inc({ result }),
    },
  });
  metrics.watchMemoryBytes(() => memory?.bytes ?? 0);
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
  metrics.watchEntityEntries(() => entities?.size ?? 0);

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
    metrics,
    close: async () => {
      await redis?.close();
    },
  };
}
