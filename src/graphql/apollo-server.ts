// Apollo Server as cardfile runs it: the schema, error masking, and the plugins grouped by the
// phase of a request they act in. Responses are cached by cardfile's own tiers (src/cache/), and
// persisted queries resolved before Apollo runs (src/http/request-document.ts), so Apollo only
// reads the persisted-query store (for a hash nothing resolved, to answer PERSISTED_QUERY_NOT_FOUND).
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config.js';
import type { ErrorTracker } from '../observability/error-tracker.js';
import type { Logger } from '../observability/logger.js';
import { accessPlugin } from './access-plugin.js';
import { cachePolicyPlugin } from './cache-policy-plugin.js';
import type { RequestContext } from './context.js';
import { createErrorFormatter } from './error-formatting.js';
import { errorReportingPlugin } from './error-reporting-plugin.js';
import { errorsInResultPlugin } from './errors-in-result-plugin.js';
import { executionRecordPlugin } from './execution-record-plugin.js';
import { queryCostPlugin } from './limits/query-cost.js';
import { shapeRules } from './limits/shape-rules.js';
import { tracingPlugin } from './tracing-plugin.js';
import { compiledExecution, type ExecutionEngine } from './compiled-execution.js';
import type { PublishedOperation } from './published-operations.js';

export interface ApolloServerOptions {
  schema: GraphQLSchema;
  config: Pick<Config, 'introspection' | 'production' | 'limits'>;
  errors: ErrorTracker;
  /** Told of every error's code as the client sees it. */
  onErrorCode: (code: string) => void;
  /** The persisted-query store, as Apollo may read it (never write). */
  persistedQueries: KeyValueCache<string>;
  /** The published operations: those that are queries run compiled. */
  published: Iterable<PublishedOperation>;
  /** Told of each execution, by the engine that ran it (the executions metric). */
  onExecution?: (engine: ExecutionEngine) => void;
  /** With tracing on: phases and resolvers get spans. */
  traced: boolean;
  /** With the status page on: told of each answer that carries errors. */
  onErrorsInResult: (() => void) | undefined;
  logger: Logger;
}

export function createApolloServer(options: ApolloServerOptions): ApolloServer<RequestContext> {
  const { schema, config } = options;
  const published = [...options.published];
  const publishedHashes = new Set(published.map((operation) => operation.hash));
  const plugins: Array<ApolloServerPlugin<RequestContext>> = [
    // The operation resolved: its cache policy, who may run it, what it may cost, and the record
    // the HTTP layer reads (its kind; a read-only execution stops anything but a query).
    ApolloServerPluginCacheControlDisabled(),
    cachePolicyPlugin(schema),
    accessPlugin(),
    queryCostPlugin<RequestContext>(schema, config.limits.maxQueryCost, publishedHashes),
    executionRecordPlugin(),
    // Execution: spans for resolvers, when tracing.
    ...(options.traced ? [tracingPlugin()] : []),
    // The response: errors counted and reported.
    ...(options.onErrorsInResult ? [errorsInResultPlugin<RequestContext>(options.onErrorsInResult)] : []),
    errorReportingPlugin(options.errors),
    // Browsers asking for /graphql: Sandbox outside production.
    config.introspection ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
  ];
  const { logger } = options;
  return new ApolloServer<RequestContext>({
    // Apollo's executor hook: published queries run compiled (compiled-execution.ts).
    gateway: compiledExecution({ schema, published, onExecution: options.onExecution }).gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // "Did you mean ...?" would describe the schema to anyone in production.
    hideSchemaDetailsFromClientErrors: config.production,
    validationRules: shapeRules(config.limits),
    formatError: createErrorFormatter(options.errors, { hideSchemaDetails: config.production, onCode: options.onErrorCode }),
    stopOnTerminationSignals: false,
    persistedQueries: { cache: options.persistedQueries },
    plugins,
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
}
