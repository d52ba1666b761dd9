// Page routes as metric labels: the path alone (no query or fragment), with segments that look like
// ids replaced by `:id`, and a length cap. Only the first few distinct routes a process sees get a
// label of their own, so no client can grow the number of series without bound.
import { parseGlobalId } from '../graphql/global-id.js';

export const MAX_ROUTE_LENGTH = 100;
const TRUNCATED = '/...';

// Only for resolving paths: never fetched.
const BASE = 'http://route.invalid';

/**
 * Whether a path segment is data rather than part of a route: cardfile's own global ids, numbers,
 * UUIDs, hex digests, base64-like tokens, and anything with characters a route name would not use
 * (percent-encoded text, e-mail addresses).
 */
function isIdLike(segment: string): boolean {
  if (segment.length > 40) return true;
  if (/[^A-Za-z0-9._-]/.test(segment)) return true;
  if (/^\d+$/.test(segment)) return true;
  // Short ones ("Tag:1" is VGFnOjE) need not hold a digit, so they are recognized by decoding.
  if (parseGlobalId(segment)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return true;
  const hasDigit = /\d/.test(segment);
  if (!hasDigit) return false;
  if (/^[0-9a-f]{8,}$/i.test(segment)) return true;
  // Mixed case with digits: how base64 reads. Slugs ("top-10-tips") are lower case.
  if (segment.length >= 6 && /[a-z]/.test(segment) && /[A-Z]/.test(segment)) return true;
  // A long run of letters and digits without word separators.
  return segment.length >= 10 && !segment.includes('-') && /[A-Za-z]/.test(segment);
}

/** The route of a page given as a path or an http(s) URL; undefined when it is neither. */
export function normalizeRoute(page: string): string | undefined {
  let url: URL;
  try {
    if (page.startsWith('/') && !page.startsWith('//')) url = new URL(page, BASE);
    else if (/^https?:\/\//i.test(page)) url = new URL(page);
    else return undefined;
  } catch {
    return undefined;
  }
  let route = '';
  const segments = url.pathname.split('/').filter(Boolean);
  for (const [index, raw] of segments.entries()) {
    const segment = isIdLike(raw) ? ':id' : raw;
    const room = index === segments.length - 1 ? MAX_ROUTE_LENGTH : MAX_ROUTE_LENGTH - TRUNCATED.length;
    if (route.length + 1 + segment.length > room) return route + TRUNCATED;
    route += `/${segment}`;
  }
  return route || '/';
}

/**
 * Hands out route labels: the first `max` distinct routes keep their own, later ones share
 * `other`. Per process, so instances may differ in which routes they saw first.
 */
export class RouteLabels {
  private readonly known = new Set<string>();

  constructor(private readonly max: number) {}

  label(route: string | undefined): string {
    if (route === undefined) return 'unknown';
    if (this.known.has(route)) return route;
    if (this.known.size >= this.max) return 'other';
    this.known.add(route);
    return route;
  }
}
