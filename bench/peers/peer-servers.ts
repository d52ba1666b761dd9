// The peer scenarios: which file serves each, how it is started, and how a repeat of the page shows
// it came from the peer's response cache. Each peer is a stock stack of another GraphQL server
// serving cardfile's list page from the same tables with plain resolvers (plain-contacts.ts).
import { freePort } from '../free-port.js';
import { type ServerUnderTest, startServer } from '../server-under-test.js';

export const PEER_SCENARIOS = ['peer-apollo-cache', 'peer-yoga-cache', 'peer-mercurius-jit'] as const;
export type PeerName = (typeof PEER_SCENARIOS)[number];

export interface PeerServer {
  name: PeerName;
  file: string;
  /** startStandaloneServer routes every path to GraphQL, so its readiness listens on a port of its own. */
  readinessPortOfItsOwn: boolean;
  /**
   * For a caching peer, the header by which the repeated page shows it is cached: Apollo's plugin
   * sends `age` with an answer from its cache; Yoga's sends `ETag` with every answer it stored.
   */
  cachedHeader?: string;
  /** What the row measures, for the table's notes. */
  notes: string;
}

export const PEER_SERVERS: PeerServer[] = [
  {
    name: 'peer-apollo-cache',
    file: 'bench/peers/apollo-cache.ts',
    readinessPortOfItsOwn: true,
    cachedHeader: 'age',
    notes: 'Apollo Server 5 + response-cache plugin, hits',
  },
  { name: 'peer-yoga-cache', file: 'bench/peers/yoga-cache.ts', readinessPortOfItsOwn: false, cachedHeader: 'etag', notes: 'Yoga + useResponseCache, hits' },
  { name: 'peer-mercurius-jit', file: 'bench/peers/mercurius-jit.ts', readinessPortOfItsOwn: false, notes: 'Mercurius + graphql-jit, no cache: misses' },
];

export async function startPeer(peer: PeerServer, databaseUrl: string): Promise<ServerUnderTest> {
  const env = { NODE_ENV: 'production', DATABASE_URL: databaseUrl };
  const port = await freePort();
  if (!peer.readinessPortOfItsOwn) return startServer(peer.name, peer.file, port, env);
  const readyPort = await freePort();
  return startServer(peer.name, peer.file, port, { ...env, READY_PORT: String(readyPort) }, `http://127.0.0.1:${readyPort}/readyz`);
}
