// Builds view counting for an app: the recorder the recordContactView mutation writes through, and
// this instance's flusher, started at once. The Redis stream is used when the cache layer has a
// Redis connection (REDIS_URL); otherwise views wait in PostgreSQL only.
import type { AfterWrite } from '../cache/after-write.js';
import type { CacheLayer } from '../cache/setup.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { bufferBacklog } from '../db/repositories/views.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from 'prom-client';
import { ViewFlusher } from './flusher.js';
import { ViewRecorder } from './recorder.js';
import { ViewStream } from './view-stream.js';
import { type BufferBacklog, createViewMetrics } from './view-metrics.js';

export interface ViewCounting {
  recorder: ViewRecorder;
  /** Drains the buffers (bounded), then stops the flusher. Before the Redis connection closes. */
  close(): Promise<void>;
}

/** `afterWrite`: the path mutations take too, which the flusher takes after each batch it counts. */
export interface ViewCountingOptions {
  config: Config;
  /** The primary: views are counted where writes go. */
  db: Database;
  cache: CacheLayer;
  /** The path every writer takes once its write committed (src/cache/after-write.ts). */
  afterWrite: Pick<AfterWrite, 'committed'>;
  /** Where view counting registers its metrics. */
  registry: Registry;
  logger: Logger;
}

export function createViewCounting({ config, db, cache, afterWrite, registry, logger }: ViewCountingOptions): ViewCounting {
  const stream = cache.redis ? new ViewStream(cache.redis, cache.keys.viewStream) : undefined;
  const metrics = createViewMetrics(registry, async () => {
    const [postgres, redis] = await Promise.allSettled([bufferBacklog(db), stream ? stream.backlog() : Promise.reject(new Error('no stream'))]);
    const backlog: BufferBacklog[] = [];
    if (postgres.status === 'fulfilled') backlog.push({ buffer: 'postgres', ...postgres.value });
    if (redis.status === 'fulfilled') backlog.push({ buffer: 'redis', ...redis.value });
    return backlog;
  });
  const recorder = new ViewRecorder(db, stream, (buffer) => metrics.recorded.inc({ buffer }));
  const flusher = new ViewFlusher({
    db,
    stream,
    intervalMs: config.viewFlushIntervalMs,
    batchSize: config.viewFlushBatchSize,
    claimIdleMs: config.viewClaimIdleMs,
    afterWrite,
    logger,
    events: {
      flushed: (count) => metrics.flushed.inc(count),
      failed: (buffer) => metrics.flushErrors.inc({ buffer }),
    },
  });
  flusher.start();
  return { recorder, close: () => flusher.close() };
}
