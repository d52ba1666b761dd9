// npm run token -- --workspace NAME --role reader|editor [--expires-in 30d]
// Prints a new API token, alone, on stdout. Only its hash is stored.
import { isRole, issueToken } from '../auth/tokens.js';
import { fail, readOptions } from './args.js';
import { lifetimeMs } from './token-lifetime.js';
import { openStoreForScript } from './open-store.js';

const usage = 'npm run token -- --workspace NAME --role reader|editor [--expires-in 30d]';
const options = readOptions(usage, { workspace: { type: 'string' }, role: { type: 'string' }, 'expires-in': { type: 'string' } });
if (!options.workspace) fail(usage, '--workspace is required.');
const role = options.role ?? '';
if (!isRole(role)) fail(usage, '--role must be reader or editor.');
const expiresIn = options['expires-in'] === undefined ? undefined : lifetimeMs(options['expires-in']);
if (options['expires-in'] !== undefined && expiresIn === undefined) {
  fail(usage, '--expires-in must be a number of minutes, hours or days from 1m to 3650d, such as 90m, 12h or 30d.');
}

const database = await openStoreForScript();
try {
  const expiresAt = expiresIn === undefined ? undefined : new Date(Date.now() + expiresIn);
  console.log(await issueToken(database.db, options.workspace, role, { expiresAt }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
