// One run's record of steps: each step's time in requests, its x-cache outcome and its result.
// A step that throws fails with the reason; a step that cannot run says why it did not.
import { StepFailure, type Transport } from './transport.js';

export type StepResult = 'pass' | 'fail' | 'not run';

export interface StepReport {
  step: string;
  /** Time spent in this step's requests (null when it did not run). */
  ms: number | null;
  result: StepResult;
  /** What was found on a pass, what was expected and seen on a failure, why on "not run". */
  detail: string;
  /** The x-cache header of the step's last response. */
  cache?: string;
}

export interface StepOutcome<T> {
  value: T;
  detail: string;
}

/** Throws the step's failure when a check found problems. */
export function assertNone(problems: string[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 3).join('; ');
  throw new StepFailure(problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown);
}

export class StepRecorder {
  readonly steps: StepReport[] = [];
  private lastCache: string | undefined;

  constructor(
    private readonly transport: Transport,
    /** Takes the token out of anything reported, whatever a server may echo. */
    private readonly redact: (text: string) => string,
  ) {}

  /** Sends one operation on behalf of the running step, noting its cache outcome. */
  readonly send: Transport['send'] = async (operation, variables) => {
    const exchange = await this.transport.send(operation, variables);
    this.lastCache = exchange.cache;
    return exchange;
  };

  async step<T>(name: string, body: () => Promise<StepOutcome<T>>): Promise<T | undefined> {
    this.transport.takeElapsed();
    this.lastCache = undefined;
    let result: StepResult = 'pass';
    let detail: string;
    let value: T | undefined;
    try {
      ({ value, detail } = await body());
    } catch (error) {
      result = 'fail';
      // Anything else is an answer whose shape the published types did not foresee (a field
      // missing, a list that is not one).
      detail = error instanceof StepFailure ? error.message : `expected an answer of the published shape, saw ${(error as Error).message}`;
    }
    const { ms } = this.transport.takeElapsed();
    this.steps.push({
      step: name,
      ms: Math.round(ms * 10) / 10,
      result,
      detail: this.redact(detail),
      ...(this.lastCache === undefined ? {} : { cache: this.lastCache }),
    });
    return value;
  }

  notRun(names: string[], reason: string): void {
    for (const name of names) this.steps.push({ step: name, ms: null, result: 'not run', detail: reason });
  }
}
