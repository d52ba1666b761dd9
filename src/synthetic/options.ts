// The synthetic monitor's command line, checked up front: a bad value is a usage error (exit 2)
// that names the option, never a failed check.
import { parseArgs } from 'node:util';

export const usage =
  'npm run synthetic -- --url URL --token TOKEN [--interval 30s] [--runs N] [--timeout 10s] [--page-size N] [--json]';

export interface SyntheticOptions {
  /** The GraphQL endpoint: the URL given, with /graphql added when it names only the host. */
  endpoint: string;
  token: string;
  /** Milliseconds between the starts of two runs; undefined: no repetition. */
  intervalMs: number | undefined;
  /** How many runs at most; undefined with an interval: until a signal. */
  runs: number | undefined;
  timeoutMs: number;
  pageSize: number;
  json: boolean;
}

export class UsageError extends Error {}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "250ms", "30s", "5m", "1h"; a bare number is seconds, as for sleep(1). */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > 24 * 3_600_000) {
    throw new UsageError(`${option} must be a duration from 1ms to 24h, such as 500ms, 30s or 5m; saw "${text}".`);
  }
  return Math.round(ms);
}

function parseWhole(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${option} must be a whole number from ${min} to ${max}; saw "${text}".`);
  }
  return value;
}

function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be an http(s) URL such as http://127.0.0.1:4000/graphql; saw "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http(s) URL; saw the scheme "${url.protocol}".`);
  }
  if (url.search || url.hash) throw new UsageError('--url must carry no query string or fragment.');
  // fetch refuses them, and the endpoint is printed with every run.
  if (url.username || url.password) throw new UsageError('--url must carry no user name or password; the token authenticates.');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}

export function parseSyntheticArgs(argv: string[]): SyntheticOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        interval: { type: 'string' },
        runs: { type: 'string' },
        timeout: { type: 'string' },
        'page-size': { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    // parseArgs quotes a stray argument, which may be a token given without --token.
    throw new UsageError((error as Error).message.replace(/cf_[\w-]+/g, 'cf_…'));
  }
  if (!values.url) throw new UsageError('--url is required.');
  // The token is never echoed back, not even in a usage error.
  if (!values.token || values.token.trim() === '') throw new UsageError('--token is required.');
  return {
    endpoint: parseEndpoint(values.url),
    token: values.token.trim(),
    intervalMs: values.interval === undefined ? undefined : parseDuration(values.interval, '--interval'),
    runs: values.runs === undefined ? undefined : parseWhole(values.runs, '--runs', 1, 1_000_000),
    timeoutMs: values.timeout === undefined ? 10_000 : parseDuration(values.timeout, '--timeout'),
    pageSize: values['page-size'] === undefined ? 20 : parseWhole(values['page-size'], '--page-size', 1, 100),
    json: values.json ?? false,
  };
}
