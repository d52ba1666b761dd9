// The published operations the benchmark sends, by the sha256 hash of the persisted-documents
// manifest, and the two request shapes: APQ GET for reads, hash-only POST for mutations.
import { loadPersistedDocuments } from '../src/cache/persisted-documents.js';

export type OperationName = 'ContactsPage' | 'ContactCard' | 'SearchContacts' | 'UpdateContact';

export interface Operation {
  name: OperationName;
  hash: string;
  document: string;
}

export function loadOperations(): Record<OperationName, Operation> {
  const byName = new Map<string, Operation>();
  for (const [hash, document] of loadPersistedDocuments()) {
    const name = /^(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(document)?.[1];
    if (name) byName.set(name, { name: name as OperationName, hash, document });
  }
  const pick = (name: OperationName) => {
    const operation = byName.get(name);
    if (!operation) throw new Error(`${name} is not in the persisted-documents manifest; run npm run codegen`);
    return operation;
  };
  return {
    ContactsPage: pick('ContactsPage'),
    ContactCard: pick('ContactCard'),
    SearchContacts: pick('SearchContacts'),
    UpdateContact: pick('UpdateContact'),
  };
}

/** The path and query string of an APQ GET. */
export function apqGetPath(operation: { name: string; hash: string }, variables: unknown): string {
  const extensions = { persistedQuery: { version: 1, sha256Hash: operation.hash } };
  return (
    `/graphql?operationName=${operation.name}` +
    `&variables=${encodeURIComponent(JSON.stringify(variables))}` +
    `&extensions=${encodeURIComponent(JSON.stringify(extensions))}`
  );
}

/** The body of a POST that names its operation by hash only. */
export function apqPostBody(operation: { name: string; hash: string }, variables: unknown): string {
  return JSON.stringify({
    operationName: operation.name,
    variables,
    extensions: { persistedQuery: { version: 1, sha256Hash: operation.hash } },
  });
}

export function readHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' };
}

export function postHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}
