// Clients that misbehave in transit, on raw sockets: one that sends a request's head and part of
// its body and then waits (or trickles the rest, or goes away), as a slow or hostile client does.
// Each keeps the answer the server sent, if any, once the connection closes.
import net from 'node:net';
import { type Reply, reply } from './raw-reply.js';

/** No connection may hang a test: one still open after this is destroyed and fails the wait. */
const CONNECTION_BOUND_MS = 30_000;

export interface RawAnswer extends Reply {
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
}

export interface SlowClient {
  /** Sends more bytes on the open connection. */
  write(bytes: Buffer | string): void;
  /** Goes away at once, as a client that gives up does (no answer is read). */
  destroy(): void;
  /** True once the server answered anything. */
  readonly answered: boolean;
  /** The server's answer, once it closed the connection (status 0 when nothing came). */
  readonly closed: Promise<RawAnswer>;
}

/** A raw HTTP/1.1 request head; `content-length` is added when `length` is given. */
export function requestHead(method: string, path: string, headers: Record<string, string>, length?: number): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (length !== undefined) lines.push(`content-length: ${length}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Undoes chunked transfer coding, for answers read off a raw socket. */
export function unchunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Parses the final response read off a socket (interim 1xx answers, such as 100 Continue, are skipped). */
export function parseRawAnswer(raw: Buffer): RawAnswer {
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 13).toString('latin1'))) {
    const interimEnd = raw.indexOf('\r\n\r\n');
    if (interimEnd < 0) break;
    raw = raw.subarray(interimEnd + 4);
  }
  const headerEnd = raw.indexOf('\r\n\r\n');
  const head = (headerEnd < 0 ? raw : raw.subarray(0, headerEnd)).toString('latin1');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const rest = headerEnd < 0 ? Buffer.alloc(0) : raw.subarray(headerEnd + 4);
  const body = (/chunked/i.test(headers['transfer-encoding'] ?? '') ? unchunk(rest) : rest).toString('utf8');
  return { ...reply(status, headers['content-type'], body), headers };
}

/** Connects to `baseUrl` and sends `first` (a head, perhaps with part of a body); the connection stays open. */
export async function openSlowClient(baseUrl: string, first: Buffer | string): Promise<SlowClient> {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parts: Buffer[] = [];
  let answered = false;
  socket.on('data', (part: Buffer) => {
    answered = true;
    parts.push(part);
  });
  const closed = new Promise<RawAnswer>((resolve, reject) => {
    const bound = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed within ${CONNECTION_BOUND_MS} ms`));
    }, CONNECTION_BOUND_MS);
    // A reset after the answer arrived (the server closed with bytes unread) still counts as answered.
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(bound);
      resolve(parseRawAnswer(Buffer.concat(parts)));
    });
  });
  socket.write(first);
  return {
    write: (bytes) => void socket.write(bytes),
    destroy: () => socket.destroy(),
    get answered() {
      return answered;
    },
    closed,
  };
}
