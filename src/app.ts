// The composition root: wires configuration, database, auth, schema, Apollo and HTTP once.
// main.ts runs it as a process; tests run it in-process on a port of their own.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { watchRevocations } from './auth/revocation-watch.js';
import { createApolloServer } from './graphql/apollo-server.js';
import { createExecutionMetrics } from './graphql/compiled-execution.js';
import { contextFactory } from './graphql/context-factory.js';
import { readinessCheck } from './http/readiness.js';
import { Lifecycle, type Phase } from './lifecycle.js';
import { requestLog } from './observability/request-log.js';
import { TokenChecks } from './auth/viewer.js';
import { reportRevocationHearing } from './auth/revocation-metrics.js';
import { reportPoolLoad } from './db/pool-metrics.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import type { Tracing } from './observability/tracing.js';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ErrorTracker } from './observability/error-tracker.js';
import { StatementLabels } from './observability/statement-labels.js';
import { DocumentFactsMemo } from './graphql/document-facts.js';
import { createCacheLayer } from './cache/setup.js';
import { loadPublishedOperations } from './graphql/published-operations.js';
import { PersistedQueries } from './cache/persisted-queries.js';
import { warmHotOperations } from './graphql/warm-hot-operations.js';
import { buildSchema } from './graphql/schema.js';
import { createGraphQLHandler } from './http/graphql-handler.js';
import { RequestMemo } from './http/request-memo.js';
import { createHttpServer } from './http/server.js';
import { BodyBounds } from './http/body-bounds.js';
import { CorsPolicy, withCors } from './http/cors.js';
import { createMetricsListener } from './http/metrics-listener.js';
import { createHttpMetrics } from './http/http-metrics.js';
import { createObservabilityRoutes } from './http/observability-routes.js';
import { publicOriginsOf } from './http/public-origin.js';
import { ScrapePacer } from './http/scrape-pacer.js';
import { trackDrain } from './http/drain.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { SlowStatementLog } from './observability/slow-statements.js';
import { StatusSampler } from './observability/status-sampler.js';
import { createStatusRoute } from './http/status-route.js';
import { createRumHandler } from './http/rum-route.js';
import { createViewCounting } from './view-counting/setup.js';
import { ReadRouting } from './db/replicas/read-routing.js';
import { RequestRateLimits } from './limits/request-rate-limits.js';
import { reportReplicas } from './db/replicas/replica-metrics.js';
import { createRumMetrics } from './rum/metrics.js';
import { WritePositions } from './cache/write-positions.js';
import { AfterWrite } from './cache/after-write.js';
import { cursorCodecOnce } from './graphql/cursor-codec.js';
import { CURSOR_KEY, sharedKey } from './db/repositories/server-keys.js';

export interface App {
  /** Starts listening; resolves with the base URL (http://host:port). */
  listen(): Promise<string>;
  /**
   * The graceful stop's first step: /readyz answers 503 while requests are still served, until no
   * client connection is open or SHUTDOWN_DRAIN_MS has passed. Then call close().
   */
  drain(): Promise<void>;
  /**
   * Stops taking requests, lets in-flight ones finish, stops Apollo, then counts the buffered
   * contact views (bounded in time). Leaves the database open.
   */
  close(): Promise<void>;
  http: http.Server;
  /** METRICS_PORT's listener (/metrics, /status, /status.json), when it is set. */
  metricsHttp: http.Server | undefined;
  /** That listener's base URL once listening (http://host:port); undefined without METRICS_PORT. */
  readonly metricsUrl: string | undefined;
  /** Settles when start-up cache warming has finished (or given up). */
  warmed: Promise<void>;
  /** Trace export, when on (OTEL_EXPORTER_OTLP_ENDPOINT); undefined otherwise. */
  tracing: Tracing | undefined;
  /** Where the app is in its lifecycle (src/lifecycle.ts). */
  readonly phase: Phase;
}

