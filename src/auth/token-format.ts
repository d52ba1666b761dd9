// What a cardfile API token looks like: "cf_" and 32 random bytes in base64url (43 characters).
// Only its sha256 is stored, so a copy of the database does not hand out working tokens. Every
// token ever issued has had this form, so anything else can be refused without a lookup.
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'cf_';

export const TOKEN_PATTERN = /^cf_[A-Za-z0-9_-]{43}$/;
/** Every token's length: the prefix and 43 characters. */
export const TOKEN_LENGTH = TOKEN_PREFIX.length + 43;

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The form a token is stored and looked up in (hex). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
