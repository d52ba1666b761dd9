// Fetches a request once before it is measured and checks it is the real page (50 edges), so a
// scenario can never be fast because it answers something else.
import type { LoadRequest } from './load-plan.js';

export interface FetchedPage {
  body: Buffer;
  contentType: string;
  cacheOutcome: string | null;
  headers: Headers;
}

export async function fetchPage(baseUrl: string, request: LoadRequest, expectedEdges?: number): Promise<FetchedPage> {
  const response = await fetch(baseUrl + request.path, { method: request.method, headers: request.headers, body: request.body });
  const body = Buffer.from(await response.arrayBuffer());
  const text = body.toString('utf8');
  if (response.status !== 200) throw new Error(`${request.method} ${request.path.slice(0, 60)} answered ${response.status}: ${text.slice(0, 200)}`);
  const parsed = JSON.parse(text) as { data?: { contacts?: { edges?: unknown[] } }; errors?: unknown[] };
  if (parsed.errors) throw new Error(`the page answered errors: ${text.slice(0, 300)}`);
  const edges = parsed.data?.contacts?.edges?.length;
  if (expectedEdges !== undefined && edges !== expectedEdges) throw new Error(`the page has ${edges} edges, expected ${expectedEdges}`);
  return { body, contentType: response.headers.get('content-type') ?? '', cacheOutcome: response.headers.get('x-cache'), headers: response.headers };
}

/** The ids of a page's contacts, in order: two servers serve the same page when these match. */
export function pageNodeIds(body: Buffer): string[] {
  const parsed = JSON.parse(body.toString('utf8')) as { data: { contacts: { edges: { node: { id: string } }[] } } };
  return parsed.data.contacts.edges.map((edge) => edge.node.id);
}
