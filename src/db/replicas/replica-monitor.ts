// Which read replicas may serve reads. Every check reads the primary's WAL position, then each
// replica's replay position; a replica's lag is how long ago the primary first reached a position
// the replica has not replayed yet (0 when it has replayed everything the primary had at the last
// check). That is a time, however busy or idle the primary is, unlike byte counts, and unlike
// pg_last_xact_replay_timestamp(), which grows on an idle primary although nothing is missing.
// A replica is in rotation while it answers, is a standby and lags at most maxLagMs; the replay
// position of the last check also tells which replicas have replayed a given write.
import type { Logger } from '../../observability/logger.js';

export interface MonitoredReplica {
  /** host:port, for logs. */
  name: string;
  /** pg_last_wal_replay_lsn(); undefined when the server is not a standby (promoted, or a primary). */
  replayPosition(): Promise<bigint | undefined>;
}

export type ReplicaStatus = 'in-rotation' | 'lagging' | 'unreachable' | 'not-a-standby' | 'failed';

export interface ReplicaState {
  status: ReplicaStatus;
  /** What it had replayed at the last check that reached it. */
  replayed: bigint;
  lagMs: number;
}

export interface ReplicaMonitorOptions {
  primaryPosition(): Promise<bigint>;
  replicas: MonitoredReplica[];
  intervalMs: number;
  maxLagMs: number;
  logger: Logger;
  now?: () => number;
  /** Told of every replica's state after each check and whenever a replica fails a statement. */
  onState?: (index: number, state: ReplicaState) => void;
}

interface Sample {
  at: number;
  position: bigint;
}

export class ReplicaMonitor {
  private readonly states: ReplicaState[];
  /** The primary's positions at recent checks, oldest first. */
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private nextPick = 0;
  private readonly now: () => number;

  constructor(private readonly options: ReplicaMonitorOptions) {
    this.now = options.now ?? Date.now;
    // Out of rotation until a check has seen them.
    this.states = options.replicas.map(() => ({ status: 'unreachable', replayed: 0n, lagMs: 0 }));
  }

  get size(): number {
    return this.states.length;
  }

  /** Checks now, then every intervalMs (each check starts after the previous one ended). */
  start(): Promise<void> {
    this.stopped = false;
    const loop = async () => {
      await this.check();
      if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs).unref();
    };
    this.running = loop();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  state(index: number): ReplicaState {
    return { ...this.states[index]! };
  }

  /**
   * A replica in rotation that has replayed at least `position` (round robin between several);
   * undefined when none has: the read goes to the primary.
   */
  pick(position: bigint): number | undefined {
    for (let tried = 0; tried < this.states.length; tried++) {
      const index = (this.nextPick + tried) % this.states.length;
      const state = this.states[index]!;
      if (state.status === 'in-rotation' && state.replayed >= position) {
        this.nextPick = index + 1;
        return index;
      }
    }
    return undefined;
  }

  /** A statement on the replica failed for want of a connection: out of rotation until a check passes. */
  failed(index: number): void {
    const state = this.states[index]!;
    if (state.status !== 'in-rotation') return;
    this.change(index, { ...state, status: 'failed' });
  }

  /** One round: the primary's position, then every replica's. */
  async check(): Promise<void> {
    const at = this.now();
    try {
      const position = await this.options.primaryPosition();
      this.samples.push({ at, position });
    } catch {
      // Without the primary's position lags cannot be told: the replicas keep their last state
      // (the primary being down is what PostgreSQL's own errors report to requests).
      return;
    }
    // Samples older than what the lag threshold can need are dropped; the newest stays.
    const horizon = at - 2 * this.options.maxLagMs - this.options.intervalMs;
    while (this.samples.length > 1 && this.samples[0]!.at < horizon && this.samples[1]!.at < horizon) this.samples.shift();
    await Promise.all(
      this.options.replicas.map(async (replica, index) => {
        const previous = this.states[index]!;
        let replayed: bigint | undefined;
        try {
          replayed = await replica.replayPosition();
        } catch {
          return this.change(index, { ...previous, status: 'unreachable' });
        }
        if (replayed === undefined) return this.change(index, { ...previous, status: 'not-a-standby' });
        const lagMs = this.lagOf(replayed, this.now());
        this.change(index, { status: lagMs <= this.options.maxLagMs ? 'in-rotation' : 'lagging', replayed, lagMs });
      }),
    );
  }

  private lagOf(replayed: bigint, now: number): number {
    const firstAhead = this.samples.find((sample) => sample.position > replayed);
    return firstAhead ? now - firstAhead.at : 0;
  }

  private change(index: number, next: ReplicaState) {
    const previous = this.states[index]!;
    this.states[index] = next;
    if (previous.status !== next.status) {
      const name = this.options.replicas[index]!.name;
      const fields = { replica: name, status: next.status, lagMs: next.lagMs };
      if (next.status === 'in-rotation') this.options.logger.info(fields, 'read replica in rotation');
      else this.options.logger.warn(fields, 'read replica out of rotation');
    }
    this.options.onState?.(index, next);
  }
}
