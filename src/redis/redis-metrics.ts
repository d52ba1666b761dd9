// The Redis connection's circuit on the shared registry: whether Redis is in use, being tried, or
// skipped (see src/redis/connection.ts).
import { Gauge, type Registry } from 'prom-client';
import type { CircuitState } from './connection.js';

const circuitValue: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Returns what the connection reports its circuit's changes to. */
export function createCircuitGauge(registry: Registry): (state: CircuitState) => void {
  const gauge = new Gauge({
    name: 'cardfile_redis_circuit_state',
    help: 'Redis circuit breaker: 0 closed (in use), 1 half-open (trying), 2 open (skipped).',
    registers: [registry],
  });
  return (state) => gauge.set(circuitValue[state]);
}
