// The one definition of a published operation's persisted text and hash, used both for the hash
// codegen embeds in each SDK document and for the manifest the server loads, so the two cannot
// disagree. The text is graphql-js's `print` of the document exactly as the SDK ships it: the
// text Apollo Client prints for it when it does send one (its HttpLink prints with the same
// function), so a client that falls back to sending text sends the manifest's text byte for byte.
// The hash is the lowercase hex sha256 of that text: what `extensions.persistedQuery.sha256Hash`
// carries and what the server verifies and keys persisted documents by.
import { createHash } from 'node:crypto';
import { type DocumentNode, print } from 'graphql';

export function persistedText(document: DocumentNode): string {
  return print(document);
}

export function persistedHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
