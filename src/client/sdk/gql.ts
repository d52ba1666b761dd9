/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AddNote($contactId: ID!, $body: String!) {\n  addNote(input: {contactId: $contactId, body: $body}) {\n    note {\n      id\n      body\n      createdAt\n    }\n  }\n}": typeof types.AddNoteDocument,
    "query Companies($first: Int = 20, $after: String, $search: String) {\n  companies(first: $first, after: $after, filter: {search: $search}) {\n    edges {\n      cursor\n      node {\n        id\n        name\n        domain\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": typeof types.CompaniesDocument,
    "query ContactCard($id: ID!, $notes: Int = 10) {\n  contact(id: $id) {\n    id\n    firstName\n    lastName\n    email\n    phone\n    title\n    version\n    createdAt\n    updatedAt\n    company {\n      id\n      name\n      domain\n    }\n    tags {\n      id\n      name\n    }\n    notes(first: $notes) {\n      edges {\n        node {\n          id\n          body\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n}": typeof types.ContactCardDocument,
    "query ContactsPage($first: Int = 50, $after: String, $orderBy: ContactOrder, $filter: ContactFilter) {\n  contacts(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        title\n        company {\n          id\n          name\n        }\n        tags {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": typeof types.ContactsPageDocument,
    "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    company {\n      id\n      name\n      domain\n    }\n  }\n}": typeof types.CreateCompanyDocument,
    "mutation CreateContact($input: CreateContactInput!) {\n  createContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      version\n    }\n  }\n}": typeof types.CreateContactDocument,
    "mutation CreateTag($name: String!) {\n  createTag(input: {name: $name}) {\n    tag {\n      id\n      name\n    }\n  }\n}": typeof types.CreateTagDocument,
    "mutation DeleteContact($id: ID!) {\n  deleteContact(input: {id: $id}) {\n    deletedId\n  }\n}": typeof types.DeleteContactDocument,
    "mutation RecordContactView($contactId: ID!) {\n  recordContactView(input: {contactId: $contactId}) {\n    contactId\n  }\n}": typeof types.RecordContactViewDocument,
    "query SearchContacts($search: String!, $first: Int = 10) {\n  contacts(first: $first, filter: {search: $search}) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        company {\n          id\n          name\n        }\n      }\n    }\n    totalCount\n    totalCountExact\n  }\n}": typeof types.SearchContactsDocument,
    "mutation TagContact($contactId: ID!, $tagId: ID!) {\n  tagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.TagContactDocument,
    "query Tags {\n  tags {\n    id\n    name\n  }\n}": typeof types.TagsDocument,
    "mutation UntagContact($contactId: ID!, $tagId: ID!) {\n  untagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.UntagContactDocument,
    "mutation UpdateContact($input: UpdateContactInput!) {\n  updateContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      phone\n      title\n      version\n      updatedAt\n    }\n  }\n}": typeof types.UpdateContactDocument,
    "query Viewer {\n  viewer {\n    role\n    workspace {\n      id\n      name\n    }\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation AddNote($contactId: ID!, $body: String!) {\n  addNote(input: {contactId: $contactId, body: $body}) {\n    note {\n      id\n      body\n      createdAt\n    }\n  }\n}": types.AddNoteDocument,
    "query Companies($first: Int = 20, $after: String, $search: String) {\n  companies(first: $first, after: $after, filter: {search: $search}) {\n    edges {\n      cursor\n      node {\n        id\n        name\n        domain\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": types.CompaniesDocument,
    "query ContactCard($id: ID!, $notes: Int = 10) {\n  contact(id: $id) {\n    id\n    firstName\n    lastName\n    email\n    phone\n    title\n    version\n    createdAt\n    updatedAt\n    company {\n      id\n      name\n      domain\n    }\n    tags {\n      id\n      name\n    }\n    notes(first: $notes) {\n      edges {\n        node {\n          id\n          body\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n}": types.ContactCardDocument,
    "query ContactsPage($first: Int = 50, $after: String, $orderBy: ContactOrder, $filter: ContactFilter) {\n  contacts(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        title\n        company {\n          id\n          name\n        }\n        tags {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": types.ContactsPageDocument,
    "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    company {\n      id\n      name\n      domain\n    }\n  }\n}": types.CreateCompanyDocument,
    "mutation CreateContact($input: CreateContactInput!) {\n  createContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      version\n    }\n  }\n}": types.CreateContactDocument,
    "mutation CreateTag($name: String!) {\n  createTag(input: {name: $name}) {\n    tag {\n      id\n      name\n    }\n  }\n}": types.CreateTagDocument,
    "mutation DeleteContact($id: ID!) {\n  deleteContact(input: {id: $id}) {\n    deletedId\n  }\n}": types.DeleteContactDocument,
    "mutation RecordContactView($contactId: ID!) {\n  recordContactView(input: {contactId: $contactId}) {\n    contactId\n  }\n}": types.RecordContactViewDocument,
    "query SearchContacts($search: String!, $first: Int = 10) {\n  contacts(first: $first, filter: {search: $search}) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        company {\n          id\n          name\n        }\n      }\n    }\n    totalCount\n    totalCountExact\n  }\n}": types.SearchContactsDocument,
    "mutation TagContact($contactId: ID!, $tagId: ID!) {\n  tagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}": types.TagContactDocument,
    "query Tags {\n  tags {\n    id\n    name\n  }\n}": types.TagsDocument,
    "mutation UntagContact($contactId: ID!, $tagId: ID!) {\n  untagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}": types.UntagContactDocument,
    "mutation UpdateContact($input: UpdateContactInput!) {\n  updateContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      phone\n      title\n      version\n      updatedAt\n    }\n  }\n}": types.UpdateContactDocument,
    "query Viewer {\n  viewer {\n    role\n    workspace {\n      id\n      name\n    }\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddNote($contactId: ID!, $body: String!) {\n  addNote(input: {contactId: $contactId, body: $body}) {\n    note {\n      id\n      body\n      createdAt\n    }\n  }\n}"): (typeof documents)["mutation AddNote($contactId: ID!, $body: String!) {\n  addNote(input: {contactId: $contactId, body: $body}) {\n    note {\n      id\n      body\n      createdAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Companies($first: Int = 20, $after: String, $search: String) {\n  companies(first: $first, after: $after, filter: {search: $search}) {\n    edges {\n      cursor\n      node {\n        id\n        name\n        domain\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"): (typeof documents)["query Companies($first: Int = 20, $after: String, $search: String) {\n  companies(first: $first, after: $after, filter: {search: $search}) {\n    edges {\n      cursor\n      node {\n        id\n        name\n        domain\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ContactCard($id: ID!, $notes: Int = 10) {\n  contact(id: $id) {\n    id\n    firstName\n    lastName\n    email\n    phone\n    title\n    version\n    createdAt\n    updatedAt\n    company {\n      id\n      name\n      domain\n    }\n    tags {\n      id\n      name\n    }\n    notes(first: $notes) {\n      edges {\n        node {\n          id\n          body\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n}"): (typeof documents)["query ContactCard($id: ID!, $notes: Int = 10) {\n  contact(id: $id) {\n    id\n    firstName\n    lastName\n    email\n    phone\n    title\n    version\n    createdAt\n    updatedAt\n    company {\n      id\n      name\n      domain\n    }\n    tags {\n      id\n      name\n    }\n    notes(first: $notes) {\n      edges {\n        node {\n          id\n          body\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      totalCount\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ContactsPage($first: Int = 50, $after: String, $orderBy: ContactOrder, $filter: ContactFilter) {\n  contacts(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        title\n        company {\n          id\n          name\n        }\n        tags {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"): (typeof documents)["query ContactsPage($first: Int = 50, $after: String, $orderBy: ContactOrder, $filter: ContactFilter) {\n  contacts(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        title\n        company {\n          id\n          name\n        }\n        tags {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    company {\n      id\n      name\n      domain\n    }\n  }\n}"): (typeof documents)["mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    company {\n      id\n      name\n      domain\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateContact($input: CreateContactInput!) {\n  createContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      version\n    }\n  }\n}"): (typeof documents)["mutation CreateContact($input: CreateContactInput!) {\n  createContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      version\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateTag($name: String!) {\n  createTag(input: {name: $name}) {\n    tag {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["mutation CreateTag($name: String!) {\n  createTag(input: {name: $name}) {\n    tag {\n      id\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteContact($id: ID!) {\n  deleteContact(input: {id: $id}) {\n    deletedId\n  }\n}"): (typeof documents)["mutation DeleteContact($id: ID!) {\n  deleteContact(input: {id: $id}) {\n    deletedId\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RecordContactView($contactId: ID!) {\n  recordContactView(input: {contactId: $contactId}) {\n    contactId\n  }\n}"): (typeof documents)["mutation RecordContactView($contactId: ID!) {\n  recordContactView(input: {contactId: $contactId}) {\n    contactId\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchContacts($search: String!, $first: Int = 10) {\n  contacts(first: $first, filter: {search: $search}) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        company {\n          id\n          name\n        }\n      }\n    }\n    totalCount\n    totalCountExact\n  }\n}"): (typeof documents)["query SearchContacts($search: String!, $first: Int = 10) {\n  contacts(first: $first, filter: {search: $search}) {\n    edges {\n      node {\n        id\n        firstName\n        lastName\n        email\n        company {\n          id\n          name\n        }\n      }\n    }\n    totalCount\n    totalCountExact\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TagContact($contactId: ID!, $tagId: ID!) {\n  tagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["mutation TagContact($contactId: ID!, $tagId: ID!) {\n  tagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Tags {\n  tags {\n    id\n    name\n  }\n}"): (typeof documents)["query Tags {\n  tags {\n    id\n    name\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UntagContact($contactId: ID!, $tagId: ID!) {\n  untagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["mutation UntagContact($contactId: ID!, $tagId: ID!) {\n  untagContact(input: {contactId: $contactId, tagId: $tagId}) {\n    contact {\n      id\n      version\n      tags {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateContact($input: UpdateContactInput!) {\n  updateContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      phone\n      title\n      version\n      updatedAt\n    }\n  }\n}"): (typeof documents)["mutation UpdateContact($input: UpdateContactInput!) {\n  updateContact(input: $input) {\n    contact {\n      id\n      firstName\n      lastName\n      email\n      phone\n      title\n      version\n      updatedAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    role\n    workspace {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    role\n    workspace {\n      id\n      name\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;