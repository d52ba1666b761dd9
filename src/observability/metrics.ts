// Prometheus metrics served on GET /metrics: the registry, and the metrics of the request itself
// (HTTP and GraphQL durations, errors, statements, loader batches, cache outcomes, memo sizes,
// scrapes). Every other part registers its own on this registry, beside what it describes
// (cache/cache-metrics.ts, view-counting/view-metrics.ts, db/pool-metrics.ts, ...). Labels stay
// bounded: route, method and status class, never ids, tokens or query text.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricsPage } from './metrics-page.js';

/** Told of every request and cache outcome as they are counted here (the status page); must stay cheap. */
export interface RequestListener {
  request(route: string, status: number, seconds: number): void;
  cacheOutcome(outcome: string): void;
}

export interface MetricsOptions {
  /** /metrics is rendered at most once per this many ms (METRICS_MIN_INTERVAL_MS). */
  minRenderIntervalMs?: number;
}

export function createMetrics(options: MetricsOptions = {}) {
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
  const cacheRequests = new Counter({
    name: 'cardfile_response_cache_requests_total',
    help: 'GraphQL requests by cache outcome (hit-l1, hit-l2, stale, miss, coalesced: shared a concurrent miss, bypass) and published operation (other for the rest).',
    labelNames: ['outcome', 'operation'] as const,
    registers: [registry],
  });
  const graphqlDuration = new Histogram({
    name: 'cardfile_graphql_request_duration_seconds',
    help: 'GraphQL requests (POST and GET /graphql) by published operation name (other for the rest), cache outcome and HTTP status.',
    labelNames: ['operation', 'outcome', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const graphqlErrors = new Counter({
    name: 'cardfile_graphql_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const unexpectedErrors = new Counter({
    name: 'cardfile_unexpected_errors_total',
    help: 'Unexpected (masked) errors by fingerprint: the one the error log line carries (at most 100 distinct, then other).',
    labelNames: ['fingerprint'] as const,
    registers: [registry],
  });
  const statementDuration = new Histogram({
    name: 'cardfile_db_statement_duration_seconds',
    help: 'SQL statement running time (outside transactions), by statement shape ("<verb> <table>#<digest>", as the slow-statement log labels it) and database (primary or replica).',
    labelNames: ['statement', 'database'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const loaderBatch = new Histogram({
    name: 'cardfile_dataloader_batch_size',
    help: 'Keys per DataLoader batch, by loader: how many rows one statement fetched for a request.',
    labelNames: ['loader'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const renders = new Counter({
    name: 'cardfile_metrics_renders_total',
    help: 'Renderings of the /metrics text: at most one per METRICS_MIN_INTERVAL_MS, shared by every scrape in between.',
    registers: [registry],
  });
  const scrapes = new Counter({
    name: 'cardfile_metrics_scrapes_total',
    help: 'Requests to /metrics, /status and /status.json by how their turn came: at-once, waited (past METRICS_MAX_SCRAPES_PER_SECOND), refused (too many waiting: 503).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const clientAborts = new Counter({
    name: 'cardfile_http_client_aborts_total',
    help: 'Requests whose client closed the connection before its body arrived, by route (counted with status 499, never as a server error).',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  // Each per-process memo's size in the bytes its bound counts: what a flood of distinct requests
  // could grow, shown beside the bound it stays under.
  const memoSizes = new Map<string, () => number>();
  new Gauge({
    name: 'cardfile_memo_bytes',
    help: 'Bytes held by each bounded per-process memo (parsed requests, document facts, persisted queries, token checks, rate-limit keys and counts), as counted against its bound.',
    labelNames: ['memo'] as const,
    registers: [registry],
    collect() {
      for (const [memo, bytes] of memoSizes) this.set({ memo }, bytes());
    },
  });
  // prom-client hashes a label object on every call; the hot path (every request) keeps the
  // labelled children instead. Label values come from small fixed sets, so these maps stay small.
  const durationChildren = new Map<string, ReturnType<typeof httpDuration.labels>>();
  const graphqlChildren = new Map<string, ReturnType<typeof graphqlDuration.labels>>();
  const statementChildren = new Map<string, ReturnType<typeof statementDuration.labels>>();
  const fingerprints = new Set<string>();
  const outcomeChildren = new Map<string, ReturnType<typeof cacheRequests.labels>>();
  const abortChildren = new Map<string, ReturnType<typeof clientAborts.labels>>();
  let listener: RequestListener | undefined;
  return {
    registry,
    /** The /metrics text, rendered at most once per interval. */
    page: new MetricsPage(registry, { minIntervalMs: options.minRenderIntervalMs ?? 1_000, onRender: () => renders.inc() }),
    httpDuration,
    countClientAbort(route: string) {
      let child = abortChildren.get(route);
      if (!child) abortChildren.set(route, (child = clientAborts.labels({ route })));
      child.inc();
    },
    countScrape(outcome: string) {
      scrapes.inc({ outcome });
    },
    observeRequest(route: string, method: string, status: number, seconds: number) {
      const name = `${route} ${method} ${status}`;
      let child = durationChildren.get(name);
      if (!child) durationChildren.set(name, (child = httpDuration.labels({ route, method, status: String(status) })));
      child.observe(seconds);
      listener?.request(route, status, seconds);
    },
    observeGraphQL(operation: string, outcome: string, status: number, seconds: number) {
      const name = `${operation} ${outcome} ${status}`;
      let child = graphqlChildren.get(name);
      if (!child) graphqlChildren.set(name, (child = graphqlDuration.labels({ operation, outcome, status: String(status) })));
      child.observe(seconds);
    },
    observeStatement(statement: string, database: string, seconds: number) {
      const name = `${database} ${statement}`;
      let child = statementChildren.get(name);
      if (!child) statementChildren.set(name, (child = statementDuration.labels({ statement, database })));
      child.observe(seconds);
    },
    countUnexpectedError(fingerprint: string) {
      if (!fingerprints.has(fingerprint) && fingerprints.size >= 100) fingerprint = 'other';
      fingerprints.add(fingerprint);
      unexpectedErrors.inc({ fingerprint });
    },
    graphqlErrors,
    loaderBatch,
    countCacheOutcome(outcome: string, operation: string) {
      const name = `${outcome} ${operation}`;
      let child = outcomeChildren.get(name);
      if (!child) outcomeChildren.set(name, (child = cacheRequests.labels({ outcome, operation })));
      child.inc();
      listener?.cacheOutcome(outcome);
    },
    /** Forwards every request and cache outcome to `next` too (one listener at most; undefined: none). */
    listen(next: RequestListener | undefined) {
      listener = next;
    },
    sqlStatements,
    cacheRequests,
    /** Shows a memo's size (in the bytes its bound counts) in cardfile_memo_bytes{memo}. */
    watchMemo(memo: string, bytes: () => number) {
      memoSizes.set(memo, bytes);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
