// SIGTERM to a server process in the middle of a mixed read/write load, as a deploy sends it: the
// instance first says it is not ready (/readyz 503) and goes on serving, so a load balancer can
// take it out before anything is refused; requests in flight at the signal are answered, and so are
// new ones during the drain; once its clients let go it stops listening, counts the views still
// buffered (the flush interval here is far longer than the test, so all of them are) and exits 0.
// Afterwards the store holds every acknowledged mutation and view. Runs on either store; under
// REDIS_URL the views wait in the Redis stream, otherwise in the database.
// (tests/contact-views.test.ts restarts a server under a views-only load; this is the whole API.)
import http from 'node:http';
import type { RedisClientType } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from './helpers/metrics.js';
import { getOnce, mixedLoadOver, postGraphQL, storedWrites } from './helpers/mixed-load.js';
import { type RunningServer, startServerProcess } from './helpers/processes.js';
import { connectSuiteRedis, createProcessStore, discardStores, type ProcessStore, seedStore, withStore } from './helpers/process-store.js';
import { streamState } from './helpers/view-buffers.js';

const CLIENTS = 6;
/** Longer than any drain here should take: a drain that ends early ended because its clients let go. */
const DRAIN_GRACE_MS = 10_000;

const running = new Set<RunningServer>();
const stores: ProcessStore[] = [];
let redis: RedisClientType | undefined;

beforeAll(async () => {
  redis = await connectSuiteRedis();
});

afterAll(() => discardStores(running, stores, redis));

async function start(store: ProcessStore): Promise<RunningServer & { exited: Promise<number | null> }> {
  const server = await startServerProcess(store.env);
  running.add(server);
  const exited = new Promise<number | null>((resolve) =>
    server.child.once('exit', (code) => {
      running.delete(server);
      resolve(code);
    }),
  );
  return { ...server, exited };
}

/** Polls /readyz on connections of its own until it answers 503; every answer with when it came. */
function watchReadiness(url: string) {
  const seen: Array<{ at: number; status: number; text: string }> = [];
  let stopped = false;
  const notReady = (async () => {
    while (!stopped) {
      const answer = await getOnce(`${url}/readyz`);
      seen.push({ at: performance.now(), ...answer });
      if (answer.status === 503) return seen.at(-1)!;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  })();
  return { seen, notReady, stop: () => (stopped = true) };
}

describe('SIGTERM during a mixed load', () => {
  it('flips readiness first, serves in-flight and new requests, drains the buffered views and exits 0 with every acknowledged write stored', async () => {
    const store = await createProcessStore({
      redisUrl: process.env.REDIS_URL,
      env: { VIEW_FLUSH_INTERVAL_MS: '60000', SHUTDOWN_DRAIN_MS: String(DRAIN_GRACE_MS) },
    });
    stores.push(store);
    const workspace = await seedStore(store, 'load', 30);
    const server = await start(store);

    const load = mixedLoadOver(server.url, workspace, CLIENTS, 0x51647e, 40_000);
    const readiness = watchReadiness(server.url);
    load.start();
    let timings: { signal: number; notReady: number; letGo: number; exit: number } | undefined;
    try {
      await load.until('the load to be under way', () => load.answers.length >= 300 && load.acknowledgedViews >= 50);
      // Nothing counted yet: every acknowledged view is still buffered when the signal comes.
      const { text } = await getOnce(`${server.url}/metrics`);
      expect(metricValue(text, 'cardfile_contact_views_flushed_total')).toBe(0);
      expect(metricValue(text, 'cardfile_contact_views_backlog')).toBeGreaterThan(0);
      expect(readiness.seen.length).toBeGreaterThan(0);
      expect(readiness.seen.every((answer) => answer.status === 200)).toBe(true);

      load.phase = 'signalled';
      const signal = performance.now();
      server.child.kill('SIGTERM');
      const notReady = await readiness.notReady;
      expect(notReady?.text).toContain('shutting down');
      load.phase = 'draining';
      // Still serving: every client gets new requests answered after readiness said 503.
      await load.until('requests answered during the drain', () => load.answers.filter((answer) => answer.sentIn === 'draining').length >= 2 * CLIENTS);
      // The clients let go, as a load balancer does once the instance is out of its pool.
      await load.stop();
      const letGo = performance.now();
      expect(await server.exited).toBe(0);
      timings = { signal, notReady: notReady!.at, letGo, exit: performance.now() };
    } finally {
      readiness.stop();
      await load.stop();
    }

    expect(load.failures).toEqual([]);
    const inFlightAtSignal = load.answers.filter((answer) => answer.sentIn === 'start' && answer.answeredIn !== 'start');
    const sentWhileDraining = load.answers.filter((answer) => answer.sentIn !== 'start');
    expect(inFlightAtSignal.length).toBeGreaterThan(0);
    expect(sentWhileDraining.length).toBeGreaterThanOrEqual(2 * CLIENTS);
    // The drain ended when the clients let go, long before its grace ran out.
    expect(timings!.exit - timings!.signal).toBeLessThan(DRAIN_GRACE_MS);
    console.info(
      `SIGTERM under load: ${load.answers.length} requests, ${load.failures.length} failed; ${inFlightAtSignal.length} in flight at the signal, ` +
        `${sentWhileDraining.length} sent after it; readiness 503 after ${Math.round(timings!.notReady - timings!.signal)} ms; ` +
        `exit ${Math.round(timings!.exit - timings!.letGo)} ms after the clients let go (${Math.round(timings!.exit - timings!.signal)} ms after the signal); ` +
        `${load.acknowledgedViews} views, ${load.created.size} creates, ${load.titles.size} contacts updated`,
    );

    // Every acknowledged view counted by the drain, and nothing left buffered.
    if (redis) expect(await streamState(redis, store)).toEqual({ length: 0, pending: 0 });
    const stored = await withStore(store, (handle) => storedWrites(handle, 'load', load));
    expect(stored.buffered).toEqual(new Map());
    expect(stored.views).toEqual(load.views);
    expect(stored.created).toEqual(load.created);
    expect(stored.titles).toEqual(load.titles);
  }, 60_000);

  it('waits for a client that keeps its connection open no longer than SHUTDOWN_DRAIN_MS, and answers it meanwhile', async () => {
    const grace = 1_500;
    const store = await createProcessStore({ env: { SHUTDOWN_DRAIN_MS: String(grace) } });
    stores.push(store);
    const workspace = await seedStore(store, 'load', 3);
    const server = await start(store);
    // One keep-alive connection, idle between requests, as a load balancer's pool holds them.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const viewer = () => postGraphQL(agent, `${server.url}/graphql`, workspace.reader, JSON.stringify({ query: '{ viewer { role } }' }));
    try {
      expect(await viewer()).toMatchObject({ status: 200, text: '{"data":{"viewer":{"role":"READER"}}}\n' });
      const signal = performance.now();
      server.child.kill('SIGTERM');
      const readiness = watchReadiness(server.url);
      expect((await readiness.notReady)?.status).toBe(503);
      // During the drain: the held connection and a new one are both still served.
      expect(await viewer()).toMatchObject({ status: 200 });
      expect((await getOnce(`${server.url}/healthz`)).status).toBe(200);
      expect(await server.exited).toBe(0);
      const drained = performance.now() - signal;
      console.info(`SIGTERM with a held connection: exit after ${Math.round(drained)} ms (drain grace ${grace} ms)`);
      expect(drained).toBeGreaterThanOrEqual(grace);
      expect(drained).toBeLessThan(grace + 5_000);
    } finally {
      agent.destroy();
    }
  }, 60_000);
});

