// npm run db:seed -- --workspace NAME --contacts N
// Creates the workspace if needed and adds N realistic contacts (with companies, tags and notes).
import { describeSeed, seedWorkspace } from '../tools/seed.js';
import { fail, readOptions } from './args.js';
import { openStoreForScript } from './open-store.js';

const usage = 'npm run db:seed -- --workspace NAME --contacts N';
const options = readOptions(usage, { workspace: { type: 'string' }, contacts: { type: 'string' } });
const workspace = options.workspace?.trim();
if (!workspace || workspace.length > 100) fail(usage, '--workspace must name a workspace (1 to 100 characters).');
const contacts = Number(options.contacts ?? 'x');
if (!Number.isInteger(contacts) || contacts < 0 || contacts > 10_000_000) {
  fail(usage, '--contacts must be a whole number from 0 to 10000000.');
}

const database = await openStoreForScript();
try {
  console.log(describeSeed(await seedWorkspace(database.db, { workspace, contacts })));
} finally {
  await database.close();
}
