// The composition root: wires configuration, database, auth, schema, Apollo and HTTP once.
// main.ts runs it as a process; tests run it in-process on a port of their own.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { watchRevocations } from './auth/revocation-watch.js';
import { TokenChecks } from './auth/viewer.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { accessPlugin } from './graphql/access-plugin.js';
import { cachePolicyPlugin } from './graphql/cache-policy-plugin.js';
import type { RequestContext } from './graphql/context.js';
import { createErrorFormatter } from './graphql/error-formatting.js';
import { errorReportingPlugin } from './graphql/error-reporting-plugin.js';
import { executionRecordPlugin } from './graphql/execution-record-plugin.js';
import { tracingPlugin } from './graphql/tracing-plugin.js';
import type { Tracing } from './observability/tracing.js';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ErrorTracker } from './observability/error-tracker.js';
import { StatementLabels } from './observability/statement-labels.js';
import { DocumentFactsMemo } from './graphql/document-facts.js';
import { createCacheLayer } from './cache/setup.js';
import { loadPublishedOperations } from './graphql/published-operations.js';
import { PersistedQueries } from './cache/persisted-queries.js';
import { warmHotOperations } from './graphql/warm-hot-operations.js';
import { createRequestContext } from './graphql/request-context.js';
import { buildSchema } from './graphql/schema.js';
import { createGraphQLHandler } from './http/graphql-handler.js';
import { RequestMemo } from './http/request-memo.js';
import { createHttpServer } from './http/server.js';
import { BodyBounds } from './http/body-bounds.js';
import { CorsPolicy, withCors } from './http/cors.js';
import { createMetricsListener } from './http/metrics-listener.js';
import { createObservabilityRoutes } from './http/observability-routes.js';
import { publicOriginsOf } from './http/public-origin.js';
import { ScrapePacer } from './http/scrape-pacer.js';
import { trackDrain } from './http/drain.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { SlowStatementLog } from './observability/slow-statements.js';
import { StatusSampler } from './observability/status-sampler.js';
import { errorsInResultPlugin } from './graphql/errors-in-result-plugin.js';
import { createStatusRoute } from './http/status-route.js';
import { createRumHandler } from './http/rum-route.js';
import { createViewCounting } from './views/setup.js';
import { ReadRouting } from './db/replicas/read-routing.js';
import { queryCostPlugin } from './graphql/limits/query-cost.js';
import { shapeRules } from './graphql/limits/shape-rules.js';
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
}

