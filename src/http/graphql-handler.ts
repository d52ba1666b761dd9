// GraphQL over HTTP on node:http, as the phases of a request: count it against the rate limits,
// read and identify it (incoming-operation.ts), keep untrusted documents out, resolve the caller,
// then either run it (operation-execution.ts) or let the response cache serve it
// (cache/serve-cached.ts), and write the answer. A small integration of our own instead of
// Express: nothing in the request path that cardfile does not use, and a cache hit costs a lookup
// and a write.
//
// Hits and misses pass the same checks: every request is read and checked before the cache is
// asked, and the document a request runs is identified by a hash computed from its text, never by
// the hash a client claims. Only a query may be cached or share its execution, and the execution
// itself refuses anything else (graphql/execution-record-plugin.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import type { Viewer } from '../auth/viewer.js';
import { type CacheKeys, requestPart } from '../cache/keys.js';
import type { CacheOutcome, ResponseCache } from '../cache/response-cache.js';
import { type Fill, prefill, type RunFor, serveCached } from '../cache/serve-cached.js';
import type { PersistedQueries } from '../cache/persisted-queries.js';
import type { ExecutionRecord, RequestContext } from '../graphql/context.js';
import { type DocumentFactsMemo, keyNameOf, kindOf } from '../graphql/document-facts.js';
import type { AnsweredRequest } from '../observability/request-log.js';
import type { RequestTrace } from '../observability/request-trace.js';
import type { Tracing } from '../observability/tracing.js';
import { ErrorCode, httpError, HttpError } from '../errors.js';
import { writeCachedResponse } from './cached-response.js';
import type { DocumentLimits } from './document-limits.js';
import { type IncomingOperation, readIncomingOperation } from './incoming-operation.js';
import { sendJsonError } from './json-error.js';
import { createExecutor, type Execution } from './operation-execution.js';
import type { RequestMemo } from './request-memo.js';

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

export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  const { cache } = options;
  const executor = createExecutor({
    apollo: options.apollo,
    createContext: options.createContext,
    caching: cache.enabled,
    now: options.now,
    staleSeconds: options.staleSeconds,
    exposeStatementCount: options.exposeStatementCount,
    onStatements: options.onStatements,
  });
  const readSettings = {
    maxBodyBytes: options.maxBodyBytes,
    memo: options.memo,
    persisted: options.persisted,
    documentLimits: options.documentLimits,
    landingPage: options.landingPage,
  };

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
      const request = { method: 'POST', headers, search: '', body: { query, operationName } };
      const executed = await executor.execute({ request, viewer, requestId: randomUUID(), readOnly: true });
      return executed.entry;
    });
  }

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
    const refuse = (refusal: HttpError) => {
      sendJsonError(response, refusal, requestId);
      return refusal.status;
    };

    // 1. Rate limits, before the body is read: cache hits count too, and a refusal costs the least.
    const limited = await options.rateLimit?.(request);
    if (limited) {
      request.resume();
      response.setHeader('retry-after', String(limited.retryAfterSeconds));
      return refuse(httpError(ErrorCode.RATE_LIMITED, 'Too many requests: retry after the number of seconds in the Retry-After header.'));
    }

    // 2. Read, check and identify the request.
    let incoming: IncomingOperation;
    try {
      const read = readIncomingOperation(request, search, readSettings);
      incoming = read instanceof Promise ? await read : read;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return refuse(error);
    }
    const { known, parsed, mediaType } = incoming;

    // 3. Trusted-documents mode: only the published operations.
    if (options.trustedDocuments && !(known && options.trustedDocuments.has(known.hash))) {
      return refuse(
        httpError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'This server accepts only the operations published with its client SDK: send one of their sha256 hashes.'),
      );
    }

    // 4. The caller, resolved once; a bad token is answered by Apollo from the context.
    let viewer: Viewer | null = null;
    let viewerError: unknown;
    try {
      viewer = await options.resolveViewer(request.headers);
    } catch (error) {
      viewerError = error;
    }
    const operationLabel = (known && options.publishedNames?.get(known.hash)) ?? 'other';
    record.operation = operationLabel;
    record.workspaceId = viewer?.workspaceId;
    // A client sending a document with its hash asks for it to be registered: done for valid
    // tokens only, once the document is known to be a GraphQL operation (it resolved one, or it
    // answered from the cache, where only executed queries are). Awaited only when there is
    // something to register, so the usual request does not wait a turn for it.
    const registerIfAsked = async (resolved: boolean): Promise<void> => {
      if (known?.register && viewer && resolved) await options.persisted.register(viewer.workspaceId, known.hash, known.text);
    };
    const answered = async (result: Execution, outcome: CacheOutcome): Promise<number> => {
      if (known?.register) await registerIfAsked(result.operation !== undefined);
      options.onCacheOutcome?.(outcome, operationLabel);
      record.outcome = outcome;
      record.statements = outcome === 'coalesced' ? 0 : result.statements;
      return executor.write(request, response, result, requestId, outcome, mediaType);
    };

    // 5. Anything but a query with a caller, when a cache is on, simply runs.
    const facts = known && options.documents.of(known.hash, known.text);
    const params = parsed?.params;
    const isQuery = facts !== undefined && params !== undefined && kindOf(facts, params.operationName) === 'query';
    if (!cache.enabled || !viewer || !isQuery || !parsed || !params || !known) {
      const result = await executor.execute({ request: incoming.apolloRequest(), viewer, viewerError, requestId, trace });
      return answered(result, 'bypass');
    }

    // 6. A query: the response cache serves it, or runs it once for every request waiting on it.
    incoming.remember();
    parsed.keyPart ??= requestPart(known.hash, keyNameOf(facts, params.operationName), params.variables);
    const key = options.keys.responseFor(viewer.workspaceId, viewer.role, parsed.keyPart);
    const caller = viewer; // as narrowed here: the run below may happen later
    // Run for the request(s) waiting, or in the background for a stale entry (no client waits on
    // that one: an id and no trace of its own). Read-only: only a query may be shared or kept.
    const run = async (why: RunFor): Promise<Fill<Execution>> => {
      const forRequest = why === 'request';
      const executed = await executor.execute({
        request: incoming.apolloRequest(),
        viewer: caller,
        requestId: forRequest ? requestId : randomUUID(),
        trace: forRequest ? trace : undefined,
        readOnly: true,
      });
      return { value: executed, entry: executed.entry };
    };
    const served = await serveCached(cache, key, viewer.workspaceId, run, trace);
    if ('entry' in served) {
      if (known.register) await registerIfAsked(true);
      options.onCacheOutcome?.(served.outcome, operationLabel);
      record.outcome = served.outcome;
      return writeCachedResponse(request, response, served.entry, requestId, served.outcome, {}, mediaType);
    }
    if (served.value.refusedWrite) {
      // Not a query after all: every caller runs its own, as an ordinary request.
      return answered(await executor.execute({ request: incoming.apolloRequest(), viewer, requestId, trace }), 'bypass');
    }
    return answered(served.value, served.outcome);
  };
  return { handle, prefetch };
}
