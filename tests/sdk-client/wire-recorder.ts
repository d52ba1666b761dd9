// What an app's client put on the wire and what came back: a fetch that notes each request's
// method, operation, persisted hash and whether it carried document text, then sends it for real.
export interface WireEntry {
  method: string;
  operationName: string | undefined;
  /** `extensions.persistedQuery.sha256Hash`, when the request named its document by hash. */
  sha256Hash: string | undefined;
  /** Whether the document text itself went along (`query` in the URL or the body). */
  carriedDocumentText: boolean;
  status: number;
  errorCodes: string[];
}

interface SentFields {
  query?: unknown;
  operationName?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

function sentFields(url: URL, method: string, body: unknown): SentFields {
  if (method === 'GET') {
    const extensions = url.searchParams.get('extensions');
    return {
      query: url.searchParams.get('query') ?? undefined,
      operationName: url.searchParams.get('operationName') ?? undefined,
      extensions: extensions ? JSON.parse(extensions) : undefined,
    };
  }
  return typeof body === 'string' ? (JSON.parse(body) as SentFields) : {};
}

export class WireRecorder {
  readonly entries: WireEntry[] = [];

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const sent = sentFields(url, method, init?.body);
    const response = await fetch(input, init);
    const answer = (await response.clone().json().catch(() => ({}))) as { errors?: Array<{ extensions?: { code?: string } }> };
    this.entries.push({
      method,
      operationName: typeof sent.operationName === 'string' ? sent.operationName : undefined,
      sha256Hash: typeof sent.extensions?.persistedQuery?.sha256Hash === 'string' ? sent.extensions.persistedQuery.sha256Hash : undefined,
      carriedDocumentText: typeof sent.query === 'string' && sent.query.length > 0,
      status: response.status,
      errorCodes: (answer.errors ?? []).map((error) => error.extensions?.code ?? 'none'),
    });
    return response;
  };

  clear(): void {
    this.entries.length = 0;
  }
}
