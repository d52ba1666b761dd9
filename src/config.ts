// Every knob of cardfile, with its default, parsed and validated in one place.
// The README's "Configuration" table lists the same names; keep the two together.
import path from 'node:path';
import { type Env, flag, integer } from './settings/env-values.js';
import { type TraceSettings, traceSettingsFrom } from './settings/trace-settings.js';
import { originFrom, originListFrom } from './settings/origin-values.js';
import { type LimitSettings, limitSettingsFrom } from './settings/limit-settings.js';

export interface Config {
  port: number;
  host: string;
  /** Real PostgreSQL when set; otherwise the embedded PGlite store under `dataDir`. */
  databaseUrl: string | undefined;
  databaseReplicaUrls: string[];
  /** How often replicas' replay positions (and so their lag) are checked, in ms. */
  dbReplicaCheckMs: number;
  /** A replica further behind the primary than this, in ms, serves no reads until it catches up. */
  dbReplicaMaxLagMs: number;
  redisUrl: string | undefined;
  dataDir: string;
  nodeEnv: string;
  production: boolean;
  logLevel: string;
  /** OpenTelemetry trace export (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME); undefined: tracing off. */
  traces: TraceSettings | undefined;
  /** postgres.js pool size per instance. */
  dbPoolMax: number;
  /** Prepare each statement shape once per connection (false behind a transaction-mode pooler). */
  dbPrepare: boolean;
  /** Statements running longer than this are logged (once per shape), in ms. */
  slowQueryMs: number;
  /** An unexpected error is logged with its stack at most once per fingerprint per this many ms. */
  errorLogIntervalMs: number;
  /** Longest wait for a free pooled connection, in ms (then SERVICE_UNAVAILABLE). */
  dbPoolWaitMs: number;
  dbStatementTimeoutMs: number;
  dbConnectTimeoutMs: number;
  dbIdleTimeoutMs: number;
  /** Largest request body accepted, in bytes (after decoding, when it came compressed). */
  maxBodyBytes: number;
  /**
   * Most request-body bytes all requests together may hold while their bodies arrive (compressed
   * bytes and what they decode to); a body that would pass it is refused with 503 at once.
   */
  maxBodyBytesInFlight: number;
  /** Longest a request body may take to arrive once it is being read, in ms (then 408). */
  bodyReadTimeoutMs: number;
  /** Longest a request's line and headers may take to arrive, in ms (then 408). */
  headersTimeoutMs: number;
  /** A listener of its own for GET /metrics, /status and /status.json (undefined: the main port serves them). */
  metricsPort: number | undefined;
  metricsHost: string;
  /** /metrics is rendered at most once per this many ms; scrapes in between get that rendering. */
  metricsMinIntervalMs: number;
  /** Answers to /metrics, /status and /status.json per second; more wait their turn (0: no pacing). */
  metricsMaxScrapesPerSecond: number;
  /** Largest id list one DataLoader batch sends to the database. */
  loaderMaxBatchSize: number;
  /** How long a verified token is trusted without asking the database again, in ms. */
  tokenCacheTtlMs: number;
  /**
   * How often the connection that hears token revocations (PostgreSQL) proves that it still hears,
   * in ms: a connection lost silently is noticed within twice this, and cached checks are not
   * trusted from then until it is back.
   */
  tokenRevocationCheckMs: number;
  /** Serve Apollo Sandbox on GET / and allow introspection. */
  introspection: boolean;
  /** Contacts seeded into the `demo` workspace on the first embedded start. */
  demoContacts: number;
  /** Cache query responses server-side (L1 in process, L2 in Redis when REDIS_URL is set). */
  responseCache: boolean;
  /** Byte budget of the in-process tier; 0 turns it off. */
  memoryCacheMaxBytes: number;
  /** How long after expiry an entry may still be served while one refresh runs, in seconds. */
  staleWhileRevalidateSeconds: number;
  /** Manifest queries run at start for the most recently active workspaces. */
  warmOperations: string[];
  /** How many recently active workspaces are warmed at start; 0 turns warming off. */
  warmWorkspaces: number;
  /** Rows by id cached for DataLoader batches (off when RESPONSE_CACHE is off). */
  entityCache: boolean;
  entityCacheMaxEntries: number;
  entityCacheTtlSeconds: number;
  /** Accept only the operations of the persisted-documents manifest (trusted documents). */
  persistedOnly: boolean;
  /** How long a document registered by a client as a persisted query is kept, in seconds. */
  persistedQueryTtlSeconds: number;
  /** New persisted-query documents one workspace may register per PERSISTED_QUERY_TTL_SECONDS; 0: none. */
  persistedQueriesPerWorkspace: number;
  /** Prefix of every Redis key and channel of this deployment. */
  cacheNamespace: string;
  /** Longest wait for one Redis command before the cache treats Redis as unavailable, in ms. */
  redisCommandTimeoutMs: number;
  /** How long Redis is left alone after repeated failures before one trial command, in ms. */
  redisCircuitOpenMs: number;
  /** How often buffered contact views are counted into contacts, in ms. */
  viewFlushIntervalMs: number;
  /** Most buffered views one flush statement applies. */
  viewFlushBatchSize: number;
  /**
   * How long a view read from the Redis stream may stay unacknowledged before another instance
   * replays it, in ms. At most 10 minutes: counted view ids are remembered for an hour.
   */
  viewClaimIdleMs: number;
  /**
   * After SIGTERM, how long the instance goes on serving with /readyz at 503 before it stops
   * listening, in ms; it stops sooner once no client connection is open.
   */
  shutdownDrainMs: number;
  /** Serve the live status page (GET /status, /status.json): aggregate figures only, no auth. */
  statusPage: boolean;
  /** Origins whose pages may call /graphql from a browser (CORS); ['*']: any; []: none. */
  corsOrigins: string[];
  /**
   * The origin browsers reach this server at, which is what same-origin means (never the request's
   * Host); undefined: http://HOST:PORT as listened on (src/http/public-origin.ts).
   */
  publicOrigin: string | undefined;
  /**
   * Origins whose pages may report web vitals cross-origin (['*']: any), besides those of
   * `corsOrigins`; same-origin pages always may.
   */
  rumAllowedOrigins: string[];
  /** Distinct page routes that get a label of their own in the web-vitals histograms; later ones are `other`. */
  rumMaxRoutes: number;
  /** Web-vitals batches one origin, and one client address, may send per second, sustained, and in a burst. */
  rumRatePerSecond: number;
  rumRateBurst: number;
  /** Query shape and size limits and request rate limits (src/limits/settings.ts). */
  limits: LimitSettings;
}

