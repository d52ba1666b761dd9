// The connection pools register their own gauges, read at scrape time from the handle's pool load:
// how much of each pool requests use and how many statements wait for a connection.
import { Gauge, type Registry } from 'prom-client';
import type { DatabaseHandle } from './client.js';

export function reportPoolLoad(database: Pick<DatabaseHandle, 'poolLoad'>, registry: Registry): void {
  new Gauge({
    name: 'cardfile_db_pool_connections',
    help: 'Pool capacity by database and state: in-use (running a request statement) or free (the rest of DB_POOL_MAX, open or not).',
    labelNames: ['database', 'state'] as const,
    registers: [registry],
    collect() {
      for (const { database: name, size, running } of database.poolLoad()) {
        this.set({ database: name, state: 'in-use' }, Math.min(running, size));
        this.set({ database: name, state: 'free' }, Math.max(0, size - running));
      }
    },
  });
  new Gauge({
    name: 'cardfile_db_pool_waiting',
    help: 'Statements waiting for a pooled connection, by database (they wait at most DB_POOL_WAIT_MS).',
    labelNames: ['database'] as const,
    registers: [registry],
    collect() {
      for (const { database: name, waiting } of database.poolLoad()) this.set({ database: name }, waiting);
    },
  });
}
