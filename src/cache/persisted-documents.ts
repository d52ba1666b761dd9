// The persisted-documents manifest `npm run codegen` writes from src/client/operations/: every
// operation the published client SDK can send, by sha256. Known by hash from the start on every
// instance (src/cache/persisted-queries.ts), so a hashed GET works on its first call, and, with
// PERSISTED_ONLY=true, the list of the only operations the server accepts (trusted documents).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const manifestPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client/sdk/persisted-documents.json');

/** sha256 hex -> document text. */
export type PersistedDocuments = ReadonlyMap<string, string>;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Reads the manifest, refusing it whole unless every key is the lowercase hex sha256 of exactly
 * its text: that is the hash clients send (`extensions.persistedQuery.sha256Hash`) and the one
 * the server keys documents by, so an entry that breaks it would serve a text under a hash that
 * is not its own, or never be found. Nothing is rewritten to make a key fit.
 */
export function loadPersistedDocuments(file = manifestPath): PersistedDocuments {
  const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${file} is not a persisted-documents manifest (an object of sha256 hex -> document text): run npm run codegen`);
  }
  const documents = new Map<string, string>();
  for (const [hash, document] of Object.entries(raw)) {
    const actual = typeof document === 'string' ? createHash('sha256').update(document, 'utf8').digest('hex') : undefined;
    if (!SHA256_HEX.test(hash) || actual !== hash) {
      throw new Error(`${file}: the entry ${JSON.stringify(hash.slice(0, 80))} is not keyed by the lowercase hex sha256 of its text: run npm run codegen`);
    }
    documents.set(hash, document as string);
  }
  return documents;
}
