// A cached response: the exact bytes to send, the headers that go with them, and what it depends on.
import { createHash } from 'node:crypto';

export interface CachedResponse {
  body: string;
  /** Byte length of `body` in UTF-8. */
  bytes: number;
  etag: string;
  /**
   * Kept for entries already in Redis from earlier versions; nothing reads it (the answer's policy
   * is its maxAgeSeconds, and headers are written from that).
   */
  cacheControl: string;
  maxAgeSeconds: number;
  /** Epoch ms: fresh until then. */
  freshUntil: number;
  /** Epoch ms: may be served stale (while one refresh runs) until then. */
  staleUntil: number;
  tags: string[];
  /**
   * The body's bytes, when the entry came from Redis: a hit writes them as they are, and `body`
   * is decoded from them only if something asks for it.
   */
  payload?: Buffer;
}

// Jitter spreads the expiry of entries filled together, so they are not all refreshed at once.
const jitter = () => 0.9 + Math.random() * 0.2;

export interface NewEntry {
  body: string;
  maxAgeSeconds: number;
  /** What the answer was built from (src/cache/keys.ts `tag`), for invalidation. */
  tags: Iterable<string>;
  now: number;
  /** Seconds the entry may be served stale after it expires, while one refresh runs. */
  staleSeconds: number;
}

/** The one place an entry is made from an answer: its ETag, expiry (with jitter) and stale window. */
export function newEntry({ body, maxAgeSeconds, tags, now, staleSeconds }: NewEntry): CachedResponse {
  const freshUntil = now + Math.round(maxAgeSeconds * 1000 * jitter());
  return {
    body,
    bytes: Buffer.byteLength(body),
    etag: etagOf(body),
    cacheControl: `max-age=${maxAgeSeconds}`,
    maxAgeSeconds,
    freshUntil,
    staleUntil: freshUntil + staleSeconds * 1000,
    tags: [...tags],
  };
}

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

const SEPARATOR = '\n';

/** Redis form: one JSON line of metadata, then the body as it is (no second JSON encoding). */
export function serializeEntry(entry: CachedResponse): string {
  const { body, payload: _payload, ...meta } = entry;
  return `${JSON.stringify(meta)}${SEPARATOR}${body}`;
}

const NEWLINE = 0x0a;

/** The Redis form read as bytes: the body is never decoded or re-encoded on its way to a client. */
export function deserializeEntryBytes(bytes: Buffer): CachedResponse | undefined {
  const cut = bytes.indexOf(NEWLINE);
  if (cut < 0) return undefined;
  let meta: Omit<CachedResponse, 'body'>;
  try {
    meta = JSON.parse(bytes.toString('utf8', 0, cut)) as Omit<CachedResponse, 'body'>;
  } catch {
    return undefined;
  }
  if (typeof meta.etag !== 'string' || !Array.isArray(meta.tags)) return undefined;
  const payload = bytes.subarray(cut + 1);
  let body: string | undefined;
  return {
    ...meta,
    payload,
    get body() {
      body ??= payload.toString('utf8');
      return body;
    },
  };
}
