// Where one request's statements go. Without replicas: the primary, as ever. With replicas: a
// query's statements go to a replica in rotation that has replayed the workspace's last write
// (WritePositions), picked per statement, and to the primary when none has; a mutation's go to
// the primary, its payload's reads included, so a mutation always answers with what it wrote.
import type { Database, DatabaseHandle, StatementTally } from '../client.js';
import type { StatementObserver } from '../observed-client.js';

export interface ReadFloor {
  /** What a replica must have replayed to serve this workspace's reads. */
  position: bigint;
  /** The workspace's write sequence when the position was read, as the entity cache stamps rows. */
  stamp: string;
}

/**
 * Where each workspace's last write stands (src/cache/write-positions.ts keeps them, in Redis for
 * every instance): what reads routed to replicas must wait for.
 */
export interface WriteFloors {
  /** The floor a replica must have replayed for this workspace; undefined when it cannot be known. */
  floor(workspaceId: number): Promise<ReadFloor | undefined>;
  /** After a write of the workspace committed at or before `position`; before it is acknowledged. */
  record(workspaceId: number, position: bigint): Promise<void>;
}

/** What routing needs of a request's execution: its statement tally, and whether it is a query. */
export interface RoutedExecution extends StatementTally {
  operation: 'query' | 'mutation' | 'subscription' | undefined;
}

export interface RequestDatabase {
  db: Database;
  /** Set when the request may read from a replica: see EntityCache.load. */
  fillsSince?: string;
}

const PRIMARY_ONLY = { replica: () => undefined };

export class ReadRouting {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly positions: WriteFloors | undefined,
  ) {}

  /**
   * The database as the request of a workspace's caller (undefined: no caller) uses it; a traced
   * request's statements are also told to `statements`.
   */
  async forRequest(workspaceId: number | undefined, execution: RoutedExecution, statements?: StatementObserver): Promise<RequestDatabase> {
    const replicas = this.database.replicas;
    if (!replicas || !this.positions || workspaceId === undefined) return { db: this.database.counting(execution, statements) };
    const floor = await this.positions.floor(workspaceId);
    // Unknown (Redis cannot tell what other instances wrote): the primary, through the router all
    // the same, so the statements count as the primary's in cardfile_db_request_statements_total.
    if (!floor) return { db: this.database.routing(execution, PRIMARY_ONLY, statements) };
    const route = { replica: () => (execution.operation === 'query' ? replicas.monitor.pick(floor.position) : undefined) };
    return { db: this.database.routing(execution, route, statements), fillsSince: floor.stamp };
  }

  /** After a write of the workspace committed, before it is acknowledged (and before caches are purged). */
  async afterWrite(workspaceId: number): Promise<void> {
    if (!this.database.replicas || !this.positions) return;
    const position = await this.database.writePosition();
    if (position !== undefined) await this.positions.record(workspaceId, position);
  }
}
