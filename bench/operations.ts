// The published operations the benchmark sends, by the sha256 hash of the persisted-documents
// manifest, and the two request shapes: APQ GET for reads, hash-only POST for mutations.
import { loadPublishedOperations } from '../src/graphql/published-operations.js';

export type OperationName = 'ContactsPage' | 'ContactCard' | 'SearchContacts' | 'UpdateContact';

export interface Operation {
  name: OperationName;
  hash: string;
  document: string;
}

export function loadOperations(): Record<OperationName, Operation> {
  const { byName } = loadPublishedOperations();
  const pick = (name: OperationName): Operation => {
    const operation = byName.get(name);
    if (!operation) throw new Error(`${name} is not in the persisted-documents manifest; run npm run codegen`);
    return { name, hash: operation.hash, document: operation.text };
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
