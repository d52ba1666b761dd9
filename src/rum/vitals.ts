// The five Web Vitals cardfile accepts, as the `web-vitals` library reports them (times in
// milliseconds, CLS unitless), and how each becomes a Prometheus histogram. Bucket bounds include
// the library's good / poor thresholds, so the share of good page views is one bucket over _count.
export const VITAL_NAMES = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'] as const;
export type VitalName = (typeof VITAL_NAMES)[number];

export const RATINGS: ReadonlySet<string> = new Set(['good', 'needs-improvement', 'poor']);

export interface VitalKind {
  /** Largest value accepted, in the library's unit; anything above is a broken client. */
  max: number;
  /** Prometheus metric name, in base units (seconds) where the vital has a unit. */
  metric: string;
  help: string;
  /** Multiplies a reported value into the metric's unit. */
  scale: number;
  buckets: number[];
}

// Two minutes: past that a page view is not being measured any more, whatever a client says.
const MAX_MS = 120_000;

export const VITALS: Record<VitalName, VitalKind> = {
  LCP: {
    max: MAX_MS,
    metric: 'cardfile_rum_lcp_seconds',
    help: 'Largest Contentful Paint reported by browsers, by page route (good <= 2.5 s, poor > 4 s).',
    scale: 1 / 1000,
    buckets: [0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 20, 60],
  },
  INP: {
    max: MAX_MS,
    metric: 'cardfile_rum_inp_seconds',
    help: 'Interaction to Next Paint reported by browsers, by page route (good <= 0.2 s, poor > 0.5 s).',
    scale: 1 / 1000,
    buckets: [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2, 5, 10],
  },
  CLS: {
    max: 10,
    metric: 'cardfile_rum_cls',
    help: 'Cumulative Layout Shift (unitless) reported by browsers, by page route (good <= 0.1, poor > 0.25).',
    scale: 1,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 1, 2, 5],
  },
  FCP: {
    max: MAX_MS,
    metric: 'cardfile_rum_fcp_seconds',
    help: 'First Contentful Paint reported by browsers, by page route (good <= 1.8 s, poor > 3 s).',
    scale: 1 / 1000,
    buckets: [0.25, 0.5, 1, 1.5, 1.8, 2.5, 3, 4, 5, 7.5, 10, 20, 60],
  },
  TTFB: {
    max: MAX_MS,
    metric: 'cardfile_rum_ttfb_seconds',
    help: 'Time to First Byte reported by browsers, by page route (good <= 0.8 s, poor > 1.8 s).',
    scale: 1 / 1000,
    buckets: [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.4, 1.8, 2.5, 5, 10, 30],
  },
};

export function isVitalName(name: string): name is VitalName {
  return (VITAL_NAMES as readonly string[]).includes(name);
}
