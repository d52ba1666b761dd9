// A store for cardfile server processes: a scratch PostgreSQL database when DATABASE_URL is set,
// otherwise an embedded PGlite directory. The test opens it itself only between server runs on
// PGlite (one process at a time), at any moment on PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import { cacheKeys } from '../../src/cache/keys.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { createScratchDatabase, onPostgres } from './database.js';
import type { RunningServer } from './processes.js';
import { createWorkspace, type Workspace } from './server.js';

export interface ProcessStore {
  /** What a server process needs to run on this store (and, with a Redis, on a namespace of its own). */
  env: Record<string, string>;
  /** Opens the store from the test's process; on PGlite only while no server process has it open. */
  open(): Promise<DatabaseHandle>;
  destroy(): Promise<void>;
  /** The Redis stream views are appended to, when the store's servers use a Redis. */
  redisKey: string | undefined;
}

/** `redisUrl`: the Redis its servers use (none: views are buffered in the database alone). */
export async function createProcessStore(options: { redisUrl?: string; env?: Record<string, string> } = {}): Promise<ProcessStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-process-'));
  // The loads these servers take come from one loopback address and a token or two, standing for
  // many clients: the per-token and per-address request limits would refuse them.
  // A healthy Redis's answer may wait in a busy event loop past the 100 ms default (the suites run
  // side by side): see tests/helpers/server.ts. Tests of an absent Redis set the default back.
  const base = {
    DATA_DIR: dataDir,
    PORT: '0',
    DEMO_CONTACTS: '5',
    RATE_LIMIT_PER_TOKEN: '0',
    RATE_LIMIT_PER_IP: '0',
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    ...options.env,
  };
  const scratch = onPostgres ? await createScratchDatabase() : undefined;
  const namespace = scratch?.name ?? `p${randomBytes(6).toString('hex')}`;
  const redisEnv: Record<string, string> = options.redisUrl ? { REDIS_URL: options.redisUrl, CACHE_NAMESPACE: namespace } : {};
  const redisKey = options.redisUrl ? cacheKeys(namespace).viewStream : undefined;
  if (!scratch) {
    return {
      env: { ...base, ...redisEnv },
      open: () => openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') }),
      destroy: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
      redisKey,
    };
  }
  return {
    env: { ...base, DATABASE_URL: scratch.url, ...redisEnv },
    open: () => openDatabase({ kind: 'postgres', url: scratch.url, poolMax: 2 }),
    destroy: async () => {
      await scratch.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    redisKey,
  };
}

/** Runs `use` on the store opened from the test's process, and closes it again. */
export async function withStore<T>(store: ProcessStore, use: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await store.open();
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

export interface ContactState {
  id: string;
  viewCount: number;
  version: number;
  updatedAt: string;
}

/** Every contact of the named workspace, by id. */
export function contactsOf(store: ProcessStore, workspace: string): Promise<ContactState[]> {
  return withStore(store, (handle) => contactsIn(handle, workspace));
}

/** The same, on a store the caller has open (each opening of the embedded store takes seconds). */
export async function contactsIn(handle: DatabaseHandle, workspace: string): Promise<ContactState[]> {
  const rows = await handle.query<{ id: number; view_count: number; version: number; updated_at: Date }>(
    `select c.id, c.view_count, c.version, c.updated_at from contacts c
     join workspaces w on w.id = c.workspace_id where w.name = $1 order by c.id`,
    [workspace],
  );
  return rows.map((row) => ({
    id: toGlobalId('Contact', Number(row.id)),
    viewCount: row.view_count,
    version: row.version,
    updatedAt: new Date(row.updated_at).toISOString(),
  }));
}

/** Migrates the store and creates a workspace with `contacts` seeded contacts; its tokens and contacts. */
export function seedStore(store: ProcessStore, workspace: string, contacts: number): Promise<Workspace & { initial: ContactState[] }> {
  return withStore(store, async (handle) => {
    await handle.migrate();
    const created = await createWorkspace(handle.db, workspace, contacts);
    return { ...created, initial: await contactsIn(handle, workspace) };
  });
}

/** A client of the suite's Redis (REDIS_URL), to read and clean what process stores keep there; undefined without one. */
export async function connectSuiteRedis(): Promise<RedisClientType | undefined> {
  if (!process.env.REDIS_URL) return undefined;
  const redis = createClient({ url: process.env.REDIS_URL }) as RedisClientType;
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/** Kills the server processes still running, removes the stores (their view streams in Redis too) and closes `redis`. */
export async function discardStores(servers: Iterable<RunningServer>, stores: ProcessStore[], redis: RedisClientType | undefined): Promise<void> {
  for (const server of servers) server.child.kill('SIGKILL');
  for (const store of stores) {
    if (store.redisKey && redis) await redis.del(store.redisKey);
    await store.destroy();
  }
  if (redis?.isOpen) await redis.close();
}
