// The one catalogue of errors cardfile reports on purpose. Each has a stable code (clients branch
// on `errors[].extensions.code`) and, where the error ends a whole request, an HTTP status.
// Anything thrown that is not built here is unexpected and gets masked before it reaches a client.
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  BAD_REQUEST: 'BAD_REQUEST',
  /** A method the path does not take (a POST to /healthz, CONNECT). */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A document over a size or token limit, refused before it is parsed (graphql-js's code for the rest). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** An operationName the document cannot hold (Apollo's code for one it does not). */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** With PERSISTED_ONLY=true, anything but a published operation (Apollo's code for an unknown hash). */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** A request body that did not arrive within its deadline. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** A body in a Content-Encoding that is not read here (or several stacked). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /**
   * The client went away before its body arrived. Nobody reads this answer; the status is what the
   * request is counted under, so that a client's abort is never taken for a server error.
   */
  CLIENT_CLOSED_REQUEST: 'CLIENT_CLOSED_REQUEST',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  PERSISTED_QUERY_NOT_FOUND: 400,
  REQUEST_TIMEOUT: 408,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // nginx's number for the same event; no client sees it.
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_SERVER_ERROR: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return httpStatus[code];
}

/** Marks errors built here, so the error formatter can tell them from accidents. */
export class CardfileError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'CardfileError';
  }
}

/**
 * An error that ends the request before execution (no token, wrong role): Apollo answers it with
 * the catalogue's HTTP status instead of 200.
 */
export function requestError(code: ErrorCode, message: string): CardfileError {
  return new CardfileError(code, message, { http: { status: httpStatusOf(code) } });
}

/**
 * The challenge every 401 carries (RFC 6750 §3): the scheme, and `error="invalid_token"` when a
 * credential was sent and refused (none when there was none: the client has only to send one).
 * Whatever answers a 401 outside Apollo writes this same header.
 */
export function bearerChallenge(credentialRefused: boolean): string {
  return credentialRefused ? 'Bearer error="invalid_token"' : 'Bearer';
}

export const unauthenticated = (
  message = 'A valid API token is required (Authorization: Bearer <token>).',
  { credentialRefused = false }: { credentialRefused?: boolean } = {},
) =>
  // Apollo sets the status and merges these headers into its response (extensions.http).
  new CardfileError(ErrorCode.UNAUTHENTICATED, message, {
    http: { status: httpStatusOf(ErrorCode.UNAUTHENTICATED), headers: new HeaderMap([['www-authenticate', bearerChallenge(credentialRefused)]]) },
  });

export const forbidden = (message: string) => requestError(ErrorCode.FORBIDDEN, message);

/** Bad input, naming the argument or input field at fault (e.g. `input.email`). */
export const badUserInput = (field: string, message: string) =>
  new CardfileError(ErrorCode.BAD_USER_INPUT, message, { field });

export const notFound = (field: string, message: string) =>
  new CardfileError(ErrorCode.NOT_FOUND, message, { field });

export const conflict = (message: string, currentVersion: number) =>
  new CardfileError(ErrorCode.CONFLICT, message, { field: 'input.expectedVersion', currentVersion });

export const serviceUnavailable = (message = 'The service is temporarily unavailable; retry shortly.') =>
  new CardfileError(ErrorCode.SERVICE_UNAVAILABLE, message);

/**
 * An error that ends a request at the HTTP layer, before GraphQL runs (a body that cannot be read,
 * a request GraphQL over HTTP refuses, a limit), answered in the same JSON shape as a GraphQL
 * error. Its code is the catalogue's; its status is the code's own, or the one HTTP has for the
 * case where the code covers several (a BAD_REQUEST refused as 406 or 415, say).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Statuses HTTP has for cases a code covers with others: a request that is malformed in a way
 * with a status of its own is still a BAD_REQUEST to a client branching on codes.
 */
export const HttpStatus = {
  /** No media type the client accepts (Accept). */
  NOT_ACCEPTABLE: 406,
  /** A content type the request may not carry (a GET's). */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Headers past Node's limit (refused by its parser). */
  HEADERS_TOO_LARGE: 431,
} as const;

/** An HttpError with the code's own status, or one of HttpStatus where HTTP is more precise. */
export function httpError(code: ErrorCode, message: string, status: number = httpStatusOf(code)): HttpError {
  return new HttpError(status, code, message);
}
