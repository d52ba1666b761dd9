// A loopback TCP relay in front of a Redis of the test's own, to fault the link and not the server.
import net from 'node:net';

/**
 * A loopback TCP relay in front of Redis, to cut one instance off from a Redis that keeps running
 * (and keeps its data), as a network fault does. `refuse` closes every connection at once;
 * `blackhole` keeps connections open and lets nothing through, as a dead link or a frozen server
 * does; `heal` drops whatever is left so clients reconnect through a working relay.
 */
export async function relayTo(port: number) {
  let mode: 'open' | 'refuse' | 'blackhole' = 'open';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    if (mode === 'refuse') return void client.destroy();
    if (mode === 'blackhole') return;
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => {});
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (mode === 'open') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'open') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    refuse() {
      mode = 'refuse';
      dropAll();
    },
    blackhole() {
      mode = 'blackhole';
    },
    heal() {
      dropAll();
      mode = 'open';
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