const READY_TIMEOUT_MS = 2000;
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
  const now = hooks.now ?? Date.now;
  const { db } = database;
  const metrics = createMetrics({ minRenderIntervalMs: config.metricsMinIntervalMs });
  let revocationsHeard = 0;
  metrics.sources.tokenRevocationsHeard = () => revocationsHeard;
  const revocations = watchRevocations(database, {
    checkIntervalMs: config.tokenRevocationCheckMs,
    logger,
    onListening: (heard) => {
      revocationsHeard = heard ? 1 : 0;
    },
  });
  // `db` is the primary's: a replica that lags could still show a revoked token as valid.
  const tokenChecks = new TokenChecks(db, { ttlMs: config.tokenCacheTtlMs, revocations, now });
  const resolveViewer = tokenChecks.resolveRequest;
  // The status page's figures, sampled once a second from what metrics counts.
  const statusSampler = config.statusPage ? new StatusSampler().start() : undefined;
  metrics.listen(statusSampler);
  const slowStatements = new SlowStatementLog(
    config.slowQueryMs,
    logger,
    database.kind === 'postgres' ? database.explainWithoutValues : undefined,
  );
  const statementLabels = new StatementLabels();
  const stopTimingStatements = database.onStatementTimed((text, params, ms, where) => {
    slowStatements.observe(text, params, ms);
    metrics.observeStatement(statementLabels.of(text), where, ms / 1000);
  });
  metrics.sources.poolLoad = () => database.poolLoad();
  // The SDK is loaded only when tracing is on; off, no request carries a trace and nothing is wrapped.
  const tracing =
    config.traces || hooks.spanProcessor
      ? (await import('./observability/tracing.js')).createTracing(config.traces, {
          spanProcessor: hooks.spanProcessor,
          statementName: (text) => statementLabels.of(text),
        })
      : undefined;
  const errors = new ErrorTracker(logger, config.errorLogIntervalMs, (fingerprint) => metrics.countUnexpectedError(fingerprint));
  const cache = createCacheLayer(config, logger, metrics, now);
  const reads = new ReadRouting(
    database,
    database.replicas
      ? new WritePositions({
          redis: cache.redis,
          keys: cache.keys,
          localSequence: (workspaceId) => cache.responses.localSequence(workspaceId),
          logger,
          onRedisFailure: () => metrics.cacheErrors.inc({ operation: 'write-position' }),
        })
      : undefined,
  );
  if (database.replicas) reportReplicas(database.replicas, metrics.replicas);

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
    onRegistration: (result) => metrics.persistedQueryRegistrations.inc({ result }),
  });
  const schema = buildSchema();
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // "Did you mean ...?" would describe the schema to anyone in production.
    hideSchemaDetailsFromClientErrors: config.production,
    validationRules: shapeRules(config.limits),
    formatError: createErrorFormatter(errors, {
      hideSchemaDetails: config.production,
      onCode: (code) => metrics.graphqlErrors.inc({ code }),
    }),
    stopOnTerminationSignals: false,
    // Persisted queries are resolved before Apollo runs (src/http/request-document.ts): Apollo only
    // reads this store, for a hash nothing resolved, and answers PERSISTED_QUERY_NOT_FOUND.
    // Responses are cached by our own tiers (src/cache/), not Apollo's.
    persistedQueries: { cache: persisted.readOnlyForApollo() },
    plugins: [
      // Cache-Control comes from the operation's policy, computed once per document (cache-policy.ts).
      ApolloServerPluginCacheControlDisabled(),
      cachePolicyPlugin(schema),
      accessPlugin(),
      queryCostPlugin<RequestContext>(schema, config.limits.maxQueryCost),
      executionRecordPlugin(),
      ...(tracing ? [tracingPlugin()] : []),
      ...(statusSampler ? [errorsInResultPlugin<RequestContext>(() => statusSampler.errorsInResult())] : []),
      errorReportingPlugin(errors),
      config.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await apollo.start();
  const documents = new DocumentFactsMemo();
  const publishedNames = new Map([...published.byHash].map(([hash, operation]) => [hash, operation.name]));
  // Mutations and the view flusher alike: write position, purge, write-through.
  const afterWrite = new AfterWrite({ recordWritePosition: (workspaceId) => reads.afterWrite(workspaceId), responses: cache.responses, entities: cache.entities });
  const views = createViewCounting(config, db, cache, afterWrite, metrics, logger);
  // Every instance seals cursors with the key kept in the database (made by the first to need it).
  const cursors = cursorCodecOnce(() => sharedKey(db, CURSOR_KEY));

  const rateLimits = new RequestRateLimits(config.limits, cache.redis, config.cacheNamespace);
  metrics.watchMemo('token-checks', () => tokenChecks.bytes);
  metrics.watchMemo('rate-limit-counts', () => rateLimits.memoBytes.counts);
  metrics.watchMemo('rate-limit-shared-counts', () => rateLimits.memoBytes.sharedCounts);
  const memo = new RequestMemo();
  metrics.sources.requestMemoEntries = () => memo.size;
  metrics.watchMemo('parsed-requests', () => memo.bytes);
  metrics.watchMemo('document-facts', () => documents.bytes);
  metrics.watchMemo('persisted-queries', () => persisted.bytes);
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
    publishedNames,
    onAnswered: (answered) => {
      metrics.observeGraphQL(answered.operation, answered.outcome, answered.status, answered.seconds);
      // One line per request (at info: LOG_LEVEL=warn leaves them out).
      logger.info(
        {
          requestId: answered.requestId,
          operation: answered.operation,
          workspaceId: answered.workspaceId,
          durationMs: Math.round(answered.seconds * 10_000) / 10,
          cache: answered.outcome,
          statements: answered.statements,
          status: answered.status,
        },
        'graphql request',
      );
    },
    resolveViewer,
    cache: cache.responses,
    keys: cache.keys,
    documents,
    persisted,
    staleSeconds: config.staleWhileRevalidateSeconds,
    trustedDocuments: config.persistedOnly ? new Set(published.byHash.keys()) : undefined,
    now,
    tracing,
    createContext: async (viewer, requestId, execution) => {
      const { db: requestDb, fillsSince } = await reads.forRequest(viewer?.workspaceId, execution, execution.trace?.statements);
      return createRequestContext(viewer, requestId, execution, {
        db: requestDb,
        fillsSince,
        onBatch: (loader, size) => metrics.loaderBatch.observe({ loader }, size),
        loaderMaxBatchSize: config.loaderMaxBatchSize,
        entities: cache.entities,
        invalidate: (workspaceId, tags, written) => afterWrite.committed(workspaceId, tags, written),
        recordView: (workspaceId, contactId) => views.recorder.record(workspaceId, contactId),
        cursors,
      });
    },
  });

  const ready = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    });
    const ping = database.ping().then(
      () => true,
      () => false,
    );
    const result = await Promise.race([ping, timeout]);
    clearTimeout(timer);
    return result;
  };

  // In the background: the server serves while the cache warms.
  const warming = warmHotOperations(
    db,
    published,
    graphql.prefetch,
    { operations: config.warmOperations, workspaces: config.responseCache ? config.warmWorkspaces : 0 },
    logger,
  ).then(
    (count) => {
      if (count > 0) logger.info(`cache warmed with ${count} responses`);
    },
    (error: unknown) => logger.warn({ err: { name: (error as Error)?.name } }, 'cache warming stopped'),
  );
  slowStatements.quietUntil(warming);

  const bodies = new BodyBounds({ maxInFlightBytes: config.maxBodyBytesInFlight, readTimeoutMs: config.bodyReadTimeoutMs }, (reason) =>
    metrics.bodyRefusals.inc({ reason }),
  );
  metrics.sources.bodyBytesInFlight = () => bodies.inFlightBytes;
  // Node's whole-request deadline stands behind the body reader's own, for bodies no route reads.
  const timeouts = { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.headersTimeoutMs + config.bodyReadTimeoutMs };
  const scrapePacer = new ScrapePacer({ perSecond: config.metricsMaxScrapesPerSecond, maxWaiting: MAX_WAITING_SCRAPES });
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
      ready,
      draining: () => drain.draining,
      rum: createRumHandler(config, createRumMetrics(metrics.registry), now, () => publicOrigins),
    },
    metrics,
    errors,
    { observability: config.metricsPort === undefined ? observability : 'elsewhere', bodies, timeouts },
  );
  server.keepAliveTimeout = 65_000;
  const drain = trackDrain(server);
  const metricsServer = config.metricsPort === undefined ? undefined : createMetricsListener(observability, metrics, errors, timeouts);
  let metricsUrl: string | undefined;

  return {
    http: server,
    metricsHttp: metricsServer,
    get metricsUrl() {
      return metricsUrl;
    },
    warmed: warming,
    tracing,
    listen: async () => {
      const url = await listenOn(server, config.port, config.host);
      publicOrigins = publicOriginsOf(config.publicOrigin, config.host, (server.address() as AddressInfo).port);
      if (metricsServer) metricsUrl = await listenOn(metricsServer, config.metricsPort!, config.metricsHost);
      return url;
    },
    drain: () => drain.start(config.shutdownDrainMs),
    close: async () => {
      // Not ready from here on, whether or not a drain came first.
      void drain.start(0);
      statusSampler?.stop();
      scrapePacer.stop();
      // A scrape is answered at once: nothing on this listener is worth waiting for.
      const metricsClosed = metricsServer?.listening
        ? new Promise<void>((resolve) => {
            metricsServer.close(() => resolve());
            metricsServer.closeAllConnections();
          })
        : undefined;
      await new Promise<void>((resolve) => {
        // In-flight requests finish; keep-alive connections that stay idle are cut after a grace
        // period rather than holding the process for the whole keep-alive timeout.
        const grace = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
      await metricsClosed;
      await warming;
      await apollo.stop();
      // No request can record a view any more: count what is buffered before Redis is closed.
      await views.close();
      await cache.close();
      await revocations.close();
      stopTimingStatements();
      // Last: the spans of the requests that just finished are exported before the process ends.
      await tracing?.shutdown();
    },
  };
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
