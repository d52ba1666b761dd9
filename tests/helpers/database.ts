// A database of its own for each test file: an in-memory PGlite by default, or, when DATABASE_URL
// is set (as in CI), a fresh database created on that PostgreSQL server and dropped afterwards.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type DatabaseHandle, type OpenOptions, openDatabase } from '../../src/db/client.js';

export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase extends DatabaseHandle {
  /** Unique to this database: the cache namespace of servers over it, so a shared Redis never mixes test databases. */
  namespace: string;
  /** Closes the connection and removes the database. */
  destroy(): Promise<void>;
}

async function adminQuery(statement: string) {
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export async function openTestDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  if (!onPostgres) {
    const handle = await openDatabase({ kind: 'pglite' }, options);
    await handle.migrate();
    return { ...handle, namespace: `t${randomBytes(6).toString('hex')}`, destroy: () => handle.close() };
  }
  const scratch = await createScratchDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolMax: 10 }, options);
  await handle.migrate();
  return {
    ...handle,
    namespace: scratch.name,
    destroy: async () => {
      await handle.close();
      await scratch.drop();
    },
  };
}

/** An empty database on the DATABASE_URL server, for a test that needs a URL of its own. */
export async function createScratchDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `cardfile_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}
