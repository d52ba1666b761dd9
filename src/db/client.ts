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
import { createLogger, type Logger } from '../observability/logger.js';
import { type ListenOptions, listenOnPostgres, type NotificationListener } from './notification-listener.js';
import { observedPglite, observedPostgres, recordingRoute, type StatementObserver } from './observed-client.js';
import { ReplicaSet } from './replicas/replica-set.js';
import { lockStore } from './store-lock.js';
import { routedClient, type StatementRoute } from './replicas/routed-client.js';
import { parseWalPosition } from './replicas/wal-position.js';
import * as schema from './schema.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
type PGliteInstance = import('@electric-sql/pglite').PGlite;

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
   * With `statements` (a traced request), each statement is also told to it, for this request only.
   */
  counting(tally: StatementTally, statements?: StatementObserver): Database;
  /**
   * As `counting`, for a request that may read from replicas: each statement goes where `route`
   * says when it is sent; transactions always go to the primary. Only with replicas.
   */
  routing(tally: StatementTally, route: StatementRoute, statements?: StatementObserver): Database;
  /** The read replicas (DATABASE_REPLICA_URLS); undefined without any. */
  replicas: ReplicaSet | undefined;
  /** The primary's current WAL position: read after a commit, it is at or past that commit. */
  writePosition(): Promise<bigint | undefined>;
  /** The connection pools' load now (statements outside transactions); empty on the embedded store. */
  poolLoad(): PoolLoad[];
  /**
   * The plan PostgreSQL would use for a statement, as text, with every literal (the parameters'
   * values among them) shown as '?': a log must not carry the values. Undefined on the embedded store.
   */
  explainWithoutValues(text: string, params: readonly unknown[]): Promise<string | undefined>;
  /** Adds a listener told of each statement's running time (the slow-statement log); returns its removal. */
  onStatementTimed(timer: StatementTimer): () => void;
  /**
   * A connection of its own LISTENing for notices on the primary (notification-listener.ts).
   * Undefined on the embedded store: it is one process's, so no other process can send it any.
   */
  listen(options: ListenOptions): NotificationListener | undefined;
  /** Runs raw SQL with positional parameters ($1, $2, ...): for tooling and tests, not for the API. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface StatementTally {
  statements: number;
}

export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      poolMax?: number;
      /** `false` for a pooler in transaction mode (PgBouncer), which cannot keep prepared statements. */
      prepare?: boolean;
      /** Longest wait for a free connection before a statement fails with SERVICE_UNAVAILABLE; 0: no bound. */
      poolWaitMs?: number;
      /** PostgreSQL's statement_timeout on every connection; 0: none. */
      statementTimeoutMs?: number;
      connectTimeoutMs?: number;
      /** An idle connection is closed after this; 0: kept. */
      idleTimeoutMs?: number;
      /** Read replicas of this primary, with the same pool settings. */
      replicas?: { urls: string[]; checkIntervalMs: number; maxLagMs: number };
    }
  | { kind: 'pglite'; dataDir?: string };

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface OpenOptions {
  /** Called with every statement Drizzle sends. */
  onStatement?: (text: string, params: unknown[]) => void;
  /** Where replica health changes are logged. */
  logger?: Logger;
}

export type DatabaseRole = 'primary' | 'replica';

/** Told of every statement that completed (outside transactions), with its running time and where it ran. */
export type StatementTimer = (text: string, params: readonly unknown[], ms: number, database: DatabaseRole) => void;

/** A pool's load right now: statements running on a connection, and statements waiting for one. */
export interface PoolLoad {
  database: DatabaseRole;
  size: number;
  running: number;
  waiting: number;
}

/**
 * The postgres.js client as the repositories use it, with two changes.
 *
 * Prepared statements: postgres.js prepares a statement only when asked, and Drizzle asks only for
 * queries given a name, so every other statement was parsed and planned on every run: on the list
 * page that was most of the database's time. The repositories' statements come from a fixed set
 * of shapes (id lists are one array parameter: id-list.ts), so preparing all of them keeps one
 * prepared statement per shape and connection. Off with `prepare: false`.
 *
 * Timing and the pool bound: a postgres.js query runs when it is first awaited, so its running
 * time is measured from that `then` to its settling, and the wait for a connection is bounded from
 * there too (postgres.js itself would queue it for as long as it takes). Transactions run on a
 * connection object of their own, unchanged.
 */
