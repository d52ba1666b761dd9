// Whether this instance may use its cached token checks: only while it hears every revocation.
// On PostgreSQL it LISTENs for revocation notices (revocation-notices.ts) on a connection of its own.
// A notice moves the epoch on, so that every check cached before it is read again from the
// database, then it is confirmed to the revoker. While the listener is down (connecting, or lost)
// nothing cached is trusted, and coming back up moves the epoch on too: a revocation missed
// meanwhile is read from the database like everything else.
//
// The embedded store is one process's: nothing else can revoke a token while this process has it
// open (token:revoke runs with the server stopped), so there the cache is always trusted.
import type { DatabaseHandle } from '../db/client.js';
import type { NotificationListener } from '../db/notification-listener.js';
import type { Logger } from '../observability/logger.js';
import { CONFIRMED_CHANNEL, confirmation, isNonce, LISTENER_NAME, REVOKED_CHANNEL } from './revocation-notices.js';

export interface RevocationState {
  /** Cached token checks may be used: every revocation is heard as it commits. */
  readonly trusted: boolean;
  /** Moves on with every revocation heard and every loss or return of hearing. */
  readonly epoch: number;
}

export interface RevocationWatch extends RevocationState {
  close(): Promise<void>;
}

export interface WatchOptions {
  /** How often the listening connection proves that it still hears, in ms. */
  checkIntervalMs: number;
  logger: Logger;
  /** Told each time hearing starts or stops (the listening gauge). */
  onListening?: (listening: boolean) => void;
}

/** Tools and the embedded store: nothing else revokes while this process runs. */
export const nothingElseRevokes: RevocationWatch = { trusted: true, epoch: 0, close: async () => {} };

export function watchRevocations(database: DatabaseHandle, options: WatchOptions): RevocationWatch {
  let trusted = false;
  let epoch = 0;
  let listenerPid: number | undefined;
  let listener: NotificationListener | undefined;
  listener = database.listen({
    channels: [REVOKED_CHANNEL],
    applicationName: LISTENER_NAME,
    checkIntervalMs: options.checkIntervalMs,
    logger: options.logger,
    onNotification: (_channel, payload) => {
      // Synchronously, before anything else this process does: the next token check reads the database.
      epoch += 1;
      if (!isNonce(payload) || listenerPid === undefined || !listener) return;
      listener.notify(CONFIRMED_CHANNEL, confirmation(payload, listenerPid)).catch((error: unknown) => {
        // The revoker reports the missing confirmation; this instance already acted on the notice.
        options.logger.debug({ err: { message: (error as Error).message } }, 'token revocation not confirmed');
      });
    },
    onUp: (pid) => {
      listenerPid = pid;
      epoch += 1;
      trusted = true;
      options.onListening?.(true);
    },
    onDown: () => {
      listenerPid = undefined;
      trusted = false;
      epoch += 1;
      options.onListening?.(false);
    },
  });
  if (!listener) {
    options.onListening?.(true);
    return nothingElseRevokes;
  }
  options.onListening?.(false);
  return {
    get trusted() {
      return trusted;
    },
    get epoch() {
      return epoch;
    },
    close: async () => {
      trusted = false;
      epoch += 1;
      await listener?.close();
      listener = undefined;
    },
  };
}
