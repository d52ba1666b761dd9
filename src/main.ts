// Process entry: `npm start`.
import { createApp } from './app.js';
import { loadPersistedDocuments } from './cache/persisted-documents.js';
import { loadConfig } from './config.js';
import { firstQueryCurl } from './first-query.js';
import { openConfiguredDatabase } from './db/open.js';
import { heapBudget, heapBudgetWarning } from './observability/heap-budget.js';
import { createLogger } from './observability/logger.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);

async function main() {
  const heapWarning = heapBudgetWarning(heapBudget(config));
  if (heapWarning) logger.warn(heapWarning);
  const database = await openConfiguredDatabase(config, logger);
  // The demo (and the data generator it seeds with) is loaded only for the embedded store.
  const demoToken =
    database.kind === 'pglite' ? await (await import('./demo.js')).ensureDemoWorkspace(config, database.db, logger) : undefined;
  const app = await createApp(config, database, logger);
  const url = await app.listen();

  const replicas = database.replicas?.names.length ?? 0;
  const storage =
    database.kind === 'pglite'
      ? `embedded PGlite in ${config.dataDir}`
      : replicas > 0
        ? `PostgreSQL with ${replicas} read replica${replicas > 1 ? 's' : ''}`
        : 'PostgreSQL';
  console.log(`cardfile is serving ${url}/graphql (${storage})`);
  if (demoToken) {
    console.log(`demo editor token: ${config.dataDir}/demo-token`);
    console.log('try it:');
    console.log(`  ${firstQueryCurl(url, demoToken, config.persistedOnly, loadPersistedDocuments())}`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness flips first and requests are still served, so that a load balancer takes this
    // instance out before it stops listening; then in-flight requests finish and the buffered
    // views are counted.
    logger.info(`${signal}: draining (readiness 503), then finishing in-flight requests`);
    await app.drain();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  logger.fatal({ err: { name: (error as Error)?.name, message: (error as Error)?.message } }, 'cardfile could not start');
  process.exit(1);
});
