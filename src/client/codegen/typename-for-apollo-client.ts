// A codegen document transform: selects `__typename` wherever Apollo Client's InMemoryCache needs
// it to normalise (every selection set below an operation's root fields), by running the very
// transform Apollo Client applies to a query before sending it. The SDK's documents are then the
// documents the client sends, unchanged, so the text the server has in its manifest is the text
// the client would print, and the answers carry the typenames the cache identifies objects by.
// (The client preset's own transform also selects __typename at the operation root, which Apollo
// Client does not, and would make the two texts differ.)
import { addTypenameToDocument } from '@apollo/client/utilities';
import type { DocumentNode } from 'graphql';

interface DocumentFile {
  document?: DocumentNode;
}

export const typenameForApolloClient = {
  transform<File extends DocumentFile>({ documents }: { documents: File[] }): File[] {
    return documents.map((file) => (file.document ? { ...file, document: addTypenameToDocument(file.document) } : file));
  },
};
