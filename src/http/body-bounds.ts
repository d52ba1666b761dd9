// What every request body read in this process shares: a deadline for each body, and one cap on
// the bytes all bodies still arriving hold together. Without them, a few hundred connections that
// each send all but the last byte of a large body hold that memory for as long as Node waits
// (minutes): the cap turns the next such body away at once, the deadline frees the held ones.
export type BodyRefusal = 'busy' | 'timeout' | 'too_large' | 'encoding' | 'corrupt';

export interface BodyBoundsSettings {
  /** Most bytes all bodies being read may hold at once (wire bytes, plus decoded bytes of compressed ones). */
  maxInFlightBytes: number;
  /** Longest one body may take to arrive once reading it starts, in ms. */
  readTimeoutMs: number;
}

/** What a client refused for want of room is told to wait, in seconds: held bodies end within the deadline. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export class BodyBounds {
  private held = 0;

  constructor(
    readonly settings: BodyBoundsSettings,
    private readonly onRefused: (reason: BodyRefusal) => void = () => {},
  ) {}

  /** Bytes held right now by bodies being read (the gauge operators and tests read). */
  get inFlightBytes(): number {
    return this.held;
  }

  /** Takes `bytes` more for one body; false, taking nothing, when that would pass the cap. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.settings.maxInFlightBytes) return false;
    this.held += bytes;
    return true;
  }

  /** Gives back what one body took, once it was read or refused. */
  release(bytes: number): void {
    this.held -= bytes;
  }

  refused(reason: BodyRefusal): void {
    this.onRefused(reason);
  }
}
