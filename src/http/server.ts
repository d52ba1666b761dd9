// The HTTP front door: routes, per-request metrics, and a last-resort guard so that no request
// ever ends in an unhandled exception or a hang.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ErrorTracker } from '../observability/error-tracker.js';
import type { Metrics } from '../observability/metrics.js';
import { sendJsonError } from './graphql-handler.js';

export interface Routes {
  graphql: (request: IncomingMessage, response: ServerResponse, search: string) => Promise<number>;
  ready: () => Promise<boolean>;
  /** True once a graceful stop has begun: readiness answers 503 while requests are still served. */
  draining?: () => boolean;
  /** GET /status and /status.json (true when it answered); absent under STATUS_PAGE=false. */
  status?: (pathname: string, response: ServerResponse) => boolean;
  /** POST /rum (web vitals from browsers) and its CORS preflight. */
  rum: (request: IncomingMessage, response: ServerResponse) => Promise<number>;
}

/** The `route` label a failed request is counted under: the route its path leads to. */
function routeOf(pathname: string): string {
  if (pathname === '/graphql') return 'graphql';
  if (pathname === '/rum') return 'rum';
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname.slice(1);
  if (pathname.startsWith('/status')) return 'status';
  return 'other';
}

export function createHttpServer(routes: Routes, metrics: Metrics, errors: ErrorTracker): http.Server {
  const handle = async (request: IncomingMessage, response: ServerResponse, pathname: string, search: string): Promise<[string, number]> => {

    if (pathname === '/graphql') return ['graphql', await routes.graphql(request, response, search)];
    if (pathname === '/rum') return ['rum', await routes.rum(request, response)];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJsonError(response, 405, 'METHOD_NOT_ALLOWED', 'Only GET is supported here.');
      return ['other', 405];
    }
    if (routes.status?.(pathname, response)) return ['status', 200];
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
    if (pathname === '/metrics') {
      const text = await metrics.registry.metrics();
      response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      response.end(text);
      return ['metrics', 200];
    }
    if (pathname === '/') {
      response.writeHead(302, { location: '/graphql' });
      response.end();
      return ['other', 302];
    }
    sendJsonError(response, 404, 'NOT_FOUND', 'Not found. The API is at /graphql.');
    return ['other', 404];
  };

  const server = http.createServer((request, response) => {
    const started = process.hrtime.bigint();
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart < 0 ? url : url.slice(0, queryStart);
    const search = queryStart < 0 ? '' : url.slice(queryStart);
    const observe = (route: string, status: number) =>
      metrics.observeRequest(route, request.method ?? 'GET', status, Number(process.hrtime.bigint() - started) / 1e9);
    handle(request, response, pathname, search)
      .then(([route, status]) => observe(route, status))
      .catch((error: unknown) => {
        // Counted and logged as any unexpected error is (by fingerprint, values left out of the
        // message: a driver error's can hold SQL and parameters), and seen in the request metrics.
        const route = routeOf(pathname);
        const requestId = randomUUID();
        errors.report(errors.capture(error, 'INTERNAL_SERVER_ERROR', [route]), requestId);
        if (!response.headersSent) sendJsonError(response, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.', requestId);
        else response.destroy();
        observe(route, 500);
      });
  });

  // Requests Node's HTTP parser refuses (raw non-ASCII bytes in the request line, a malformed
  // header) never reach a route. Answer them in the same JSON error shape, with the statuses Node
  // itself would use, rather than Node's empty body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // As Node does: never write into a response already under way on this (keep-alive) socket.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'The request took too long to arrive.']
          : [400, 'Bad Request', 'The request is not valid HTTP.'];
    socket.end(rawJsonError(status, reason, 'BAD_REQUEST', message));
  });

  // CONNECT asks for a tunnel, which this server never opens. Node drops such a connection
  // without a word when nobody listens for it; answer it like any other method not served here.
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    socket.end(rawJsonError(405, 'Method Not Allowed', 'METHOD_NOT_ALLOWED', 'CONNECT is not supported.'));
  });
  return server;
}

/** A whole HTTP response with a JSON error, for sockets no ServerResponse writes to. */
function rawJsonError(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
