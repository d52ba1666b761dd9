// The hash an app sends in `extensions.persistedQuery.sha256Hash` for a document of this SDK: the
// one `npm run codegen` embedded in it, which is the key of its text in persisted-documents.json.
// Reading it instead of hashing at run time means the hash cannot drift from the manifest the
// server loaded (whatever printer or transforms the app's client applies), and no hashing code
// ships to browsers. Pass it to Apollo Client's PersistedQueryLink as `generateHash`.
import type { DocumentNode } from 'graphql';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function persistedQueryHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
    const name = document.definitions.find((definition) => definition.kind === 'OperationDefinition')?.name?.value;
    throw new Error(`${name ?? 'this document'} is not one of the SDK's published operations: it carries no sha256 hex hash (run npm run codegen)`);
  }
  return hash;
}
