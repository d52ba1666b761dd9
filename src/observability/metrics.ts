// Prometheus metrics served on GET /metrics. Labels stay bounded: route, method and status class,
// never ids, tokens or query text.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricsPage } from './metrics-page.js';

/** What read replicas report to (src/db/replicas/replica-metrics.ts). */
export interface ReplicaGauges {
  inRotation: Gauge<'replica'>;
  lag: Gauge<'replica'>;
  requestStatements: Counter<'database'>;
}

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
  const cacheStores = new Counter({
    name: 'cardfile_cache_stores_total',
    help: 'Responses stored, by tier.',
    labelNames: ['tier'] as const,
    registers: [registry],
  });
  const cacheInvalidations = new Counter({
    name: 'cardfile_cache_invalidations_total',
    help: 'Entries (l1) or tags (l2) purged by mutations, by tier.',
    labelNames: ['tier'] as const,
    registers: [registry],
  });
  const cacheEvictions = new Counter({
    name: 'cardfile_cache_evictions_total',
    help: 'Entries evicted from the in-process tier to stay within its byte budget.',
    registers: [registry],
  });
  const cacheErrors = new Counter({
    name: 'cardfile_cache_errors_total',
    help: 'Shared-tier operations that failed or timed out (each served as a miss).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const entityRows = new Counter({
    name: 'cardfile_entity_cache_rows_total',
    help: 'Rows DataLoader batches asked the entity cache for, by type and outcome (hit: no SQL needed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const cacheRefreshes = new Counter({
    name: 'cardfile_cache_refreshes_total',
    help: 'Background refreshes of stale entries by result: done, held-elsewhere (another instance was refreshing the key), failed.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const redisCircuit = new Gauge({
    name: 'cardfile_redis_circuit_state',
    help: 'Redis circuit breaker: 0 closed (in use), 1 half-open (trying), 2 open (skipped).',
    registers: [registry],
  });
  const viewsRecorded = new Counter({
    name: 'cardfile_contact_views_recorded_total',
    help: 'Contact views acknowledged, by the buffer they were written to: redis (the stream) or postgres (Redis unset or failing).',
    labelNames: ['buffer'] as const,
    registers: [registry],
  });
  const viewsFlushed = new Counter({
    name: 'cardfile_contact_views_flushed_total',
    help: 'Buffered contact views taken by the flusher (each counted into its contact once, wherever it was taken).',
    registers: [registry],
  });
  const viewFlushErrors = new Counter({
    name: 'cardfile_contact_view_flush_errors_total',
    help: 'Flushes that failed and left their views buffered for the next one, by buffer.',
    labelNames: ['buffer'] as const,
    registers: [registry],
  });
  const requestStatements = new Counter({
    name: 'cardfile_db_request_statements_total',
    help: 'SQL statements sent by GraphQL requests outside transactions (which always run on the primary) when read replicas are configured, by where they ran: primary or replica.',
    labelNames: ['database'] as const,
    registers: [registry],
  });
  const replicaInRotation = new Gauge({
    name: 'cardfile_db_replica_in_rotation',
    help: 'Read replica serving reads (1) or out of rotation (0: down, lagging past DB_REPLICA_MAX_LAG_MS, not a standby, or failed a statement), by replica host:port.',
    labelNames: ['replica'] as const,
    registers: [registry],
  });
  const replicaLag = new Gauge({
    name: 'cardfile_db_replica_lag_seconds',
    help: 'How long ago the primary reached a WAL position the replica had not replayed at the last check (0: caught up), by replica host:port.',
    labelNames: ['replica'] as const,
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
  const bodyRefusals = new Counter({
    name: 'cardfile_http_body_refusals_total',
    help: 'Request bodies refused while arriving, by reason: busy (the in-flight cap was full, 503), timeout (408), too_large (413), encoding (415 or 400), corrupt (compressed data that does not decode, 400).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const sources = {
    bodyBytesInFlight: () => 0,
    memoryCacheBytes: () => 0,
    entityCacheEntries: () => 0,
    requestMemoEntries: () => 0,
    /** Bytes of the byte-bounded memos of token checks and rate limits, by memo. */
    /** Whether this instance hears token revocations (its cached token checks are trusted). */
    tokenRevocationsHeard: () => 1,
    poolLoad: (): Array<{ database: string; size: number; running: number; waiting: number }> => [],
    viewBacklog: async (): Promise<Array<{ buffer: string; count: number; oldest: Date | undefined }>> => [],
  };
  // Both gauges are collected together (prom-client reads metrics in parallel): one read of the
  // buffers serves a scrape.
  let backlogRead: ReturnType<typeof sources.viewBacklog> | undefined;
  const viewBacklog = () =>
    (backlogRead ??= sources
      .viewBacklog()
      .catch(() => [])
      .finally(() => {
        backlogRead = undefined;
      }));
  new Gauge({
    name: 'cardfile_contact_views_backlog',
    help: 'Contact views recorded but not counted yet (the write-behind backlog), by buffer: redis (the stream) or postgres.',
    labelNames: ['buffer'] as const,
    registers: [registry],
    async collect() {
      for (const { buffer, count } of await viewBacklog()) this.set({ buffer }, count);
    },
  });
  new Gauge({
    name: 'cardfile_contact_views_flush_lag_seconds',
    help: 'Age of the oldest contact view not counted yet, by buffer (0 when the buffer is empty): how far counting is behind.',
    labelNames: ['buffer'] as const,
    registers: [registry],
    async collect() {
      const now = Date.now();
      for (const { buffer, oldest } of await viewBacklog()) this.set({ buffer }, oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'cardfile_db_pool_connections',
    help: 'Pool capacity by database and state: in-use (running a request statement) or free (the rest of DB_POOL_MAX, open or not).',
    labelNames: ['database', 'state'] as const,
    registers: [registry],
    collect() {
      for (const { database, size, running } of sources.poolLoad()) {
        this.set({ database, state: 'in-use' }, Math.min(running, size));
        this.set({ database, state: 'free' }, Math.max(0, size - running));
      }
    },
  });
  new Gauge({
    name: 'cardfile_db_pool_waiting',
    help: 'Statements waiting for a pooled connection, by database (they wait at most DB_POOL_WAIT_MS).',
    labelNames: ['database'] as const,
    registers: [registry],
    collect() {
      for (const { database, waiting } of sources.poolLoad()) this.set({ database }, waiting);
    },
  });
  new Gauge({
    name: 'cardfile_http_body_bytes_in_flight',
    help: 'Bytes held by request bodies being read (as sent, plus what compressed ones decoded to), at most MAX_BODY_BYTES_IN_FLIGHT.',
    registers: [registry],
    collect() {
      this.set(sources.bodyBytesInFlight());
    },
  });
  new Gauge({
    name: 'cardfile_cache_l1_bytes',
    help: 'Bytes held by the in-process response cache (as counted against its budget).',
    registers: [registry],
    collect() {
      this.set(sources.memoryCacheBytes());
    },
  });
  new Gauge({
    name: 'cardfile_entity_cache_entries',
    help: 'Rows held by the in-process entity cache (at most ENTITY_CACHE_MAX_ENTRIES), current or retired by a later write until evicted.',
    registers: [registry],
    collect() {
      this.set(sources.entityCacheEntries());
    },
  });
  new Gauge({
    name: 'cardfile_request_memo_entries',
    help: 'Queries remembered parsed by their request text (a repeat skips parsing), at most 10,000 or 16 MB.',
    registers: [registry],
    collect() {
      this.set(sources.requestMemoEntries());
    },
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
  new Gauge({
    name: 'cardfile_token_revocations_heard',
    help: '1 while this instance hears token revocations as they commit (its cached token checks are used), 0 while it does not (every token is read from the database).',
    registers: [registry],
    collect() {
      this.set(sources.tokenRevocationsHeard());
    },
  });
  const persistedQueryRegistrations = new Counter({
    name: 'cardfile_persisted_query_registrations_total',
    help: 'Persisted-query documents clients asked to register, by result: stored, or over-limit (the workspace reached PERSISTED_QUERIES_PER_WORKSPACE).',
    labelNames: ['result'] as const,
    registers: [registry],
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
    bodyRefusals,
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
    /** Replica rotation, lag and where requests' statements ran: reported by the replicas. */
    replicas: { inRotation: replicaInRotation, lag: replicaLag, requestStatements } satisfies ReplicaGauges,
    cacheRequests,
    cacheStores,
    cacheInvalidations,
    cacheEvictions,
    cacheErrors,
    cacheRefreshes,
    entityRows,
    redisCircuit,
    viewsRecorded,
    viewsFlushed,
    viewFlushErrors,
    /** Read at scrape time. */
    sources,
    /** Shows a memo's size (in the bytes its bound counts) in cardfile_memo_bytes{memo}. */
    watchMemo(memo: string, bytes: () => number) {
      memoSizes.set(memo, bytes);
    },
    persistedQueryRegistrations,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
