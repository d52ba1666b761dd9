// Runs the journey once, a number of times, or every interval until SIGINT or SIGTERM. A signal
// lets the run in progress finish (its edit is restored before the process goes) and stops the
// schedule; a second signal ends the process at once.

export interface Schedule {
  intervalMs: number | undefined;
  runs: number | undefined;
}

/** Resolves after `ms`, or as soon as a stop is asked for. */
export interface Stopper {
  readonly stopped: boolean;
  sleep(ms: number): Promise<void>;
  dispose(): void;
}

export function stopOnSignals(onSecondSignal: () => void): Stopper {
  let stopped = false;
  let wake: (() => void) | undefined;
  const handler = () => {
    if (stopped) return onSecondSignal();
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get stopped() {
      return stopped;
    },
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Without an interval: `runs` runs back to back (one by default). With one: a run starts every
 * interval (at once when the last took longer) until `runs` are done or a stop. Resolves with
 * whether the last run passed.
 */
export async function repeat(schedule: Schedule, stopper: Stopper, runOnce: (run: number) => Promise<boolean>): Promise<boolean> {
  const limit = schedule.runs ?? (schedule.intervalMs === undefined ? 1 : Number.POSITIVE_INFINITY);
  let passed = true;
  for (let run = 1; run <= limit; run += 1) {
    const started = performance.now();
    passed = await runOnce(run);
    if (stopper.stopped || run === limit) break;
    if (schedule.intervalMs !== undefined) await stopper.sleep(Math.max(0, started + schedule.intervalMs - performance.now()));
    if (stopper.stopped) break;
  }
  return passed;
}
