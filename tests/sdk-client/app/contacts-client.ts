// An app's Apollo Client for cardfile, set up as docs/api.md ("The client SDK") tells a front end to: a normalised
// cache that pages `contacts` Relay-style, queries sent as GETs carrying only the SDK's persisted
// hash (cacheable by a CDN), mutations as POSTs, and the token in Authorization.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import { persistedQueryHash } from 'cardfile/client';

export interface ContactsClientOptions {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql. */
  uri: string;
  token: string;
  /** The fetch to send requests with (the platform's by default). */
  fetch?: typeof fetch;
}

export function createContactsCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // One list per filter and ordering; pages of it (first/after) merge into that list.
          contacts: relayStylePagination(['filter', 'orderBy']),
        },
      },
    },
  });
}

export function createContactsClient(options: ContactsClientOptions): ApolloClient {
  const persisted = new PersistedQueryLink({ generateHash: persistedQueryHash, useGETForHashedQueries: true });
  const http = new HttpLink({
    uri: options.uri,
    headers: { authorization: `Bearer ${options.token}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return new ApolloClient({ link: persisted.concat(http), cache: createContactsCache() });
}
