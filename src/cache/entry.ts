// A cached response: the exact bytes to send, the headers that go with them, and what it depends on.
import { createHash } from 'node:crypto';

export interface CachedResponse {
  body: string;
  /** Byte length of `body` in UTF-8. */
  bytes: number;
  etag: string;
  /** The Cache-Control value computed from the schema's hints when the response was made. */
  cacheControl: string;
  maxAgeSeconds: number;
  /** Epoch ms: fresh until then. */
  freshUntil: number;
  /** Epoch ms: may be served stale (while one refresh runs) until then. */
  staleUntil: number;
  tags: string[];
}

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

const SEPARATOR = '\n';

/** Redis form: one JSON line of metadata, then the body as it is (no second JSON encoding). */
export function serializeEntry(entry: CachedResponse): string {
  const { body, ...meta } = entry;
  return `${JSON.stringify(meta)}${SEPARATOR}${body}`;
}

export function deserializeEntry(text: string): CachedResponse | undefined {
  const cut = text.indexOf(SEPARATOR);
  if (cut < 0) return undefined;
  try {
    const meta = JSON.parse(text.slice(0, cut)) as Omit<CachedResponse, 'body'>;
    if (typeof meta.etag !== 'string' || !Array.isArray(meta.tags)) return undefined;
    return { ...meta, body: text.slice(cut + 1) };
  } catch {
    return undefined;
  }
}
