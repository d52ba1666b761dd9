// GET /metrics, /status and /status.json: what operators and their scrapers read. The same routes
// are served on the API's port, or, with METRICS_PORT, on a listener of their own (metrics-listener.ts).
import type { ServerResponse } from 'node:http';
import type { MetricsPage } from '../observability/metrics-page.js';

/** Answers `pathname` when it is an observability route, resolving with its route label; undefined otherwise. */
export type ObservabilityRoutes = (pathname: string, response: ServerResponse) => Promise<string | undefined>;

export function createObservabilityRoutes(
  page: MetricsPage,
  /** GET /status and /status.json (true when it answered); absent under STATUS_PAGE=false. */
  status?: (pathname: string, response: ServerResponse) => boolean,
): ObservabilityRoutes {
  return async (pathname, response) => {
    if (pathname === '/metrics') {
      const body = await page.current();
      response.writeHead(200, { 'content-type': page.contentType, 'content-length': String(body.length), 'cache-control': 'no-store' });
      response.end(body);
      return 'metrics';
    }
    if (status?.(pathname, response)) return 'status';
    return undefined;
  };
}
