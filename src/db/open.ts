// Opens the database the configuration names, with migrations applied.
import path from 'node:path';
import type { Config } from '../config.js';
import { type DatabaseHandle, openDatabase } from './client.js';

export async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  const database = config.databaseUrl
    ? await openDatabase({
        kind: 'postgres',
        url: config.databaseUrl,
        poolMax: config.dbPoolMax,
        prepare: config.dbPrepare,
        poolWaitMs: config.dbPoolWaitMs,
        statementTimeoutMs: config.dbStatementTimeoutMs,
        connectTimeoutMs: config.dbConnectTimeoutMs,
        idleTimeoutMs: config.dbIdleTimeoutMs,
      })
    : await openDatabase({ kind: 'pglite', dataDir: path.join(config.dataDir, 'pgdata') });
  await database.migrate();
  return database;
}
