// GraphQL over HTTP on node:http: reads and checks the request once (headers, query string or JSON
// body, the document it names), answers cache hits before Apollo's pipeline runs, and writes back
// what Apollo answers otherwise. A small integration of our own instead of Express: nothing in the
// request path that cardfile does not use, and a cache hit costs a lookup and a write.
//
// Hits and misses pass the same checks: every request goes through the same reader and guards
// (graphql-request.ts, request-guards.ts) before the cache is asked, and the document a request
// runs is identified by a hash computed from its text (request-document.ts), never by the hash a
// client claims. Only a query may be cached or share its execution, and the execution itself
// refuses anything else (graphql/execution-record-plugin.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { Viewer } from '../auth/viewer.js';
import { type CachedResponse, newEntry } from '../cache/entry.js';
import { type CacheKeys, requestPart } from '../cache/keys.js';
import type { CacheOutcome, ResponseCache } from '../cache/response-cache.js';
import { type Fill, prefill, type RunFor, serveCached } from '../cache/serve-cached.js';
import type { ExecutionRecord, RequestContext } from '../graphql/context.js';
import { type DocumentFactsMemo, keyNameOf, kindOf } from '../graphql/document-facts.js';
import { newExecutionRecord } from '../graphql/request-context.js';
import type { AnsweredRequest } from '../observability/request-log.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { Tracing } from '../observability/tracing.js';
import { cacheControlOf, keepSeconds } from './answer-caching.js';
import { writeCachedResponse } from './cached-response.js';
import type { PersistedQueries } from '../cache/persisted-queries.js';
import { type GraphQLParams, readGraphQLRequest } from './graphql-request.js';
import { sendJsonError } from './json-error.js';
import { readBody } from './request-body.js';
import { ErrorCode, httpError, HttpError } from '../errors.js';
import { checkDocumentLimits, type DocumentLimits } from './document-limits.js';
import { type RequestDocument, requestDocument } from './request-document.js';
import { checkCsrf, checkGetContentType, prefersHtml, responseMediaType } from './request-guards.js';
import type { ParsedRequest, RequestMemo } from './request-memo.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<RequestContext>;
  maxBodyBytes: number;
  /** Parsed queries by request text (see request-memo.ts). */
  memo: RequestMemo;
  /** The caller, from the request's headers; throws a coded error for a refused credential. */
  resolveViewer: (headers: IncomingHttpHeaders) => Promise<Viewer | null>;
  createContext: (viewer: Viewer | null, requestId: string, execution: ExecutionRecord) => RequestContext | Promise<RequestContext>;
  cache: ResponseCache;
  keys: CacheKeys;
  /** What each document holds (its operations' kinds), by the hash the server computed. */
  documents: DocumentFactsMemo;
  /** Documents known by hash: the manifest's and those registered by clients. */
  persisted: PersistedQueries;
  now: () => number;
  /** Seconds a response may be served stale after it expires, while one refresh runs. */
  staleSeconds: number;
  /** When set, only these documents (sha256 hex of their text) are accepted: trusted-documents mode. */
  trustedDocuments: ReadonlySet<string> | undefined;
  /** Apollo serves a page at the endpoint to browsers (Sandbox, with introspection on). */
  landingPage: boolean;
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

/** What the handler learns about a request while serving it. */
type RequestRecord = Omit<AnsweredRequest, 'status' | 'seconds'>;

/** What one execution produced, as written to every request that shares it. */
interface Execution {
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


/** A JSON POST body as Apollo expects it: one operation, as an object. */
function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw httpError(ErrorCode.BAD_REQUEST, 'The request body is empty; send a JSON object with a "query".');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw httpError(ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.');
  }
  if (Array.isArray(body)) throw httpError(ErrorCode.BAD_REQUEST, 'Batched requests are not supported; send one operation per request.');
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

const json = (method: string, request: IncomingMessage) => method === 'POST' && isJson(request.headers['content-type']);

/**
 * The request as Apollo runs it once its document is known: the verified text in place of any
 * persisted-query hash, so Apollo executes exactly what was identified and registers nothing
 * itself. A GET stays a GET (Apollo refuses a mutation over GET).
 */
function resolvedRequest(method: string, headers: HeaderMap, search: string, params: GraphQLParams, text: string): HTTPGraphQLRequest {
  if (method === 'GET') {
    const query = new URLSearchParams({ query: text });
    if (params.operationName !== null) query.set('operationName', params.operationName);
    if (params.variables) query.set('variables', JSON.stringify(params.variables));
    if (params.extensions) query.set('extensions', JSON.stringify(params.extensions));
    return { method, headers, search: `?${query}`, body: '' };
  }
  // Fields left out rather than set to undefined: Apollo refuses an `extensions` key that is not an object.
  const body: Record<string, unknown> = { query: text };
  if (params.operationName !== null) body.operationName = params.operationName;
  if (params.variables) body.variables = params.variables;
  if (params.extensions) body.extensions = params.extensions;
  return { method, headers, search, body };
}

export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  const { apollo, cache } = options;

