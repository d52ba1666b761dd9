// Waiting on a condition outside the test's control (a flush, a reconnection, a process) by
// polling it against a deadline, never by sleeping a fixed time.

/**
 * Polls `probe` until `done` holds, at most `timeoutMs`; fails with the last value seen. Probes are
 * `intervalMs` apart; 0 probes again at the next turn of the event loop (for a state that a probe
 * itself brings about, such as a cache filled by the read before).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => (intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs)));
  }
}
