// GraphQL over HTTP on node:http: parses what Apollo's HTTP layer expects (headers, query string,
// a JSON body), answers cache hits before Apollo's pipeline runs, and writes back what Apollo
// answers otherwise. A small integration of our own instead of Express: nothing in the request
// path that cardfile does not use, and a cache hit costs a lookup and a write.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { Viewer, ViewerResolver } from '../auth/viewer.js';
import { requestErrorFor } from '../db/errors.js';
import { type CachedResponse, etagOf } from '../cache/entry.js';
import { type CacheKeys, requestPart } from '../cache/keys.js';
import type { CacheOutcome, FillTicket, ResponseCache } from '../cache/response-cache.js';
import type { ExecutionRecord, RequestContext } from '../graphql/context.js';
import type { OperationKinds } from '../graphql/operation-kind.js';
import { newExecutionRecord } from '../graphql/request-context.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { Tracing } from '../observability/tracing.js';
import { writeCachedResponse } from './cached-response.js';
import { graphQLParamsOf } from './graphql-params.js';
import { BodyError, readBody } from './request-body.js';
import { checkDocumentLimits, type DocumentLimits } from './document-limits.js';
import type { ParsedRequest, RequestMemo } from './request-memo.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<RequestContext>;
  maxBodyBytes: number;
  /** Parsed queries by request text (see request-memo.ts). */
  memo: RequestMemo;
  resolveViewer: ViewerResolver;
  createContext: (viewer: Viewer | null, requestId: string, execution: ExecutionRecord) => RequestContext | Promise<RequestContext>;
  cache: ResponseCache;
  keys: CacheKeys;
  operationKinds: OperationKinds;
  now: () => number;
  /** Seconds a response may be served stale after it expires, while one refresh runs. */
  staleSeconds: number;
  /** When set, only these documents (sha256 hex) are accepted: trusted-documents mode. */
  trustedDocuments: ReadonlySet<string> | undefined;
  /** Expose the request's SQL statement count as a response header (not in production). */
  exposeStatementCount: boolean;
  onStatements?: (count: number) => void;
  /** `operation` is a published (manifest) operation's name, or `other`: labels stay bounded. */
  onCacheOutcome?: (outcome: CacheOutcome, operation: string) => void;
  /** Names of the manifest's operations by document hash, for metrics. */
  publishedNames?: ReadonlyMap<string, string>;
  /** Told of every request once answered: the per-request log line and metrics. */
  onAnswered?: (answered: AnsweredRequest) => void;
  /** Set when tracing is on: a root span per request, with the spans of its work under it. */
  tracing?: Tracing;
  /** Caps on the query document and variables, checked before anything parses them. */
  documentLimits?: DocumentLimits;
  /** Counts the request against its rate limits: undefined to go on, or the seconds to wait. */
  rateLimit?: (request: IncomingMessage) => Promise<{ retryAfterSeconds: number } | undefined>;
}

/** One answered GraphQL request, as logged and measured. */
export interface AnsweredRequest {
  requestId: string;
  /** A published operation's name, or `other`. */
  operation: string;
  /** hit-l1, hit-l2, stale, miss, coalesced, bypass, or refused (answered before any of those). */
  outcome: CacheOutcome | 'refused';
  status: number;
  workspaceId: number | undefined;
  statements: number;
  seconds: number;
}

/** What the handler learns about a request while serving it. */
type RequestRecord = Omit<AnsweredRequest, 'status' | 'seconds'>;

/** What one execution produced, as written to every request that shares it. */
interface Execution {
  status: number;
  headers: Record<string, string>;
  body: string;
  statements: number;
  operation: ExecutionRecord['operation'];
  /** Set when the response may be cached. */
  entry?: CachedResponse;
}

export function sendJsonError(response: ServerResponse, status: number, code: string, message: string, requestId?: string) {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(requestId ? { 'x-request-id': requestId } : {}),
  });
  response.end(body);
}

