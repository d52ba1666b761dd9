// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';
import { PEER_SCENARIOS } from './peers/peer-servers.js';

export const SCENARIOS = [
  'limit-http',
  'limit-db',
  'limit-db-http',
  'baseline-apollo',
  ...PEER_SCENARIOS,
  'hit-l1',
  'hit-l1-br',
  'hit-l1-no-redis',
  'hit-l2',
  'hit-l2-br',
  'miss',
  'mixed',
  'deep-page',
  'search',
  'plans',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  only: Set<ScenarioName>;
  durationSeconds: number;
  warmupSeconds: number;
  contacts: number;
  /** The workspace measured: seeded (by COPY) only when it has fewer than `contacts`. */
  workspace: string;
  connections: number;
  /**
   * Draws of hit-l1 and hit-l1-no-redis, alternated, each on a fresh server; the table keeps the
   * median draw. One draw of each on a shared machine can differ from the next by a third.
   */
  hitDraws: number;
}

const usage = 'npm run bench -- [--quick] [--only a,b] [--duration S] [--hit-draws N] [--contacts N] [--workspace NAME]';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: ${usage}\n`);
  process.exit(2);
}

export function readBenchOptions(argv = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      duration: { type: 'string' },
      'hit-draws': { type: 'string' },
      contacts: { type: 'string' },
      workspace: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const only = new Set<ScenarioName>();
  for (const name of (values.only ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(SCENARIOS as readonly string[]).includes(name)) fail(`unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}`);
    only.add(name as ScenarioName);
  }
  const durationSeconds = values.duration === undefined ? (quick ? 2.5 : 10) : Number(values.duration);
  if (!(durationSeconds > 0 && durationSeconds <= 3600)) fail('--duration must be a number of seconds from 0 to 3600.');
  const hitDraws = values['hit-draws'] === undefined ? (quick ? 1 : 3) : Number(values['hit-draws']);
  if (!Number.isInteger(hitDraws) || hitDraws < 1 || hitDraws > 15) fail('--hit-draws must be a whole number from 1 to 15.');
  const contacts = values.contacts === undefined ? 100_000 : Number(values.contacts);
  if (!Number.isInteger(contacts) || contacts < 1000 || contacts > 10_000_000) fail('--contacts must be a whole number from 1000 to 10000000.');
  const workspace = values.workspace?.trim() ?? 'bench';
  if (!workspace || workspace.length > 100) fail('--workspace must name a workspace (1 to 100 characters).');
  return { quick, only, durationSeconds, warmupSeconds: quick ? 1 : 3, contacts, workspace, connections: 20, hitDraws };
}
