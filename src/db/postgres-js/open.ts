// The PostgreSQL driver: pools through postgres.js (primary and read replicas), statements
// prepared, timed and bounded in their wait for a connection, migrations on a connection of their
// own, and a connection that LISTENs for notices.
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createLogger } from '../../observability/logger.js';
import { type Database, type DatabaseHandle, type DatabaseRole, type DatabaseTarget, migrationsFolder, type OpenOptions, type PoolLoad, type StatementHooks } from '../client.js';
import { listenOnPostgres } from '../notification-listener.js';
import { observedPostgres, recordingRoute } from '../observed-client.js';
import { ReplicaSet } from '../replicas/replica-set.js';
import { routedClient } from '../replicas/routed-client.js';
import { parseWalPosition } from '../replicas/wal-position.js';
import * as schema from '../schema.js';

type PostgresTarget = Extract<DatabaseTarget, { kind: 'postgres' }>;

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

export async function openPostgres(target: PostgresTarget, options: OpenOptions, hooks: StatementHooks): Promise<DatabaseHandle> {
  const { timed, onStatementTimed, statementCounter, countingInto } = hooks;
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
