// The results as a Markdown table, the targets with pass/fail, and the files under bench/results/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './machine.js';
import type { ScenarioName } from './options.js';
import type { PeerName } from './peers/peer-servers.js';
import type { ScenarioResult } from './scenario-result.js';

export interface TargetCheck {
  target: string;
  /** Undefined when a scenario it needs did not run (or failed). */
  pass: boolean | undefined;
  measured: string;
}

const fixed = (value: number | undefined | null, digits = 1) => (value === undefined || value === null ? '–' : value.toFixed(digits));
// autocannon records latencies in whole milliseconds.
const ms = (value: number | undefined) => (value === undefined ? '–' : Number.isInteger(value) ? String(value) : value.toFixed(2));
const percent = (value: number | undefined | null) => (value === undefined || value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const ratio = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);

/**
 * The peers each cardfile scenario is compared with: cache hits with the caching peers' hits,
 * executed pages with the uncached peer's.
 */
export const PEER_COMPARISONS: Partial<Record<ScenarioName, PeerName[]>> = {
  'hit-l1': ['peer-apollo-cache', 'peer-yoga-cache'],
  'hit-l1-br': ['peer-apollo-cache', 'peer-yoga-cache'],
  'hit-l1-no-redis': ['peer-apollo-cache', 'peer-yoga-cache'],
  'hit-l2': ['peer-apollo-cache', 'peer-yoga-cache'],
  'hit-l2-br': ['peer-apollo-cache', 'peer-yoga-cache'],
  miss: ['peer-mercurius-jit'],
};

function peersText(result: ScenarioResult): string {
  const parts = Object.entries(result.ratios?.peers ?? {}).map(([peer, value]) => `${ratio(value)} ${peer.replace(/^peer-/, '')}`);
  return parts.length > 0 ? parts.join(', ') : '–';
}

function outcomesText(result: ScenarioResult): string {
  const shares = result.outcomeShares;
  if (!shares) return '–';
  const parts = Object.entries(shares)
    .filter(([, share]) => share > 0.0005)
    .map(([outcome, share]) => `${outcome} ${(share * 100).toFixed(1)}%`);
  return parts.length > 0 ? parts.join(', ') : '–';
}

