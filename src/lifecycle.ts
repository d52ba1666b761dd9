// The app's lifecycle as data: which phase it is in, and what must be stopped, in the order it was
// started. Each part that holds something open (a connection, a listener, a timer) is registered
// right after it is made, so a start that fails halfway stops exactly what it had started, in
// reverse, and a stop never depends on remembering an order by hand.
import type { Logger } from './observability/logger.js';

export type Phase =
  /** Parts are being made; a failure now stops those already made. */
  | { name: 'building' }
  /** Everything is made; nothing serves yet. */
  | { name: 'built' }
  /** Serving. */
  | { name: 'started'; url: string }
  /** Serving, with readiness at 503, so a load balancer lets go first. */
  | { name: 'draining' }
  /** Stopping its parts, last made first. */
  | { name: 'stopping' }
  | { name: 'stopped' }
  /** The build failed; what had been made is stopped. */
  | { name: 'failed'; error: unknown };

interface Part {
  name: string;
  stop: () => unknown;
}

export class Lifecycle {
  private current: Phase = { name: 'building' };
  private readonly parts: Part[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  get phase(): Phase {
    return this.current;
  }

  /** Moves to the next phase (the caller knows the order: build, start, drain, stop). */
  enter(phase: Phase): void {
    this.current = phase;
  }

  /** Registers how to stop a part just made: parts are stopped last made first. Returns the part. */
  own<T>(name: string, part: T, stop: (part: T) => unknown): T {
    this.parts.push({ name, stop: () => stop(part) });
    return part;
  }

  /** Registers a stop step that is not a part's own (waiting for background work, say). */
  onStop(name: string, stop: () => unknown): void {
    this.parts.push({ name, stop });
  }

  /**
   * Stops every registered part, last made first, each awaited before the next; one that fails is
   * logged and the others still stop. Called twice, the second call waits for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.current.name !== 'failed') this.enter({ name: 'stopping' });
      for (const part of [...this.parts].reverse()) {
        try {
          await part.stop();
        } catch (error) {
          this.logger.warn({ err: { name: (error as Error)?.name, message: (error as Error)?.message }, part: part.name }, 'a part did not stop cleanly');
        }
      }
      if (this.current.name !== 'failed') this.enter({ name: 'stopped' });
    })();
    return this.stopping;
  }

  /** A failed build: stops what was made, then rethrows the failure. */
  async fail(error: unknown): Promise<never> {
    this.enter({ name: 'failed', error });
    await this.stop();
    throw error;
  }
}