function namespace(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(value)) throw new Error(`CACHE_NAMESPACE must be 1 to 40 letters, digits, "_", "." or "-", got "${value}"`);
  return value;
}

/** The listener for /metrics, when METRICS_PORT is set: a port apart from the API's. */
function metricsPort(env: Env, apiPort: number): number | undefined {
  if (env.METRICS_PORT === undefined || env.METRICS_PORT === '') return undefined;
  const port = integer(env, 'METRICS_PORT', 0, 0, 65535);
  if (port !== 0 && port === apiPort) throw new Error(`METRICS_PORT must differ from PORT (both ${port}): it is a listener of its own`);
  return port;
}

function bodyBytesInFlight(env: Env, maxBodyBytes: number): number {
  const value = integer(env, 'MAX_BODY_BYTES_IN_FLIGHT', 32_000_000, 1_000, 16_000_000_000);
  // Below one largest body, a body the size limit allows could never be read.
  if (value < maxBodyBytes) throw new Error(`MAX_BODY_BYTES_IN_FLIGHT must be at least MAX_BODY_BYTES (${maxBodyBytes}), got ${value}`);
  return value;
}

function replicaUrls(env: Env): string[] {
  const urls = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  if (urls.length > 0 && !env.DATABASE_URL) {
    throw new Error('DATABASE_REPLICA_URLS needs DATABASE_URL: replicas replicate a PostgreSQL primary, and the embedded store is not one');
  }
  for (const [index, url] of urls.entries()) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // reported below, without the URL, which may hold a password
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      throw new Error(`DATABASE_REPLICA_URLS entry ${index + 1} is not a postgres:// URL`);
    }
  }
  return urls;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development';
  const production = nodeEnv === 'production';
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const maxBodyBytes = integer(env, 'MAX_BODY_BYTES', 1_000_000, 1_000, 100_000_000);
  return {
    port,
    host,
    databaseUrl: env.DATABASE_URL || undefined,
    databaseReplicaUrls: replicaUrls(env),
    dbReplicaCheckMs: integer(env, 'DB_REPLICA_CHECK_MS', 500, 10, 60_000),
    dbReplicaMaxLagMs: integer(env, 'DB_REPLICA_MAX_LAG_MS', 5_000, 0, 3_600_000),
    redisUrl: env.REDIS_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    nodeEnv,
    production,
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    traces: traceSettingsFrom(env),
    dbPoolMax: integer(env, 'DB_POOL_MAX', 10, 1, 1000),
    dbPrepare: flag(env, 'DB_PREPARE', true),
    slowQueryMs: integer(env, 'SLOW_QUERY_MS', 50, 0, 3_600_000),
    errorLogIntervalMs: integer(env, 'ERROR_LOG_INTERVAL_MS', 60_000, 0, 86_400_000),
    dbPoolWaitMs: integer(env, 'DB_POOL_WAIT_MS', 2_000, 0, 600_000),
    dbStatementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000),
    dbConnectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    dbIdleTimeoutMs: integer(env, 'DB_IDLE_TIMEOUT_MS', 60_000, 0, 86_400_000),
    maxBodyBytes,
    maxBodyBytesInFlight: bodyBytesInFlight(env, maxBodyBytes),
    bodyReadTimeoutMs: integer(env, 'BODY_READ_TIMEOUT_MS', 10_000, 100, 600_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    metricsPort: metricsPort(env, port),
    metricsHost: env.METRICS_HOST || host,
    metricsMinIntervalMs: integer(env, 'METRICS_MIN_INTERVAL_MS', 1_000, 0, 60_000),
    metricsMaxScrapesPerSecond: integer(env, 'METRICS_MAX_SCRAPES_PER_SECOND', 20, 0, 100_000),
    loaderMaxBatchSize: integer(env, 'LOADER_MAX_BATCH_SIZE', 1000, 1, 10_000),
    tokenCacheTtlMs: integer(env, 'TOKEN_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    tokenRevocationCheckMs: integer(env, 'TOKEN_REVOCATION_CHECK_MS', 1_000, 50, 60_000),
    introspection: flag(env, 'INTROSPECTION', !production),
    demoContacts: integer(env, 'DEMO_CONTACTS', 2000, 0, 1_000_000),
    responseCache: flag(env, 'RESPONSE_CACHE', true),
    memoryCacheMaxBytes: integer(env, 'MEMORY_CACHE_MAX_BYTES', 64_000_000, 0, 16_000_000_000),
    staleWhileRevalidateSeconds: integer(env, 'CACHE_STALE_SECONDS', 30, 0, 86_400),
    persistedOnly: flag(env, 'PERSISTED_ONLY', false),
    persistedQueryTtlSeconds: integer(env, 'PERSISTED_QUERY_TTL_SECONDS', 86_400, 60, 2_592_000),
    persistedQueriesPerWorkspace: integer(env, 'PERSISTED_QUERIES_PER_WORKSPACE', 1_000, 0, 1_000_000),
    entityCache: flag(env, 'ENTITY_CACHE', true),
    entityCacheMaxEntries: integer(env, 'ENTITY_CACHE_MAX_ENTRIES', 100_000, 1, 10_000_000),
    entityCacheTtlSeconds: integer(env, 'ENTITY_CACHE_TTL_SECONDS', 300, 1, 86_400),
    warmOperations: (env.WARM_OPERATIONS ?? 'ContactsPage,Tags,Viewer')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    warmWorkspaces: integer(env, 'WARM_WORKSPACES', 10, 0, 10_000),
    cacheNamespace: namespace(env.CACHE_NAMESPACE || 'cf'),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 100, 1, 60_000),
    redisCircuitOpenMs: integer(env, 'REDIS_CIRCUIT_OPEN_MS', 2000, 10, 600_000),
    viewFlushIntervalMs: integer(env, 'VIEW_FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    viewFlushBatchSize: integer(env, 'VIEW_FLUSH_BATCH_SIZE', 1000, 1, 10_000),
    viewClaimIdleMs: integer(env, 'VIEW_CLAIM_IDLE_MS', 30_000, 100, 600_000),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 5_000, 0, 120_000),
    statusPage: flag(env, 'STATUS_PAGE', true),
    corsOrigins: originListFrom('CORS_ORIGINS', env.CORS_ORIGINS),
    publicOrigin: env.PUBLIC_ORIGIN ? originFrom('PUBLIC_ORIGIN', env.PUBLIC_ORIGIN.trim()) : undefined,
    rumAllowedOrigins: originListFrom('RUM_ALLOWED_ORIGINS', env.RUM_ALLOWED_ORIGINS),
    rumMaxRoutes: integer(env, 'RUM_MAX_ROUTES', 50, 1, 1000),
    rumRatePerSecond: integer(env, 'RUM_RATE_PER_SECOND', 50, 1, 100_000),
    rumRateBurst: integer(env, 'RUM_RATE_BURST', 100, 1, 1_000_000),
    limits: limitSettingsFrom(env),
  };
}