export function markdownTable(results: ScenarioResult[]): string {
  const header =
    '| scenario | req/s | p50 ms | p99 ms | errors | body bytes | bytes/resp | SQL/req | cache outcomes | hit rate | peak RSS MB | ×limit-http | ×limit-db | ×baseline | ×peers | notes |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---|';
  const rows = results.map((r) => {
    if (!r.ok && r.requestsPerSecond === undefined) return `| ${r.name} | FAILED | | | | | | | | | | | | | | ${r.failure ?? ''} |`;
    return [
      r.name,
      fixed(r.requestsPerSecond, 0),
      ms(r.p50Ms),
      ms(r.p99Ms),
      String(r.errors ?? '–'),
      r.bodyBytes === undefined ? '–' : `${r.bodyBytes}${r.contentEncoding ? ` ${r.contentEncoding}` : ''}`,
      fixed(r.bytesPerResponse, 0),
      fixed(r.sqlPerRequest, 2),
      outcomesText(r),
      percent(r.hitRate),
      fixed(r.peakRssMb, 0),
      ratio(r.ratios?.limitHttp),
      ratio(r.ratios?.limitDb),
      ratio(r.ratios?.baselineApollo),
      peersText(r),
      [r.ok ? '' : `FAILED: ${r.failure}`, r.notes ?? ''].filter(Boolean).join('; '),
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |');
  });
  return [header, ...rows].join('\n');
}

export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const get = (name: ScenarioName) => {
    const result = results.find((r) => r.name === name);
    return result?.ok && result.requestsPerSecond !== undefined ? result : undefined;
  };
  const limitHttp = get('limit-http');
  const limitDb = get('limit-db');
  const baseline = get('baseline-apollo');
  const hitL1 = get('hit-l1');
  const hitL2 = get('hit-l2');
  const miss = get('miss');
  const mixed = results.find((r) => r.name === 'mixed');
  const deep = get('deep-page');
  const share = (a: ScenarioResult | undefined, b: ScenarioResult | undefined) =>
    a && b ? a.requestsPerSecond! / b.requestsPerSecond! : undefined;
  const checks: TargetCheck[] = [];

  const hitL1NoRedis = get('hit-l1-no-redis');
  const hitL1Br = get('hit-l1-br');
  const hitL2Br = get('hit-l2-br');
  const l1Share = share(hitL1, limitHttp);
  const l1NoRedisShare = share(hitL1NoRedis, limitHttp);
  checks.push({
    target: 'hit-l1 >= 0.6 × limit-http req/s, with Redis and without it',
    pass: l1Share === undefined || l1NoRedisShare === undefined ? undefined : l1Share >= 0.6 && l1NoRedisShare >= 0.6,
    measured: `${ratio(l1Share)} with Redis, ${ratio(l1NoRedisShare)} without`,
  });
  const l2Share = share(hitL2, limitHttp);
  checks.push({ target: 'hit-l2 >= 0.4 × limit-http req/s', pass: l2Share === undefined ? undefined : l2Share >= 0.4, measured: ratio(l2Share) });
  const hits = [hitL1, hitL1NoRedis, hitL1Br, hitL2, hitL2Br].filter((hit): hit is ScenarioResult => hit !== undefined);
  const worstHitP99 = hits.length > 0 ? Math.max(...hits.map((hit) => hit.p99Ms ?? Infinity)) : undefined;
  checks.push({
    target: 'p99 of every hit scenario <= 5 ms',
    pass: worstHitP99 === undefined ? undefined : worstHitP99 <= 5,
    measured: hits.map((hit) => `${hit.name} ${ms(hit.p99Ms)}`).join(', ') || '–',
  });
  const missToDb = share(miss, limitDb);
  const missToBaseline = share(miss, baseline);
  checks.push({
    target: 'miss >= 0.5 × limit-db req/s',
    pass: missToDb === undefined ? undefined : missToDb >= 0.5,
    measured: ratio(missToDb),
  });
  checks.push({
    target: 'miss >= 4 × baseline-apollo req/s',
    pass: missToBaseline === undefined ? undefined : missToBaseline >= 4,
    measured: ratio(missToBaseline),
  });
  checks.push({
    target: 'miss p99 <= 3 × its p50',
    pass: miss?.p99Ms === undefined || miss.p50Ms === undefined ? undefined : miss.p99Ms <= 3 * miss.p50Ms,
    measured: miss ? `${ratio(miss.p99Ms! / miss.p50Ms!)} (p50 ${ms(miss.p50Ms)}, p99 ${ms(miss.p99Ms)} ms)` : '–',
  });
  const [apolloCache, yogaCache, mercuriusJit] = [get('peer-apollo-cache'), get('peer-yoga-cache'), get('peer-mercurius-jit')];
  const l1ToApollo = share(hitL1, apolloCache);
  const l1ToYoga = share(hitL1, yogaCache);
  checks.push({
    target: 'hit-l1 >= 5 × peer-apollo-cache and >= 5 × peer-yoga-cache req/s',
    pass: l1ToApollo === undefined || l1ToYoga === undefined ? undefined : l1ToApollo >= 5 && l1ToYoga >= 5,
    measured: `${ratio(l1ToApollo)} apollo-cache, ${ratio(l1ToYoga)} yoga-cache`,
  });
  const missToMercurius = share(miss, mercuriusJit);
  checks.push({
    target: 'miss >= 1.5 × peer-mercurius-jit req/s',
    pass: missToMercurius === undefined ? undefined : missToMercurius >= 1.5,
    measured: ratio(missToMercurius),
  });
  // Bodies, not whole responses: the page's Surrogate-Key header (for a CDN to purge by, and
  // stripped there) is as long as its compressed body, and no Accept-Encoding shrinks a header.
  const compressedShare = hitL1Br?.bodyBytes && hitL1?.bodyBytes ? hitL1Br.bodyBytes / hitL1.bodyBytes : undefined;
  const brToPlain = share(hitL1Br, hitL1);
  checks.push({
    target: 'with Accept-Encoding: br, gzip: page body <= 1/5 of plain, hit-l1-br req/s >= 0.95 × hit-l1 (not lower, within this machine\'s run-to-run noise)',
    pass: compressedShare === undefined || brToPlain === undefined ? undefined : compressedShare <= 0.2 && brToPlain >= 0.95,
    measured: `body ${hitL1Br?.bodyBytes ?? '–'} ${hitL1Br?.contentEncoding ?? ''} vs ${hitL1?.bodyBytes ?? '–'} bytes (${ratio(compressedShare)}); ${ratio(brToPlain)} the plain hit's req/s`,
  });
  const mixedShare = mixed?.ok ? share(mixed, limitHttp) : undefined;
  const mixedStale = mixed?.mixed?.staleReads;
  checks.push({
    target: 'mixed: hit rate >= 80%, zero stale reads, req/s >= 0.3 × limit-http',
    pass:
      mixed === undefined || mixedStale === undefined
        ? undefined
        : mixedStale === 0 && (mixed.hitRate ?? 0) >= 0.8 && mixedShare !== undefined && mixedShare >= 0.3,
    measured: `hit rate ${percent(mixed?.hitRate)}, stale ${mixedStale ?? '–'}, ${ratio(mixedShare)}`,
  });
  checks.push({
    target: 'deep-page p50 <= 1.2 × first-page p50',
    pass: deep?.deepToFirstP50 === undefined ? undefined : deep.deepToFirstP50 <= 1.2,
    measured: deep?.deepToFirstP50 === undefined ? '–' : `${ratio(deep.deepToFirstP50)} (${ms(deep.p50Ms)} vs ${ms(deep.firstPage?.p50Ms)} ms)`,
  });
  const search = get('search');
  checks.push({
    target: 'search p50 <= 20 ms',
    pass: search?.p50Ms === undefined ? undefined : search.p50Ms <= 20,
    measured: search?.p50Ms === undefined ? '–' : `${ms(search.p50Ms)} ms (p99 ${ms(search.p99Ms)} ms)`,
  });
  const plans = results.find((r) => r.name === 'plans')?.plans;
  checks.push({
    target: 'every main query plan uses an index (no Seq Scan on contacts, notes, contact_tags, companies; no counting for totalCount)',
    pass: plans === undefined ? undefined : plans.problems.length === 0,
    measured: plans === undefined ? '–' : `${plans.checked} queries, ${plans.statements} statements, ${plans.problems.length} problems`,
  });
  const cardfileRss = results
    .filter((r) => ['hit-l1', 'hit-l1-br', 'hit-l1-no-redis', 'hit-l2', 'hit-l2-br', 'miss', 'mixed', 'deep-page', 'search'].includes(r.name) && r.peakRssMb !== undefined)
    .map((r) => r.peakRssMb!);
  const peak = cardfileRss.length > 0 ? Math.max(...cardfileRss) : undefined;
  checks.push({ target: 'cardfile peak RSS <= 300 MB', pass: peak === undefined ? undefined : peak <= 300, measured: `${fixed(peak, 0)} MB` });
  return checks;
}

