// The origin(s) browsers reach this server at: what "same-origin" means for a page that calls it.
// Never the request's Host header, which any client may set to match whatever Origin it sends.
import { isIP } from 'node:net';

const LOOPBACK_OR_ANY = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::']);

/**
 * PUBLIC_ORIGIN when set (behind a proxy or a load balancer, the address users type). Otherwise
 * http://HOST:PORT as listened on, and, for a loopback or wildcard HOST, the names a browser on
 * this machine uses for it (localhost, 127.0.0.1, [::1]).
 */
export function publicOriginsOf(configured: string | undefined, host: string, port: number): string[] {
  if (configured) return [configured];
  const literal = (name: string) => (isIP(name) === 6 ? `[${name}]` : name);
  const hosts = LOOPBACK_OR_ANY.has(host) ? ['localhost', '127.0.0.1', '[::1]'] : [literal(host)];
  // new URL() serializes each as a browser does (lower case, IPv6 compressed, no default port).
  return hosts.map((name) => new URL(`http://${name}:${port}`).origin);
}
