// The one reading of the Authorization header, shared by the token check (viewer.ts) and the
// per-token rate limit (src/limits/): both must agree on which token a request carries, or a
// client could spell one token several ways and get a fresh rate-limit count for each spelling.
//
// Accepted: `Bearer`, its letters in any case (RFC 7235 §2.1: the scheme is case-insensitive),
// one or more spaces (RFC 7235's `1*SP`; a tab is not a space there), then one token in the form
// cardfile issues (token-format.ts), and nothing after it. Whitespace around the whole value is
// not part of it (RFC 7230 §3.2.4). Everything else is refused, and a header longer than any
// accepted spelling needs is refused before it is read any further.
import type { IncomingHttpHeaders } from 'node:http';
import { hashToken, TOKEN_LENGTH, TOKEN_PATTERN } from './token-format.js';

/**
 * Longest Authorization header read at all. A real one is 53 characters ("Bearer " and a
 * 46-character token); this leaves room for generous spacing and nothing else.
 */
export const MAX_AUTHORIZATION_CHARS = 1_024;

export type Credentials =
  /** No Authorization header, or an empty one. */
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  /** Present, but not an acceptable bearer token: refused with 401, never looked up or counted as a token. */
  | { kind: 'refused'; reason: string };

const OWS = /^[ \t]+|[ \t]+$/g;
const SCHEME = /^bearer( +)/i;

/** How every client spells it, checked first: one comparison and one pattern instead of four. */
const USUAL = 'Bearer ';

export function credentialsOf(header: string | undefined): Credentials {
  if (header === undefined) return { kind: 'none' };
  if (header.length === USUAL.length + TOKEN_LENGTH && header.startsWith(USUAL)) {
    const token = header.slice(USUAL.length);
    if (TOKEN_PATTERN.test(token)) return { kind: 'bearer', token };
  }
  if (header.length > MAX_AUTHORIZATION_CHARS) {
    return { kind: 'refused', reason: 'The Authorization header is too long for "Bearer <token>".' };
  }
  const value = header.replace(OWS, '');
  if (value === '') return { kind: 'none' };
  const scheme = SCHEME.exec(value);
  if (!scheme) return { kind: 'refused', reason: 'The Authorization header must be "Bearer <token>".' };
  const token = value.slice(scheme[0].length);
  if (!TOKEN_PATTERN.test(token)) {
    return { kind: 'refused', reason: 'The bearer token is not a cardfile API token (cf_ and 43 letters, digits, "-" or "_").' };
  }
  return { kind: 'bearer', token };
}

/** A request's credentials, with the sha256 of a bearer token (what the token is known by). */
export type RequestCredentials = Exclude<Credentials, { kind: 'bearer' }> | { kind: 'bearer'; token: string; tokenHash: string };

/**
 * Read once per request, whoever asks first (the rate limiter, then the token check): keyed by the
 * request's own headers object, so the entry lives exactly as long as the request does and holds
 * nothing a later request could see.
 */
const readByRequest = new WeakMap<IncomingHttpHeaders, RequestCredentials>();

export function credentialsOfRequest(headers: IncomingHttpHeaders): RequestCredentials {
  let read = readByRequest.get(headers);
  if (read === undefined) {
    const credentials = credentialsOf(headers.authorization);
    read = credentials.kind === 'bearer' ? { ...credentials, tokenHash: hashToken(credentials.token) } : credentials;
    readByRequest.set(headers, read);
  }
  return read;
}
