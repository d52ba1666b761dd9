// What a client may learn from an error. Errors from the catalogue (src/errors.ts) and from
// graphql-js/Apollo (parse, validation, variable coercion, persisted queries) pass through as they
// are; database errors with a known meaning become their domain error; everything else is an
// accident and is masked: a generic message with the request id to quote, never SQL, parameters
// or a stack (those go to the log, redacted).
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { domainErrorFor } from '../db/errors.js';
import { CardfileError, ErrorCode } from '../errors.js';
import type { ErrorTracker } from '../observability/error-tracker.js';

const passThroughCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
]);

function withoutStack(error: GraphQLFormattedError): GraphQLFormattedError {
  if (!error.extensions || !('stacktrace' in error.extensions)) return error;
  const { stacktrace: _stacktrace, ...extensions } = error.extensions;
  return { ...error, extensions };
}

/**
 * Apollo refuses some requests (an unsupported persisted-query version, a hash that does not match
 * its query) with a bare GraphQLError that carries a 4xx status but no code. Checked by shape, not
 * instanceof: Apollo's copy of graphql-js need not be the one this module imports.
 */
function isUncodedRequestError(error: unknown): boolean {
  const candidate = error as Partial<Pick<GraphQLError, 'path' | 'originalError' | 'extensions'>> | null;
  if (!candidate?.extensions || candidate.path || candidate.originalError || candidate.extensions.code !== undefined) return false;
  const status = (candidate.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Apollo's refusal of introspection tells the reader to pass `introspection: true` to ApolloServer,
 * which no one running cardfile does: the switch here is the INTROSPECTION variable.
 */
function introspectionInCardfileTerms(error: GraphQLFormattedError): GraphQLFormattedError {
  if (error.extensions?.validationErrorCode !== 'INTROSPECTION_DISABLED') return error;
  return {
    ...error,
    message: 'Introspection (__schema, __type) is turned off on this server, as it is in production by default; start it with INTROSPECTION=true to turn it on.',
  };
}

// graphql-js suggests names in variable-coercion messages too, which Apollo's
// hideSchemaDetailsFromClientErrors (validation only) leaves in place.
const suggestion = / ?Did you mean(.+?)\?$/;

export interface ErrorFormatterOptions {
  /** Drop "Did you mean ...?" hints, which describe the schema (production). */
  hideSchemaDetails?: boolean;
  /** Told of every error's code as the client sees it (the errors-by-code metric). */
  onCode?: (code: string) => void;
}

export function createErrorFormatter(tracker: ErrorTracker, options: ErrorFormatterOptions = {}) {
  const classify = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof CardfileError) return withoutStack(formatted);
    const domainError = domainErrorFor(original);
    if (domainError) {
      return { message: domainError.message, path: formatted.path, extensions: { code: domainError.extensions.code } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && passThroughCodes.has(code) && original === error) return introspectionInCardfileTerms(withoutStack(formatted));
    if (isUncodedRequestError(error)) return { message: formatted.message, extensions: { code: ErrorCode.BAD_REQUEST } };
    // Logged and counted once the request id is known (errorReportingPlugin).
    const fingerprint = tracker.capture(original, String((original as { code?: unknown })?.code ?? code ?? ErrorCode.INTERNAL_SERVER_ERROR), formatted.path);
    return {
      message: 'Internal server error. Quote the requestId when reporting it.',
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, fingerprint },
    };
  };
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = classify(formatted, error);
    options.onCode?.(String(result.extensions?.code ?? 'NONE'));
    return result;
  };
  if (!options.hideSchemaDetails) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return suggestion.test(result.message) ? { ...result, message: result.message.replace(suggestion, '') } : result;
  };
}
