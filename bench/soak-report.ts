// The soak's verdict: its checks, each passed or failed with what was measured, and the summary
// tables (per instance, per workspace, checks) as Markdown.
import type { LoadResult } from './load-plan.js';
import type { MixedResult } from './mixed-traffic.js';
import type { InstanceSample } from './soak-sample.js';

/** RSS may grow by less than this share from the end of the warm-up to the end. */
export const MAX_RSS_GROWTH = 0.1;

export interface InstanceFigures {
  name: string;
  atStart: InstanceSample;
  atWarmupEnd: InstanceSample;
  atEnd: InstanceSample;
}

export interface SoakFigures {
  /** The warm-up job's and the measured job's results, in that order. */
  loads: LoadResult[];
  instances: InstanceFigures[];
}

export interface SoakCheck {
  check: string;
  pass: boolean;
  measured: string;
  /** Shown, not judged: it does not fail the run (--rss report). */
  reportOnly?: boolean;
}

interface WorkspaceTotals extends MixedResult {
  name: string;
  crossWorkspaceAnswers: number;
  examples: string[];
  failures: string[];
  stale: string[];
}

export function workspaceTotals(loads: LoadResult[]): WorkspaceTotals[] {
  const totals = new Map<string, WorkspaceTotals>();
  for (const load of loads) {
    for (const workspace of load.soak?.workspaces ?? []) {
      let total = totals.get(workspace.name);
      if (!total) {
        total = { name: workspace.name, crossWorkspaceAnswers: 0, examples: [], failures: [], stale: [], ...zeroes(workspace.traffic) };
        totals.set(workspace.name, total);
      }
      for (const key of Object.keys(workspace.traffic) as (keyof MixedResult)[]) total[key] += workspace.traffic[key];
      total.crossWorkspaceAnswers += workspace.crossWorkspaceAnswers;
      total.examples.push(...workspace.examples);
      total.failures.push(...workspace.failures);
      total.stale.push(...workspace.stale);
    }
  }
  return [...totals.values()];
}

function zeroes(result: MixedResult): MixedResult {
  return Object.fromEntries(Object.keys(result).map((key) => [key, 0])) as unknown as MixedResult;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? '–' : value.toFixed(digits));
const grouped = (value: number) => value.toLocaleString('en-US');

function redisErrors(sample: InstanceSample): string {
  if (sample.cacheErrors === undefined) return '–';
  const parts = Object.entries(sample.cacheErrorsByOperation ?? {}).map(([operation, count]) => `${operation} ${count}`);
  return parts.length > 0 ? `${sample.cacheErrors} (${parts.join(', ')})` : String(sample.cacheErrors);
}

/** L1 MB, entity rows and memo entries of one sample. */
function cacheSizes(sample: InstanceSample): string {
  return `${fixed(sample.l1Mb)}, ${grouped(sample.entityRows ?? 0)}, ${grouped(sample.memoEntries ?? 0)}`;
}

export function growth(instance: InstanceFigures): number | undefined {
  const { rssMb: from } = instance.atWarmupEnd;
  const { rssMb: to } = instance.atEnd;
  return from === undefined || to === undefined ? undefined : (to - from) / from;
}

export function soakChecks(figures: SoakFigures, judgeRss = true): SoakCheck[] {
  const workspaces = workspaceTotals(figures.loads);
  const socketErrors = sum(figures.loads.map((load) => load.socketErrors));
  const failedReads = sum(workspaces.map((w) => w.failedReads));
  const failedWrites = sum(workspaces.map((w) => w.failedWrites));
  const serverErrors = sum(figures.instances.map((i) => i.atEnd.unexpectedErrors ?? 0));
  const unreadable = figures.instances.filter((i) => i.atEnd.problem || i.atWarmupEnd.problem);
  const errors = socketErrors + failedReads + failedWrites + serverErrors + unreadable.length;
  const stale = sum(workspaces.map((w) => w.staleReads));
  const checked = sum(workspaces.map((w) => w.checkedReads));
  const crossed = sum(workspaces.map((w) => w.crossWorkspaceAnswers));
  const checks: SoakCheck[] = [
    {
      check: 'zero errors',
      pass: errors === 0,
      measured:
        `${socketErrors} connection errors or timeouts, ${failedReads} failed reads, ${failedWrites} failed writes, ` +
        `${serverErrors} unexpected server errors` +
        (unreadable.length > 0 ? `, /metrics unreadable on ${unreadable.map((i) => i.name).join(', ')}` : ''),
    },
    {
      // A check that checked nothing would pass without meaning anything.
      check: 'zero stale reads after acknowledged writes',
      pass: stale === 0 && checked > 0,
      measured: `${stale} stale of ${grouped(checked)} reads checked against an earlier acknowledged write`,
    },
    {
      check: 'zero cross-workspace data',
      pass: crossed === 0,
      measured:
        `${crossed} answers with another workspace's data` + (crossed > 0 ? `: ${workspaces.flatMap((w) => w.examples.map((e) => `${w.name}: ${e}`)).join('; ')}` : ''),
    },
  ];
  for (const instance of figures.instances) {
    const served = (instance.atEnd.graphqlRequests ?? 0) - (instance.atStart.graphqlRequests ?? 0);
    checks.push({ check: `${instance.name} served load`, pass: served > 0, measured: `${grouped(served)} GraphQL requests` });
    const rise = growth(instance);
    checks.push({
      check: `${instance.name} RSS growth after warm-up < ${MAX_RSS_GROWTH * 100}%`,
      pass: rise !== undefined && rise < MAX_RSS_GROWTH,
      reportOnly: !judgeRss,
      measured:
        rise === undefined
          ? 'the process was gone'
          : `${fixed(instance.atWarmupEnd.rssMb)} -> ${fixed(instance.atEnd.rssMb)} MB (${rise >= 0 ? '+' : ''}${fixed(rise * 100)}%)`,
    });
  }
  return checks;
}

