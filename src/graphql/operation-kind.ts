// Whether a document's selected operation is a query: only queries are cached or coalesced. Parsed
// once per document and remembered, so a cache hit does not parse.
import { type DocumentNode, Kind, parse } from 'graphql';
import { LRUCache } from 'lru-cache';

export type OperationKind = 'query' | 'mutation' | 'subscription' | 'unknown';

const MAX_DOCUMENT_LENGTH = 100_000;

export class OperationKinds {
  private readonly known = new LRUCache<string, OperationKind>({ max: 5_000 });
  /** Documents holding exactly one operation: for them, naming it or not is the same request. */
  private readonly singleOperation = new LRUCache<string, true>({ max: 5_000 });

  /** The operation name as far as caching is concerned: none when the document has one operation. */
  keyName(documentHash: string, operationName: string | null): string | null {
    return this.singleOperation.has(documentHash) ? null : operationName;
  }

  /** Learned from an execution, for documents that arrived as a hash alone. */
  remember(documentHash: string, operationName: string | null, kind: OperationKind): void {
    this.known.set(`${documentHash}:${operationName ?? ''}`, kind);
  }

  /** Learns a known document (the manifest's), so its bare hash can be served from the cache. */
  learn(documentHash: string, query: string): void {
    const document = parse(query, { noLocation: true });
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    for (const operation of operations) {
      if (operation.name) this.known.set(`${documentHash}:${operation.name.value}`, operation.operation);
    }
    if (operations.length === 1) {
      this.known.set(`${documentHash}:`, operations[0]!.operation);
      this.singleOperation.set(documentHash, true);
    }
  }

  kindOf(documentHash: string, operationName: string | null, query: string | undefined): OperationKind {
    const key = `${documentHash}:${operationName ?? ''}`;
    const known = this.known.get(key);
    if (known) return known;
    if (!query || query.length > MAX_DOCUMENT_LENGTH) return 'unknown';
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: 10_000 });
    } catch {
      return 'unknown';
    }
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    if (operations.length === 1) this.singleOperation.set(documentHash, true);
    const chosen =
      operationName === null ? (operations.length === 1 ? operations[0] : undefined) : operations.find((op) => op.name?.value === operationName);
    const kind: OperationKind = chosen ? chosen.operation : 'unknown';
    this.known.set(key, kind);
    return kind;
  }
}
