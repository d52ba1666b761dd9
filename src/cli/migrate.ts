// npm run db:migrate: applies drizzle/ migrations to DATABASE_URL, or to the embedded store.
import { loadConfig } from '../config.js';
import { openStoreForScript } from './open-store.js';

const config = loadConfig();
const database = await openStoreForScript();
await database.close();
console.log(`migrations applied to ${config.databaseUrl ? 'PostgreSQL' : `the embedded store in ${config.dataDir}`}`);
