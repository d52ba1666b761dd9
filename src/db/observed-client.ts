// Clients that tell one request's observer (its trace) of each statement it sends: when it is
// sent, where (primary or replica), and when it settled. Built per request, and only for a request
// that is observed: the clients every other request uses stay as they are, so an unobserved
// request pays nothing for this.
import type { StatementDatabase, StatementObserver } from '../observability/statement-observer.js';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type postgres from 'postgres';
import type { StatementRoute } from './replicas/routed-client.js';

export type { StatementDatabase, StatementObserver };

type Thenable = { then: (onFulfilled?: any, onRejected?: any) => Promise<unknown> };

/**
 * A postgres.js query runs when it is first awaited (then), so that is when it is observed as
 * sent. The query object itself is returned, so `.values()` (which returns it) keeps working.
 */
function observeOnThen<Q extends Thenable>(query: Q, text: string, database: StatementDatabase, observe: StatementObserver): Q {
  const then = query.then;
  query.then = function observedThen(this: Q, onFulfilled?: any, onRejected?: any) {
    const settled = observe(text, database);
    return then
      .call(
        this,
        (value: unknown) => {
          settled();
          return value;
        },
        (error: unknown) => {
          settled(error);
          throw error;
        },
      )
      .then(onFulfilled, onRejected);
  };
  return query;
}

/**
 * The postgres.js client (or a replica-routed one) of one observed request. `databaseOfLast` says
 * where the statement just created goes. Transactions run on the primary and are observed too.
 */
export function observedPostgres(client: postgres.Sql, observe: StatementObserver, databaseOfLast: () => StatementDatabase): postgres.Sql {
  const unsafe = (text: string, parameters?: never[], options?: postgres.UnsafeQueryOptions) =>
    observeOnThen(client.unsafe(text, parameters, options), text, databaseOfLast(), observe);
  const primary = (): StatementDatabase => 'primary';
  // begin(fn) or begin(options, fn): the transaction's own connection object is wrapped the same way.
  const begin = (...args: unknown[]) => {
    const last = args.length - 1;
    const run = args[last] as (sql: postgres.TransactionSql) => unknown;
    args[last] = (sql: postgres.TransactionSql) => run(observedPostgres(sql as unknown as postgres.Sql, observe, primary) as unknown as postgres.TransactionSql);
    return (client.begin as (...rest: unknown[]) => unknown)(...args);
  };
  return new Proxy(client, {
    get: (target, property, receiver) => (property === 'unsafe' ? unsafe : property === 'begin' ? begin : Reflect.get(target, property, receiver)),
  });
}

/**
 * The request's route, remembering where the statement last sent went: the replica-routed client
 * asks the route once, synchronously, as each statement is created.
 */
export function recordingRoute(route: StatementRoute): { route: StatementRoute; databaseOfLast: () => StatementDatabase } {
  let last: StatementDatabase = 'primary';
  return {
    route: {
      replica: () => {
        const index = route.replica();
        last = index === undefined ? 'primary' : 'replica';
        return index;
      },
    },
    databaseOfLast: () => last,
  };
}

type Query = PGlite['query'];

/** A PGlite query is sent as it is called (PGlite runs one at a time, so that includes its wait). */
function observedQuery(query: Query, observe: StatementObserver): Query {
  return ((text: string, params?: unknown[], options?: object) => {
    const settled = observe(text, 'primary');
    return query(text, params, options).then(
      (result) => {
        settled();
        return result;
      },
      (error: unknown) => {
        settled(error);
        throw error;
      },
    );
  }) as Query;
}

/** The PGlite client of one observed request, its transactions' statements included. */
export function observedPglite(client: PGlite, observe: StatementObserver): PGlite {
  const query = observedQuery(client.query, observe);
  const transaction = <T>(run: (tx: Transaction) => Promise<T>) =>
    client.transaction((tx) => {
      const txQuery = observedQuery(tx.query, observe);
      return run(new Proxy(tx, { get: (target, property) => (property === 'query' ? txQuery : Reflect.get(target, property)) }));
    });
  return new Proxy(client, {
    get: (target, property) => (property === 'query' ? query : property === 'transaction' ? transaction : Reflect.get(target, property)),
  });
}
