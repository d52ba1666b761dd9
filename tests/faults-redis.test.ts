// Redis going away under a steady mixed load, on a real server process: stopped the way Redis stops
// itself (SIGTERM) and killed (SIGKILL), then started again on the same port, empty. No request
// fails while it is gone or when it comes back; every acknowledged write and view is kept; and the
// same process uses Redis again by itself, which its metrics show: the circuit closes, the shared
// tier stores and serves again and views go back to the stream. The Redis is the file's own, since
// other test files use the shared one meanwhile. The local tier is off, so that every cache hit
// while Redis is up is a Redis hit. (tests/cache-resilience.test.ts covers the same outage for two
// in-process instances, and what each serves meanwhile.)
import { createClient, type RedisClientType } from '@redis/client';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue } from './helpers/metrics.js';
import { getOnce, mixedLoadOver, storedWrites } from './helpers/mixed-load.js';
import { type RunningServer, startServerProcess } from './helpers/processes.js';
import { createProcessStore, type ProcessStore, seedStore, withStore } from './helpers/process-store.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { streamState } from './helpers/view-buffers.js';
import { waitFor } from './helpers/wait-for.js';

const CLIENTS = 6;
/** Requests answered while Redis is gone, each time, before it is started again. */
const ANSWERS_WHILE_DOWN = 100;

let redis: OwnRedis | undefined;
let client: RedisClientType | undefined;
let store: ProcessStore | undefined;
let server: RunningServer | undefined;

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  client?.destroy();
  await redis?.stop();
  await store?.destroy();
});

interface Figures {
  circuit: number;
  l2Stores: number;
  l2Hits: number;
  viewsToRedis: number;
  viewsToPostgres: number;
}

describe('Redis stopped and started under a steady load', () => {
  it('fails no request, keeps every acknowledged write and view, and is used again by the same process (SIGTERM, then SIGKILL)', async () => {
    redis = await startOwnRedis();
    client = createClient({ url: redis.url }) as RedisClientType;
    // This Redis is stopped on purpose; the client reconnects by itself.
    client.on('error', () => {});
    await client.connect();
    store = await createProcessStore({
      redisUrl: redis.url,
      // A short open circuit: each outage spans many trials of a Redis that is still down. The
      // request limits count in Redis too: on, far above this load, they go through the outage.
      env: {
        VIEW_FLUSH_INTERVAL_MS: '200',
        REDIS_CIRCUIT_OPEN_MS: '150',
        // The production default: requests wait at most this long for the Redis that went away.
        REDIS_COMMAND_TIMEOUT_MS: '100',
        MEMORY_CACHE_MAX_BYTES: '0',
        RATE_LIMIT_PER_TOKEN: '1000000',
        RATE_LIMIT_PER_IP: '1000000',
      },
    });
    const workspace = await seedStore(store, 'load', 30);
    server = await startServerProcess(store.env);
    const running = server;

    const figures = async (): Promise<Figures> => {
      const { text } = await getOnce(`${running.url}/metrics`);
      return {
        circuit: metricValue(text, 'cardfile_redis_circuit_state'),
        l2Stores: metricValue(text, 'cardfile_cache_stores_total', { tier: 'l2' }),
        l2Hits: metricValue(text, 'cardfile_response_cache_requests_total', { outcome: 'hit-l2' }),
        viewsToRedis: metricValue(text, 'cardfile_contact_views_recorded_total', { buffer: 'redis' }),
        viewsToPostgres: metricValue(text, 'cardfile_contact_views_recorded_total', { buffer: 'postgres' }),
      };
    };
    const inPhase = (phase: string) => load.answers.filter((answer) => answer.sentIn === phase || answer.answeredIn === phase);

    const load = mixedLoadOver(running.url, workspace, CLIENTS, 0xfa17, 50_000);
    load.start();
    const recoveries: string[] = [];
    try {
      await waitFor('Redis to be in use', figures, (now) => now.circuit === 0 && now.l2Hits > 0 && now.viewsToRedis > 0);

      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        // This Redis keeps nothing on disk: what its stream holds must be counted before it goes,
        // or those views would be lost with it (docs/operations.md, "Contact views"). Reads and writes go on.
        await load.pauseViews();
        await waitFor('the stream to be counted', () => streamState(client!, store!), (state) => state.length === 0 && state.pending === 0);
        const down = `down (${signal})`;
        load.phase = down;
        await redis.stop(signal);
        load.resumeViews();
        const atStop = await figures();
        await waitFor('the circuit to open and views to go to PostgreSQL', figures, (now) => now.circuit === 2 && now.viewsToPostgres > atStop.viewsToPostgres);
        await load.until('requests answered while Redis is down', () => inPhase(down).length >= ANSWERS_WHILE_DOWN);

        await redis.start();
        const startedAt = performance.now();
        load.phase = `back (${signal})`;
        const atStart = await figures();
        await waitFor(
          'the same process to use Redis again',
          figures,
          (now) => now.circuit === 0 && now.l2Stores > atStart.l2Stores && now.l2Hits > atStart.l2Hits && now.viewsToRedis > atStart.viewsToRedis,
        );
        const slowest = Math.max(...inPhase(down).map((answer) => answer.ms));
        recoveries.push(
          `${signal}: ${inPhase(down).length} answered while down (slowest ${Math.round(slowest)} ms), in use again ${Math.round(performance.now() - startedAt)} ms after Redis started`,
        );
      }
    } finally {
      await load.stop();
    }

    expect(load.failures).toEqual([]);
    expect(load.created.size).toBeGreaterThan(0);
    expect(load.titles.size).toBeGreaterThan(0);
    console.info(
      `Redis stopped under load: ${load.answers.length} requests, ${load.failures.length} failed; ${recoveries.join('; ')}; ` +
        `${load.created.size} creates, ${load.acknowledgedViews} views acknowledged`,
    );

    // A graceful stop counts what is still buffered; then the store holds every acknowledged write.
    expect(await running.stop()).toBe(0);
    expect(await streamState(client, store)).toEqual({ length: 0, pending: 0 });
    const stored = await withStore(store, (handle) => storedWrites(handle, 'load', load));
    expect(stored.buffered).toEqual(new Map());
    expect(stored.views).toEqual(load.views);
    expect(stored.created).toEqual(load.created);
    expect(stored.titles).toEqual(load.titles);
  }, 60_000);
});
