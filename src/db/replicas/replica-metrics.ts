// The replicas report to the metrics: rotation and lag of each, and where requests' statements
// ran. Here, beside what they describe, so that observability registers gauges and never reaches
// into the database layer.
import type { ReplicaGauges } from '../../observability/metrics.js';
import type { ReplicaState } from './replica-monitor.js';
import type { ReplicaSet } from './replica-set.js';

export function reportReplicas(replicas: ReplicaSet, gauges: ReplicaGauges): void {
  const onPrimary = gauges.requestStatements.labels({ database: 'primary' });
  const onReplica = gauges.requestStatements.labels({ database: 'replica' });
  replicas.onSent((index) => (index === undefined ? onPrimary : onReplica).inc());
  const show = (index: number, state: ReplicaState) => {
    const replica = replicas.names[index]!;
    gauges.inRotation.set({ replica }, state.status === 'in-rotation' ? 1 : 0);
    gauges.lag.set({ replica }, state.lagMs / 1000);
  };
  replicas.names.forEach((_, index) => show(index, replicas.monitor.state(index)));
  replicas.onState(show);
}
