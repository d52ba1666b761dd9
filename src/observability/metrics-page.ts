// The text GET /metrics answers, rendered at most once per interval. Rendering walks every series
// (histograms by statement shape and operation are the bulk) on the event loop that serves
// requests; scrapes that loop on it would otherwise take that time from every request. Scrapes
// within the interval, and those that arrive while a rendering is under way, get the same bytes.
//
// It keeps one rendering (its size is that of the registry's text, whatever the number of scrapes).
import type { Registry } from 'prom-client';

export interface MetricsPageOptions {
  /** Scrapes within this many ms of a rendering's start get that rendering; 0: only concurrent ones share. */
  minIntervalMs: number;
  /** Told of every rendering (cardfile_metrics_renders_total). */
  onRender?: () => void;
  now?: () => number;
}

export class MetricsPage {
  private latest: { body: Buffer; renderedAt: number } | undefined;
  private rendering: Promise<Buffer> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly registry: Registry,
    private readonly options: MetricsPageOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The page's bytes: the last rendering while it is recent enough, else the one under way, else a new one. */
  current(): Promise<Buffer> {
    const { latest } = this;
    if (latest && this.now() - latest.renderedAt < this.options.minIntervalMs) return Promise.resolve(latest.body);
    return (this.rendering ??= this.render());
  }

  private async render(): Promise<Buffer> {
    const renderedAt = this.now();
    try {
      this.options.onRender?.();
      const body = Buffer.from(await this.registry.metrics(), 'utf8');
      this.latest = { body, renderedAt };
      return body;
    } finally {
      this.rendering = undefined;
    }
  }
}
