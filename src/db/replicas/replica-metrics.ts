// The replicas register their own metrics: rotation and lag of each, and where requests'
// statements ran. Here, beside what they describe, so that observability never reaches into the
// database layer. Registered with or without replicas, so that alerts and dashboards always find
// the families they read.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReplicaState } from './replica-monitor.js';
import type { ReplicaSet } from './replica-set.js';

export function reportReplicas(replicas: ReplicaSet | undefined, registry: Registry): void {
  const inRotation = new Gauge({
    name: 'cardfile_db_replica_in_rotation',
    help: 'Read replica serving reads (1) or out of rotation (0: down, lagging past DB_REPLICA_MAX_LAG_MS, not a standby, or failed a statement), by replica host:port.',
    labelNames: ['replica'] as const,
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'cardfile_db_replica_lag_seconds',
    help: 'How long ago the primary reached a WAL position the replica had not replayed at the last check (0: caught up), by replica host:port.',
    labelNames: ['replica'] as const,
    registers: [registry],
  });
  const requestStatements = new Counter({
    name: 'cardfile_db_request_statements_total',
    help: 'SQL statements sent by GraphQL requests outside transactions (which always run on the primary) when read replicas are configured, by where they ran: primary or replica.',
    labelNames: ['database'] as const,
    registers: [registry],
  });
  if (!replicas) return;
  const onPrimary = requestStatements.labels({ database: 'primary' });
  const onReplica = requestStatements.labels({ database: 'replica' });
  replicas.onSent((index) => (index === undefined ? onPrimary : onReplica).inc());
  const show = (index: number, state: ReplicaState) => {
    const replica = replicas.names[index]!;
    inRotation.set({ replica }, state.status === 'in-rotation' ? 1 : 0);
    lag.set({ replica }, state.lagMs / 1000);
  };
  replicas.names.forEach((_, index) => show(index, replicas.monitor.state(index)));
  replicas.onState(show);
}
