// Prometheus metrics served on GET /metrics. Labels stay bounded: route, method and status class,
// never ids, tokens or query text.
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cardfile_' });
  const httpDuration = new Histogram({
    name: 'cardfile_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const sqlStatements = new Histogram({
    name: 'cardfile_sql_statements_per_request',
    help: 'SQL statements run by one GraphQL request.',
    buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50],
    registers: [registry],
  });
  return { registry, httpDuration, sqlStatements };
}

export type Metrics = ReturnType<typeof createMetrics>;
