// The monitoring configuration in ops/ against the server as it is: every metric an alert or a
// dashboard panel reads is one the server exports, docs/operations.md ("Observing cardfile")
// lists every metric the server exports, and docs/runbooks.md says what to do for every alert, in
// the section the alert's runbook link points to. (CI also runs `promtool check config` and
// `promtool test rules` on ops/prometheus.)
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, startTestServer, type TestServer } from './helpers/server.js';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

let server: TestServer;
/** Metric names as queries may use them (histograms: _bucket, _sum, _count). */
const exported = new Set<string>();
/** Metric families as /metrics declares them. */
const families = new Set<string>();

beforeAll(async () => {
  server = await startTestServer({ WARM_WORKSPACES: '0' });
  const acme = await createWorkspace(server.db, 'acme', 3);
  await server.graphql('{ contacts(first: 3) { edges { node { id company { name } } } } }', {}, acme.reader);
  const text = await (await server.request('/metrics')).text();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    families.add(name!);
    exported.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) exported.add(`${name}${suffix}`);
  }
});

afterAll(() => server?.close());

const metricsIn = (text: string) => new Set([...text.matchAll(/\bcardfile_[a-z0-9_]+/g)].map((match) => match[0]));

describe('ops/ configuration', () => {
  it('alerts only on metrics the server exports', () => {
    const used = metricsIn(read('ops/prometheus/alerts.yml'));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported, `alerts.yml reads ${name}`).toContain(name);
  });

  it('draws only metrics the server exports, in panels that all have queries', () => {
    const dashboard = JSON.parse(read('ops/grafana/dashboards/cardfile.json')) as { panels: Array<{ title: string; targets?: Array<{ expr?: string }> }> };
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        for (const name of metricsIn(target.expr ?? '')) expect(exported, `panel "${panel.title}" reads ${name}`).toContain(name);
      }
    }
  });

  it('documents every metric the server exports in docs/operations.md', () => {
    const page = read('docs/operations.md');
    const section = page.slice(page.indexOf('## Observing cardfile'));
    expect(section.length).toBeGreaterThan(100);
    // Node's standard process metrics are documented as a group.
    for (const name of families) {
      if (/^cardfile_(process_|nodejs_)/.test(name)) continue;
      expect(section, `docs/operations.md lacks ${name}`).toContain(name);
    }
  });

  it('has a runbook for every alert in docs/runbooks.md, where its runbook link points', () => {
    const runbooks = read('docs/runbooks.md');
    const rules = read('ops/prometheus/alerts.yml').split(/^\s*- alert: /m).slice(1);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const name = /^\w+/.exec(rule)![0];
      expect(runbooks, `docs/runbooks.md lacks a section for ${name}`).toMatch(new RegExp(`^#{2,4} ${name}$`, 'm'));
      expect(rule, `${name}'s runbook link`).toContain(`runbook: "docs/runbooks.md#${name.toLowerCase()}"`);
    }
  });
});
