// A loopback port nobody listens on right now, so runs never collide with a running server. It is
// picked below the range the kernel hands out for outgoing connections (32768-60999 here): a port
// from that range, free when probed, can be taken by a client socket before the server binds it,
// and the benchmark and tests open many client sockets.
import net from 'node:net';

const LOWEST = 20_000;
const HIGHEST = 32_767;

function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await listensOn(port)) return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${HIGHEST} after 100 tries`);
}
