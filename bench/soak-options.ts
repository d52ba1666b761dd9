// Command-line options of `npm run soak`.
import { parseArgs } from 'node:util';

export interface SoakOptions {
  durationSeconds: number;
  /** The first part of the run, after which memory is measured from; the load does not change. */
  warmupSeconds: number;
  /** Contacts of each soak workspace (seeded once, by COPY, when short). */
  contacts: number;
  connections: number;
  /** `judge`: RSS growth fails the run; `report`: it is shown only (a run whose memory is disturbed on purpose, e.g. by heap snapshots). */
  rss: 'judge' | 'report';
}

const usage = 'npm run soak -- [--duration 3m] [--warmup 90s] [--contacts N] [--connections N] [--rss judge|report]';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: ${usage}\n`);
  process.exit(2);
}

/** "90", "90s", "1.5m" or "3m" as seconds; undefined when it is none of those. */
export function parseSeconds(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

export function readSoakOptions(argv = process.argv.slice(2)): SoakOptions {
  let values: { duration?: string; warmup?: string; contacts?: string; connections?: string; rss?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        contacts: { type: 'string' },
        connections: { type: 'string' },
        rss: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const durationSeconds = parseSeconds(values.duration ?? '3m');
  // Bounded: a soak that forgets to stop is not one.
  if (durationSeconds === undefined || durationSeconds < 10 || durationSeconds > 3600) fail('--duration must be from 10s to 60m (e.g. 30s, 3m).');
  // Half the run: V8 sizes its old generation over the first minute or so of load, and RSS
  // compared before that measures the sizing, not what the server keeps.
  const warmupSeconds = values.warmup === undefined ? Math.round(durationSeconds / 2) : parseSeconds(values.warmup);
  if (warmupSeconds === undefined || warmupSeconds < 1 || warmupSeconds > durationSeconds - 5) {
    fail('--warmup must be at least 1s and leave at least 5s of the duration.');
  }
  const contacts = values.contacts === undefined ? 5000 : Number(values.contacts);
  if (!Number.isInteger(contacts) || contacts < 1000 || contacts > 100_000) fail('--contacts must be a whole number from 1000 to 100000.');
  // Sustained load below saturation: a soak looks for what degrades over time, not for overload
  // (the bench's 20 connections keep both instances' event loops queued behind each other).
  const connections = values.connections === undefined ? 8 : Number(values.connections);
  if (!Number.isInteger(connections) || connections < 2 || connections > 200) fail('--connections must be a whole number from 2 to 200.');
  const rss = values.rss ?? 'judge';
  if (rss !== 'judge' && rss !== 'report') fail('--rss must be judge or report.');
  return { durationSeconds, warmupSeconds, contacts, connections, rss };
}
