// The ready-to-paste curl line the embedded first start prints. With PERSISTED_ONLY=true the server
// takes only the published operations, by hash: the line then sends the SDK's ContactsPage that
// way (a GET, as a CDN-facing client sends it) instead of a query text it would refuse.
import type { PublishedOperations } from './graphql/published-operations.js';

const FIRST_QUERY = '{ contacts(first: 3) { totalCount edges { node { firstName lastName company { name } } } } }';

export function firstQueryCurl(url: string, token: string, persistedOnly: boolean, published: PublishedOperations): string {
  const auth = `-H "authorization: Bearer ${token}"`;
  if (!persistedOnly) {
    return `curl -s ${url}/graphql -H 'content-type: application/json' ${auth} -d '${JSON.stringify({ query: FIRST_QUERY })}'`;
  }
  const hash = published.byName.get('ContactsPage')?.hash;
  if (!hash) throw new Error('the persisted-documents manifest has no ContactsPage query: run npm run codegen');
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
  return (
    `curl -s -G ${url}/graphql -H 'apollo-require-preflight: true' ${auth} ` +
    `--data-urlencode 'variables={"first":3}' --data-urlencode 'extensions=${extensions}'`
  );
}
