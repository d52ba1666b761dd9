// Sets Cache-Control from the operation's cache policy (cache-policy.ts), in place of Apollo's
// cache-control plugin, which is turned off: computed once per document. Browsers are told to
// revalidate every time (browser-cache-control.ts), whatever the policy's max age.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { NOT_STORED, REVALIDATE_EACH_TIME } from './browser-cache-control.js';
import { cachePolicies } from './cache-policy.js';

export function cachePolicyPlugin<Context extends object>(schema: GraphQLSchema): ApolloServerPlugin<Context> {
  const policyOf = cachePolicies(schema);
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, operation }) {
          const body = response.body;
          const policy = document && operation ? policyOf(document, operation as OperationDefinitionNode) : undefined;
          if (policy && body.kind === 'single' && !body.singleResult.errors) {
            // The max age rides along for the GraphQL handler, which reads it back from this header
            // to decide whether, and how long, the server keeps the answer. Browsers reuse nothing
            // without asking under no-cache, so it gives them no licence to serve a stale copy.
            response.http.headers.set('cache-control', `${REVALIDATE_EACH_TIME}, max-age=${policy.maxAge}`);
          } else {
            response.http.headers.set('cache-control', NOT_STORED);
          }
        },
      };
    },
  };
}
