// How the monitor speaks to cardfile, as the published clients do: queries as automatic persisted
// query GETs (the hash alone, then the hash with its text when the server does not know it yet),
// mutations as POSTs. Every request has a deadline; every way a request can go wrong becomes a
// StepFailure saying what was expected and what was seen.
import type { Published } from './operations.js';

/** A check that did not hold, or an answer that could not be had: its message names both sides. */
export class StepFailure extends Error {}

export interface Exchange<Result> {
  data: Result;
  /** The response's x-cache header (hit-l1, miss, ...), or undefined when it has none. */
  cache: string | undefined;
}

export interface Transport {
  send<Result, Variables>(operation: Published<Result, Variables>, variables: Variables): Promise<Exchange<Result>>;
  /** Milliseconds spent in requests since the last call, and how many were made. */
  takeElapsed(): { ms: number; requests: number };
}

interface GraphQLBody {
  data?: unknown;
  errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }>;
}

const snippet = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text).replace(/\s+/g, ' ');

function describeFetchError(error: unknown, timeoutMs: number): string {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `expected an answer within ${timeoutMs} ms, saw none`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `expected an HTTP answer, saw ${cause?.code ?? cause?.message ?? (error as Error).message}`;
}

export function createTransport(options: { endpoint: string; token: string; timeoutMs: number }): Transport {
  let elapsed = 0;
  let requests = 0;

  async function exchange(operation: Published<unknown, unknown>, variables: unknown, withText: boolean) {
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: operation.hash } });
    const headers: Record<string, string> = {
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${options.token}`,
    };
    let url = options.endpoint;
    let init: RequestInit;
    if (operation.kind === 'query') {
      const params = new URLSearchParams({ operationName: operation.name });
      // No variables at all rather than "{}": the key a server warms a variable-less query under.
      if (variables && Object.keys(variables).length > 0) params.set('variables', JSON.stringify(variables));
      params.set('extensions', extensions);
      if (withText) params.set('query', operation.text);
      url = `${url}?${params}`;
      // A GET carries no content type, so Apollo's CSRF guard asks for this header instead.
      init = { method: 'GET', headers: { ...headers, 'apollo-require-preflight': 'true' } };
    } else {
      const body = { operationName: operation.name, variables, extensions: JSON.parse(extensions), ...(withText ? { query: operation.text } : {}) };
      init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }

    const started = performance.now();
    requests += 1;
    let status: number;
    let text: string;
    let response: Response;
    try {
      // The deadline covers the body too: the signal stays armed while it is read.
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new StepFailure(describeFetchError(error, options.timeoutMs));
    } finally {
      elapsed += performance.now() - started;
    }
    let body: GraphQLBody;
    try {
      body = JSON.parse(text) as GraphQLBody;
      if (typeof body !== 'object' || body === null) throw new Error('not an object');
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw new StepFailure(`expected a GraphQL JSON answer, saw HTTP ${status} (${type}): ${snippet(text) || 'an empty body'}`);
    }
    return { status, body, cache: response.headers.get('x-cache') ?? undefined };
  }

  return {
    async send<Result, Variables>(operation: Published<Result, Variables>, variables: Variables): Promise<Exchange<Result>> {
      let answer = await exchange(operation, variables, false);
      const codeOf = (index: number) => answer.body.errors?.[index]?.extensions?.code;
      if (codeOf(0) === 'PERSISTED_QUERY_NOT_FOUND') answer = await exchange(operation, variables, true);
      const errors = answer.body.errors;
      if (Array.isArray(errors) && errors.length > 0) {
        const first = errors[0]!;
        const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
        throw new StepFailure(
          `expected ${operation.name} to answer without errors, saw HTTP ${answer.status} ${String(codeOf(0) ?? 'error')}: ${snippet(String(first.message ?? ''))}${more}`,
        );
      }
      if (answer.status !== 200 || answer.body.data === undefined || answer.body.data === null) {
        throw new StepFailure(`expected ${operation.name} data with HTTP 200, saw HTTP ${answer.status} without data`);
      }
      return { data: answer.body.data as Result, cache: answer.cache };
    },
    takeElapsed() {
      const taken = { ms: elapsed, requests };
      elapsed = 0;
      requests = 0;
      return taken;
    },
  };
}
