// The first step of a graceful stop: the instance says it is not ready (/readyz answers 503) while
// it goes on serving, so that a load balancer polling readiness stops sending it traffic before
// anything is refused. Closing the listener at once instead would turn every request already on
// its way into a refused connection or a reset, which a client cannot tell from a lost write.
import type http from 'node:http';
import type { Socket } from 'node:net';

export interface Drain {
  /** True from the moment the drain starts: readiness then answers 503. */
  readonly draining: boolean;
  /**
   * Marks the instance not ready, then resolves once no client connection is open (the load
   * balancer has let go of this instance) or after `graceMs`, whichever comes first. Requests keep
   * being served meanwhile, on open connections and new ones alike.
   */
  start(graceMs: number): Promise<void>;
}

export function trackDrain(server: http.Server): Drain {
  const open = new Set<Socket>();
  let draining = false;
  let settle: (() => void) | undefined;
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0) settle?.();
    });
  });
  return {
    get draining() {
      return draining;
    },
    start(graceMs) {
      draining = true;
      if (open.size === 0 || graceMs <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, graceMs);
        function done() {
          clearTimeout(timer);
          settle = undefined;
          resolve();
        }
        settle = done;
      });
    },
  };
}
