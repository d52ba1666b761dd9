// How a cacheable response goes on the wire. Three keepers, three policies:
// - browsers may keep it but must revalidate it on every use (browser-cache-control.ts), so an
//   answer changed by a write is never served from their cache, and an unchanged one costs a 304;
// - CDNs keep it for the schema's max age (Surrogate-Control, GET only, keyed by the caller's
//   credentials through Vary: Authorization) and purge it by entity (Surrogate-Key);
// - the server's own tiers keep it until a write purges it (src/cache/).
// Every cacheable answer has an ETag, and a GET whose If-None-Match matches gets 304.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedResponse } from '../cache/entry.js';
import { coarseDependencies } from '../cache/keys.js';
import type { CacheOutcome } from '../cache/response-cache.js';
import { REVALIDATE_EACH_TIME } from '../graphql/browser-cache-control.js';
import { JSON_MEDIA_TYPE } from './request-guards.js';

// Surrogate-Key headers are bounded by CDNs (Fastly: 16 KB); a response depending on more tags
// than fit is tagged by coarser tags instead (see coarseDependencies).
const MAX_SURROGATE_KEY_LENGTH = 8_000;

function surrogateKeys(tags: string[]): string {
  const all = tags.join(' ');
  if (all.length <= MAX_SURROGATE_KEY_LENGTH) return all;
  return coarseDependencies(tags).join(' ');
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

/**
 * Vary with `name` added to what the response already varies on: a wrapper (CORS: Origin) may have
 * set it before, and writeHead's list would otherwise replace it.
 */
function varyOn(response: ServerResponse, name: string): string {
  const already = response.getHeader('vary');
  if (already === undefined) return name;
  return `${Array.isArray(already) ? already.join(', ') : String(already)}, ${name}`;
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
        // Not the entry's own cacheControl: entries made before browsers were told to revalidate
        // (still in Redis after a deploy) must not bring back a max-age they may reuse without asking.
        'cache-control', REVALIDATE_EACH_TIME,
        'etag', entry.etag,
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
  const headers = [...entryHeaders, 'vary', varyOn(response, 'Authorization'), 'x-cache', outcome, 'x-request-id', requestId];
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
