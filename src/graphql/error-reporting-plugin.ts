// Reports the unexpected errors of a response once its request id is known: each masked error
// gets the request id to quote, and the tracker counts and logs it (src/observability/error-tracker.ts).
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../errors.js';
import type { ErrorTracker } from '../observability/error-tracker.js';
import type { RequestContext } from './context.js';

export function errorReportingPlugin(tracker: ErrorTracker): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const extensions = error.extensions as Record<string, unknown> | undefined;
            if (extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR || typeof extensions.fingerprint !== 'string') continue;
            extensions.requestId = contextValue.requestId;
            tracker.report(extensions.fingerprint, contextValue.requestId);
          }
        },
      };
    },
  };
}
