// Request bodies may come compressed (Content-Encoding): gzip, deflate (the zlib format, as HTTP
// defines it) and br are decoded, identity is the body as it is. Anything else is refused rather
// than read as if it were plain: a compressed body executed as JSON is at best a confusing error.
import zlib from 'node:zlib';

export type ContentCoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** Why a Content-Encoding header cannot be honoured. */
export type CodingProblem = 'unsupported' | 'stacked' | 'malformed';

// An HTTP token (RFC 9110 section 5.6.2): what a coding name must be.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The one coding a body is in, or what is wrong with the header. An absent or empty header is identity. */
export function contentCodingOf(header: string | string[] | undefined): ContentCoding | CodingProblem {
  // Node joins repeated headers with ", ", so two headers read as two codings, as HTTP means them.
  const value = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  if (names.length === 1 && names[0] === '') return 'identity';
  if (names.some((name) => !TOKEN.test(name))) return 'malformed';
  // "gzip, identity" says no more than "gzip"; two real codings would mean decoding twice over.
  const codings = names.filter((name) => name !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) return 'stacked';
  const [name] = codings;
  if (name === 'gzip' || name === 'x-gzip') return 'gzip';
  if (name === 'deflate') return 'deflate';
  if (name === 'br') return 'br';
  return 'unsupported';
}

/** A streaming decoder: output comes in small chunks, so a reader can stop a bomb early. */
export function decoderFor(coding: Exclude<ContentCoding, 'identity'>): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress {
  if (coding === 'gzip') return zlib.createGunzip();
  if (coding === 'deflate') return zlib.createInflate();
  return zlib.createBrotliDecompress();
}
