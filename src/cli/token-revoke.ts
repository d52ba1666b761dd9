// npm run token:revoke -- --token TOKEN
// Revokes a token. On PostgreSQL every running instance is told in the revoking transaction and
// confirms; this exits 0 once each has (or has disconnected), so the very next request anywhere is
// refused. The embedded store is one process's: run this with the server stopped.
// Exit codes: 0 revoked (or already revoked) and confirmed, 1 an unknown token or an instance that
// did not confirm in time (the token is revoked all the same), 2 bad arguments.
import { TOKEN_PATTERN } from '../auth/token-format.js';
import { revokeToken } from '../auth/token-revocation.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../observability/logger.js';
import { fail, readOptions } from './args.js';
import { openStoreForScript } from './open-store.js';

/** How long running instances get to confirm. Each confirms as soon as it hears: milliseconds. */
const CONFIRM_WITHIN_MS = 5_000;

const usage = 'npm run token:revoke -- --token TOKEN';
const options = readOptions(usage, { token: { type: 'string' } });
const token = options.token?.trim() ?? '';
if (!token) fail(usage, '--token is required.');
// Never echoed: the value may be a working credential mistyped by one character.
if (!TOKEN_PATTERN.test(token)) fail(usage, '--token must be a cardfile API token: cf_ and 43 letters, digits, "-" or "_".');

const config = loadConfig();
const database = await openStoreForScript();
try {
  const report = await revokeToken(database, token, createLogger('silent'), CONFIRM_WITHIN_MS);
  if (report.outcome === 'unknown') {
    process.stderr.write('No such token in this database: nothing was revoked. Check the token and DATABASE_URL (or DATA_DIR).\n');
    process.exitCode = 1;
  } else {
    const what = report.outcome === 'revoked' ? 'token revoked' : 'token was already revoked; announced again';
    const heard = report.listening - report.unconfirmed;
    if (report.unconfirmed > 0) {
      process.stderr.write(
        `${what}, but ${report.unconfirmed} of ${report.listening} running instances did not confirm within ${CONFIRM_WITHIN_MS / 1000} s: ` +
          `they refuse it once they hear of it, at the latest after TOKEN_CACHE_TTL_MS (${config.tokenCacheTtlMs} ms). Run this again to ask them again.\n`,
      );
      process.exitCode = 1;
    } else {
      console.log(heard > 0 ? `${what}; ${heard} running instance${heard === 1 ? '' : 's'} confirmed` : what);
    }
  }
} catch (error) {
  // The driver's own reason (a refused connection, say): the query wrapper's message would quote
  // the statement and its parameters, the token's hash among them.
  const reason = ((error as { cause?: Error }).cause ?? (error as Error)).message;
  process.stderr.write(`The token could not be revoked: ${reason}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
