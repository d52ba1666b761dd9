// Real-user monitoring on the metrics registry: one histogram per Web Vital (a vital's unit and
// buckets are its own, so they do not share one histogram), labelled by page route only, and a
// counter of the batches received by outcome.
import { Counter, Histogram, type Registry } from 'prom-client';
import { VITAL_NAMES, type VitalName, VITALS } from './vitals.js';

export const RUM_OUTCOMES = ['accepted', 'invalid', 'too_large', 'unsupported_type', 'origin_refused', 'rate_limited'] as const;
export type RumOutcome = (typeof RUM_OUTCOMES)[number];

export function createRumMetrics(registry: Registry) {
  const histograms = new Map<VitalName, Histogram<'route'>>();
  for (const name of VITAL_NAMES) {
    const { metric, help, buckets } = VITALS[name];
    histograms.set(name, new Histogram({ name: metric, help, labelNames: ['route'] as const, buckets, registers: [registry] }));
  }
  const reports = new Counter({
    name: 'cardfile_rum_reports_total',
    help: 'Web Vitals batches received on POST /rum, by outcome: accepted, invalid, too_large, unsupported_type, origin_refused, rate_limited.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome shows from the start, at 0, so a rate over it never starts from a missing series.
  for (const outcome of RUM_OUTCOMES) reports.labels({ outcome }).inc(0);
  return {
    /** `value` in the unit the `web-vitals` library reports (ms, or unitless for CLS). */
    observe(name: VitalName, route: string, value: number) {
      histograms.get(name)!.observe({ route }, value * VITALS[name].scale);
    },
    count(outcome: RumOutcome) {
      reports.inc({ outcome });
    },
  };
}

export type RumMetrics = ReturnType<typeof createRumMetrics>;
