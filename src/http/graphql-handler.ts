// GraphQL over HTTP on node:http: parses what Apollo's HTTP layer expects (headers, query string,
// a JSON body) and writes back what it answers. A small integration of our own instead of Express:
// nothing in the request path that cardfile does not use.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import type { RequestContext } from '../graphql/context.js';
import { withStatementTally } from '../observability/statement-count.js';
import { BodyError, readBody } from './request-body.js';

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<RequestContext>;
  maxBodyBytes: number;
  buildContext: (request: IncomingMessage, requestId: string) => Promise<RequestContext>;
  /** Expose the request's SQL statement count as a response header (not in production). */
  exposeStatementCount: boolean;
  onStatements?: (count: number) => void;
}

export function sendJsonError(response: ServerResponse, status: number, code: string, message: string, requestId?: string) {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(requestId ? { 'x-request-id': requestId } : {}),
  });
  response.end(body);
}

function isJson(contentType: string | undefined): boolean {
  return !!contentType && /^application\/(graphql-response\+)?json\b/i.test(contentType.trim());
}

export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  return async (request: IncomingMessage, response: ServerResponse, search: string): Promise<number> => {
    const requestId = randomUUID();
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }

    let body: unknown;
    try {
      const text = request.method === 'POST' ? await readBody(request, options.maxBodyBytes) : '';
      if (request.method === 'POST' && isJson(request.headers['content-type'])) {
        if (text.trim() === '') throw new BodyError(400, 'BAD_REQUEST', 'The request body is empty; send a JSON object with a "query".');
        try {
          body = JSON.parse(text);
        } catch {
          throw new BodyError(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
        }
        if (Array.isArray(body)) throw new BodyError(400, 'BAD_REQUEST', 'Batched requests are not supported; send one operation per request.');
      } else {
        body = text;
      }
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      sendJsonError(response, error.status, error.code, error.message, requestId);
      return error.status;
    }

    const tally = { statements: 0 };
    const result = await withStatementTally(tally, () =>
      options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method ?? 'GET', headers, search, body },
        context: () => options.buildContext(request, requestId),
      }),
    );

    const status = result.status ?? 200;
    const responseHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [name, value] of result.headers) responseHeaders[name] = value;
    if (result.body.kind === 'complete') {
      options.onStatements?.(tally.statements);
      if (options.exposeStatementCount) responseHeaders['x-sql-statements'] = String(tally.statements);
      responseHeaders['content-length'] = String(Buffer.byteLength(result.body.string));
      response.writeHead(status, responseHeaders);
      response.end(result.body.string);
      return status;
    }
    response.writeHead(status, responseHeaders);
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
    return status;
  };
}
