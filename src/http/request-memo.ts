// Parsed GraphQL parameters by the exact text they came from: a GET's query string or a POST's
// JSON body. Clients repeat the same requests (the infinite-scroll page, a CDN-fronted GET), so a
// repeat skips URL and JSON parsing, hashing the document and canonicalizing the variables, which
// are most of what a cache hit would otherwise cost before its lookup. Every entry derives from the
// exact text it is keyed by, so it holds nothing a different request could have put there.
import { LRUCache } from 'lru-cache';
import type { GraphQLParams } from './graphql-request.js';

export interface ParsedRequest {
  params: GraphQLParams;
  /** sha256 of `params.query`, computed from that text: the memo is keyed by the text it came in. */
  textHash?: string;
  /** The request's part of its cache key, once its operation is known to be a query. */
  keyPart?: string;
}

/** Longer texts are parsed every time: they are rare, and would crowd the memo out. */
const MAX_TEXT_LENGTH = 16_384;

/**
 * Enough for the requests a busy instance repeats (each page of a list, the cards in view) and
 * small beside the caches: a soak of 10 minutes filled a 64 MB memo at about 3 MB a minute, which
 * read as a leak until it was full. Only queries are remembered (see graphql-handler.ts).
 */
const MAX_ENTRIES = 10_000;
export const REQUEST_MEMO_MAX_BYTES = 16_000_000;

export class RequestMemo {
  private readonly entries = new LRUCache<string, ParsedRequest>({
    max: MAX_ENTRIES,
    maxSize: REQUEST_MEMO_MAX_BYTES,
    // The key, and the parsed parameters (about as long again, plus the objects that hold them).
    sizeCalculation: (_, text) => text.length * 2 + 512,
  });

  get size(): number {
    return this.entries.size;
  }

  /** The bytes the memo accounts for, for the memory gauges. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  get(form: 'GET' | 'POST', text: string): ParsedRequest | undefined {
    return text.length > MAX_TEXT_LENGTH ? undefined : this.entries.get(form + text);
  }

  set(form: 'GET' | 'POST', text: string, parsed: ParsedRequest): void {
    if (text.length <= MAX_TEXT_LENGTH) this.entries.set(form + text, parsed);
  }
}
