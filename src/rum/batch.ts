// Reads one batch of Web Vitals: a JSON array of metrics as the `web-vitals` callbacks hand them
// over, or {page, metrics: [...]} with the page they were measured on. Everything is bounded and
// checked before anything is observed; the first problem found is refused with a message naming it.
import { ErrorCode, httpError } from '../errors.js';
import { normalizeRoute } from './route.js';
import { isVitalName, RATINGS, type VitalName, VITALS } from './vitals.js';

/** A batch is a handful of metrics; anything bigger is not a browser reporting vitals. */
export const MAX_BATCH_BYTES = 16 * 1024;
export const MAX_METRICS_PER_BATCH = 25;
const MAX_PAGE_LENGTH = 2048;
const MAX_ID_LENGTH = 128;
const MAX_NAVIGATION_TYPE_LENGTH = 32;

export interface Vital {
  name: VitalName;
  value: number;
}

export interface Batch {
  /** The normalized route of `page`; undefined when the body names no page. */
  route: string | undefined;
  vitals: Vital[];
}

const invalid = (message: string) => httpError(ErrorCode.BAD_REQUEST, message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumberWithin(value: unknown, min: number, max: number): value is number {
  // JSON.parse turns 1e999 into Infinity, so finiteness is checked, not assumed.
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

function vitalOf(item: unknown, at: string): Vital {
  if (!isObject(item)) throw invalid(`${at} must be an object.`);
  const { name, value, rating, delta, id, navigationType } = item;
  if (typeof name !== 'string' || !isVitalName(name)) throw invalid(`${at}.name must be one of LCP, INP, CLS, FCP, TTFB.`);
  const { max } = VITALS[name];
  if (!isNumberWithin(value, 0, max)) throw invalid(`${at}.value must be a number from 0 to ${max} for ${name}.`);
  if (rating !== undefined && (typeof rating !== 'string' || !RATINGS.has(rating))) {
    throw invalid(`${at}.rating must be "good", "needs-improvement" or "poor".`);
  }
  if (delta !== undefined && !isNumberWithin(delta, -max, max)) throw invalid(`${at}.delta must be a number from -${max} to ${max} for ${name}.`);
  if (id !== undefined && (typeof id !== 'string' || id.length > MAX_ID_LENGTH)) {
    throw invalid(`${at}.id must be a string of at most ${MAX_ID_LENGTH} characters.`);
  }
  if (navigationType !== undefined && (typeof navigationType !== 'string' || navigationType.length > MAX_NAVIGATION_TYPE_LENGTH)) {
    throw invalid(`${at}.navigationType must be a string of at most ${MAX_NAVIGATION_TYPE_LENGTH} characters.`);
  }
  return { name, value };
}

function routeOf(page: unknown): string {
  const route = typeof page === 'string' && page.length <= MAX_PAGE_LENGTH ? normalizeRoute(page) : undefined;
  if (route === undefined) throw invalid(`"page" must be a path ("/contacts/12") or an http(s) URL of at most ${MAX_PAGE_LENGTH} characters.`);
  return route;
}

export function parseBatch(text: string): Batch {
  if (text.trim() === '') throw invalid('The body is empty; send a JSON array of metrics, or {"page": "/path", "metrics": [...]}.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('The body is not valid JSON.');
  }
  let list: unknown[];
  let route: string | undefined;
  if (Array.isArray(body)) list = body;
  else if (isObject(body)) {
    if (!Array.isArray(body.metrics)) throw invalid('"metrics" must be an array of metrics.');
    list = body.metrics;
    if (body.page !== undefined) route = routeOf(body.page);
  } else {
    throw invalid('The body must be a JSON array of metrics, or {"page": "/path", "metrics": [...]}.');
  }
  if (list.length === 0) throw invalid('The batch holds no metrics.');
  if (list.length > MAX_METRICS_PER_BATCH) throw invalid(`A batch may hold at most ${MAX_METRICS_PER_BATCH} metrics.`);
  return { route, vitals: list.map((item, index) => vitalOf(item, `metrics[${index}]`)) };
}
