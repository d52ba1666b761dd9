// Request durations of one sampling interval, kept so that exact percentiles can be read at the
// interval's end.
//
// Why not the Prometheus histogram's bucket deltas: its buckets are coarse (…10, 25, 50, 100 ms),
// and a percentile interpolated inside a bucket can be off by half the bucket's width, which is
// most of the figure on a page whose point is to show p99 moving. Here the durations themselves
// are kept: every one of them up to `capacity` per interval (so the percentiles are exact), and
// past that a uniform random sample of the interval's durations (reservoir sampling), which keeps
// memory fixed and each request's cost at one array write, with no allocation.
export class LatencyReservoir {
  private readonly kept: Float64Array;
  private readonly sorted: Float64Array;
  /** Durations offered this interval, kept or not. */
  private seen = 0;

  constructor(readonly capacity = 2048) {
    this.kept = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  add(seconds: number): void {
    if (this.seen < this.capacity) {
      this.kept[this.seen] = seconds;
    } else {
      // Each of the `seen + 1` durations so far stays in the sample with probability capacity / (seen + 1).
      const slot = Math.floor(Math.random() * (this.seen + 1));
      if (slot < this.capacity) this.kept[slot] = seconds;
    }
    this.seen++;
  }

  /**
   * Ends the interval: returns the nearest-rank percentiles (fractions 0..1, in ascending order)
   * in milliseconds, or nulls when nothing was offered, and starts the next interval empty.
   */
  drain(fractions: readonly number[]): Array<number | null> {
    const count = Math.min(this.seen, this.capacity);
    this.seen = 0;
    if (count === 0) return fractions.map(() => null);
    const sorted = this.sorted.subarray(0, count);
    sorted.set(this.kept.subarray(0, count));
    sorted.sort();
    return fractions.map((fraction) => sorted[Math.max(0, Math.ceil(fraction * count) - 1)]! * 1000);
  }
}
