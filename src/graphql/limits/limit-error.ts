// How a query over one of the limits is refused: a validation failure (400), with a message that
// says what to change but not where the limit lies, so it cannot be probed for.
import { GraphQLError } from 'graphql';

export function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}
