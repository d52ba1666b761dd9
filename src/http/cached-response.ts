// How a cacheable response goes on the wire: the policy from the schema's hints for browsers,
// a separate one for CDNs (which must key on the caller's credentials: Vary: Authorization), the
// entity tags for CDN purges, an ETag, and 304 when the client already has these bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedResponse } from '../cache/entry.js';
import { coarseTags } from '../cache/keys.js';
import type { CacheOutcome } from '../cache/response-cache.js';
import { JSON_MEDIA_TYPE } from './request-guards.js';

// Surrogate-Key headers are bounded by CDNs (Fastly: 16 KB); a response depending on more tags
// than fit is tagged by coarser tags instead (see coarseTags).
const MAX_SURROGATE_KEY_LENGTH = 8_000;

function surrogateKeys(tags: string[]): string {
  const all = tags.join(' ');
  if (all.length <= MAX_SURROGATE_KEY_LENGTH) return all;
  return coarseTags(tags).join(' ');
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

/** What goes on the wire for an entry, prepared once per entry rather than once per hit. */
interface Prepared {
  /** The body encoded once: writing a string would encode its UTF-8 on every hit. */
  payload: Buffer;
  /** The headers that depend on the entry alone, as a flat [name, value, ...] list. */
  headers: string[];
}

const prepared = new WeakMap<CachedResponse, Prepared>();

function prepare(entry: CachedResponse): Prepared {
  let ready = prepared.get(entry);
  if (!ready) {
    ready = {
      payload: entry.payload ?? Buffer.from(entry.body),
      headers: [
        'content-type', JSON_MEDIA_TYPE,
        'cache-control', entry.cacheControl,
        'etag', entry.etag,
        'vary', 'Authorization',
        'surrogate-key', surrogateKeys(entry.tags),
      ],
    };
    prepared.set(entry, ready);
  }
  return ready;
}

/** Writes a cached (or cacheable) response, or 304 when the client's copy is current. */
export function writeCachedResponse(
  request: IncomingMessage,
  response: ServerResponse,
  entry: CachedResponse,
  requestId: string,
  outcome: CacheOutcome,
  extraHeaders: Record<string, string> = {},
  /** The media type negotiated for this request (Accept): JSON, or GraphQL's response type. */
  mediaType = JSON_MEDIA_TYPE,
): number {
  const { payload, headers: entryHeaders } = prepare(entry);
  const headers = [...entryHeaders, 'x-cache', outcome, 'x-request-id', requestId];
  if (mediaType !== JSON_MEDIA_TYPE) headers[1] = mediaType;
  for (const [name, value] of Object.entries(extraHeaders)) headers.push(name, value);
  // Only GETs are cacheable by CDNs, and only under a key that includes Authorization (Vary).
  if (request.method === 'GET') headers.push('surrogate-control', `max-age=${entry.maxAgeSeconds}`);
  if (request.method === 'GET' && matchesEtag(request.headers['if-none-match'], entry.etag)) {
    // A 304 has no body, so no content-type (the first pair).
    response.writeHead(304, headers.slice(2));
    response.end();
    return 304;
  }
  headers.push('content-length', String(payload.length));
  response.writeHead(200, headers);
  response.end(payload);
  return 200;
}
