// The postgres.js client one request's Drizzle talks to when read replicas are configured: each
// statement goes where the request's route says at the moment it is sent (a replica for a query
// allowed to read from one, the primary otherwise), transactions always go to the primary, and a
// statement that a replica fails for want of a connection (it went down, restarted, or cancelled
// the statement to replay WAL) runs again on the primary: a replica failing costs time, never an
// answer.
//
// Drizzle's withReplicas routes by builder (select to a replica, the rest to the primary) with a
// chooser that knows nothing of the request, so it cannot keep a workspace's reads on the primary
// until replicas have replayed its last write, keep a mutation's own reads (its payload) on the
// primary, or retry a read on the primary when a replica drops: hence this router.
import type postgres from 'postgres';

export interface StatementRoute {
  /** The replica the next statement may read from, by index; undefined: the primary. */
  replica(): number | undefined;
}

export interface ReplicaClients {
  clients: postgres.Sql[];
  /** A replica failed a statement for want of a connection: it leaves the rotation. */
  failed(index: number): void;
  /** Counts a statement sent to a replica (index) or the primary (undefined). */
  sent(index: number | undefined): void;
}

// Driver codes and SQLSTATEs meaning "this server cannot run statements now", not "this statement
// is wrong": 08xxx connection exceptions, admin/crash shutdown, cannot connect now, too many
// connections, and 40001, which a standby raises when replay cancels a conflicting read.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  '57P01', '57P02', '57P03', '53300', '40001',
]);

function replicaUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'));
}

type Unsafe = postgres.Sql['unsafe'];

export function routedClient(primary: postgres.Sql, replicas: ReplicaClients, route: StatementRoute): postgres.Sql {
  const unsafe = ((text: string, parameters?: never[], options?: postgres.UnsafeQueryOptions) => {
    const index = route.replica();
    replicas.sent(index);
    if (index === undefined) return primary.unsafe(text, parameters, options);
    // Drizzle asks for `.values()` or not, then awaits: the statement is sent on that await, to
    // the replica, and once more to the primary if the replica could not run it.
    let asValues = false;
    const send = (client: postgres.Sql) => {
      const query = client.unsafe(text, parameters, options);
      return asValues ? query.values() : query;
    };
    const pending = {
      values() {
        asValues = true;
        return pending;
      },
      then(onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) {
        return Promise.resolve(send(replicas.clients[index]!))
          .catch((error: unknown) => {
            if (!replicaUnavailable(error)) throw error;
            replicas.failed(index);
            replicas.sent(undefined);
            return send(primary);
          })
          .then(onFulfilled, onRejected);
      },
    };
    return pending as unknown as ReturnType<Unsafe>;
  }) as Unsafe;
  return new Proxy(primary, {
    get: (target, property, receiver) => (property === 'unsafe' ? unsafe : Reflect.get(target, property, receiver)),
  });
}
