// SIGKILL to a server process while views are being recorded, with a flush interval far longer
// than the test: when it dies, every view it acknowledged is still in a durable buffer and none is
// counted. Read from outside between the kill and the restart, the buffer holds at least every
// acknowledged view and at most those plus the ones in flight at the kill (recorded, never
// answered). The restarted server counts exactly what the buffer held: nothing lost, nothing twice.
// Once with Redis (views in its stream; the Redis is the file's own and keeps running) and once
// without (views in the database's buffer table), on either store.
// (tests/contact-views.test.ts kills a server whose flusher runs every 200 ms, so that some views
// die half-counted: read from the stream, not acknowledged; that is checked there.)
import { createClient, type RedisClientType } from '@redis/client';
import { afterAll, describe, expect, it } from 'vitest';
import { metricValue } from './helpers/metrics.js';
import { getOnce } from './helpers/mixed-load.js';
import { type RunningServer, startServerProcess } from './helpers/processes.js';
import type { DatabaseHandle } from '../src/db/client.js';
import { contactsIn, createProcessStore, type ProcessStore, seedStore, withStore } from './helpers/process-store.js';
import { type OwnRedis, startOwnRedis } from './helpers/redis.js';
import { streamBuffer, streamState, tableBufferIn } from './helpers/view-buffers.js';
import { ViewLoad } from './helpers/view-load.js';
import { waitFor } from './helpers/wait-for.js';

const VIEWS = 3_000;
const KILL_AT = 1_000;

const running = new Set<RunningServer>();
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const server of running) server.child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function start(env: Record<string, string>): Promise<RunningServer & { exited: Promise<NodeJS.Signals | number | null> }> {
  const server = await startServerProcess(env);
  running.add(server);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    server.child.once('exit', (code, signal) => {
      running.delete(server);
      resolve(signal ?? code);
    }),
  );
  return { ...server, exited };
}

const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

/**
 * `buffered` reads what the buffer in use holds, per contact; given the store, opened once after
 * the kill (each opening of the embedded store takes seconds).
 */
async function killedWhileRecording(store: ProcessStore, buffered: (handle: DatabaseHandle) => Promise<Map<string, number>>) {
  const workspace = await seedStore(store, 'load', 20);
  const { initial } = workspace;
  const plan = Array.from({ length: VIEWS }, (_, i) => initial[i % initial.length]!.id);
  const load = new ViewLoad(plan, [workspace.reader, workspace.editor]);

  const first = await start(store.env);
  await load.run(first.url, {
    concurrency: 8,
    onFailure: 'uncertain',
    onAck: (total) => {
      if (total === KILL_AT) first.child.kill('SIGKILL');
    },
  });
  expect(await first.exited).toBe('SIGKILL');
  expect(load.ackedTotal).toBeGreaterThanOrEqual(KILL_AT);

  // Nothing was counted before the kill; everything acknowledged is in the buffer.
  const [counted, held] = await withStore(store, async (handle) => [await contactsIn(handle, 'load'), await buffered(handle)] as const);
  expect(counted.filter((contact) => contact.viewCount > 0)).toEqual([]);
  for (const contact of initial) {
    const acked = load.acked.get(contact.id) ?? 0;
    expect(held.get(contact.id) ?? 0, contact.id).toBeGreaterThanOrEqual(acked);
    expect(held.get(contact.id) ?? 0, contact.id).toBeLessThanOrEqual(acked + (load.uncertain.get(contact.id) ?? 0));
  }

  // The restart counts the buffer, with a flusher that runs at once.
  const started = performance.now();
  const second = await start({ ...store.env, VIEW_FLUSH_INTERVAL_MS: '100' });
  await waitFor(
    'the buffered views to be counted',
    async () => {
      const { text } = await getOnce(`${second.url}/metrics`);
      return { flushed: metricValue(text, 'cardfile_contact_views_flushed_total'), backlog: metricValue(text, 'cardfile_contact_views_backlog') };
    },
    (state) => state.flushed >= sum(held.values()) && state.backlog === 0,
  );
  const replayedMs = performance.now() - started;
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const [final, left] = await withStore(store, async (handle) => [await contactsIn(handle, 'load'), await tableBufferIn(handle)] as const);
  expect(left).toEqual(new Map());
  expect(Object.fromEntries(final.filter((contact) => contact.viewCount > 0).map((contact) => [contact.id, contact.viewCount]))).toEqual(
    Object.fromEntries(held),
  );
  console.info(
    `killed with ${load.ackedTotal} views acknowledged and ${sum(load.uncertain.values())} in flight: ${sum(held.values())} buffered, ` +
      `${sum(final.map((contact) => contact.viewCount))} counted after the restart (start and replay ${Math.round(replayedMs)} ms)`,
  );
  return held;
}

describe('SIGKILL while views are being recorded', () => {
  it('replays the Redis stream after the restart: every acknowledged view counted exactly once', async () => {
    const redis: OwnRedis = await startOwnRedis();
    cleanups.push(() => redis.stop());
    const client = createClient({ url: redis.url }) as RedisClientType;
    await client.connect();
    cleanups.push(async () => void (await client.close()));
    const store = await createProcessStore({ redisUrl: redis.url, env: { VIEW_FLUSH_INTERVAL_MS: '60000' } });
    cleanups.push(() => store.destroy());

    await killedWhileRecording(store, async (handle) => {
      // Redis answered throughout: every view went to the stream, none to the database.
      expect(await tableBufferIn(handle)).toEqual(new Map());
      return streamBuffer(client, store);
    });
    expect(await streamState(client, store)).toEqual({ length: 0, pending: 0 });
  }, 90_000);

  it('replays the database buffer after the restart: every acknowledged view counted exactly once', async () => {
    const store = await createProcessStore({ env: { VIEW_FLUSH_INTERVAL_MS: '60000' } });
    cleanups.push(() => store.destroy());
    await killedWhileRecording(store, tableBufferIn);
  }, 90_000);
});
