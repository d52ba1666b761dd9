// The persisted-documents manifest `npm run codegen` writes from src/client/operations/: every
// operation the published client SDK can send, by sha256. Loaded into the APQ store at start so a
// hashed GET works on its first call on any instance, and, with PERSISTED_ONLY=true, the list of
// the only operations the server accepts (trusted documents).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';

export const manifestPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../client/sdk/persisted-documents.json');

/** sha256 hex -> document text. */
export type PersistedDocuments = ReadonlyMap<string, string>;

export function loadPersistedDocuments(file = manifestPath): PersistedDocuments {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(raw)) documents.set(id.replace(/^sha256:/, ''), document);
  return documents;
}

/** Puts every manifest operation into the APQ store, under the key Apollo looks it up by. */
export async function warmPersistedQueries(apq: KeyValueCache<string>, documents: PersistedDocuments): Promise<void> {
  await Promise.all([...documents].map(([hash, document]) => apq.set(`apq:${hash}`, document)));
}
