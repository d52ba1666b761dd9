// Published queries run as compiled code; everything else runs through graphql-js as before.
//
// graphql-js walks the document for every request: it collects fields, looks up resolvers and
// builds path and info objects per field, hundreds of times for a 50-contact page. graphql-jit
// turns one document into a JavaScript function once, with the walk unrolled. Measured on the
// uncached contacts page (PostgreSQL, one core): 5.7-6.5 ms of server CPU per request through
// graphql-js, 3.9-4.1 ms compiled, the same bytes out.
//
// Only the published queries are compiled (the persisted-documents manifest, matched by the sha256
// of the text Apollo parsed), all of them at start: their number is fixed, so the compiled
// functions are bounded, and a flood of distinct documents cannot make the server compile (a few
// ms each) or keep code for them.
// Mutations stay on graphql-js: they are few per page view, and their error paths stay as tested.
//
// The hook is Apollo's executor (the gateway interface): parsing, validation, the plugins and
// error formatting stay Apollo's, only the execution step differs.
import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { createRequire } from 'node:module';
import type { ExecutionResult, GraphQLError as GraphQLErrorType, GraphQLSchema } from 'graphql';
import { compileQuery, type CompiledQuery, isCompiledQuery } from 'graphql-jit';
import { Counter, type Registry } from 'prom-client';
import type { PublishedOperation } from './published-operations.js';

// graphql-js as the schema's builder (@graphql-tools/schema) and graphql-jit load it: through
// require. graphql 16 ships two copies (CommonJS and .mjs) with no exports map, and a test runner
// that resolves this file's imports by the "module" field would hand it the other copy, whose
// execute refuses a schema built by the first.
const { execute, GraphQLError, parse } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export type ExecutionEngine = 'compiled' | 'interpreted';

export interface CompiledExecutionOptions {
  schema: GraphQLSchema;
  /** The published operations: those that are queries are compiled, once, here. */
  published: Iterable<PublishedOperation>;
  /** Told of each execution, by the engine that ran it. */
  onExecution?: (engine: ExecutionEngine) => void;
}

export interface CompiledExecution {
  gateway: GatewayInterface;
  /** How many published queries were compiled. */
  compiledCount: number;
}

/**
 * Every published query compiled, by the sha256 of its text: made once from the manifest (a few
 * ms each, before the first request rather than during it), never grown by traffic.
 */
function compilePublished(schema: GraphQLSchema, published: Iterable<PublishedOperation>): ReadonlyMap<string, CompiledQuery> {
  const compiled = new Map<string, CompiledQuery>();
  for (const operation of published) {
    if (operation.kind !== 'query') continue;
    const made = compileQuery(schema, parse(operation.text), operation.name);
    // A document graphql-jit could not compile is not an error of any request: graphql-js runs it.
    if (isCompiledQuery(made)) compiled.set(operation.hash, made);
  }
  return compiled;
}

/**
 * graphql-jit's error as graphql-js makes it. Its own leaves `extensions` undefined when the thrown
 * error has none (a database error), where Apollo reads `extensions.code` and, failing, answers a
 * bare internal error instead of letting the formatter map it (SERVICE_UNAVAILABLE). Errors are
 * the exception, so the copy costs nothing on a page that has none.
 */
function asGraphQLJsError(error: GraphQLErrorType): GraphQLErrorType {
  const copy = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  // Where in the document: graphql-jit computed it, and the copy has no nodes to compute it from.
  (copy as { locations?: GraphQLErrorType['locations'] }).locations = error.locations;
  return copy;
}

export function compiledExecution({ schema, published, onExecution = () => {} }: CompiledExecutionOptions): CompiledExecution {
  const compiled = compilePublished(schema, published);

  function compiledFor(request: GatewayGraphQLRequestContext): CompiledQuery | undefined {
    // No operation resolved (several in the document and no or a wrong operationName): graphql-js
    // reports it, and Apollo answers OPERATION_RESOLUTION_FAILURE from that report. The hash is
    // Apollo's own of the text it parsed, never one a client claimed.
    if (request.operation?.operation !== 'query') return undefined;
    return compiled.get(request.queryHash);
  }

  const interpreted = (request: GatewayGraphQLRequestContext): Promise<ExecutionResult> | ExecutionResult =>
    execute({
      schema,
      document: request.document,
      contextValue: request.context,
      variableValues: request.request.variables,
      operationName: request.request.operationName,
    });

  const executor: GatewayExecutor = async (request) => {
    const query = compiledFor(request);
    if (query) {
      const result = await query.query(undefined, request.context, request.request.variables ?? {});
      // Data present (null included): the operation ran. Without any, its variables were refused
      // before anything ran, and graphql-js refuses them again below, with the messages and error
      // nodes Apollo reads to answer 400 BAD_USER_INPUT.
      if ('data' in result && result.data !== undefined) {
        onExecution('compiled');
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : (result as ExecutionResult);
      }
    }
    onExecution('interpreted');
    return interpreted(request);
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
  return { gateway, compiledCount: compiled.size };
}

/** Executions by engine: published queries should nearly all be `compiled`. */
export function createExecutionMetrics(registry: Registry): (engine: ExecutionEngine) => void {
  const executions = new Counter({
    name: 'cardfile_graphql_executions_total',
    help: 'Operations executed (cache misses), by engine: compiled (published queries, graphql-jit) or interpreted (graphql-js: any other document, mutations, refused variables).',
    labelNames: ['engine'] as const,
    registers: [registry],
  });
  return (engine) => executions.inc({ engine });
}
