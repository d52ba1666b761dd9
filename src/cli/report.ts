// npm run db:report [-- --top N]
// Prints the costliest statements, index usage and unused indexes, and a table bloat estimate.
import { databaseReport, formatReport } from '../tools/report.js';
import { fail, readOptions } from './args.js';
import { openStoreForScript } from './open-store.js';

const usage = 'npm run db:report -- [--top N]';
const options = readOptions(usage, { top: { type: 'string' } });
const top = Number(options.top ?? '10');
if (!Number.isInteger(top) || top < 1 || top > 1000) fail(usage, '--top must be a whole number from 1 to 1000.');

const database = await openStoreForScript();
try {
  process.stdout.write(formatReport(await databaseReport(database, top)));
} finally {
  await database.close();
}
