// An error answered by the HTTP layer itself, in the shape every GraphQL error has
// ({ errors: [{ message, extensions: { code } }] }), never stored by any cache: a client reads one
// error shape whether GraphQL or the transport refused it. Codes come from the catalogue
// (src/errors.ts).
import type { ServerResponse } from 'node:http';
import type { HttpError } from '../errors.js';

/** Writes `error` with its status and code; `requestId` when the request has one to quote. */
export function sendJsonError(response: ServerResponse, error: HttpError, requestId?: string) {
  const { status, code, message } = error;
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(requestId ? { 'x-request-id': requestId } : {}),
  });
  response.end(body);
}
