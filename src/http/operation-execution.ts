// The phase that runs an operation through Apollo and writes its answer: the one place an executed
// answer's Cache-Control is made (from the policy the execution recorded) and the one place an
// answer that may be kept becomes a cache entry.
import type { ServerResponse, IncomingMessage } from 'node:http';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import type { Viewer } from '../auth/viewer.js';
import { type CachedResponse, newEntry } from '../cache/entry.js';
import type { CacheOutcome } from '../cache/response-cache.js';
import type { ExecutionRecord, RequestContext } from '../graphql/context.js';
import { newExecutionRecord } from '../graphql/request-context.js';
import type { RequestTrace } from '../observability/request-trace.js';
import { cacheControlOf, keepSeconds } from './answer-caching.js';
import { varyOn, writeCachedResponse } from './cached-response.js';
import { preferredCoding } from './answer-coding.js';
import { encodeOnce, MIN_COMPRESSED_BYTES } from '../cache/body-encodings.js';

export interface ExecutionSettings {
  apollo: ApolloServer<RequestContext>;
  createContext: (viewer: Viewer | null, requestId: string, execution: ExecutionRecord) => RequestContext | Promise<RequestContext>;
  /** Whether answers are kept at all (a cache is on). */
  caching: boolean;
  now: () => number;
  /** Seconds a response may be served stale after it expires, while one refresh runs. */
  staleSeconds: number;
  /** Expose the request's SQL statement count as a response header (not in production). */
  exposeStatementCount: boolean;
  onStatements?: (count: number) => void;
}

/** What one execution produced, as written to every request that shares it. */
export interface Execution {
  status: number;
  headers: Record<string, string>;
  body: string;
  statements: number;
  operation: ExecutionRecord['operation'];
  /** A read-only execution met an operation that was not a query, and stopped before running it. */
  refusedWrite: boolean;
  /** Set when the response may be cached. */
  entry?: CachedResponse;
}

export interface ExecutionRequest {
  request: HTTPGraphQLRequest;
  viewer: Viewer | null;
  /** A refused or uncheckable credential: Apollo answers it from the context. */
  viewerError?: unknown;
  requestId: string;
  trace?: RequestTrace;
  /** Only a query may run (an execution whose answer may be shared or kept). */
  readOnly?: boolean;
}

export function createExecutor(settings: ExecutionSettings) {
  const { apollo } = settings;

  /** Runs one operation through Apollo and decides whether its answer may be cached. */
  async function execute({ request, viewer, viewerError, requestId, trace, readOnly = false }: ExecutionRequest): Promise<Execution> {
    const execution = newExecutionRecord(trace, readOnly);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: async () => {
        if (viewerError) throw viewerError;
        return settings.createContext(viewer, requestId, execution);
      },
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of result.headers) headers[name] = value;
    let body = '';
    if (result.body.kind === 'complete') body = result.body.string;
    else for await (const chunk of result.body.asyncIterator) body += chunk;
    const status = result.status ?? 200;
    settings.onStatements?.(execution.statements);

    const keep = keepSeconds({ status, operation: execution.operation, hadErrors: execution.hadErrors, policy: execution.policy, withViewer: viewer !== null });
    // Written here from the policy, whatever Apollo set: the one place an executed answer's header is made.
    headers['cache-control'] = cacheControlOf(keep);
    const base = { status, headers, body, statements: execution.statements, operation: execution.operation, refusedWrite: execution.refusedWrite === true };
    if (keep === 0 || !settings.caching) return base;
    return { ...base, entry: newEntry({ body, maxAgeSeconds: keep, tags: execution.dependencies, now: settings.now(), staleSeconds: settings.staleSeconds }) };
  }

  /**
   * Writes one execution's answer. `mediaType` is the one negotiated for this request (absent for
   * requests Apollo alone answered): an answer shared with other requests carries each its own.
   */
  function write(request: IncomingMessage, response: ServerResponse, result: Execution, requestId: string, outcome: CacheOutcome, mediaType?: string): number {
    const extra: Record<string, string> = settings.exposeStatementCount ? { 'x-sql-statements': String(result.statements) } : {};
    if (result.entry) return writeCachedResponse(request, response, result.entry, requestId, outcome, extra, mediaType);
    // Not kept: compressed once, cheaply, when the client takes it and it is long enough to gain.
    const plain = Buffer.from(result.body);
    const coding = plain.length >= MIN_COMPRESSED_BYTES ? preferredCoding(request.headers['accept-encoding']) : undefined;
    const encoded = coding && encodeOnce(plain, coding);
    const payload = encoded || plain;
    response.writeHead(result.status, {
      ...result.headers,
      ...(mediaType ? { 'content-type': mediaType } : {}),
      ...(encoded ? { 'content-encoding': coding, vary: varyOn(response, 'Accept-Encoding') } : {}),
      ...extra,
      'x-cache': outcome,
      'x-request-id': requestId,
      'content-length': String(payload.length),
    });
    response.end(payload);
    return result.status;
  }

  return { execute, write };
}

export type Executor = ReturnType<typeof createExecutor>;
