// Parsed GraphQL parameters by the exact text they came from: a GET's query string or a POST's
// JSON body. Clients repeat the same requests (the infinite-scroll page, a CDN-fronted GET), so a
// repeat skips URL and JSON parsing, hashing the document and canonicalizing the variables, which
// are most of what a cache hit would otherwise cost before its lookup.
import { LRUCache } from 'lru-cache';
import type { GraphQLParams } from './graphql-params.js';

export interface ParsedRequest {
  params: GraphQLParams;
  /** The request's part of its cache key, once its operation is known to be a query. */
  keyPart?: string;
}

/** Longer texts are parsed every time: they are rare, and would crowd the memo out. */
const MAX_TEXT_LENGTH = 16_384;

export class RequestMemo {
  private readonly entries = new LRUCache<string, ParsedRequest>({
    max: 20_000,
    maxSize: 64_000_000,
    sizeCalculation: (_, text) => text.length * 2 + 512,
  });

  get(form: 'GET' | 'POST', text: string): ParsedRequest | undefined {
    return text.length > MAX_TEXT_LENGTH ? undefined : this.entries.get(form + text);
  }

  set(form: 'GET' | 'POST', text: string, parsed: ParsedRequest): void {
    if (text.length <= MAX_TEXT_LENGTH) this.entries.set(form + text, parsed);
  }
}
