// npm run synthetic -- --url URL --token TOKEN [--interval 30s] [--runs N] [--timeout 10s] [--page-size N] [--json]
// Walks the contacts screen's journey against a running cardfile and reports each step's time
// and checks. Exit status: 0 every check of the last run passed, 1 one failed, 2 bad arguments.
import { runJourney } from '../synthetic/journey.js';
import { parseSyntheticArgs, UsageError, usage } from '../synthetic/options.js';
import { formatJson, formatTable, runReport } from '../synthetic/report.js';
import { repeat, stopOnSignals } from '../synthetic/schedule.js';
import { createTransport } from '../synthetic/transport.js';
import { fail } from './args.js';

let options;
try {
  options = parseSyntheticArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  fail(usage, error.message);
}

const { endpoint, token, timeoutMs, pageSize, json } = options;
const transport = createTransport({ endpoint, token, timeoutMs });
let lastPassed: boolean | undefined;
const stopper = stopOnSignals(() => process.exit(lastPassed ? 0 : 1));

const passed = await repeat(options, stopper, async (run) => {
  const startedAt = new Date();
  const report = runReport(run, startedAt, endpoint, await runJourney(transport, { pageSize, token }));
  process.stdout.write(json ? formatJson(report) : formatTable(report));
  lastPassed = report.ok;
  return report.ok;
});
stopper.dispose();
process.exitCode = passed ? 0 : 1;
