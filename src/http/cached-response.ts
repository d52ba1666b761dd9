// How a cacheable response goes on the wire. Three keepers, three policies:
// - browsers may keep it but must revalidate it on every use (browser-cache-control.ts), so an
//   answer changed by a write is never served from their cache, and an unchanged one costs a 304;
// - CDNs keep it for the schema's max age (Surrogate-Control, GET only, keyed by the caller's
//   credentials through Vary: Authorization) and purge it by entity (Surrogate-Key);
// - the server's own tiers keep it until a write purges it (src/cache/).
// Every cacheable answer has an ETag, and a GET whose If-None-Match matches gets 304.
// Compressed forms were made when the entry was filled (src/cache/body-encodings.ts): a hit picks
// one by Accept-Encoding and compresses nothing. Each form has an ETag of its own (the plain one's
// with .br or .gz), as RFC 9110 asks of different representations.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnswerCoding } from '../cache/body-encodings.js';
import type { CachedResponse } from '../cache/entry.js';
import { coarseDependencies } from '../cache/keys.js';
import type { CacheOutcome } from '../cache/response-cache.js';
import { REVALIDATE_EACH_TIME } from '../graphql/browser-cache-control.js';
import { preferredCoding } from './answer-coding.js';
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
export function varyOn(response: ServerResponse, name: string): string {
  const already = response.getHeader('vary');
  if (already === undefined) return name;
  return `${Array.isArray(already) ? already.join(', ') : String(already)}, ${name}`;
}

/** One form of an entry as it goes on the wire, prepared once per entry rather than once per hit. */
interface Representation {
  payload: Buffer;
  etag: string;
  /** The headers that depend on the entry and this form alone, as a flat [name, value, ...] list. */
  headers: string[];
}

interface Prepared {
  plain: Representation;
  br?: Representation;
  gzip?: Representation;
  /** Surrogate-Key's value (GET answers only: nothing caches a POST). */
  surrogateKeys: string;
  /** What the answer varies on besides the wrappers' own (CORS: Origin). */
  vary: string;
}

const prepared = new WeakMap<CachedResponse, Prepared>();

const ETAG_SUFFIX: Record<AnswerCoding, string> = { br: '.br', gzip: '.gz' };

function representation(entry: CachedResponse, payload: Buffer, coding?: AnswerCoding): Representation {
  const etag = coding ? `${entry.etag.slice(0, -1)}${ETAG_SUFFIX[coding]}"` : entry.etag;
  return {
    payload,
    etag,
    headers: [
      'content-type', JSON_MEDIA_TYPE,
      // Not the entry's own cacheControl: entries made before browsers were told to revalidate
      // (still in Redis after a deploy) must not bring back a max-age they may reuse without asking.
      'cache-control', REVALIDATE_EACH_TIME,
      'etag', etag,
      ...(coding ? ['content-encoding', coding] : []),
    ],
  };
}

function prepare(entry: CachedResponse): Prepared {
  let ready = prepared.get(entry);
  if (!ready) {
    const { encoded } = entry;
    ready = {
      plain: representation(entry, entry.payload ?? Buffer.from(entry.body)),
      ...(encoded ? { br: representation(entry, encoded.br, 'br'), gzip: representation(entry, encoded.gzip, 'gzip') } : {}),
      surrogateKeys: surrogateKeys(entry.tags),
      vary: encoded ? 'Authorization, Accept-Encoding' : 'Authorization',
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
  const ready = prepare(entry);
  const coding = ready.br ? preferredCoding(request.headers['accept-encoding']) : undefined;
  const chosen = (coding && ready[coding]) || ready.plain;
  const headers = [...chosen.headers, 'vary', varyOn(response, ready.vary), 'x-cache', outcome, 'x-request-id', requestId];
  if (mediaType !== JSON_MEDIA_TYPE) headers[1] = mediaType;
  for (const [name, value] of Object.entries(extraHeaders)) headers.push(name, value);
  // Only GETs are cacheable by CDNs, and only under a key that includes Authorization (Vary).
  if (request.method === 'GET') {
    headers.push('surrogate-key', ready.surrogateKeys, 'surrogate-control', `max-age=${entry.maxAgeSeconds}`);
    if (matchesEtag(request.headers['if-none-match'], chosen.etag)) {
      // A 304 has no body, so no content-type (the first pair).
      response.writeHead(304, headers.slice(2));
      response.end();
      return 304;
    }
  }
  headers.push('content-length', String(chosen.payload.length));
  response.writeHead(200, headers);
  response.end(chosen.payload);
  return 200;
}
