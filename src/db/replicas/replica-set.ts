// The read replicas of DATABASE_REPLICA_URLS: a pool per replica for requests' reads, a small
// connection per server for health checks (so a saturated pool never makes a replica look down),
// and the monitor that decides which replicas are in rotation.
import postgres from 'postgres';
import type { Logger } from '../../observability/logger.js';
import { ReplicaMonitor, type ReplicaState } from './replica-monitor.js';
import type { ReplicaClients } from './routed-client.js';
import { parseWalPosition } from './wal-position.js';

export interface ReplicaSetOptions {
  urls: string[];
  /** The primary's URL: its WAL position is what replicas are measured against. */
  primaryUrl: string;
  checkIntervalMs: number;
  maxLagMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/** host:port of a URL, for logs and metric labels: never its credentials. */
function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    return 'replica';
  }
}

function checkConnection(url: string, connectTimeoutMs: number, intervalMs: number): postgres.Sql {
  return postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: Math.max(1, Math.ceil(connectTimeoutMs / 1000)),
    idle_timeout: 0,
    // A check that cannot finish within a few intervals says the server is not fit to serve.
    connection: { statement_timeout: Math.max(1000, 4 * intervalMs) },
    prepare: false,
  });
}

export class ReplicaSet implements ReplicaClients {
  readonly monitor: ReplicaMonitor;
  readonly names: string[];
  private readonly checks: postgres.Sql[];
  private readonly sentListeners: Array<(index: number | undefined) => void> = [];
  private readonly stateListeners: Array<(index: number, state: ReplicaState) => void> = [];

  /** `clients`: the replicas' request pools, as the primary's (prepared, timed, bounded). */
  constructor(
    readonly clients: postgres.Sql[],
    options: ReplicaSetOptions,
  ) {
    this.names = options.urls.map(serverOf);
    const primaryCheck = checkConnection(options.primaryUrl, options.connectTimeoutMs, options.checkIntervalMs);
    this.checks = [primaryCheck, ...options.urls.map((url) => checkConnection(url, options.connectTimeoutMs, options.checkIntervalMs))];
    this.monitor = new ReplicaMonitor({
      intervalMs: options.checkIntervalMs,
      maxLagMs: options.maxLagMs,
      logger: options.logger,
      primaryPosition: async () => {
        const [row] = await primaryCheck`select pg_current_wal_lsn()::text as position`;
        const position = parseWalPosition(row?.position as string | undefined);
        if (position === undefined) throw new Error('the primary reported no WAL position');
        return position;
      },
      replicas: this.names.map((name, index) => ({
        name,
        replayPosition: async () => {
          const [row] = await this.checks[index + 1]!`select case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text end as position`;
          return parseWalPosition(row?.position as string | null | undefined);
        },
      })),
      onState: (index, state) => {
        for (const listener of this.stateListeners) listener(index, state);
      },
    });
  }

  failed(index: number): void {
    this.monitor.failed(index);
  }

  sent(index: number | undefined): void {
    for (const listener of this.sentListeners) listener(index);
  }

  /** Told of every statement a request sends, with the replica it went to (undefined: the primary). */
  onSent(listener: (index: number | undefined) => void): void {
    this.sentListeners.push(listener);
  }

  onState(listener: (index: number, state: ReplicaState) => void): void {
    this.stateListeners.push(listener);
  }

  /** Starts checking; resolves after the first check, so a server starts with its replicas known. */
  start(): Promise<void> {
    return this.monitor.start();
  }

  async close(): Promise<void> {
    await this.monitor.stop();
    await Promise.all([...this.checks, ...this.clients].map((client) => client.end({ timeout: 5 })));
  }
}
