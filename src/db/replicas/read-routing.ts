// Where one request's statements go. Without replicas: the primary, as ever. With replicas: a
// query's statements go to a replica in rotation that has replayed the workspace's last write
// (WritePositions), picked per statement, and to the primary when none has; a mutation's go to
// the primary, its payload's reads included, so a mutation always answers with what it wrote.
import type { ExecutionRecord } from '../../graphql/context.js';
import type { Database, DatabaseHandle } from '../client.js';
import type { StatementObserver } from '../observed-client.js';
import type { WritePositions } from './write-positions.js';

export interface RequestDatabase {
  db: Database;
  /** Set when the request may read from a replica: see EntityCache.load. */
  fillsSince?: string;
}

const PRIMARY_ONLY = { replica: () => undefined };

export class ReadRouting {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly positions: WritePositions | undefined,
  ) {}

  /**
   * The database as the request of a workspace's caller (undefined: no caller) uses it; a traced
   * request's statements are also told to `statements`.
   */
  async forRequest(workspaceId: number | undefined, execution: ExecutionRecord, statements?: StatementObserver): Promise<RequestDatabase> {
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
