// A server under test: started pinned to core 0, ready once GET /readyz answers 200, stopped with
// SIGTERM. Every server the benchmark runs (cardfile and the reference servers) answers /readyz.
import { peakRssMb, type PinnedProcess, rssMb, servingPid, spawnPinned, stop } from './child-processes.js';

export const SERVER_CORE = 0;
/**
 * Every server under test, cardfile and references alike, runs with the same runtime flags, those
 * cardfile's documentation recommends for a process given one core: a young generation large enough that
 * short-lived request garbage dies young, garbage collection on the main thread (helper threads
 * pinned to the same core only take turns with it), and an old generation capped as `npm start`
 * caps it. Measured here: the first two took the uncached page from ~86 to ~150 req/s (the
 * scavenger alone took ~22 ms per collection without them); the cap took peak RSS from 340-395 MB
 * to 245-265 MB in the miss and mixed scenarios and keeps a soak's RSS flat (docs/operations.md, "Memory").
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32', '--max-old-space-size=512', '--single-threaded-gc'];
const READY_TIMEOUT_MS = 60_000;

export interface ServerUnderTest {
  name: string;
  baseUrl: string;
  /** Peak RSS in MB so far of the process that serves. */
  peakRssMb(): number | undefined;
  /** RSS in MB right now of the process that serves (undefined once it has exited). */
  rssMb(): number | undefined;
  stop(): Promise<void>;
}

/** `readyUrl` defaults to <base>/readyz; a server that cannot route it names another. */
export async function startServer(name: string, file: string, port: number, env: Record<string, string>, readyUrl?: string): Promise<ServerUnderTest> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const readiness = readyUrl ?? `${baseUrl}/readyz`;
  const handle: PinnedProcess = spawnPinned(SERVER_CORE, file, [], { ...env, PORT: String(port), HOST: '127.0.0.1' }, 'ignore', SERVER_NODE_FLAGS);
  let exitedEarly: number | string | undefined;
  void handle.exited.then((code) => {
    exitedEarly = code;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitedEarly !== undefined) {
      throw new Error(`${name} exited (${exitedEarly}) before it was ready: ${handle.stderr().trim().split('\n').slice(-3).join(' | ')}`);
    }
    try {
      const response = await fetch(readiness, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop(handle, 2000);
      throw new Error(`${name} did not answer ${readiness} within ${READY_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = servingPid(handle.child.pid!);
  return {
    name,
    baseUrl,
    peakRssMb: () => peakRssMb(pid),
    rssMb: () => rssMb(pid),
    stop: () => stop(handle),
  };
}
