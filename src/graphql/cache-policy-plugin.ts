// Sets Cache-Control from the operation's cache policy (cache-policy.ts), in place of Apollo's
// cache-control plugin, which is turned off: the same header, computed once per document.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
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
            response.http.headers.set('cache-control', `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}`);
          } else {
            response.http.headers.set('cache-control', 'no-store');
          }
        },
      };
    },
  };
}
