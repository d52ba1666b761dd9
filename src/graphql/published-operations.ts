// The published operations: the persisted-documents manifest `npm run codegen` writes from
// src/client/operations/, every operation the client SDK can send, by sha256. Known by hash from
// the start on every instance (src/cache/persisted-queries.ts), so a hashed GET works on its first
// call; with PERSISTED_ONLY=true, the only operations the server accepts (trusted documents); by
// name, what start-up warming runs and what metrics label. Each document is read once, here, into
// { hash, name, kind, text }: nothing else parses a name out of a document's text.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, type OperationTypeNode, parse } from 'graphql';

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

export interface PublishedOperation {
  /** sha256 (lowercase hex) of `text`. */
  hash: string;
  name: string;
  kind: OperationTypeNode;
  text: string;
}

export interface PublishedOperations {
  byHash: ReadonlyMap<string, PublishedOperation>;
  byName: ReadonlyMap<string, PublishedOperation>;
  /** sha256 -> text, as the persisted-query store holds them. */
  texts: PersistedDocuments;
}

/** The manifest's operations, each named: a document holds exactly one named operation. */
export function loadPublishedOperations(file = manifestPath): PublishedOperations {
  const texts = loadPersistedDocuments(file);
  const byHash = new Map<string, PublishedOperation>();
  const byName = new Map<string, PublishedOperation>();
  for (const [hash, text] of texts) {
    const operations = parse(text, { noLocation: true }).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operations[0];
    if (operations.length !== 1 || !operation?.name) throw new Error(`${file}: the entry ${hash} must hold exactly one named operation: run npm run codegen`);
    const published: PublishedOperation = { hash, name: operation.name.value, kind: operation.operation, text };
    if (byName.has(published.name)) throw new Error(`${file}: two entries name ${published.name}: run npm run codegen`);
    byHash.set(hash, published);
    byName.set(published.name, published);
  }
  return { byHash, byName, texts };
}
