// Process entry: `npm start`.
import { createApp } from './app.js';
import { loadPublishedOperations } from './graphql/published-operations.js';
import { loadConfig } from './config.js';
import { firstQueryCurl } from './first-query.js';
import { openConfiguredDatabase } from './db/open.js';
import { heapBudget, heapBudgetWarning } from './observability/heap-budget.js';
import { StoreInUse } from './db/store-lock.js';
import { messageWithoutValues } from './observability/error-text.js';
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

  // Before the banner: whoever reads it may send SIGTERM at once, and must get the graceful stop.
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
    console.log(`  ${firstQueryCurl(url, demoToken, config.persistedOnly, loadPublishedOperations())}`);
  }
}

main().catch((error: unknown) => {
  // Said plainly as well: whoever started this must stop the other process first.
  if (error instanceof StoreInUse) process.stderr.write(`${error.message}\n`);
  const message = error instanceof StoreInUse ? error.message : messageWithoutValues(error);
  logger.fatal({ err: { name: (error as Error)?.name, message } }, 'cardfile could not start');
  process.exit(1);
});
