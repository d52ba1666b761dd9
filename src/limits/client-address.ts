// The address a request is counted against for the per-IP rate limit. X-Forwarded-For is believed
// only when cardfile is told it sits behind proxies (TRUST_PROXY): otherwise any client could name
// a fresh address in it on every request and never be limited.
import type { IncomingMessage } from 'node:http';

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; counted as the IPv4 address. */
function normalized(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

/**
 * With `trustedHops` proxies in front, each appending the address it received the request from,
 * the client is the entry that many places from the right; entries further left were written by
 * whoever sent the request and prove nothing. A header shorter than that falls back to its first.
 */
export function clientAddressOf(request: IncomingMessage, trustedHops: number): string {
  const peer = normalized(request.socket.remoteAddress ?? 'unknown');
  if (trustedHops === 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return peer;
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return peer;
  return normalized(entries[Math.max(0, entries.length - trustedHops)]!);
}
