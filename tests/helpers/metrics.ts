// Reads counters from a server's /metrics, to assert on what happened inside it.
import type { TestServer } from './server.js';

export async function counter(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await (await server.request('/metrics')).text(), name, labels);
}

/** Sums the samples of one metric whose labels include `labels`, from a Prometheus text page. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (wanted.every((pair) => rest.includes(pair))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
