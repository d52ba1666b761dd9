// GET /readyz: whether the database answers, within a bound, so that a load balancer polling it
// never waits on a database that hangs.
const READY_TIMEOUT_MS = 2000;

export function readinessCheck(ping: () => Promise<unknown>, timeoutMs = READY_TIMEOUT_MS): () => Promise<boolean> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const answered = ping().then(
      () => true,
      () => false,
    );
    const result = await Promise.race([answered, timeout]);
    clearTimeout(timer);
    return result;
  };
}
