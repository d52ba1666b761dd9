// The published operations the journey sends, taken from the client SDK: their hash for APQ, and
// their text from the persisted-documents manifest for when a server does not know the hash yet.
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { loadPublishedOperations } from '../graphql/published-operations.js';
import {
  ContactCardDocument,
  type ContactCardQuery,
  type ContactCardQueryVariables,
  ContactsPageDocument,
  type ContactsPageQuery,
  type ContactsPageQueryVariables,
  SearchContactsDocument,
  type SearchContactsQuery,
  type SearchContactsQueryVariables,
  UpdateContactDocument,
  type UpdateContactMutation,
  type UpdateContactMutationVariables,
  ViewerDocument,
  type ViewerQuery,
  type ViewerQueryVariables,
} from '../client/sdk/graphql.js';

export interface Published<Result, Variables> {
  name: string;
  kind: 'query' | 'mutation';
  /** sha256 hex of `text`, as the manifest keys it. */
  hash: string;
  text: string;
  /** Carries the result and variable types; never set. */
  readonly types?: [Result, Variables];
}

const manifest = loadPublishedOperations().texts;

function publish<Result, Variables>(document: DocumentNode): Published<Result, Variables> {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  const name = operation?.name?.value;
  const text = hash ? manifest.get(hash) : undefined;
  // Only a stale SDK gets here: npm run codegen writes the documents and the manifest together.
  if (!hash || !name || !text || (operation.operation !== 'query' && operation.operation !== 'mutation')) {
    throw new Error(`the client SDK and its persisted-documents manifest disagree about ${name ?? 'an operation'}: run npm run codegen`);
  }
  return { name, kind: operation.operation, hash, text };
}

export const operations = {
  viewer: publish<ViewerQuery, ViewerQueryVariables>(ViewerDocument),
  contactsPage: publish<ContactsPageQuery, ContactsPageQueryVariables>(ContactsPageDocument),
  searchContacts: publish<SearchContactsQuery, SearchContactsQueryVariables>(SearchContactsDocument),
  contactCard: publish<ContactCardQuery, ContactCardQueryVariables>(ContactCardDocument),
  updateContact: publish<UpdateContactMutation, UpdateContactMutationVariables>(UpdateContactDocument),
};

export type ContactsPage = ContactsPageQuery['contacts'];
export type ListContact = ContactsPage['edges'][number]['node'];
export type Card = NonNullable<ContactCardQuery['contact']>;
export type SearchResult = SearchContactsQuery['contacts'];
