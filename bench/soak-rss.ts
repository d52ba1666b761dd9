// Resident memory of each instance, read once a second while the load runs. One reading lands
// anywhere in the young generation's cycle of filling and being collected (tens of MB with
// --max-semi-space-size=32), so the figure for a moment is the median of the readings of the few
// seconds before it, not the reading of that instant.
import type { ServerUnderTest } from './server-under-test.js';

const INTERVAL_MS = 1000;
export const RSS_WINDOW_MS = 5000;

export class RssRecorder {
  private readonly readings: { at: number; mb: (number | undefined)[] }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly servers: ServerUnderTest[]) {
    this.read();
    this.timer = setInterval(() => this.read(), INTERVAL_MS);
    this.timer.unref();
  }

  private read() {
    this.readings.push({ at: Date.now(), mb: this.servers.map((server) => server.rssMb()) });
  }

  /** Per instance, the median of the readings of the last RSS_WINDOW_MS; undefined once it has exited. */
  recent(): (number | undefined)[] {
    this.read();
    const since = Date.now() - RSS_WINDOW_MS;
    const window = this.readings.filter((reading) => reading.at >= since);
    return this.servers.map((_, i) => {
      const values = window.map((reading) => reading.mb[i]);
      if (values.some((value) => value === undefined)) return undefined;
      const sorted = (values as number[]).sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    });
  }

  stop() {
    clearInterval(this.timer);
  }
}
