// View counting's own metrics on the shared registry: views acknowledged and counted, failed
// flushes, and the write-behind backlog read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface BufferBacklog {
  buffer: 'postgres' | 'redis';
  count: number;
  oldest: Date | undefined;
}

/** `readBacklog`: the buffers' backlog, read when /metrics is scraped (a buffer that cannot be read is left out). */
export function createViewMetrics(registry: Registry, readBacklog: () => Promise<BufferBacklog[]>) {
  // Both backlog gauges are collected together (prom-client reads metrics in parallel): one read
  // of the buffers serves a scrape.
  let backlogRead: Promise<BufferBacklog[]> | undefined;
  const backlog = () =>
    (backlogRead ??= readBacklog()
      .catch(() => [])
      .finally(() => {
        backlogRead = undefined;
      }));
  new Gauge({
    name: 'cardfile_contact_views_backlog',
    help: 'Contact views recorded but not counted yet (the write-behind backlog), by buffer: redis (the stream) or postgres.',
    labelNames: ['buffer'] as const,
    registers: [registry],
    async collect() {
      for (const { buffer, count } of await backlog()) this.set({ buffer }, count);
    },
  });
  new Gauge({
    name: 'cardfile_contact_views_flush_lag_seconds',
    help: 'Age of the oldest contact view not counted yet, by buffer (0 when the buffer is empty): how far counting is behind.',
    labelNames: ['buffer'] as const,
    registers: [registry],
    async collect() {
      const now = Date.now();
      for (const { buffer, oldest } of await backlog()) this.set({ buffer }, oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0);
    },
  });
  return {
    recorded: new Counter({
      name: 'cardfile_contact_views_recorded_total',
      help: 'Contact views acknowledged, by the buffer they were written to: redis (the stream) or postgres (Redis unset or failing).',
      labelNames: ['buffer'] as const,
      registers: [registry],
    }),
    flushed: new Counter({
      name: 'cardfile_contact_views_flushed_total',
      help: 'Buffered contact views taken by the flusher (each counted into its contact once, wherever it was taken).',
      registers: [registry],
    }),
    flushErrors: new Counter({
      name: 'cardfile_contact_view_flush_errors_total',
      help: 'Flushes that failed and left their views buffered for the next one, by buffer.',
      labelNames: ['buffer'] as const,
      registers: [registry],
    }),
  };
}