/** A JSON POST body as Apollo expects it: one operation, as an object. */
function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new BodyError(400, 'BAD_REQUEST', 'The request body is empty; send a JSON object with a "query".');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BodyError(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (Array.isArray(body)) throw new BodyError(400, 'BAD_REQUEST', 'Batched requests are not supported; send one operation per request.');
  return body;
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function isJson(contentType: string | undefined): boolean {
  // The media type must end after "json" (parameters may follow): application/json-patch and
  // application/json-seq are other formats.
  return !!contentType && /^application\/(graphql-response\+)?json\s*(;|$)/i.test(contentType.trim());
}

const MAX_AGE = /(?:^|[\s,])max-age=(\d+)/;
// Jitter spreads the expiry of entries filled together, so they are not all refreshed at once.
const jitter = () => 0.9 + Math.random() * 0.2;

export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  const { apollo, cache } = options;

  /** Runs one operation through Apollo and decides whether its answer may be cached. */
  async function execute(httpGraphQLRequest: HTTPGraphQLRequest, viewer: Viewer | null, viewerError: unknown, requestId: string, trace?: RequestTrace): Promise<Execution> {
    const execution = newExecutionRecord(trace);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        if (viewerError) throw viewerError;
        return options.createContext(viewer, requestId, execution);
      },
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of result.headers) headers[name] = value;
    let body = '';
    if (result.body.kind === 'complete') body = result.body.string;
    else for await (const chunk of result.body.asyncIterator) body += chunk;
    const status = result.status ?? 200;
    options.onStatements?.(execution.statements);

    const maxAge = Number(MAX_AGE.exec(headers['cache-control'] ?? '')?.[1] ?? 0);
    const cacheable = status === 200 && execution.operation === 'query' && !execution.hadErrors && maxAge > 0 && viewer !== null;
    // Errors and everything else that may not be kept are marked so for browsers and CDNs too.
    if (!cacheable) headers['cache-control'] = 'no-store';
    const base = { status, headers, body, statements: execution.statements, operation: execution.operation };
    if (!cacheable || !cache.enabled) return base;
    const now = options.now();
    const freshUntil = now + Math.round(maxAge * 1000 * jitter());
    const entry: CachedResponse = {
      body,
      bytes: Buffer.byteLength(body),
      etag: etagOf(body),
      cacheControl: headers['cache-control']!,
      maxAgeSeconds: maxAge,
      freshUntil,
      staleUntil: freshUntil + options.staleSeconds * 1000,
      tags: [...execution.dependencies],
    };
    return { ...base, entry };
  }

  function writeExecution(request: IncomingMessage, response: ServerResponse, result: Execution, requestId: string, outcome: CacheOutcome): number {
    const extra: Record<string, string> = options.exposeStatementCount ? { 'x-sql-statements': String(result.statements) } : {};
    if (result.entry) return writeCachedResponse(request, response, result.entry, requestId, outcome, extra);
    response.writeHead(result.status, {
      ...result.headers,
      ...extra,
      'x-cache': outcome,
      'x-request-id': requestId,
      'content-length': String(Buffer.byteLength(result.body)),
    });
    response.end(result.body);
    return result.status;
  }

  /**
   * Runs a query for a workspace without a client and caches its answer, under the key a client
   * sending the same persisted document (without variables) would look up. True when cached.
   */
  async function prefetch(viewer: Viewer, documentHash: string, query: string, operationName: string): Promise<boolean> {
    if (!cache.enabled) return false;
    const key = options.keys.response({
      documentHash,
      operationName: options.operationKinds.keyName(documentHash, operationName),
      variables: null,
      workspaceId: viewer.workspaceId,
      role: viewer.role,
    });
    const ticket = await cache.ticket(viewer.workspaceId);
    const headers = new HeaderMap([['content-type', 'application/json']]);
    const result = await execute({ method: 'POST', headers, search: '', body: { query, operationName } }, viewer, undefined, randomUUID());
    if (!result.entry) return false;
    await cache.store(key, result.entry, ticket);
    return true;
  }

  const { memo } = options;

  const handle = async (request: IncomingMessage, response: ServerResponse, search: string): Promise<number> => {
    const started = performance.now();
    const record: RequestRecord = { requestId: randomUUID(), operation: 'other', outcome: 'refused', workspaceId: undefined, statements: 0 };
    const trace = options.tracing?.startRequest(request.method ?? 'GET', request.headers);
    const serving = serve(request, response, search, record, trace);
    if (trace) {
      serving.then(
        (status) => trace.end({ ...record, status }),
        () => trace.end({ ...record, status: 500 }),
      );
    }
    const status = await serving;
    options.onAnswered?.({ ...record, status, seconds: (performance.now() - started) / 1000 });
    return status;
  };

  const serve = async (request: IncomingMessage, response: ServerResponse, search: string, record: RequestRecord, trace?: RequestTrace): Promise<number> => {
    const { requestId } = record;
    const method = request.method ?? 'GET';
    const json = method === 'POST' && isJson(request.headers['content-type']);

    // First, before the body is read: cache hits count too, and a refusal costs the least.
    const limited = await options.rateLimit?.(request);
    if (limited) {
      request.resume();
      response.setHeader('retry-after', String(limited.retryAfterSeconds));
      sendJsonError(response, 429, 'RATE_LIMITED', 'Too many requests: retry after the number of seconds in the Retry-After header.', requestId);
      return 429;
    }

    let text = '';
    let body: unknown;
    let parsed: ParsedRequest | undefined;
    // Parsed now and not found in the memo: remembered once it is known to be a cacheable query.
    let parsedNow = false;
    try {
      if (method === 'POST') text = await readBody(request, options.maxBodyBytes);
      parsed = method === 'GET' ? memo.get('GET', search) : json ? memo.get('POST', text) : undefined;
      if (!parsed) {
        body = json ? parseJsonBody(text) : text;
        if (options.documentLimits) checkDocumentLimits(method, search, body, options.documentLimits);
        const params = graphQLParamsOf(method, search, body);
        if (params) {
          parsed = { params };
          parsedNow = true;
        }
      }
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      sendJsonError(response, error.status, error.code, error.message, requestId);
      return error.status;
    }
    const params = parsed?.params;
    // Apollo's view of the request, built only when it has to run (never for a cache hit). A body
    // that came from the memo parsed before, so parsing it again cannot fail.
    const apolloRequest = (): HTTPGraphQLRequest => {
      body ??= json ? JSON.parse(text) : text;
      return { method, headers: headerMapOf(request), search, body };
    };

    if (options.trustedDocuments && !(params && options.trustedDocuments.has(params.documentHash))) {
      sendJsonError(
        response,
        400,
        'PERSISTED_QUERY_NOT_FOUND',
        'This server accepts only the operations published with its client SDK: send one of their sha256 hashes.',
        requestId,
      );
      return 400;
    }

    // The caller is resolved once, here; a bad token is answered by Apollo from the context.
    let viewer: Viewer | null = null;
    let viewerError: unknown;
    try {
      viewer = await options.resolveViewer(request.headers.authorization);
    } catch (error) {
      // A token that cannot be checked because the database is unreachable ends the request with
      // its coded error: thrown as it is, Apollo would answer a 500 "Context creation failed".
      viewerError = requestErrorFor(error) ?? error;
    }

    const operationLabel = (params && options.publishedNames?.get(params.documentHash)) ?? 'other';
    record.operation = operationLabel;
    record.workspaceId = viewer?.workspaceId;
    const isQuery = cache.enabled && viewer && params && options.operationKinds.kindOf(params.documentHash, params.operationName, params.query) === 'query';
    if (!isQuery || !parsed || !params || !viewer) {
      const result = await execute(apolloRequest(), viewer, viewerError, requestId, trace);
      // A document that arrived as a bare hash is known once it ran: the next request can use the cache.
      if (params && result.operation) options.operationKinds.remember(params.documentHash, params.operationName, result.operation);
      options.onCacheOutcome?.('bypass', operationLabel);
      record.outcome = 'bypass';
      record.statements = result.statements;
      return writeExecution(request, response, result, requestId, 'bypass');
    }

    // A query may come again word for word (the next scroll of the same list, a CDN's GET); a
    // mutation carries new values each time, and remembering it would only push queries out.
    if (parsedNow && method === 'GET') memo.set('GET', search, parsed);
    else if (parsedNow && json) memo.set('POST', text, parsed);
    // Known to be a query by now, so whether its document holds one operation is known too.
    parsed.keyPart ??= requestPart(params.documentHash, options.operationKinds.keyName(params.documentHash, params.operationName), params.variables);
    const key = options.keys.responseFor(viewer.workspaceId, viewer.role, parsed.keyPart);
    const found = await cache.lookup(key, viewer.workspaceId, trace);
    if ('entry' in found) {
      const outcome: CacheOutcome = found.stale ? 'stale' : found.tier === 'l1' ? 'hit-l1' : 'hit-l2';
      if (found.stale) {
        const refreshViewer = viewer;
        cache.refreshInBackground(key, async () => {
          const ticket = await cache.ticket(refreshViewer.workspaceId);
          const result = await execute(apolloRequest(), refreshViewer, undefined, randomUUID());
          if (result.entry) await cache.store(key, result.entry, ticket);
        });
      }
      options.onCacheOutcome?.(outcome, operationLabel);
      record.outcome = outcome;
      return writeCachedResponse(request, response, found.entry, requestId, outcome);
    }

    // A concurrent request may have filled L1 while this one waited for Redis.
    const filledMeanwhile = cache.fromMemory(key);
    if (filledMeanwhile) {
      options.onCacheOutcome?.('hit-l1', operationLabel);
      record.outcome = 'hit-l1';
      return writeCachedResponse(request, response, filledMeanwhile, requestId, 'hit-l1');
    }
    const ticket: FillTicket = found;
    // A request carrying the document and one carrying its hash alone may answer differently (the
    // hash may be unknown here: PERSISTED_QUERY_NOT_FOUND), so only requests of the same form
    // share an execution.
    const flightKey = `${key}:${params.query === undefined ? 'hash' : 'document'}`;
    const { value: result, shared } = await cache.singleFlight(flightKey, ticket, async () => {
      const executed = await execute(apolloRequest(), viewer, undefined, requestId, trace);
      if (executed.entry) void cache.store(key, executed.entry, ticket);
      return executed;
    });
    const outcome: CacheOutcome = shared ? 'coalesced' : 'miss';
    options.onCacheOutcome?.(outcome, operationLabel);
    record.outcome = outcome;
    record.statements = shared ? 0 : result.statements;
    return writeExecution(request, response, result, requestId, outcome);
  };
  return { handle, prefetch };
}
