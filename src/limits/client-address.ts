// The address a request is counted against for the per-IP rate limit. X-Forwarded-For is believed
// only when cardfile is told it sits behind proxies (TRUST_PROXY): otherwise any client could name
// a fresh address in it on every request and never be limited.
import type { IncomingMessage } from 'node:http';
import { isIP, type Socket, SocketAddress } from 'node:net';

/**
 * An address as one spelling only (IPv6 compressed and in lower case; IPv4 clients of a
 * dual-stack socket, ::ffff:a.b.c.d, as a.b.c.d), so that one client counts once; undefined for
 * anything that is not an IP address.
 */
function canonical(address: string): string | undefined {
  const trimmed = address.trim();
  const family = isIP(trimmed);
  if (family === 0) return undefined;
  const spelled = new SocketAddress({ address: trimmed, family: family === 4 ? 'ipv4' : 'ipv6' }).address;
  return spelled.startsWith('::ffff:') && spelled.includes('.') ? spelled.slice(7) : spelled;
}

/**
 * The canonical peer address of each open connection: it is fixed for the connection's life, and
 * spelling it (a SocketAddress) cost a keep-alive client's every request a few microseconds.
 */
const peers = new WeakMap<Socket, string>();

function peerOf(socket: Socket): string {
  let peer = peers.get(socket);
  if (peer === undefined) {
    peer = canonical(socket.remoteAddress ?? '') ?? 'unknown';
    // Only once the socket knows its peer: a closed one may not, and must not be remembered so.
    if (socket.remoteAddress !== undefined) peers.set(socket, peer);
  }
  return peer;
}

/**
 * With `trustedHops` proxies in front, each appending the address it received the request from,
 * the client is the entry that many places from the right; entries further left were written by
 * whoever sent the request and prove nothing. A header shorter than that falls back to its first.
 * An entry that is not an IP address (a proxy set up wrongly, or a client's garbage passed on)
 * counts as the peer: every rate-limit key is built from a verified address of bounded length.
 */
export function clientAddressOf(request: IncomingMessage, trustedHops: number): string {
  const peer = peerOf(request.socket);
  if (trustedHops === 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return peer;
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return peer;
  return canonical(entries[Math.max(0, entries.length - trustedHops)]!) ?? peer;
}
