// Tells `onErrorsInResult` of each response that Apollo answers with a success status but with
// errors in its body (a resolver failed, a contact was not found...): the status page counts
// those beside 4xx and 5xx answers, which the HTTP status alone reveals.
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';

export function errorsInResultPlugin<Context extends object>(onErrorsInResult: () => void): ApolloServerPlugin<Context> {
  // One listener object for every request: nothing is allocated per request.
  const listener: GraphQLRequestListener<Context> = {
    async willSendResponse({ response }) {
      if ((response.http.status ?? 200) >= 400) return;
      if (response.body.kind === 'single' && response.body.singleResult.errors?.length) onErrorsInResult();
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
