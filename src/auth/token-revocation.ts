// Revoking a token (npm run token:revoke): marked revoked in the database and announced, in the
// same transaction, to every instance listening (revocation-notices.ts). The revoker then waits,
// within a bound, until each instance that was listening when the revocation committed has
// confirmed that it stopped trusting its cached token checks, or has disconnected (an instance
// that does not hear trusts nothing cached). So when this resolves with nothing unconfirmed, the
// next request on any instance is refused.
import type { DatabaseHandle } from '../db/client.js';
import { listenersNamed, revokeAndAnnounce, type RevocationOutcome } from '../db/repositories/tokens.js';
import type { Logger } from '../observability/logger.js';
import { CONFIRMED_CHANNEL, confirmingPid, LISTENER_NAME, newNonce, REVOKED_CHANNEL } from './revocation-notices.js';
import { hashToken } from './token-format.js';

export interface RevocationReport {
  outcome: RevocationOutcome;
  /** Instances listening when the revocation committed. */
  listening: number;
  /** Of those, the ones still connected that had not confirmed within the bound. */
  unconfirmed: number;
}

/** How often the revoker looks for instances that disconnected instead of confirming. */
const DEPARTURES_EVERY_MS = 100;

export async function revokeToken(database: DatabaseHandle, token: string, logger: Logger, confirmWithinMs: number): Promise<RevocationReport> {
  const nonce = newNonce();
  const confirmed = new Set<number>();
  let wake: () => void = () => {};
  // Listening before the revocation commits: a confirmation can come back at once.
  const listener = database.listen({
    channels: [CONFIRMED_CHANNEL],
    checkIntervalMs: 0,
    logger,
    onNotification: (_channel, payload) => {
      const pid = confirmingPid(payload, nonce);
      if (pid === undefined) return;
      confirmed.add(pid);
      wake();
    },
    onUp: () => {},
    onDown: () => {},
  });
  try {
    await listener?.started;
    const { outcome, listeners } = await revokeAndAnnounce(database.db, hashToken(token), {
      channel: REVOKED_CHANNEL,
      payload: nonce,
      listenerName: LISTENER_NAME,
    });
    let waitingFor = listeners.filter((pid) => !confirmed.has(pid));
    const deadline = Date.now() + confirmWithinMs;
    while (listener && waitingFor.length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(DEPARTURES_EVERY_MS, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const connected = new Set(await listenersNamed(database.db, LISTENER_NAME));
      waitingFor = waitingFor.filter((pid) => !confirmed.has(pid) && connected.has(pid));
    }
    return { outcome, listening: listeners.length, unconfirmed: waitingFor.length };
  } finally {
    await listener?.close();
  }
}
