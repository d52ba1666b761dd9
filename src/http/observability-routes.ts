// GET /metrics, /status and /status.json: what operators and their scrapers read. The same routes
// are served on the API's port, or, with METRICS_PORT, on a listener of their own (metrics-listener.ts).
// Answers are paced (scrape-pacer.ts) so that clients looping on them cannot take the event loop.
import type { ServerResponse } from 'node:http';
import { ErrorCode, httpError } from '../errors.js';
import type { MetricsPage } from '../observability/metrics-page.js';
import { sendJsonError } from './json-error.js';
import type { ScrapePacer, ScrapeTurn } from './scrape-pacer.js';

/** Answers `pathname` when it is an observability route, resolving with its route label; undefined otherwise. */
export type ObservabilityRoutes = (pathname: string, response: ServerResponse) => Promise<string | undefined>;

export interface ObservabilityRouteOptions {
  page: MetricsPage;
  /** GET /status and /status.json (true when it answered); absent under STATUS_PAGE=false. */
  status?: (pathname: string, response: ServerResponse) => boolean;
  /** Absent: every scrape is answered at once. */
  pacer?: ScrapePacer;
  /** Told how each scrape's turn came (cardfile_metrics_scrapes_total). */
  onTurn?: (turn: ScrapeTurn) => void;
}

const STATUS_PATHS = new Set(['/status', '/status.json']);

export function createObservabilityRoutes({ page, status, pacer, onTurn }: ObservabilityRouteOptions): ObservabilityRoutes {
  return async (pathname, response) => {
    const route = pathname === '/metrics' ? 'metrics' : status && STATUS_PATHS.has(pathname) ? 'status' : undefined;
    if (!route) return undefined;
    const turn = pacer ? await pacer.turn() : 'at-once';
    onTurn?.(turn);
    if (turn === 'refused') {
      response.setHeader('retry-after', '1');
      response.setHeader('connection', 'close');
      sendJsonError(response, httpError(ErrorCode.SERVICE_UNAVAILABLE, 'Too many scrapes at once; retry after the number of seconds in the Retry-After header.'));
      return route;
    }
    if (route === 'metrics') {
      const body = await page.current();
      response.writeHead(200, { 'content-type': page.contentType, 'content-length': String(body.length), 'cache-control': 'no-store' });
      response.end(body);
      return route;
    }
    status!(pathname, response);
    return route;
  };
}