function instrumented(
  client: postgres.Sql,
  prepare: boolean,
  poolWaitMs: number,
  timed: (text: string, params: readonly unknown[], ms: number) => void,
  inFlight: Set<object>,
): postgres.Sql {
  const unsafe = (text: string, parameters?: never[], options?: postgres.UnsafeQueryOptions) => {
    const query = client.unsafe(text, parameters, prepare ? { ...options, prepare: true } : options);
    const then = query.then;
    query.then = function timedThen(this: typeof query, onFulfilled?: any, onRejected?: any) {
      const started = performance.now();
      inFlight.add(query);
      const outcome = new Promise((resolve, reject) => {
        let settled = false;
        // Not running yet when the bound runs out (queued for a connection, or pipelined behind a
        // statement on a busy one): the caller gets POOL_EXHAUSTED (a SERVICE_UNAVAILABLE) now,
        // and the statement, if it ever gets a connection, runs for nobody. It is not cancelled:
        // a cancel request could stop whichever statement that connection runs by then, and
        // postgres.js loses the connection of a statement cancelled while it connects.
        const waiting =
          poolWaitMs > 0
            ? setTimeout(() => {
                if (settled || (query as unknown as { active?: boolean }).active) return;
                settled = true;
                reject(poolExhausted());
              }, poolWaitMs)
            : undefined;
        // The statement's own outcome, unless the bound already answered the caller.
        const finish = (settle: () => void) => {
          inFlight.delete(query);
          timed(text, parameters ?? [], performance.now() - started);
          if (settled) return;
          settled = true;
          clearTimeout(waiting);
          settle();
        };
        then.call(
          this,
          (value: unknown) => finish(() => resolve(value)),
          (error: unknown) => finish(() => reject(error)),
        );
      });
      return outcome.then(onFulfilled, onRejected);
    } as typeof query.then;
    return query;
  };
  // A transaction waits for a connection of its own: bounded the same way. If the connection
  // comes after the caller was answered, the transaction is rolled back before it does anything.
  const begin = (...args: unknown[]) => {
    const work = args.pop() as (sql: postgres.TransactionSql) => unknown;
    if (poolWaitMs <= 0) return client.begin(...(args as [string]), work as never);
    let started = false;
    let abandoned = false;
    const running = client.begin(...(args as [string]), ((sql: postgres.TransactionSql) => {
      if (abandoned) throw poolExhausted();
      started = true;
      return work(sql);
    }) as never);
    return new Promise((resolve, reject) => {
      const waiting = setTimeout(() => {
        if (started) return;
        abandoned = true;
        reject(poolExhausted());
      }, poolWaitMs);
      running.then(
        (value) => {
          clearTimeout(waiting);
          if (!abandoned) resolve(value);
        },
        (error: unknown) => {
          clearTimeout(waiting);
          if (!abandoned) reject(error);
        },
      );
    });
  };
  return new Proxy(client, {
    get: (target, property, receiver) =>
      property === 'unsafe' ? unsafe : property === 'begin' ? begin : Reflect.get(target, property, receiver),
  });
}

function poolExhausted(): Error {
  return Object.assign(new Error('No database connection became free in time.'), { code: 'POOL_EXHAUSTED' });
}

/** A SQL string literal in a plan ('...', with '' inside). */
const LITERAL = /'(?:[^']|'')*'/g;

/**
 * EXPLAIN (not run) of a statement with its parameters. The plan prints the values it was planned
 * with as literals, so every literal is replaced by '?': a log must never carry them. (PostgreSQL
 * 16's EXPLAIN (GENERIC_PLAN) would print $n instead; 15 cannot explain a parameterized
 * statement without values.)
 */
