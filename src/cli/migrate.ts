// npm run db:migrate: applies drizzle/ migrations to DATABASE_URL, or to the embedded store.
import { loadConfig } from '../config.js';
import { openConfiguredDatabase } from '../db/open.js';

const config = loadConfig();
const database = await openConfiguredDatabase(config);
await database.close();
console.log(`migrations applied to ${config.databaseUrl ? 'PostgreSQL' : `the embedded store in ${config.dataDir}`}`);
