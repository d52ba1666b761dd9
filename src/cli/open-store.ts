// Opens the configured store for a command-line script. An embedded store that another process
// holds (src/db/store-lock.ts) ends the script before it does anything: exit 1, with the message
// naming the holder and what to do, rather than writes that the other process would overwrite.
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import { openConfiguredDatabase } from '../db/open.js';
import { StoreInUse } from '../db/store-lock.js';

export async function openStoreForScript(): Promise<DatabaseHandle> {
  try {
    return await openConfiguredDatabase(loadConfig());
  } catch (error) {
    if (!(error instanceof StoreInUse)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
