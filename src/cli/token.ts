// npm run token -- --workspace NAME --role reader|editor
// Prints a new API token, alone, on stdout. Only its hash is stored.
import { isRole, issueToken } from '../auth/tokens.js';
import { fail, readOptions } from './args.js';
import { openStoreForScript } from './open-store.js';

const usage = 'npm run token -- --workspace NAME --role reader|editor';
const options = readOptions(usage, { workspace: { type: 'string' }, role: { type: 'string' } });
if (!options.workspace) fail(usage, '--workspace is required.');
const role = options.role ?? '';
if (!isRole(role)) fail(usage, '--role must be reader or editor.');

const database = await openStoreForScript();
try {
  console.log(await issueToken(database.db, options.workspace, role));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