export function targetsMarkdown(checks: TargetCheck[]): string {
  const verdict = (pass: boolean | undefined) => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL');
  return ['| target | measured | result |', '|---|---|---|', ...checks.map((c) => `| ${c.target} | ${c.measured} | ${verdict(c.pass)} |`)].join('\n');
}

export interface RunRecord {
  date: string;
  /** Set for a run that is not the full suite (quick, or some scenarios only): its files say so. */
  partial?: 'quick' | 'partial';
  startedAt: string;
  quick: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  workspace: { name: string; contacts: number };
  machine: MachineInfo;
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
}

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Writes results/<date>.json and results/<date>.md (results/<date>.quick.* or .partial.* for a
 * run that is not the full suite, so it never replaces a full run's figures); returns their paths.
 */
export function writeResults(record: RunRecord): string[] {
  fs.mkdirSync(resultsDir, { recursive: true });
  const name = record.partial ? `${record.date}.${record.partial}` : record.date;
  const json = path.join(resultsDir, `${name}.json`);
  const md = path.join(resultsDir, `${name}.md`);
  fs.writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  const m = record.machine;
  const text = [
    `# cardfile benchmark, ${record.date}`,
    '',
    `${record.quick ? 'Quick run' : 'Full run'}: ${record.durationSeconds} s measured per scenario after ${record.warmupSeconds} s of warm-up, ` +
      `${record.connections} connections; workspace "${record.workspace.name}" with ${record.workspace.contacts} contacts. ` +
      'Server on core 0, load generator on core 1.',
    '',
    markdownTable(record.scenarios),
    '',
    '## Targets',
    '',
    targetsMarkdown(record.targets),
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB`,
    `- Node ${m.node}, PostgreSQL ${m.postgres}`,
    `- commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}`,
    `- started ${record.startedAt}`,
    '',
  ].join('\n');
  fs.writeFileSync(md, text);
  return [json, md];
}
