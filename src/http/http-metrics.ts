// The HTTP layer's own metrics on the shared registry: request bodies refused and held while
// arriving, and the parsed-request memo's size. (Request durations and client aborts are the
// request metrics every listener reports: src/observability/metrics.ts.)
import { Counter, Gauge, type Registry } from 'prom-client';

export interface HttpReadings {
  /** Bytes held by request bodies being read (src/http/body-bounds.ts). */
  bodyBytesInFlight: () => number;
  /** Queries remembered parsed (src/http/request-memo.ts). */
  memoEntries: () => number;
}

export function createHttpMetrics(registry: Registry, read: HttpReadings) {
  new Gauge({
    name: 'cardfile_http_body_bytes_in_flight',
    help: 'Bytes held by request bodies being read (as sent, plus what compressed ones decoded to), at most MAX_BODY_BYTES_IN_FLIGHT.',
    registers: [registry],
    collect() {
      this.set(read.bodyBytesInFlight());
    },
  });
  new Gauge({
    name: 'cardfile_request_memo_entries',
    help: 'Queries remembered parsed by their request text (a repeat skips parsing), at most 10,000 or 16 MB.',
    registers: [registry],
    collect() {
      this.set(read.memoEntries());
    },
  });
  return {
    bodyRefusals: new Counter({
      name: 'cardfile_http_body_refusals_total',
      help: 'Request bodies refused while arriving, by reason: busy (the in-flight cap was full, 503), timeout (408), too_large (413), encoding (415 or 400), corrupt (compressed data that does not decode, 400).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
