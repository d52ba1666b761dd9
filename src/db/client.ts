// The database cardfile runs on, as every other part sees it: real PostgreSQL through postgres.js
// when DATABASE_URL is set (postgres-js/), otherwise the embedded PGlite store, PostgreSQL compiled
// to WebAssembly, under DATA_DIR (pglite/). Both give the same Drizzle interface, so repositories
// never know which one they talk to; each driver has a folder of its own, as Drizzle's have.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from '../observability/logger.js';
import type { ListenOptions, NotificationListener } from './notification-listener.js';
import type { StatementObserver } from './observed-client.js';
import type { ReplicaSet } from './replicas/replica-set.js';
import type { StatementRoute } from './replicas/routed-client.js';
import type * as schema from './schema.js';

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

/** drizzle/: the migrations both drivers apply. */
export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

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

/** What both drivers share: the statement timers and the Drizzle loggers that count statements. */
export interface StatementHooks {
  timed: StatementTimer;
  onStatementTimed(timer: StatementTimer): () => void;
  /** Drizzle's logger for the shared handle: told of every statement. */
  statementCounter: DrizzleLogger;
  /** Drizzle's logger for one request's handle: counts into its tally too. */
  countingInto(tally: StatementTally): DrizzleLogger;
}

function statementHooks(options: OpenOptions): StatementHooks {
  const timers: StatementTimer[] = [];
  return {
    timed: (text, params, ms, database) => {
      for (const timer of timers) timer(text, params, ms, database);
    },
    onStatementTimed: (timer) => {
      timers.push(timer);
      return () => void timers.splice(timers.indexOf(timer), 1);
    },
    // Drizzle calls a logger before every statement it sends.
    statementCounter: { logQuery: (text, params) => options.onStatement?.(text, params) },
    countingInto: (tally) => ({
      logQuery: (text, params) => {
        tally.statements += 1;
        options.onStatement?.(text, params);
      },
    }),
  };
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<DatabaseHandle> {
  const hooks = statementHooks(options);
  // Each driver is loaded only when used: a server on PostgreSQL never loads PGlite's WebAssembly.
  if (target.kind === 'postgres') return (await import('./postgres-js/open.js')).openPostgres(target, options, hooks);
  return (await import('./pglite/open.js')).openPglite(target, hooks);
}