  /** Runs one operation through Apollo and decides whether its answer may be cached. */
  async function execute(
    httpGraphQLRequest: HTTPGraphQLRequest,
    viewer: Viewer | null,
    viewerError: unknown,
    requestId: string,
    trace?: RequestTrace,
    readOnly = false,
  ): Promise<Execution> {
    const execution = newExecutionRecord(trace, readOnly);
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

    const keep = keepSeconds({ status, operation: execution.operation, hadErrors: execution.hadErrors, policy: execution.policy, withViewer: viewer !== null });
    // Written here from the policy, whatever Apollo set: the one place an executed answer's header is made.
    headers['cache-control'] = cacheControlOf(keep);
    const base = { status, headers, body, statements: execution.statements, operation: execution.operation, refusedWrite: execution.refusedWrite === true };
    if (keep === 0 || !cache.enabled) return base;
    return { ...base, entry: newEntry({ body, maxAgeSeconds: keep, tags: execution.dependencies, now: options.now(), staleSeconds: options.staleSeconds }) };
  }

  /**
   * Writes one execution's answer. `mediaType` is the one negotiated for this request (absent for
   * requests Apollo alone answered): an answer shared with other requests carries each its own.
   */
  function writeExecution(request: IncomingMessage, response: ServerResponse, result: Execution, requestId: string, outcome: CacheOutcome, mediaType?: string): number {
    const extra: Record<string, string> = options.exposeStatementCount ? { 'x-sql-statements': String(result.statements) } : {};
    if (result.entry) return writeCachedResponse(request, response, result.entry, requestId, outcome, extra, mediaType);
    response.writeHead(result.status, {
      ...result.headers,
      ...(mediaType ? { 'content-type': mediaType } : {}),
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
    const facts = options.documents.of(documentHash, query);
    if (kindOf(facts, operationName) !== 'query') return false;
    const key = options.keys.response({
      documentHash,
      operationName: keyNameOf(facts, operationName),
      variables: null,
      workspaceId: viewer.workspaceId,
      role: viewer.role,
    });
    const headers = new HeaderMap([['content-type', 'application/json']]);
    return prefill(cache, key, viewer.workspaceId, async () => {
      const executed = await execute({ method: 'POST', headers, search: '', body: { query, operationName } }, viewer, undefined, randomUUID(), undefined, true);
      return executed.entry;
    });
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
    // GETs and JSON POSTs are read here; anything else (another method, a form or text body) is
    // Apollo's to refuse, and nothing of it is cached. So is a browser's visit to the page Apollo
    // serves at this address (Sandbox), when it serves one.
    const landingPage = method === 'GET' && options.landingPage && prefersHtml(request.headers);
    const readable = !landingPage && (method === 'GET' || (method === 'POST' && isJson(request.headers['content-type'])));

    // First, before the body is read: cache hits count too, and a refusal costs the least.
    const limited = await options.rateLimit?.(request);
    if (limited) {
      request.resume();
      response.setHeader('retry-after', String(limited.retryAfterSeconds));
      const refusal = httpError(ErrorCode.RATE_LIMITED, 'Too many requests: retry after the number of seconds in the Retry-After header.');
      sendJsonError(response, refusal, requestId);
      return refusal.status;
    }

    let text = '';
    let body: unknown;
    let parsed: ParsedRequest | undefined;
    // Parsed now and not found in the memo: remembered once it is known to be a cacheable query.
    let parsedNow = false;
    let mediaType: string | undefined;
    let document: RequestDocument | undefined;
    try {
      if (method === 'POST') text = await readBody(request, options.maxBodyBytes);
      if (readable) {
        // The header checks, on every request: the memo is keyed by the query string or body alone.
        checkCsrf(request.headers);
        if (method === 'GET') checkGetContentType(request.headers);
        parsed = method === 'GET' ? memo.get('GET', search) : memo.get('POST', text);
        if (!parsed) {
          if (method === 'POST') body = parseJsonBody(text);
          if (options.documentLimits) checkDocumentLimits(method, search, body, options.documentLimits);
          parsed = { params: readGraphQLRequest(method as 'GET' | 'POST', search, body) };
          parsedNow = true;
        }
        mediaType = responseMediaType(request.headers);
        const identified = requestDocument(parsed.params, options.persisted, parsed.textHash);
        document = identified instanceof Promise ? await identified : identified;
        if (document.kind === 'known' && parsed.params.query !== undefined) parsed.textHash = document.hash;
      }
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendJsonError(response, error, requestId);
      return error.status;
    }
    const params = parsed?.params;
    const known = document?.kind === 'known' ? document : undefined;
    // Apollo's view of the request, built only when it has to run (never for a cache hit).
    const apolloRequest = (): HTTPGraphQLRequest => {
      const headers = headerMapOf(request);
      if (params && known) return resolvedRequest(method, headers, search, params, known.text);
      // Not read here, or a hash that names no known document (Apollo answers
      // PERSISTED_QUERY_NOT_FOUND). A body that was parsed before parses again.
      body ??= json(method, request) ? JSON.parse(text) : text;
      return { method, headers, search, body };
    };

    if (options.trustedDocuments && !(known && options.trustedDocuments.has(known.hash))) {
      const refusal = httpError(
        ErrorCode.PERSISTED_QUERY_NOT_FOUND,
        'This server accepts only the operations published with its client SDK: send one of their sha256 hashes.',
      );
      sendJsonError(response, refusal, requestId);
      return refusal.status;
    }

    // The caller is resolved once, here; a bad token is answered by Apollo from the context.
    let viewer: Viewer | null = null;
    let viewerError: unknown;
    try {
      viewer = await options.resolveViewer(request.headers);
    } catch (error) {
      // A refused or uncheckable token (coded by the resolver): Apollo answers it from the context.
      viewerError = error;
    }

    const operationLabel = (known && options.publishedNames?.get(known.hash)) ?? 'other';
    record.operation = operationLabel;
    record.workspaceId = viewer?.workspaceId;
    // A client sending a document with its hash asks for it to be registered: done for valid
    // tokens only, once the document is known to be a GraphQL operation (it resolved one, or it
    // answered from the cache, where only executed queries are).
    // Undefined when nothing is to be registered, so the usual request does not wait a turn for it.
    const registerIfAsked = (resolved: boolean): Promise<void> | undefined =>
      known?.register && viewer && resolved ? options.persisted.register(viewer.workspaceId, known.hash, known.text) : undefined;

    const facts = known && options.documents.of(known.hash, known.text);
    const isQuery = facts !== undefined && params !== undefined && kindOf(facts, params.operationName) === 'query';
    if (!cache.enabled || !viewer || !isQuery || !parsed || !params || !known) {
      const result = await execute(apolloRequest(), viewer, viewerError, requestId, trace);
      const registering = registerIfAsked(result.operation !== undefined);
      if (registering) await registering;
      options.onCacheOutcome?.('bypass', operationLabel);
      record.outcome = 'bypass';
      record.statements = result.statements;
      return writeExecution(request, response, result, requestId, 'bypass', mediaType);
    }

    // A query may come again word for word (the next scroll of the same list, a CDN's GET); a
    // mutation carries new values each time, and remembering it would only push queries out.
    if (parsedNow && method === 'GET') memo.set('GET', search, parsed);
    else if (parsedNow) memo.set('POST', text, parsed);
    parsed.keyPart ??= requestPart(known.hash, keyNameOf(facts, params.operationName), params.variables);
    const key = options.keys.responseFor(viewer.workspaceId, viewer.role, parsed.keyPart);
    const caller = viewer; // as narrowed here: the run below may happen later
    // Run for the request(s) waiting, or in the background for a stale entry (no client waits on
    // that one: an id and no trace of its own). Read-only: only a query may be shared or kept.
    const run = async (why: RunFor): Promise<Fill<Execution>> => {
      const executed = await execute(apolloRequest(), caller, undefined, why === 'request' ? requestId : randomUUID(), why === 'request' ? trace : undefined, true);
      return { value: executed, entry: executed.entry };
    };
    const served = await serveCached(cache, key, viewer.workspaceId, run, trace);
    if ('entry' in served) {
      const registering = registerIfAsked(true);
      if (registering) await registering;
      options.onCacheOutcome?.(served.outcome, operationLabel);
      record.outcome = served.outcome;
      return writeCachedResponse(request, response, served.entry, requestId, served.outcome, {}, mediaType);
    }
    let result = served.value;
    let outcome: CacheOutcome = served.outcome;
    if (result.refusedWrite) {
      // Not a query after all: every caller runs its own, as an ordinary request.
      result = await execute(apolloRequest(), viewer, undefined, requestId, trace);
      outcome = 'bypass';
    }
    const registering = registerIfAsked(result.operation !== undefined);
    if (registering) await registering;
    options.onCacheOutcome?.(outcome, operationLabel);
    record.outcome = outcome;
    record.statements = outcome === 'coalesced' ? 0 : result.statements;
    return writeExecution(request, response, result, requestId, outcome, mediaType);
  };
  return { handle, prefetch };
}
