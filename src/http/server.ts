// The HTTP front door: routes, per-request metrics, and a last-resort guard so that no request
// ever ends in an unhandled exception or a hang.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ErrorCode, httpError, httpStatusOf } from '../errors.js';
import type { ErrorTracker } from '../observability/error-tracker.js';
import type { Metrics } from '../observability/metrics.js';
import type { BodyBounds } from './body-bounds.js';
import { type ConnectionTimeouts, guardConnections, serverOptionsFor } from './connection-guards.js';
import { sendJsonError } from './json-error.js';
import { createObservabilityRoutes, type ObservabilityRoutes } from './observability-routes.js';
import { bindBodyBounds } from './request-body.js';

const CLIENT_CLOSED_REQUEST = httpStatusOf(ErrorCode.CLIENT_CLOSED_REQUEST);

export interface Routes {
  graphql: (request: IncomingMessage, response: ServerResponse, search: string) => Promise<number>;
  ready: () => Promise<boolean>;
  /** True once a graceful stop has begun: readiness answers 503 while requests are still served. */
  draining?: () => boolean;
  /** POST /rum (web vitals from browsers) and its CORS preflight. */
  rum: (request: IncomingMessage, response: ServerResponse) => Promise<number>;
}

export interface HttpServerOptions {
  /**
   * GET /metrics, /status and /status.json: answered here (by default /metrics alone, from the
   * metrics' registry), or `elsewhere` (on METRICS_PORT's listener; 404 here).
   */
  observability?: ObservabilityRoutes | 'elsewhere';
  /** The deadline and in-flight cap every request body is read under; none when absent. */
  bodies?: BodyBounds;
  /** Deadlines for a request's headers and for the whole request; Node's defaults when absent. */
  timeouts?: ConnectionTimeouts;
}

/** The `route` label a failed request is counted under: the route its path leads to. */
function routeOf(pathname: string): string {
  if (pathname === '/graphql') return 'graphql';
  if (pathname === '/rum') return 'rum';
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname.slice(1);
  if (pathname.startsWith('/status')) return 'status';
  return 'other';
}

export function createHttpServer(routes: Routes, metrics: Metrics, errors: ErrorTracker, options: HttpServerOptions = {}): http.Server {
  const observability = options.observability ?? createObservabilityRoutes({ page: metrics.page });
  const handle = async (request: IncomingMessage, response: ServerResponse, pathname: string, search: string): Promise<[string, number]> => {

    if (pathname === '/graphql') return ['graphql', await routes.graphql(request, response, search)];
    if (pathname === '/rum') return ['rum', await routes.rum(request, response)];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJsonError(response, httpError(ErrorCode.METHOD_NOT_ALLOWED, 'Only GET is supported here.'));
      return ['other', 405];
    }
    if (observability !== 'elsewhere') {
      const route = await observability(pathname, response);
      if (route) return [route, response.statusCode];
    }
    if (pathname === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end('{"status":"ok"}');
      return ['healthz', 200];
    }
    if (pathname === '/readyz') {
      if (routes.draining?.()) {
        response.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end('{"status":"unavailable","reason":"shutting down"}');
        return ['readyz', 503];
      }
      const ready = await routes.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(ready ? '{"status":"ready"}' : '{"status":"unavailable","reason":"database unreachable"}');
      return ['readyz', ready ? 200 : 503];
    }
    if (pathname === '/') {
      response.writeHead(302, { location: '/graphql' });
      response.end();
      return ['other', 302];
    }
    sendJsonError(response, httpError(ErrorCode.NOT_FOUND, 'Not found. The API is at /graphql.'));
    return ['other', 404];
  };

  const server = http.createServer(options.timeouts ? serverOptionsFor(options.timeouts) : {}, (request, response) => {
    const started = process.hrtime.bigint();
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart < 0 ? url : url.slice(0, queryStart);
    const search = queryStart < 0 ? '' : url.slice(queryStart);
    // Whichever route reads this request's body (GraphQL, /rum) reads it under the same bounds.
    if (options.bodies && request.method !== 'GET' && request.method !== 'HEAD') bindBodyBounds(request, response, options.bodies);
    const observe = (route: string, status: number) => {
      // A client that left mid-body: counted as what it is, beside the request metrics' 499.
      if (status === CLIENT_CLOSED_REQUEST) metrics.countClientAbort(route);
      metrics.observeRequest(route, request.method ?? 'GET', status, Number(process.hrtime.bigint() - started) / 1e9);
    };
    handle(request, response, pathname, search)
      .then(([route, status]) => observe(route, status))
      .catch((error: unknown) => {
        // Counted and logged as any unexpected error is (by fingerprint, values left out of the
        // message: a driver error's can hold SQL and parameters), and seen in the request metrics.
        const route = routeOf(pathname);
        const requestId = randomUUID();
        errors.report(errors.capture(error, 'INTERNAL_SERVER_ERROR', [route]), requestId);
        if (!response.headersSent) sendJsonError(response, httpError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.'), requestId);
        else response.destroy();
        observe(route, 500);
      });
  });

  guardConnections(server);
  return server;
}
