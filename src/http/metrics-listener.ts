// The listener of METRICS_PORT: only the observability routes, apart from the API's port, so that
// scrapers and status pages can be let in (or kept out) by port at the network's edge, and a flood
// of them never queues behind, or in front of, the API's connections.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ErrorTracker } from '../observability/error-tracker.js';
import type { Metrics } from '../observability/metrics.js';
import { sendJsonError } from './json-error.js';
import type { ObservabilityRoutes } from './observability-routes.js';
import { type ConnectionTimeouts, guardConnections, serverOptionsFor } from './connection-guards.js';
import { ErrorCode, httpError } from '../errors.js';

export function createMetricsListener(routes: ObservabilityRoutes, metrics: Metrics, errors: ErrorTracker, timeouts: ConnectionTimeouts): http.Server {
  const server = http.createServer(serverOptionsFor(timeouts), (request, response) => {
    const started = process.hrtime.bigint();
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart < 0 ? url : url.slice(0, queryStart);
    const observe = (route: string, status: number) =>
      metrics.observeRequest(route, request.method ?? 'GET', status, Number(process.hrtime.bigint() - started) / 1e9);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJsonError(response, httpError(ErrorCode.METHOD_NOT_ALLOWED, 'Only GET is supported here.'));
      observe('other', 405);
      return;
    }
    routes(pathname, response).then(
      (route) => {
        if (route) return observe(route, response.statusCode);
        sendJsonError(response, httpError(ErrorCode.NOT_FOUND, 'Not found. This port serves /metrics, /status and /status.json.'));
        observe('other', 404);
      },
      (error: unknown) => {
        const requestId = randomUUID();
        errors.report(errors.capture(error, 'INTERNAL_SERVER_ERROR', ['metrics']), requestId);
        if (!response.headersSent) sendJsonError(response, httpError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.'), requestId);
        else response.destroy();
        observe('metrics', 500);
      },
    );
  });
  guardConnections(server);
  return server;
}
