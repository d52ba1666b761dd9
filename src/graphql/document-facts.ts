// What the request path needs to know of a document before deciding how to serve it: the kind of
// each of its operations (only queries are cached or share an execution) and whether it holds a
// single one (then naming it or not is the same request). Parsed once per document and remembered.
//
// Remembered by the document's sha256 as the server computed it, never as a client claims it: a
// claim is checked against the text first (src/http/request-document.ts), and a document named by
// its hash alone is looked up among verified ones. Either way the text is at hand, so the facts
// are always those of the text that will execute.
import { Kind, parse } from 'graphql';
import { LRUCache } from 'lru-cache';

export type OperationKind = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface DocumentFacts {
  /** The kind of each named operation. */
  named: ReadonlyMap<string, OperationKind>;
  /** The kind of the operation run when no name is given: the only one, or none. */
  sole: OperationKind | undefined;
}

/** Documents past this are not looked into: they are refused long before (MAX_QUERY_CHARS). */
const MAX_DOCUMENT_LENGTH = 100_000;
const NOTHING: DocumentFacts = { named: new Map(), sole: undefined };

/**
 * Room for every document a busy deployment sends many times over. An entry is its hash and one
 * name and kind per operation, names being at most a few dozen characters in any real document;
 * sized by what it holds, so a flood of documents with long names cannot grow it past the budget.
 */
export const DOCUMENT_FACTS_MAX_BYTES = 4_000_000;
const ENTRY_OVERHEAD = 200;

function factsOf(text: string): DocumentFacts {
  if (text.length > MAX_DOCUMENT_LENGTH) return NOTHING;
  let operations;
  try {
    operations = parse(text, { noLocation: true, maxTokens: 10_000 }).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return NOTHING;
  }
  const named = new Map<string, OperationKind>();
  for (const operation of operations) if (operation.name) named.set(operation.name.value, operation.operation);
  return { named, sole: operations.length === 1 ? operations[0]!.operation : undefined };
}

function sizeOf(facts: DocumentFacts): number {
  let size = ENTRY_OVERHEAD;
  for (const name of facts.named.keys()) size += name.length * 2 + 48;
  return size;
}

export class DocumentFactsMemo {
  private readonly facts = new LRUCache<string, DocumentFacts>({ maxSize: DOCUMENT_FACTS_MAX_BYTES, sizeCalculation: sizeOf });

  /**
   * The facts of `text`, whose sha256 is `hash`. The caller vouches for that: it computed the
   * hash from this text, or found the text under that hash in a store that only ever holds
   * verified pairs.
   */
  of(hash: string, text: string): DocumentFacts {
    let facts = this.facts.get(hash);
    if (!facts) {
      facts = factsOf(text);
      this.facts.set(hash, facts);
    }
    return facts;
  }

  /** The bytes the memo accounts for, for the memory gauges. */
  get bytes(): number {
    return this.facts.calculatedSize;
  }
}

/** The kind of the operation a request selects: by name, or the sole one when none is named. */
export function kindOf(facts: DocumentFacts, operationName: string | null): OperationKind {
  // A name the document does not hold (the empty name included) selects nothing: Apollo refuses it.
  if (operationName === null) return facts.sole ?? 'unknown';
  return facts.named.get(operationName) ?? 'unknown';
}

/** The operation name as far as caching is concerned: none when the document has one operation. */
export function keyNameOf(facts: DocumentFacts, operationName: string | null): string | null {
  return facts.sole !== undefined ? null : operationName;
}
