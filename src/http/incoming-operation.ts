// The first phase of a GraphQL request: read it once, check it, and identify its document, before
// the cache or Apollo sees it. Hits and misses alike come through here, so a hit has passed every
// check a miss passes: the header guards (request-guards.ts), the size and shape limits
// (document-limits.ts), and a document identified by a hash the server computed
// (request-document.ts). A repeat of the exact request text skips the parsing (request-memo.ts).
import type { IncomingMessage } from 'node:http';
import { HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { PersistedQueries } from '../cache/persisted-queries.js';
import { ErrorCode, httpError } from '../errors.js';
import { checkDocumentLimits, type DocumentLimits } from './document-limits.js';
import { type GraphQLParams, readGraphQLRequest } from './graphql-request.js';
import { readBody } from './request-body.js';
import { type RequestDocument, requestDocument } from './request-document.js';
import { checkCsrf, checkGetContentType, prefersHtml, responseMediaType } from './request-guards.js';
import type { ParsedRequest, RequestMemo } from './request-memo.js';

export interface ReadSettings {
  maxBodyBytes: number;
  memo: RequestMemo;
  persisted: PersistedQueries;
  /** Caps on the query document and variables, checked before anything parses them. */
  documentLimits?: DocumentLimits;
  /** Apollo serves a page at the endpoint to browsers (Sandbox): such a visit is Apollo's alone. */
  landingPage: boolean;
}

export type KnownDocument = Extract<RequestDocument, { kind: 'known' }>;

/** A request read and identified: what the later phases decide by. */
export interface IncomingOperation {
  method: string;
  /** Undefined for what cardfile leaves to Apollo (another method or body type, the landing page). */
  parsed: ParsedRequest | undefined;
  /** The document it runs, identified by the server; undefined when unread or a hash names nothing known. */
  known: KnownDocument | undefined;
  /** The media type negotiated for the answer (undefined for requests Apollo alone answers). */
  mediaType: string | undefined;
  /** Apollo's view of the request, built only when it has to run (never for a cache hit). */
  apolloRequest(): HTTPGraphQLRequest;
  /** Keeps the parse for a repeat of the same text: called once the operation is known to be a query. */
  remember(): void;
}

/**
 * Reads and checks the request; throws (or rejects with) a HttpError for what it refuses. A GET
 * whose document is at hand is answered at once, without a turn of the event loop: that is the
 * usual cache hit.
 */
export function readIncomingOperation(request: IncomingMessage, search: string, settings: ReadSettings): IncomingOperation | Promise<IncomingOperation> {
  const method = request.method ?? 'GET';
  if (method === 'POST') return readBody(request, settings.maxBodyBytes).then((text) => identify(request, method, search, text, settings));
  return identify(request, method, search, '', settings);
}

function identify(request: IncomingMessage, method: string, search: string, text: string, settings: ReadSettings): IncomingOperation | Promise<IncomingOperation> {
  // GETs and JSON POSTs are read here; anything else (another method, a form or text body) is
  // Apollo's to refuse, and nothing of it is cached. So is a browser's visit to the page Apollo
  // serves at this address (Sandbox), when it serves one.
  const landingPage = method === 'GET' && settings.landingPage && prefersHtml(request.headers);
  const readable = !landingPage && (method === 'GET' || json(method, request));
  if (!readable) return operationOf(request, { method, search, text, settings, parsedNow: false });

  // The header checks, on every request: the memo is keyed by the query string or body alone.
  checkCsrf(request.headers);
  if (method === 'GET') checkGetContentType(request.headers);
  let parsed = method === 'GET' ? settings.memo.get('GET', search) : settings.memo.get('POST', text);
  let parsedNow = false;
  let body: unknown;
  if (!parsed) {
    if (method === 'POST') body = parseJsonBody(text);
    if (settings.documentLimits) checkDocumentLimits(method, search, body, settings.documentLimits);
    parsed = { params: readGraphQLRequest(method as 'GET' | 'POST', search, body) };
    parsedNow = true;
  }
  const mediaType = responseMediaType(request.headers);
  const known = (document: RequestDocument) => {
    if (document.kind !== 'known') return undefined;
    if (parsed.params.query !== undefined) parsed.textHash = document.hash;
    return document;
  };
  const identified = requestDocument(parsed.params, settings.persisted, parsed.textHash);
  if (identified instanceof Promise) {
    return identified.then((document) => operationOf(request, { method, search, text, settings, parsed, parsedNow, mediaType, known: known(document), body }));
  }
  return operationOf(request, { method, search, text, settings, parsed, parsedNow, mediaType, known: known(identified), body });
}

/** What the read found, for operationOf. */
interface ReadFacts {
  method: string;
  search: string;
  /** The POST body as it came ('' for a GET). */
  text: string;
  settings: ReadSettings;
  parsed?: ParsedRequest;
  /** Parsed now and not found in the memo: remembered once it is known to be a cacheable query. */
  parsedNow: boolean;
  mediaType?: string;
  known?: KnownDocument;
  /** The POST body once parsed, if it was. */
  body?: unknown;
}

function operationOf(request: IncomingMessage, facts: ReadFacts): IncomingOperation {
  const { method, search, text, settings, parsed, parsedNow, mediaType, known } = facts;
  let { body } = facts;
  return {
    method,
    parsed,
    known,
    mediaType,
    apolloRequest: () => {
      const headers = headerMapOf(request);
      if (parsed && known) return resolvedRequest(method, headers, search, parsed.params, known.text);
      // Not read here, or a hash that names no known document (Apollo answers
      // PERSISTED_QUERY_NOT_FOUND). A body that was parsed before parses again.
      body ??= json(method, request) ? JSON.parse(text) : text;
      return { method, headers, search, body };
    },
    remember: () => {
      // A query may come again word for word (the next scroll of the same list, a CDN's GET); a
      // mutation carries new values each time, and remembering it would only push queries out.
      if (!parsedNow || !parsed) return;
      if (method === 'GET') settings.memo.set('GET', search, parsed);
      else settings.memo.set('POST', text, parsed);
    },
  };
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
