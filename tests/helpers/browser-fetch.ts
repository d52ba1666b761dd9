// What browser tests need around a page: GraphQL requests sent by the page's own fetch (so the
// browser's CORS checks and HTTP cache apply), the published operations' persisted-query URLs, and
// a record of what the server itself received and answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import { loadPersistedDocuments } from '../../src/graphql/published-operations.js';
import type { TestServer } from './server.js';

/** What a page's script could read of an answer, or why its fetch rejected. */
export interface PageAnswer {
  status: number;
  /** Headers the script may read (all of them same-origin; CORS-exposed ones cross-origin). */
  headers: Record<string, string>;
  body: any;
  /** The message of a rejected fetch (a CORS refusal is a TypeError: "Failed to fetch"). */
  rejected?: string;
}

export interface PageRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** Sends one request with the page's fetch, as a script of that page would. */
export function fetchInPage(page: Page, request: PageRequest): Promise<PageAnswer> {
  return page.evaluate(async ({ url, method, headers, body }) => {
    try {
      const response = await fetch(url, { method, headers, body });
      const seen: Record<string, string> = {};
      response.headers.forEach((value, name) => (seen[name] = value));
      const text = await response.text();
      return { status: response.status, headers: seen, body: text ? JSON.parse(text) : undefined };
    } catch (error) {
      return { status: 0, headers: {}, body: undefined, rejected: String(error) };
    }
  }, request);
}

/** A published (manifest) operation as a persisted-query GET: the hash alone, no document. */
export function persistedQueryUrl(base: string, operationName: string, variables: Record<string, unknown>): string {
  const entry = [...loadPersistedDocuments()].find(([, document]) => document.startsWith(`query ${operationName}(`) || document.startsWith(`query ${operationName} `));
  if (!entry) throw new Error(`no published query named ${operationName}`);
  const params = new URLSearchParams({
    operationName,
    variables: JSON.stringify(variables),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: entry[0] } }),
  });
  return `${base}/graphql?${params}`;
}

/** One request to /graphql as the server received and answered it. */
export interface Received {
  method: string;
  ifNoneMatch: string | undefined;
  origin: string | undefined;
  status: number;
}

/** Records every /graphql request `server` answers from now on, once its answer is sent. */
export function recordGraphQLRequests(server: TestServer): Received[] {
  const received: Received[] = [];
  server.app.http.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!request.url?.startsWith('/graphql')) return;
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    response.on('finish', () =>
      received.push({ method: request.method ?? '', ifNoneMatch: header('if-none-match'), origin: header('origin'), status: response.statusCode }),
    );
  });
  return received;
}
