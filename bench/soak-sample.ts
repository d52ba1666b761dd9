// What the soak reads from each instance at the end of the warm-up and at the end: its resident
// memory from /proc, and from its /metrics what explains memory (heap, L1 bytes, entity rows, parsed requests remembered) and what counts
// as a failure on the server's side (unexpected errors) or shows the load reached it (requests).
import { sumOf } from './prometheus.js';
import type { ServerUnderTest } from './server-under-test.js';

export interface InstanceSample {
  /** VmRSS of the serving process (the caller may put a median of recent readings here); undefined when it has exited. */
  rssMb?: number;
  heapUsedMb?: number;
  /** Heap reserved by V8, young generation included: RSS minus this is native memory. */
  heapTotalMb?: number;
  /** Of that, the young generation (semi-spaces, grown up to --max-semi-space-size) and the old. */
  newSpaceMb?: number;
  oldSpaceMb?: number;
  externalMb?: number;
  l1Mb?: number;
  /** Rows in the in-process entity cache (about 600 bytes of heap each). */
  entityRows?: number;
  /** Queries remembered parsed by request text. */
  memoEntries?: number;
  graphqlRequests?: number;
  /** p99 event-loop delay since the previous scrape (prom-client resets it on each): how starved the process was. */
  eventLoopLagP99Ms?: number;
  unexpectedErrors?: number;
  /** Redis commands that failed or timed out: served anyway, so reported but not a failure. */
  cacheErrors?: number;
  /** The same by operation (l2-get, l2-purge, ...), only those that happened. */
  cacheErrorsByOperation?: Record<string, number>;
  /** Why /metrics could not be read, when it could not. */
  problem?: string;
}

/** A counter's values by one label, leaving out zeroes. */
function byLabel(text: string, name: string, label: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"[^}]*\\}\\s+(\\S+)`, 'gm'))) {
    const value = Number(match[2]);
    if (value > 0) values[match[1]!] = (values[match[1]!] ?? 0) + value;
  }
  return values;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function sampleInstance(server: ServerUnderTest): Promise<InstanceSample> {
  // Memory first, before the scrape itself allocates in the server.
  const rssMb = server.rssMb();
  try {
    const response = await fetch(`${server.baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (!response.ok) return { rssMb, problem: `GET /metrics answered ${response.status}` };
    return {
      rssMb,
      heapUsedMb: mb(sumOf(text, 'cardfile_nodejs_heap_size_used_bytes')),
      heapTotalMb: mb(sumOf(text, 'cardfile_nodejs_heap_size_total_bytes')),
      newSpaceMb: mb(sumOf(text, 'cardfile_nodejs_heap_space_size_total_bytes', (labels) => labels.includes('space="new"'))),
      oldSpaceMb: mb(sumOf(text, 'cardfile_nodejs_heap_space_size_total_bytes', (labels) => labels.includes('space="old"'))),
      externalMb: mb(sumOf(text, 'cardfile_nodejs_external_memory_bytes')),
      l1Mb: mb(sumOf(text, 'cardfile_cache_l1_bytes')),
      entityRows: sumOf(text, 'cardfile_entity_cache_entries'),
      memoEntries: sumOf(text, 'cardfile_request_memo_entries'),
      eventLoopLagP99Ms: Math.round(sumOf(text, 'cardfile_nodejs_eventloop_lag_p99_seconds') * 1000),
      graphqlRequests: sumOf(text, 'cardfile_http_request_duration_seconds_count', (labels) => labels.includes('route="graphql"')),
      unexpectedErrors: sumOf(text, 'cardfile_unexpected_errors_total'),
      cacheErrors: sumOf(text, 'cardfile_cache_errors_total'),
      cacheErrorsByOperation: byLabel(text, 'cardfile_cache_errors_total', 'operation'),
    };
  } catch (error) {
    return { rssMb, problem: `GET /metrics failed: ${(error as Error).message}` };
  }
}
