// How a revocation is announced to running instances, over PostgreSQL's LISTEN/NOTIFY (so it works
// with or without Redis): the revoking transaction sends a notice carrying a fresh nonce on
// REVOKED_CHANNEL; each instance, once it has stopped trusting its cached token checks, answers on
// CONFIRMED_CHANNEL with "<nonce>:<its listening connection's pid>". The revoker finds the
// instances to wait for in pg_stat_activity by LISTENER_NAME (see revocation-watch.ts and
// token-revocation.ts). Notices carry no token and no hash: what was revoked is in the database.
import { randomBytes } from 'node:crypto';

export const REVOKED_CHANNEL = 'cardfile_token_revoked';
export const CONFIRMED_CHANNEL = 'cardfile_token_revocation_heard';
export const LISTENER_NAME = 'cardfile-token-revocations';

const NONCE = /^[0-9a-f]{32}$/;
const CONFIRMATION = /^([0-9a-f]{32}):([1-9][0-9]{0,9})$/;

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export function isNonce(payload: string): boolean {
  return NONCE.test(payload);
}

export function confirmation(nonce: string, listenerPid: number): string {
  return `${nonce}:${listenerPid}`;
}

/** The pid confirming `nonce`, or undefined for anything else on the channel. */
export function confirmingPid(payload: string, nonce: string): number | undefined {
  const match = CONFIRMATION.exec(payload);
  return match && match[1] === nonce ? Number(match[2]) : undefined;
}
