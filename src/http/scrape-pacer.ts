// Paces answers to /metrics, /status and /status.json: at most `perSecond` a second (after a burst
// of as many), the rest wait their turn. Rendering once a second makes each scrape cheap, but
// clients that loop on an endpoint ask again as soon as they are answered: the cheaper the answer,
// the more they ask, and writing those answers takes the event loop from the API's requests. A
// scrape that waits costs nothing; Prometheus (a scrape per target every 15 s or so) never waits.
export interface ScrapePacerOptions {
  /** Answers per second; 0: no pacing. */
  perSecond: number;
  /** Scrapes that may wait at once; more are refused. */
  maxWaiting: number;
  now?: () => number;
}

/** How a scrape's turn came: at once, after waiting, or refused (too many waiting). */
export type ScrapeTurn = 'at-once' | 'waited' | 'refused';

export class ScrapePacer {
  private tokens: number;
  private refilledAt: number;
  // FIFO; bounded by maxWaiting.
  private readonly waiting: Array<(turn: ScrapeTurn) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ScrapePacerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.tokens = options.perSecond;
    this.refilledAt = this.now();
  }

  /** Resolves when the scrape may be answered, or at once with `refused`. */
  turn(): Promise<ScrapeTurn> {
    if (this.options.perSecond <= 0) return Promise.resolve('at-once');
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve('at-once');
    }
    if (this.waiting.length >= this.options.maxWaiting) return Promise.resolve('refused');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Answers every waiting scrape now (the listener is closing) and stops the timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.waiting.splice(0)) resolve('waited');
  }

  private refill(): void {
    const now = this.now();
    const { perSecond } = this.options;
    this.tokens = Math.min(perSecond, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.options.perSecond));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1 && this.waiting.length > 0) {
        this.tokens -= 1;
        this.waiting.shift()!('waited');
      }
      if (this.waiting.length > 0) this.schedule();
    }, wait);
    // Waiting scrapes never keep the process alive by themselves.
    this.timer.unref();
  }
}