async function explainWithoutValues(client: postgres.Sql, text: string, params: readonly unknown[]): Promise<string> {
  const rows = await client.unsafe(`explain ${text}`, [...params] as never[]);
  return rows.map((row) => String(row['QUERY PLAN']).replace(LITERAL, "'?'")).join('\n');
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<DatabaseHandle> {
  const timers: StatementTimer[] = [];
  const timed: StatementTimer = (text, params, ms, database) => {
    for (const timer of timers) timer(text, params, ms, database);
  };
  const onStatementTimed = (timer: StatementTimer) => {
    timers.push(timer);
    return () => void timers.splice(timers.indexOf(timer), 1);
  };
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
    const pool = (url: string) =>
      postgres(url, {
        max: target.poolMax ?? 10,
        onnotice: () => {},
        connect_timeout: (target.connectTimeoutMs ?? 10_000) / 1000,
        idle_timeout: target.idleTimeoutMs ? target.idleTimeoutMs / 1000 : undefined,
        connection: target.statementTimeoutMs ? { statement_timeout: target.statementTimeoutMs } : {},
        // postgres.js waits up to 20 s between reconnection attempts after failures (a back-off
        // shared by the pool): a database back from a restart would stay unused that long. At
        // most 1 s here, in seconds as postgres.js counts.
        backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
      });
    const inFlight = { primary: new Set<object>(), replica: new Set<object>() };
    const instrument = (client: postgres.Sql, database: DatabaseRole) =>
      instrumented(
        client,
        target.prepare !== false,
        target.poolWaitMs ?? 0,
        (text, params, ms) => timed(text, params, ms, database),
        inFlight[database],
      );
    const client = pool(target.url);
    const prepared = instrument(client, 'primary');
    const db = drizzlePostgres({ client: prepared, schema, logger: statementCounter }) as unknown as Database;
    const replicaUrls = target.replicas?.urls ?? [];
    const replicas =
      replicaUrls.length > 0
        ? new ReplicaSet(
            replicaUrls.map((url) => {
              const replica = pool(url);
              // Drizzle sets its type parsers on a client when it wraps one: replicas must parse rows
              // as the primary's client does.
              drizzlePostgres({ client: replica });
              return instrument(replica, 'replica');
            }),
            {
              urls: replicaUrls,
              primaryUrl: target.url,
              checkIntervalMs: target.replicas!.checkIntervalMs,
              maxLagMs: target.replicas!.maxLagMs,
              connectTimeoutMs: target.connectTimeoutMs ?? 10_000,
              logger: options.logger ?? createLogger('silent'),
            },
          )
        : undefined;
    if (replicas) await replicas.start();
    return {
      db,
      kind: 'postgres',
      onStatementTimed,
      explainWithoutValues: (text, params) => explainWithoutValues(client, text, params),
      counting: (tally, statements) =>
        drizzlePostgres({ client: statements ? observedPostgres(prepared, statements, () => 'primary') : prepared, logger: countingInto(tally) }) as unknown as Database,
      routing: (tally, route, statements) => {
        if (!replicas) return drizzlePostgres({ client: statements ? observedPostgres(prepared, statements, () => 'primary') : prepared, logger: countingInto(tally) }) as unknown as Database;
        if (!statements) return drizzlePostgres({ client: routedClient(prepared, replicas, route), logger: countingInto(tally) }) as unknown as Database;
        const recorded = recordingRoute(route);
        const observed = observedPostgres(routedClient(prepared, replicas, recorded.route), statements, recorded.databaseOfLast);
        return drizzlePostgres({ client: observed, logger: countingInto(tally) }) as unknown as Database;
      },
      replicas,
      poolLoad: () => {
        const size = target.poolMax ?? 10;
        const load = (database: DatabaseRole, pools: number): PoolLoad => {
          // postgres.js marks a statement active once it is on a connection.
          let running = 0;
          for (const query of inFlight[database]) if ((query as { active?: boolean }).active) running++;
          return { database, size: size * pools, running, waiting: inFlight[database].size - running };
        };
        return replicas ? [load('primary', 1), load('replica', replicas.names.length)] : [load('primary', 1)];
      },
      writePosition: async () => {
        const [row] = await prepared.unsafe('select pg_current_wal_lsn()::text as position');
        return parseWalPosition(row?.position as string | undefined);
      },
      // On a connection of its own, without the pool's statement timeout: building an index over
      // millions of rows may rightly take longer than any request should.
      migrate: async () => {
        const migrator = postgres(target.url, { max: 1, onnotice: () => {}, connect_timeout: (target.connectTimeoutMs ?? 10_000) / 1000 });
        try {
          await migratePostgres(drizzlePostgres({ client: migrator }) as never, { migrationsFolder });
        } finally {
          await migrator.end({ timeout: 5 });
        }
      },
      ping: async () => {
        await client`select 1`;
      },
      listen: (listenOptions) => listenOnPostgres(target.url, target.connectTimeoutMs ?? 10_000, listenOptions),
      query: async <T>(text: string, params: unknown[] = []) => (await client.unsafe(text, params as never[])) as unknown as T[],
      close: async () => {
        await replicas?.close();
        await client.end({ timeout: 5 });
      },
    };
  }
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