export function soakTables(figures: SoakFigures, checks: SoakCheck[]): string {
  const requests = sum(figures.loads.map((load) => load.requests));
  const seconds = sum(figures.loads.map((load) => load.durationSeconds));
  const lines = [
    `${grouped(requests)} requests in ${seconds.toFixed(0)} s (${(requests / seconds).toFixed(0)} req/s) over ${figures.instances.length} instances`,
    '',
    '| instance | GraphQL requests | RSS at start MB | RSS at warm-up end MB | RSS at end MB | growth | heap used / total MB (warm-up end -> end) | new / old space MB (warm-up end -> end) | L1 MB, entity rows, memo entries (warm-up end -> end) | event-loop delay p99 ms (warm-up, measured) | unexpected errors | Redis errors |',
    '|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---:|',
  ];
  for (const i of figures.instances) {
    const rise = growth(i);
    lines.push(
      `| ${i.name} | ${grouped((i.atEnd.graphqlRequests ?? 0) - (i.atStart.graphqlRequests ?? 0))} | ${fixed(i.atStart.rssMb)} | ${fixed(i.atWarmupEnd.rssMb)} | ${fixed(i.atEnd.rssMb)} | ` +
        `${rise === undefined ? '–' : `${rise >= 0 ? '+' : ''}${fixed(rise * 100)}%`} | ${fixed(i.atWarmupEnd.heapUsedMb)} / ${fixed(i.atWarmupEnd.heapTotalMb)} -> ${fixed(i.atEnd.heapUsedMb)} / ${fixed(i.atEnd.heapTotalMb)} | ` +
        `${fixed(i.atWarmupEnd.newSpaceMb)} / ${fixed(i.atWarmupEnd.oldSpaceMb)} -> ${fixed(i.atEnd.newSpaceMb)} / ${fixed(i.atEnd.oldSpaceMb)} | ` +
        `${cacheSizes(i.atWarmupEnd)} -> ${cacheSizes(i.atEnd)} | ${i.atWarmupEnd.eventLoopLagP99Ms ?? '–'}, ${i.atEnd.eventLoopLagP99Ms ?? '–'} | ${i.atEnd.unexpectedErrors ?? '–'} | ${redisErrors(i.atEnd)} |`,
    );
  }
  lines.push(
    '',
    '| workspace | page reads | card reads | writes | conflicts | reads checked after a write | stale | failed reads | failed writes | cross-workspace answers |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const w of workspaceTotals(figures.loads)) {
    lines.push(
      `| ${w.name} | ${grouped(w.pageReads)} | ${grouped(w.cardReads)} | ${grouped(w.writes)} | ${grouped(w.conflicts)} | ${grouped(w.checkedReads)} | ` +
        `${w.staleReads} | ${w.failedReads} | ${w.failedWrites} | ${w.crossWorkspaceAnswers} |`,
    );
  }
  const failures = workspaceTotals(figures.loads).flatMap((w) => w.failures.map((failure) => `- ${w.name}: ${failure}`));
  if (failures.length > 0) lines.push('', 'First failed answers:', ...failures);
  const stale = workspaceTotals(figures.loads).flatMap((w) => w.stale.map((read) => `- ${w.name}: ${read}`));
  if (stale.length > 0) lines.push('', 'First stale reads:', ...stale);
  lines.push('', '| check | result | measured |', '|---|---|---|');
  for (const c of checks) lines.push(`| ${c.check} | ${c.pass ? 'PASS' : c.reportOnly ? 'over (reported, not judged)' : 'FAIL'} | ${c.measured} |`);
  return lines.join('\n');
}
