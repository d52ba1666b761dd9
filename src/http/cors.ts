// CORS for /graphql: pages on the origins CORS_ORIGINS lists may call the API from a browser.
//
// cardfile's only credential is a bearer token that the calling page holds and sends itself;
// browsers attach nothing on their own (no cookies, no HTTP authentication), and
// Access-Control-Allow-Credentials is never sent. So CORS here decides which pages may read
// answers, not whose authority a request carries, and `*` (any page that has a token) is allowed.
//
// Apollo's CSRF prevention is untouched and still runs for every request it sees: a GET must carry
// a header that forces a preflight (apollo-require-preflight, x-apollo-operation-name) or a JSON
// content type. A cross-site request that needs no preflight is therefore refused, whatever its
// origin, and an origin not listed gets no CORS headers at all, so its page can read nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, httpError } from '../errors.js';
import { sendJsonError } from './json-error.js';

type Route = (request: IncomingMessage, response: ServerResponse, search: string) => Promise<number>;

/** What a GraphQL client sends: its token, JSON bodies, Apollo's CSRF headers, a revalidation. */
const ALLOWED_HEADERS = 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name, if-none-match';
const ALLOWED_METHODS = 'GET, POST';
/** What a page's script may read beyond the safelisted headers: revalidation, support, back-off. */
const EXPOSED_HEADERS = 'etag, x-request-id, x-cache, retry-after';
/** Browsers cap how long they keep a preflight's answer (Chromium: 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  /** `allowed`: serialized origins (src/origin-values.ts), ['*'] for any, [] for none. */
  constructor(allowed: readonly string[]) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed);
  }

  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  /** Access-Control-Allow-Origin for a request from `origin`; undefined: no CORS headers. */
  allowOriginFor(origin: string | undefined): string | undefined {
    if (this.any) return '*';
    return origin !== undefined && this.origins.has(origin) ? origin : undefined;
  }

  /**
   * Whether answers differ by Origin. With a list they do (one origin gets the header, another
   * not), so caches that keep them, the browser's and a CDN's, must key on it; `*` is the same for all.
   */
  get variesByOrigin(): boolean {
    return !this.any;
  }
}

/** `route` with CORS: preflights answered here, and the headers an allowed page needs on every answer. */
export function withCors(policy: CorsPolicy, route: Route): Route {
  if (!policy.enabled) return route;
  return async (request, response, search) => {
    const origin = single(request.headers.origin);
    const allowOrigin = policy.allowOriginFor(origin);
    // Set before the route writes anything, so they are on every answer it gives: cache hits,
    // 304s, refusals (a page reads why it was refused, and Retry-After) and errors.
    if (policy.variesByOrigin) response.setHeader('vary', 'Origin');

    const isPreflight = request.method === 'OPTIONS' && origin !== undefined && request.headers['access-control-request-method'] !== undefined;
    if (isPreflight) {
      request.resume();
      if (!allowOrigin) {
        const refusal = httpError(ErrorCode.FORBIDDEN, 'Pages on this origin may not call this API from a browser.');
        sendJsonError(response, refusal);
        return refusal.status;
      }
      response.writeHead(204, {
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        'cache-control': 'no-store',
      });
      response.end();
      return 204;
    }
    if (allowOrigin) {
      response.setHeader('access-control-allow-origin', allowOrigin);
      response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    return route(request, response, search);
  };
}
