// The cache layer's own metrics, registered by the cache on the shared registry: what the tiers
// stored, purged, evicted and failed to do, the entity cache's rows, and the sizes read at scrape
// time. Names and meanings are listed in docs/operations.md.
import { Counter, Gauge, type Registry } from 'prom-client';

export function createCacheMetrics(registry: Registry) {
  return {
    stores: new Counter({
      name: 'cardfile_cache_stores_total',
      help: 'Responses stored, by tier.',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    invalidations: new Counter({
      name: 'cardfile_cache_invalidations_total',
      help: 'Entries (l1) or tags (l2) purged by mutations, by tier.',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    evictions: new Counter({
      name: 'cardfile_cache_evictions_total',
      help: 'Entries evicted from the in-process tier to stay within its byte budget.',
      registers: [registry],
    }),
    errors: new Counter({
      name: 'cardfile_cache_errors_total',
      help: 'Shared-tier operations that failed or timed out (each served as a miss).',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'cardfile_cache_refreshes_total',
      help: 'Background refreshes of stale entries by result: done, held-elsewhere (another instance was refreshing the key), failed.',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    entityRows: new Counter({
      name: 'cardfile_entity_cache_rows_total',
      help: 'Rows DataLoader batches asked the entity cache for, by type and outcome (hit: no SQL needed).',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    persistedQueryRegistrations: new Counter({
      name: 'cardfile_persisted_query_registrations_total',
      help: 'Persisted-query documents clients asked to register, by result: stored, or over-limit (the workspace reached PERSISTED_QUERIES_PER_WORKSPACE).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    /** Shows the in-process tier's bytes (0 without one). */
    watchMemoryBytes(read: () => number) {
      gaugeOf(registry, 'cardfile_cache_l1_bytes', 'Bytes held by the in-process response cache (as counted against its budget).', read);
    },
    /** Shows the entity cache's rows (0 without one). */
    watchEntityEntries(read: () => number) {
      gaugeOf(
        registry,
        'cardfile_entity_cache_entries',
        'Rows held by the in-process entity cache (at most ENTITY_CACHE_MAX_ENTRIES), current or retired by a later write until evicted.',
        read,
      );
    },
  };
}

export type CacheMetrics = ReturnType<typeof createCacheMetrics>;

function gaugeOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
