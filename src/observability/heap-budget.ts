// Whether the caches, at the sizes configured, fit in the JavaScript heap the process was given
// (`npm start` caps the old generation at 512 MB so that V8 collects before growing its heap far
// past what is alive; see docs/operations.md, "Memory"). A process whose caches outgrow the cap dies with an
// out-of-memory error under load, long after it started: this says so at start instead.
import v8 from 'node:v8';
import type { Config } from '../config.js';

/**
 * What the process holds apart from the response and entity caches: code, schema, connections,
 * requests in flight, and the smaller bounded memos (parsed requests up to 16 MB, token grants).
 */
export const BASE_HEAP_BYTES = 96 * 1024 * 1024;
/**
 * One entity-cache entry (row, stamp, key and LRU slot): 590 bytes on average for contacts and
 * notes of the seeded data, measured by filling an LRU with 200,000 rows and collecting.
 */
export const ENTITY_ENTRY_BYTES = 600;
/** Warn when the estimate passes this share of the limit: V8 needs room to collect in. */
const HEADROOM = 0.8;

export interface HeapBudget {
  estimateBytes: number;
  limitBytes: number;
  fits: boolean;
}

type CacheSizes = Pick<Config, 'responseCache' | 'memoryCacheMaxBytes' | 'entityCache' | 'entityCacheMaxEntries'>;

/** The heap the caches may fill when full, against `limitBytes` (the process's own by default). */
export function heapBudget(config: CacheSizes, limitBytes = v8.getHeapStatistics().heap_size_limit): HeapBudget {
  const responses = config.responseCache ? config.memoryCacheMaxBytes : 0;
  const entities = config.entityCache ? config.entityCacheMaxEntries * ENTITY_ENTRY_BYTES : 0;
  const estimateBytes = BASE_HEAP_BYTES + responses + entities;
  return { estimateBytes, limitBytes, fits: estimateBytes <= limitBytes * HEADROOM };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** The start-up warning for a budget that does not fit, or undefined when it does. */
export function heapBudgetWarning(budget: HeapBudget): string | undefined {
  if (budget.fits) return undefined;
  return (
    `the caches may need about ${mb(budget.estimateBytes)} MB of heap when full (MEMORY_CACHE_MAX_BYTES, ` +
    `ENTITY_CACHE_MAX_ENTRIES at ~${ENTITY_ENTRY_BYTES} bytes each, plus ${mb(BASE_HEAP_BYTES)} MB), more than ` +
    `${HEADROOM * 100}% of this process's heap limit of ${mb(budget.limitBytes)} MB: raise node's ` +
    `--max-old-space-size or lower the cache sizes, or the process may run out of memory under load`
  );
}
