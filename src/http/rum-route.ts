// POST /rum takes batches of Web Vitals from browsers (navigator.sendBeacon, or fetch with
// keepalive) and turns them into histogram observations; OPTIONS /rum answers CORS preflights.
// Checks run cheapest first: origin, rate, content type, then the body, read with a small cap.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { sendJsonError } from './json-error.js';
import { readBody } from './request-body.js';
import { ErrorCode, httpError, HttpError } from '../errors.js';
import { clientAddressOf } from '../limits/client-address.js';
import type { RumMetrics, RumOutcome } from '../rum/metrics.js';
import { MAX_BATCH_BYTES, parseBatch } from '../rum/batch.js';
import { OriginPolicy } from '../rum/origins.js';
import { RateLimiter } from '../rum/rate-limiter.js';
import { normalizeRoute, RouteLabels } from '../rum/route.js';

export type RumSettings = Pick<Config, 'rumAllowedOrigins' | 'corsOrigins' | 'rumMaxRoutes' | 'rumRatePerSecond' | 'rumRateBurst' | 'limits'>;

/** Memory each rate limiter's buckets may take: thousands of origins or addresses at once. */
const RATE_BUCKET_BYTES = 1_000_000;
const MAX_RATE_KEY_LENGTH = 256;
/** Browsers cap how long they keep a preflight answer (Chromium: 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

// sendBeacon with a string sends text/plain, which also needs no preflight cross-origin; a Blob
// may carry application/json, or no type at all.
function acceptedContentType(header: string | undefined): boolean {
  if (header === undefined) return true;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type === 'text/plain' || type === '';
}

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/**
 * `publicOrigins`: the origins browsers reach this server at (src/http/public-origin.ts), whose
 * pages are same-origin.
 */
export function createRumHandler(settings: RumSettings, metrics: RumMetrics, now: () => number, publicOrigins: () => readonly string[]) {
  // A page that may call the API from another origin may report how its pages load, too.
  const origins = new OriginPolicy([...settings.rumAllowedOrigins, ...settings.corsOrigins], publicOrigins);
  const rate = { ratePerSecond: settings.rumRatePerSecond, burst: settings.rumRateBurst, maxBytes: RATE_BUCKET_BYTES, maxKeyLength: MAX_RATE_KEY_LENGTH, now };
  // Every visitor of one site shares its origin's bucket; and since Origin is the sender's to
  // choose (a new one per request would mean a fresh bucket each time), each client address has
  // a bucket of its own too, and a batch needs a token from both.
  const byOrigin = new RateLimiter(rate);
  const byAddress = new RateLimiter(rate);
  const routes = new RouteLabels(settings.rumMaxRoutes);

  const refuse = (response: ServerResponse, outcome: RumOutcome, error: HttpError): number => {
    metrics.count(outcome);
    sendJsonError(response, error);
    return error.status;
  };

  return async (request: IncomingMessage, response: ServerResponse): Promise<number> => {
    const origin = single(request.headers.origin);
    const verdict = origins.check(origin);
    response.setHeader('vary', 'Origin');
    // On every answer, refusals included, so a page's script can read why it was refused.
    if (verdict === 'cross-origin') response.setHeader('access-control-allow-origin', origin!);

    if (request.method === 'OPTIONS') {
      if (verdict === 'refused') {
        sendJsonError(response, httpError(ErrorCode.FORBIDDEN, 'This origin may not report web vitals here.'));
        return 403;
      }
      response.writeHead(204, {
        allow: 'POST, OPTIONS',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
        'cache-control': 'no-store',
      });
      response.end();
      return 204;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST, OPTIONS');
      sendJsonError(response, httpError(ErrorCode.METHOD_NOT_ALLOWED, 'Report web vitals with POST.'));
      return 405;
    }
    if (verdict === 'refused') return refuse(response, 'origin_refused', httpError(ErrorCode.FORBIDDEN, 'This origin may not report web vitals here.'));

    // The address first: a refused batch then takes nothing from its origin's shared bucket.
    const wait = byAddress.take(clientAddressOf(request, settings.limits.trustProxyHops)) || byOrigin.take(origin ?? 'none');
    if (wait > 0) {
      response.setHeader('retry-after', String(wait));
      return refuse(response, 'rate_limited', httpError(ErrorCode.RATE_LIMITED, `Too many reports from this origin or address; retry in ${wait} s.`));
    }
    if (!acceptedContentType(single(request.headers['content-type']))) {
      return refuse(response, 'unsupported_type', httpError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the batch as application/json or text/plain.'));
    }

    let batch;
    try {
      batch = parseBatch(await readBody(request, MAX_BATCH_BYTES));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return refuse(response, error.code === ErrorCode.PAYLOAD_TOO_LARGE ? 'too_large' : 'invalid', error);
    }
    // Without a page in the body, the page that sent the beacon: browsers send its URL as the
    // Referer (only its origin across origins, by the default referrer policy).
    const referer = single(request.headers.referer);
    const route = routes.label(batch.route ?? (referer ? normalizeRoute(referer) : undefined));
    for (const vital of batch.vitals) metrics.observe(vital.name, route, vital.value);
    metrics.count('accepted');
    response.writeHead(204, { 'cache-control': 'no-store' });
    response.end();
    return 204;
  };
}
