// The client SDK's entry module (`cardfile/client`): a typed document for every published
// operation with its result and variables types, and the hash to send for it. Its companion is
// the manifest `cardfile/client/persisted-documents.json` (sha256 hex -> document text), the same
// file the server loads: every operation here is served by hash alone, also with PERSISTED_ONLY.
export * from './sdk/graphql.js';
export { persistedQueryHash } from './persisted-query-hash.js';