const SHUTDOWN_GRACE_MS = 10_000;
/** Scrapes that may wait for their turn at once (each holds a connection, nothing more); more get 503. */
const MAX_WAITING_SCRAPES = 1_000;

export interface AppHooks {
  /** The clock cache entries and token expiry are judged by; tests move it forward instead of waiting. */
  now?: () => number;
  /** Turns tracing on, exporting to this processor instead of OTLP (tests: an in-memory exporter). */
  spanProcessor?: SpanProcessor;
}

export async function createApp(config: Config, database: DatabaseHandle, logger: Logger, hooks: AppHooks = {}): Promise<App> {
  const lifecycle = new Lifecycle(logger);
  try {
    return await build(config, database, logger, hooks, lifecycle);
  } catch (error) {
    // Whatever was started before the failure (connections, listeners, timers) is stopped.
    return lifecycle.fail(error);
  }
}

/**
 * Makes every part once, each registered with the lifecycle right after it is made, so that a
 * stop (or a failed start) stops them last made first: the listeners before the handlers behind
 * them, the view buffers before Redis, trace export last of the request work.
 */
async function build(config: Config, database: DatabaseHandle, logger: Logger, hooks: AppHooks, lifecycle: Lifecycle): Promise<App> {
  const now = hooks.now ?? Date.now;
  const { db } = database;
  const metrics = createMetrics({ minRenderIntervalMs: config.metricsMinIntervalMs });

  let revocationsHeard = false;
  reportRevocationHearing(metrics.registry, () => revocationsHeard);
  const revocations = lifecycle.own(
    'token revocation watch',
    watchRevocations(database, {
      checkIntervalMs: config.tokenRevocationCheckMs,
      logger,
      onListening: (heard) => {
        revocationsHeard = heard;
      },
    }),
    (watch) => watch.close(),
  );
  // `db` is the primary's: a replica that lags could still show a revoked token as valid.
  const tokenChecks = new TokenChecks(db, { ttlMs: config.tokenCacheTtlMs, revocations, now });

  // The status page's figures, sampled once a second from what metrics counts.
  const statusSampler = config.statusPage ? lifecycle.own('status sampler', new StatusSampler().start(), (sampler) => sampler.stop()) : undefined;
  metrics.listen(statusSampler);
  const slowStatements = new SlowStatementLog(config.slowQueryMs, logger, database.kind === 'postgres' ? database.explainWithoutValues : undefined);
  const statementLabels = new StatementLabels();
  lifecycle.onStop(
    'statement timing',
    database.onStatementTimed((text, params, ms, where) => {
      slowStatements.observe(text, params, ms);
      metrics.observeStatement(statementLabels.of(text), where, ms / 1000);
    }),
  );
  reportPoolLoad(database, metrics.registry);
  // The SDK is loaded only when tracing is on; off, no request carries a trace and nothing is wrapped.
  const tracing =
    config.traces || hooks.spanProcessor
      ? lifecycle.own(
          'trace export',
          (await import('./observability/tracing.js')).createTracing(config.traces, {
            spanProcessor: hooks.spanProcessor,
            statementName: (text) => statementLabels.of(text),
          }),
          (started) => started.shutdown(),
        )
      : undefined;
  const errors = new ErrorTracker(logger, config.errorLogIntervalMs, (fingerprint) => metrics.countUnexpectedError(fingerprint));

  const cache = lifecycle.own('cache (Redis)', createCacheLayer(config, logger, metrics.registry, now), (layer) => layer.close());
  const reads = new ReadRouting(
    database,
    database.replicas
      ? new WritePositions({
          redis: cache.redis,
          keys: cache.keys,
          localSequence: (workspaceId) => cache.responses.localSequence(workspaceId),
          logger,
          onRedisFailure: () => cache.metrics.errors.inc({ operation: 'write-position' }),
        })
      : undefined,
  );
  reportReplicas(database.replicas, metrics.registry);

  const published = loadPublishedOperations();
  const persisted = new PersistedQueries({
    manifest: published.texts,
    redis: cache.redis,
    documentKey: cache.keys.persistedDocument,
    registrationsKey: cache.keys.persistedRegistrations,
    ttlSeconds: config.persistedQueryTtlSeconds,
    maxPerWorkspace: config.persistedQueriesPerWorkspace,
    logger,
    now,
    onRegistration: (result) => cache.metrics.persistedQueryRegistrations.inc({ result }),
  });
  const schema = buildSchema();
  const apollo = createApolloServer({
    schema,
    config,
    errors,
    onErrorCode: (code) => metrics.graphqlErrors.inc({ code }),
    persistedQueries: persisted.readOnlyForApollo(),
    published: published.byHash.values(),
    onExecution: createExecutionMetrics(metrics.registry),
    traced: tracing !== undefined,
    onErrorsInResult: statusSampler && (() => statusSampler.errorsInResult()),
    logger,
  });
  await apollo.start();
  lifecycle.own('Apollo Server', apollo, (server) => server.stop());

  const documents = new DocumentFactsMemo();
  // Mutations and the view flusher alike: write position, purge, write-through.
  const afterWrite = new AfterWrite({ recordWritePosition: (workspaceId) => reads.afterWrite(workspaceId), responses: cache.responses, entities: cache.entities });
  // Stopped before Redis (made before it is stopped): what is buffered is counted first.
  const views = lifecycle.own('view counting', createViewCounting({ config, db, cache, afterWrite, registry: metrics.registry, logger }), (counting) => counting.close());
  // Every instance seals cursors with the key kept in the database (made by the first to need it).
  const cursors = cursorCodecOnce(() => sharedKey(db, CURSOR_KEY));

  const rateLimits = new RequestRateLimits(config.limits, cache.redis, config.cacheNamespace);
  const memo = new RequestMemo();
  metrics.watchMemo('parsed-requests', () => memo.bytes);
  metrics.watchMemo('document-facts', () => documents.bytes);
  metrics.watchMemo('persisted-queries', () => persisted.bytes);
  metrics.watchMemo('token-checks', () => tokenChecks.bytes);
  metrics.watchMemo('rate-limit-counts', () => rateLimits.memoBytes.counts);
  metrics.watchMemo('rate-limit-shared-counts', () => rateLimits.memoBytes.sharedCounts);

  const graphql = createGraphQLHandler({
    apollo,
    maxBodyBytes: config.maxBodyBytes,
    memo,
    documentLimits: config.limits,
    rateLimit: rateLimits.enabled ? (request) => rateLimits.check(request) : undefined,
    landingPage: config.introspection,
    exposeStatementCount: !config.production,
    onStatements: (count) => metrics.sqlStatements.observe(count),
    onCacheOutcome: metrics.countCacheOutcome,
    publishedNames: new Map([...published.byHash].map(([hash, operation]) => [hash, operation.name])),
    onAnswered: requestLog(logger, (operation, outcome, status, seconds) => metrics.observeGraphQL(operation, outcome, status, seconds)),
    resolveViewer: tokenChecks.resolveRequest,
    cache: cache.responses,
    keys: cache.keys,
    documents,
    persisted,
    staleSeconds: config.staleWhileRevalidateSeconds,
    trustedDocuments: config.persistedOnly ? new Set(published.byHash.keys()) : undefined,
    now,
    tracing,
    createContext: contextFactory({
      reads,
      loaderMaxBatchSize: config.loaderMaxBatchSize,
      entities: cache.entities,
      onBatch: (loader, size) => metrics.loaderBatch.observe({ loader }, size),
      afterWrite: (workspaceId, tags, written) => afterWrite.committed(workspaceId, tags, written),
      recordView: (workspaceId, contactId) => views.recorder.record(workspaceId, contactId),
      cursors,
    }),
  });

  // In the background: the server serves while the cache warms. A stop waits for it to end.
  const warming = warmHotOperations(
    { db, published, prefetch: graphql.prefetch, logger },
    { operations: config.warmOperations, workspaces: config.responseCache ? config.warmWorkspaces : 0 },
  ).then(
    (count) => {
      if (count > 0) logger.info(`cache warmed with ${count} responses`);
    },
    (error: unknown) => logger.warn({ err: { name: (error as Error)?.name } }, 'cache warming stopped'),
  );
  lifecycle.onStop('cache warming', () => warming);
  slowStatements.quietUntil(warming);

  // Read at scrape time, when `bodies` (made next) exists.
  const httpMetrics = createHttpMetrics(metrics.registry, { bodyBytesInFlight: () => bodies.inFlightBytes, memoEntries: () => memo.size });
  const bodies = new BodyBounds({ maxInFlightBytes: config.maxBodyBytesInFlight, readTimeoutMs: config.bodyReadTimeoutMs }, (reason) =>
    httpMetrics.bodyRefusals.inc({ reason }),
  );
  // Node's whole-request deadline stands behind the body reader's own, for bodies no route reads.
  const timeouts = { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.headersTimeoutMs + config.bodyReadTimeoutMs };
  const scrapePacer = lifecycle.own('scrape pacer', new ScrapePacer({ perSecond: config.metricsMaxScrapesPerSecond, maxWaiting: MAX_WAITING_SCRAPES }), (pacer) => pacer.stop());
  const observability = createObservabilityRoutes({
    page: metrics.page,
    status: statusSampler && createStatusRoute(statusSampler),
    pacer: scrapePacer,
    onTurn: (turn) => metrics.countScrape(turn),
  });
  // What same-origin means; with PORT=0 the port is known once listening (see listen below).
  let publicOrigins = publicOriginsOf(config.publicOrigin, config.host, config.port);
  const server = createHttpServer(
    {
      graphql: withCors(new CorsPolicy(config.corsOrigins), graphql.handle),
      ready: readinessCheck(() => database.ping()),
      draining: () => drain.draining,
      rum: createRumHandler(config, createRumMetrics(metrics.registry), now, () => publicOrigins),
    },
    metrics,
    errors,
    { observability: config.metricsPort === undefined ? observability : 'elsewhere', bodies, timeouts },
  );
  server.keepAliveTimeout = 65_000;
  const drain = trackDrain(server);
  lifecycle.own('HTTP listener', server, closeListener);
  const metricsServer = config.metricsPort === undefined ? undefined : createMetricsListener(observability, metrics, errors, timeouts);
  // A scrape is answered at once: nothing on this listener is worth waiting for.
  if (metricsServer) lifecycle.own('metrics listener', metricsServer, closeAtOnce);
  // Stopped first (registered last): readiness says 503 before anything else stops.
  lifecycle.onStop('readiness', () => void drain.start(0));
  let metricsUrl: string | undefined;
  lifecycle.enter({ name: 'built' });

  return {
    http: server,
    metricsHttp: metricsServer,
    get metricsUrl() {
      return metricsUrl;
    },
    warmed: warming,
    tracing,
    get phase() {
      return lifecycle.phase;
    },
    listen: async () => {
      const url = await listenOn(server, config.port, config.host);
      publicOrigins = publicOriginsOf(config.publicOrigin, config.host, (server.address() as AddressInfo).port);
      if (metricsServer) metricsUrl = await listenOn(metricsServer, config.metricsPort!, config.metricsHost);
      lifecycle.enter({ name: 'started', url });
      return url;
    },
    drain: () => {
      lifecycle.enter({ name: 'draining' });
      return drain.start(config.shutdownDrainMs);
    },
    close: () => lifecycle.stop(),
  };
}

/** In-flight requests finish; keep-alive connections left idle are cut after a grace period. */
function closeListener(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(grace);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function closeAtOnce(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts `server` on `port` and `host`; resolves with its base URL (http://host:port). */
function listenOn(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    });
  });
}
