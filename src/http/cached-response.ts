// How a cacheable response goes on the wire: the policy from the schema's hints for browsers,
// a separate one for CDNs (which must key on the caller's credentials: Vary: Authorization), the
// entity tags for CDN purges, an ETag, and 304 when the client already has these bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedResponse } from '../cache/entry.js';
import type { CacheOutcome } from '../cache/response-cache.js';

// Surrogate-Key headers are bounded by CDNs (Fastly: 16 KB); a response depending on more tags
// than fit is tagged by its workspace-wide list tags only, which every contact change purges.
const MAX_SURROGATE_KEY_LENGTH = 8_000;

function surrogateKeys(tags: string[]): string {
  const all = tags.join(' ');
  if (all.length <= MAX_SURROGATE_KEY_LENGTH) return all;
  return tags.filter((name) => name.includes('List:')).join(' ');
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

/** The headers that depend on the entry alone, built once per entry rather than once per hit. */
const entryHeaders = new WeakMap<CachedResponse, Record<string, string>>();

function headersOf(entry: CachedResponse): Record<string, string> {
  let headers = entryHeaders.get(entry);
  if (!headers) {
    headers = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': entry.cacheControl,
      etag: entry.etag,
      vary: 'Authorization',
      'surrogate-key': surrogateKeys(entry.tags),
    };
    entryHeaders.set(entry, headers);
  }
  return headers;
}

export function cacheHeaders(entry: CachedResponse, method: string, requestId: string, outcome: CacheOutcome): Record<string, string> {
  const headers: Record<string, string> = { ...headersOf(entry), 'x-cache': outcome, 'x-request-id': requestId };
  // Only GETs are cacheable by CDNs, and only under a key that includes Authorization (Vary).
  if (method === 'GET') headers['surrogate-control'] = `max-age=${entry.maxAgeSeconds}`;
  return headers;
}

/** Writes a cached (or cacheable) response, or 304 when the client's copy is current. */
export function writeCachedResponse(
  request: IncomingMessage,
  response: ServerResponse,
  entry: CachedResponse,
  requestId: string,
  outcome: CacheOutcome,
  extraHeaders: Record<string, string> = {},
): number {
  const headers = { ...cacheHeaders(entry, request.method ?? 'GET', requestId, outcome), ...extraHeaders };
  if (request.method === 'GET' && matchesEtag(request.headers['if-none-match'], entry.etag)) {
    delete headers['content-type'];
    response.writeHead(304, headers);
    response.end();
    return 304;
  }
  headers['content-length'] = String(entry.bytes);
  response.writeHead(200, headers);
  response.end(entry.body);
  return 200;
}
