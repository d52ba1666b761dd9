// Opens the database the configuration names, with migrations applied.
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { type DatabaseHandle, openDatabase } from './client.js';

/** `logger` hears of read replicas leaving and rejoining the rotation. */
export async function openConfiguredDatabase(config: Config, logger?: Logger): Promise<DatabaseHandle> {
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
        replicas: { urls: config.databaseReplicaUrls, checkIntervalMs: config.dbReplicaCheckMs, maxLagMs: config.dbReplicaMaxLagMs },
      }, { logger })
    : await openDatabase({ kind: 'pglite', dataDir: path.join(config.dataDir, 'pgdata') });
  await database.migrate();
  return database;
}
