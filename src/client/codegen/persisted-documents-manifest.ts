// A codegen plugin writing persisted-documents.json: every published operation's persisted text
// (see persisted-text.ts) under its sha256 hex hash, ordered by operation name so that the file
// only changes when an operation does. The server loads it at start (src/graphql/published-operations.ts)
// and finds operations in it by the name that opens each text (`query ContactsPage(...`).
import { type ASTNode, type DocumentNode, Kind, type OperationDefinitionNode, visit } from 'graphql';
import { persistedHash, persistedText } from './persisted-text.js';

interface DocumentFile {
  document?: DocumentNode;
  location?: string;
}

function spreadsFragments(operation: OperationDefinitionNode): boolean {
  let spreads = false;
  visit(operation as ASTNode, {
    FragmentSpread() {
      spreads = true;
    },
  });
  return spreads;
}

export function persistedOperations(documents: DocumentFile[]): Array<{ name: string; hash: string; text: string }> {
  const operations = new Map<string, { name: string; hash: string; text: string }>();
  for (const file of documents) {
    for (const definition of file.document?.definitions ?? []) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const name = definition.name?.value;
      // The server, its cache warming and the benchmark find published operations by name.
      if (!name) throw new Error(`${file.location}: every published operation needs a name`);
      if (operations.has(name)) throw new Error(`${file.location}: the operation name ${name} is published twice`);
      // The SDK appends a fragment's definition to each document that spreads it; this manifest
      // would have to append them the same way to keep the texts equal. No operation needs one yet.
      if (spreadsFragments(definition)) throw new Error(`${file.location}: ${name} spreads a fragment, which the persisted-documents manifest cannot list yet`);
      const text = persistedText({ kind: Kind.DOCUMENT, definitions: [definition] });
      operations.set(name, { name, hash: persistedHash(text), text });
    }
  }
  return [...operations.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const persistedDocumentsManifestPlugin = {
  plugin(_schema: unknown, documents: DocumentFile[]): string {
    const manifest = Object.fromEntries(persistedOperations(documents).map(({ hash, text }) => [hash, text]));
    return `${JSON.stringify(manifest, null, 2)}\n`;
  },
};
