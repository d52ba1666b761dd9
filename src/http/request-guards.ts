// Checks on a GraphQL request's headers, run on every request before the cache is asked: the
// cross-site request forgery rule, the content type a GET may carry, and the response media type
// the client accepts. They are Apollo Server's rules, with its statuses and messages; Apollo runs
// them again on what it executes, but a cache hit never reaches Apollo, and a hit must be refused
// for everything a miss is refused for.
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import MIMEType from 'whatwg-mimetype';
import { ErrorCode, httpError, HttpStatus } from '../errors.js';

/** Content types a browser may send cross-site without a CORS preflight. */
const NON_PREFLIGHTED_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** Headers whose presence forces a preflight, proving the request was not forged by another site. */
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'] as const;

export const JSON_MEDIA_TYPE = 'application/json; charset=utf-8';
export const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json; charset=utf-8';
/** What Apollo weighs text/html against to tell a browser asking for Sandbox from a client. */
const LANDING_PAGE_CHOICES = [
  JSON_MEDIA_TYPE,
  GRAPHQL_RESPONSE_MEDIA_TYPE,
  'multipart/mixed; deferSpec=20220824',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed',
  'text/html',
];

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Refuses a request a page on another site could have sent without a preflight (a GET, or a POST
 * with a form or text content type) unless it carries a header only a preflighted request can.
 */
export function checkCsrf(headers: IncomingHttpHeaders): void {
  const contentType = single(headers['content-type']);
  if (contentType !== undefined) {
    const parsed = MIMEType.parse(contentType);
    // As Apollo: a content type no browser could send without a preflight needs nothing more.
    if (parsed === null || !NON_PREFLIGHTED_CONTENT_TYPES.has(parsed.essence)) return;
  }
  if (PREFLIGHT_HEADERS.some((name) => (single(headers[name])?.length ?? 0) > 0)) return;
  throw httpError(ErrorCode.BAD_REQUEST, 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a ' +
      `'content-type' header (with a type that is not one of ${[...NON_PREFLIGHTED_CONTENT_TYPES].join(', ')}) or provide ` +
      `a non-empty value for one of the following headers: ${PREFLIGHT_HEADERS.join(', ')}`,
  );
}

/** A GET has no body: a content type other than JSON means the request is not what it seems. */
export function checkGetContentType(headers: IncomingHttpHeaders): void {
  const contentType = single(headers['content-type']);
  if (contentType === undefined) return;
  if (MIMEType.parse(contentType)?.essence === 'application/json') return;
  throw httpError(ErrorCode.BAD_REQUEST, 'GET requests may not have a content-type header other than application/json.', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
}

// Clients send a handful of distinct Accept headers; negotiating each once keeps a hit cheap. The
// memo holds at most 256 headers of at most 1 KB each.
const MAX_ACCEPT_LENGTH = 1_024;
/** The negotiated media type by Accept header; '' when the client accepts neither. */
const negotiated = new LRUCache<string, string>({ max: 256 });
const htmlPreferred = new LRUCache<string, boolean>({ max: 256 });

/**
 * Whether a GET comes from a browser asking for the page at /graphql (Apollo Sandbox) rather than
 * from a client: Apollo's own test, made here so that such a request reaches Apollo untouched.
 */
export function prefersHtml(headers: IncomingHttpHeaders): boolean {
  const accept = single(headers.accept);
  if (!accept) return false;
  let preferred = accept.length <= MAX_ACCEPT_LENGTH ? htmlPreferred.get(accept) : undefined;
  if (preferred === undefined) {
    preferred = new Negotiator({ headers: { accept } }).mediaType(LANDING_PAGE_CHOICES) === 'text/html';
    if (accept.length <= MAX_ACCEPT_LENGTH) htmlPreferred.set(accept, preferred);
  }
  return preferred;
}

/**
 * The media type of a response to this Accept header: JSON without one, GraphQL's response type
 * when preferred, and a 406 when the client accepts neither. Asked before anything executes, so a
 * mutation is never run only for its answer to be refused.
 */
export function responseMediaType(headers: IncomingHttpHeaders): string {
  const accept = single(headers.accept);
  if (!accept) return JSON_MEDIA_TYPE;
  let chosen = accept.length <= MAX_ACCEPT_LENGTH ? negotiated.get(accept) : undefined;
  if (chosen === undefined) {
    chosen = new Negotiator({ headers: { accept } }).mediaType([JSON_MEDIA_TYPE, GRAPHQL_RESPONSE_MEDIA_TYPE]) ?? '';
    if (accept.length <= MAX_ACCEPT_LENGTH) negotiated.set(accept, chosen);
  }
  if (chosen === '') {
    throw httpError(ErrorCode.BAD_REQUEST, `An 'accept' header was provided for this request which does not accept ${JSON_MEDIA_TYPE} or ${GRAPHQL_RESPONSE_MEDIA_TYPE}`, HttpStatus.NOT_ACCEPTABLE);
  }
  return chosen;
}
