// Opens the database cardfile runs on: real PostgreSQL through postgres.js when DATABASE_URL is
// set, otherwise the embedded PGlite store (PostgreSQL compiled to WebAssembly) under DATA_DIR.
// Both give the same Drizzle interface, so repositories never know which one they talk to.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Applies the migrations in drizzle/ that have not run yet. */
  migrate(): Promise<void>;
  /** Runs a trivial statement; throws when the database cannot answer. */
  ping(): Promise<void>;
  /**
   * The same database, counting each statement it sends into `tally`: one per request, so the
   * count is that request's alone. Cheap (no schema is bound: repositories use the query
   * builder only), and explicit, where AsyncLocalStorage would tax every promise of every request.
   */
  counting(tally: StatementTally): Database;
  /** Runs raw SQL with positional parameters ($1, $2, ...): for tooling and tests, not for the API. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface StatementTally {
  statements: number;
}

export type DatabaseTarget =
  /** `prepare: false` for a pooler in transaction mode (PgBouncer), which cannot keep prepared statements. */
  | { kind: 'postgres'; url: string; poolMax?: number; prepare?: boolean }
  | { kind: 'pglite'; dataDir?: string };

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface OpenOptions {
  /** Called with every statement Drizzle sends. */
  onStatement?: (text: string, params: unknown[]) => void;
}

/**
 * postgres.js prepares a statement only when asked, and Drizzle asks only for queries given a
 * name, so every other statement was parsed and planned on every run: on the list page that was
 * most of the database's time. The repositories' statements come from a fixed set of shapes (id
 * lists are one array parameter: id-list.ts), so preparing all of them keeps one prepared
 * statement per shape and connection. Transactions run on their own connection object, unchanged.
 */
function preparingEveryStatement(client: postgres.Sql): postgres.Sql {
  const unsafe: postgres.Sql['unsafe'] = (query, parameters, options) => client.unsafe(query, parameters, { ...options, prepare: true });
  return new Proxy(client, {
    get: (target, property, receiver) => (property === 'unsafe' ? unsafe : Reflect.get(target, property, receiver)),
  });
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<DatabaseHandle> {
  // Drizzle calls a logger before every statement it sends.
  const statementCounter: DrizzleLogger = {
    logQuery: (text, params) => options.onStatement?.(text, params),
  };
  const countingInto = (tally: StatementTally): DrizzleLogger => ({
    logQuery: (text, params) => {
      tally.statements += 1;
      options.onStatement?.(text, params);
    },
  });
  if (target.kind === 'postgres') {
    const client = postgres(target.url, {
      max: target.poolMax ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
    });
    const prepared = target.prepare === false ? client : preparingEveryStatement(client);
    const db = drizzlePostgres({ client: prepared, schema, logger: statementCounter }) as unknown as Database;
    return {
      db,
      kind: 'postgres',
      counting: (tally) => drizzlePostgres({ client: prepared, logger: countingInto(tally) }) as unknown as Database,
      migrate: () => migratePostgres(db as never, { migrationsFolder }),
      ping: async () => {
        await client`select 1`;
      },
      query: async <T>(text: string, params: unknown[] = []) => (await client.unsafe(text, params as never[])) as unknown as T[],
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (target.dataDir) fs.mkdirSync(target.dataDir, { recursive: true });
  // Loaded only for the embedded store: a server on PostgreSQL never needs its WebAssembly build.
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const client = await PGlite.create(target.dataDir ?? 'memory://', { extensions: { pg_trgm } });
  const db = drizzlePglite({ client, schema, logger: statementCounter }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    counting: (tally) => drizzlePglite({ client, logger: countingInto(tally) }) as unknown as Database,
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    ping: async () => {
      await client.query('select 1');
    },
    query: async <T>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows,
    close: () => client.close(),
  };
}
