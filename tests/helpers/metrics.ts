// Reads counters from a server's /metrics, to assert on what happened inside it.
import type { TestServer } from './server.js';

export async function counter(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await server.request('/metrics')).text();
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
