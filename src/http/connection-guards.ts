// What every listener of cardfile does below the routes: deadlines for a request's line and headers
// and for the whole request, and an answer in the usual JSON error shape to whatever Node's HTTP
// parser refuses by itself.
import http, { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, httpError, type HttpError, HttpStatus } from '../errors.js';

export interface ConnectionTimeouts {
  /** Longest a request's line and headers may take to arrive, in ms. */
  headersTimeoutMs: number;
  /**
   * Longest a whole request may take to arrive, in ms: a backstop behind the body reader's own
   * deadline, for bodies no route reads.
   */
  requestTimeoutMs: number;
}

/** Node's own defaults (60 s for headers, 300 s for a request) let a slow client hold a connection for minutes. */
export function serverOptionsFor(timeouts: ConnectionTimeouts): http.ServerOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: Math.max(timeouts.requestTimeoutMs, timeouts.headersTimeoutMs),
    // Node checks both deadlines on this period (30 s by default), so a deadline is kept to within it.
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.headersTimeoutMs / 4))),
  };
}

/** A whole HTTP response with a JSON error, for sockets no ServerResponse writes to. */
function rawJsonError({ status, code, message }: HttpError): string {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

export function guardConnections(server: http.Server): void {
  // Requests Node's HTTP parser refuses (raw non-ASCII bytes in the request line, a malformed
  // header) or that miss a deadline never reach a route. Answer them in the same JSON error shape,
  // with the statuses Node itself would use, rather than Node's empty body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // As Node does: never write into a response already under way on this (keep-alive) socket.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? httpError(ErrorCode.BAD_REQUEST, 'The request headers are too large.', HttpStatus.HEADERS_TOO_LARGE)
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? httpError(ErrorCode.REQUEST_TIMEOUT, 'The request took too long to arrive.')
          : httpError(ErrorCode.BAD_REQUEST, 'The request is not valid HTTP.');
    socket.end(rawJsonError(refusal));
  });

  // CONNECT asks for a tunnel, which this server never opens. Node drops such a connection
  // without a word when nobody listens for it; answer it like any other method not served here.
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    socket.end(rawJsonError(httpError(ErrorCode.METHOD_NOT_ALLOWED, 'CONNECT is not supported.')));
  });
}
