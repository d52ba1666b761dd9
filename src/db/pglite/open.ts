// The embedded driver: PGlite (PostgreSQL compiled to WebAssembly) in DATA_DIR, one process's
// (store-lock.ts), its statements timed, its migrations applied in code (drizzle-kit's migrate
// fails silently on PGlite when a migration creates an extension).
import fs from 'node:fs';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type DatabaseHandle, type DatabaseTarget, migrationsFolder, type StatementHooks } from '../client.js';
import { observedPglite } from '../observed-client.js';
import * as schema from '../schema.js';
import { lockStore } from '../store-lock.js';

type PGliteInstance = import('@electric-sql/pglite').PGlite;
type PgliteTarget = Extract<DatabaseTarget, { kind: 'pglite' }>;

export async function openPglite(target: PgliteTarget, hooks: StatementHooks): Promise<DatabaseHandle> {
  const { timed, onStatementTimed, statementCounter, countingInto } = hooks;
  // A store in a directory is one process's (store-lock.ts): taken before anything is read from it.
  const lock = target.dataDir ? lockStore(target.dataDir) : undefined;
  let pglite: PGliteInstance;
  try {
    if (target.dataDir) fs.mkdirSync(target.dataDir, { recursive: true });
    // Loaded only for the embedded store: a server on PostgreSQL never needs its WebAssembly build.
    const { PGlite } = await import('@electric-sql/pglite');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    pglite = await PGlite.create(target.dataDir ?? 'memory://', { extensions: { pg_trgm } });
  } catch (error) {
    lock?.release();
    throw error;
  }
  // Statements are timed from call to settling (PGlite runs one at a time, so that includes waiting).
  const query: typeof pglite.query = async (text, params, queryOptions) => {
    const started = performance.now();
    try {
      return await pglite.query(text, params, queryOptions);
    } finally {
      timed(text, params ?? [], performance.now() - started, 'primary');
    }
  };
  // Methods are bound to PGlite itself: it keeps private fields, which a proxy as `this` cannot read.
  const client = new Proxy(pglite, {
    get: (target, property) => {
      if (property === 'query') return query;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const db = drizzlePglite({ client, schema, logger: statementCounter }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    onStatementTimed,
    explainWithoutValues: async () => undefined,
    counting: (tally, statements) => drizzlePglite({ client: statements ? observedPglite(client, statements) : client, logger: countingInto(tally) }) as unknown as Database,
    routing: (tally, _route, statements) =>
      drizzlePglite({ client: statements ? observedPglite(client, statements) : client, logger: countingInto(tally) }) as unknown as Database,
    replicas: undefined,
    writePosition: async () => undefined,
    poolLoad: () => [],
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    ping: async () => {
      await pglite.query('select 1');
    },
    listen: () => undefined,
    query: async <T>(text: string, params: unknown[] = []) => (await pglite.query<T>(text, params)).rows,
    close: async () => {
      try {
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
