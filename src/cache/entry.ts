// A cached response: the exact bytes to send (plain, and compressed when worth it), the headers
// that go with them, and what it depends on.
import { createHash } from 'node:crypto';
import { type BodyEncodings, encodingsToKeep } from './body-encodings.js';

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
  /** The body compressed, made when the entry was filled (absent for short bodies and older entries). */
  encoded?: BodyEncodings;
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
  const payload = Buffer.from(body);
  const encoded = encodingsToKeep(payload);
  return {
    body,
    payload,
    ...(encoded ? { encoded } : {}),
    bytes: payload.length,
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

/** What the Redis form's metadata line holds: the entry without its bytes, and the compressed lengths. */
type EntryMeta = Omit<CachedResponse, 'body' | 'payload' | 'encoded'> & { encoded?: [gzip: number, br: number] };

/**
 * Redis form: one JSON line of metadata, then the body as it is (no second JSON encoding), then its
 * gzip and brotli forms when it has them (their lengths are in the metadata).
 */
export function serializeEntry(entry: CachedResponse): Buffer {
  const { body, payload, encoded, ...rest } = entry;
  const meta: EntryMeta = encoded ? { ...rest, encoded: [encoded.gzip.length, encoded.br.length] } : rest;
  const head = Buffer.from(`${JSON.stringify(meta)}${SEPARATOR}`);
  const plain = payload ?? Buffer.from(body);
  return encoded ? Buffer.concat([head, plain, encoded.gzip, encoded.br]) : Buffer.concat([head, plain]);
}

const NEWLINE = 0x0a;

/** The Redis form read as bytes: the body is never decoded or re-encoded on its way to a client. */
export function deserializeEntryBytes(bytes: Buffer): CachedResponse | undefined {
  const cut = bytes.indexOf(NEWLINE);
  if (cut < 0) return undefined;
  let meta: EntryMeta;
  try {
    meta = JSON.parse(bytes.toString('utf8', 0, cut)) as EntryMeta;
  } catch {
    return undefined;
  }
  if (typeof meta.etag !== 'string' || !Array.isArray(meta.tags)) return undefined;
  const start = cut + 1;
  let payload: Buffer;
  let encoded: BodyEncodings | undefined;
  if (meta.encoded) {
    const [gzipLength, brLength] = meta.encoded;
    // Lengths that do not add up mean a damaged value: treated as absent, never half-served.
    if (start + meta.bytes + gzipLength + brLength !== bytes.length) return undefined;
    payload = bytes.subarray(start, start + meta.bytes);
    encoded = { gzip: bytes.subarray(start + meta.bytes, start + meta.bytes + gzipLength), br: bytes.subarray(start + meta.bytes + gzipLength) };
  } else {
    payload = bytes.subarray(start);
  }
  const { encoded: _lengths, ...fields } = meta;
  let body: string | undefined;
  return {
    ...fields,
    payload,
    ...(encoded ? { encoded } : {}),
    get body() {
      body ??= payload.toString('utf8');
      return body;
    },
  };
}
