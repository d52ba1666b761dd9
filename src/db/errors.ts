// Database errors mapped to domain errors, once. Callers branch on meaning (a duplicate email, a
// missing row), never on SQLSTATE strings, and nothing here lets SQL text or parameters through.
import { badUserInput, type CardfileError, type ErrorCode, requestError, serviceUnavailable } from '../errors.js';

interface DriverError {
  code?: string;
  constraint?: string;
  constraint_name?: string;
  cause?: unknown;
}

// Driver and pool failures that mean the database cannot be reached now (POOL_EXHAUSTED: no
// connection became free within DB_POOL_WAIT_MS). EPIPE and its kin: a statement written to a
// connection the server had just closed (seen while PostgreSQL stopped under load).
const connectionErrorCodes = new Set([
  'POOL_EXHAUSTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTCONN',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/** Drizzle wraps driver errors (whose message holds the SQL) in its own; find the driver's. */
function driverErrorOf(error: unknown): DriverError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as DriverError;
    if (typeof candidate.code === 'string' && (/^[0-9A-Z]{5}$/.test(candidate.code) || connectionErrorCodes.has(candidate.code))) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

// Unique constraints and the input field each one protects.
const uniqueConstraintFields: Record<string, [field: string, message: string]> = {
  contacts_workspace_email_key: ['input.email', 'Another contact in this workspace already has this email.'],
  tags_workspace_name_key: ['input.name', 'A tag with this name already exists in this workspace.'],
  workspaces_name_unique: ['workspace', 'A workspace with this name already exists.'],
};


/** Returns the domain error for a database error, or undefined when it is unexpected. */
export function domainErrorFor(error: unknown): CardfileError | undefined {
  const driverError = driverErrorOf(error);
  const code = driverError?.code ?? (error as { code?: string } | undefined)?.code;
  if (!code) return undefined;
  if (code === '23505') {
    const constraint = driverError?.constraint ?? driverError?.constraint_name ?? '';
    const known = uniqueConstraintFields[constraint];
    return known ? badUserInput(known[0], known[1]) : badUserInput('input', 'This value is already taken.');
  }
  if (code === '23503') return badUserInput('input', 'A referenced object does not exist.');
  if (code === '22001' || code === '22P02' || code === '22003') {
    return badUserInput('input', 'A value is out of range or malformed.');
  }
  // Connection failures; the server shutting down (57P01), crashed or restarting after another
  // backend crashed (57P02), starting up or in recovery (57P03); too many connections; a statement
  // canceled (statement_timeout).
  if (connectionErrorCodes.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code)) {
    return serviceUnavailable();
  }
  return undefined;
}

/**
 * The same, for a database error that ends a whole request before it runs (checking the caller's
 * token): with the catalogue's HTTP status, which Apollo answers it with (a 503 rather than a 500).
 */
export function requestErrorFor(error: unknown): CardfileError | undefined {
  const domainError = domainErrorFor(error);
  return domainError && requestError(domainError.extensions.code as ErrorCode, domainError.message);
}

/** Runs a write and turns expected database errors into domain errors. */
export async function mapDatabaseErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw domainErrorFor(error) ?? error;
  }
}
