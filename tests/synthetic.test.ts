// npm run synthetic, run as a process the way operators run it: against a real server over a
// seeded workspace, with an editor, a reader and a wrong token; with bad arguments; and against
// small loopback servers that answer wrongly or not at all.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepReport } from '../src/synthetic/steps.js';
import { childEnv, projectRoot, runScript } from './helpers/processes.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

const SCRIPT = 'src/cli/synthetic.ts';
const ALL_STEPS = ['viewer', 'first page', 'page 2', 'page 3', 'page 4', 'list order', 'search', 'open card', 'edit', 'read back', 'restore'];

interface RunLine {
  run: number;
  ok: boolean;
  endpoint: string;
  steps: StepReport[];
}

const synthetic = (args: string[]) => runScript(SCRIPT, args, {});
const runLines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as RunLine);
const stepOf = (line: RunLine, name: string) => line.steps.find((step) => step.step === name)!;

let server: TestServer;
let large: Workspace;
let small: Workspace;

beforeAll(async () => {
  server = await startTestServer();
  // 55 contacts in pages of 10: four pages are walked and the list goes on.
  large = await createWorkspace(server.db, 'synthetic-large', 55);
  // 15 contacts: the list ends on page 2.
  small = await createWorkspace(server.db, 'synthetic-small', 15);
});

afterAll(() => server?.close());

async function firstContactTitle(token: string): Promise<{ id: string; title: string | null; version: number }> {
  const answer = await server.graphql('{ contacts(first: 1) { edges { node { id title version } } } }', {}, token);
  return answer.body.data.contacts.edges[0].node;
}

describe('npm run synthetic against cardfile', () => {
  it('passes every step with an editor token, leaves the contact as it was and times every step', async () => {
    const before = await firstContactTitle(large.editor);
    const result = await synthetic(['--url', server.url, '--token', large.editor, '--page-size', '10', '--json']);
    expect(result.stderr).toBe('');
    const [line, ...more] = runLines(result.stdout);
    expect(more).toHaveLength(0);
    expect(line!.steps.map((step) => step.step)).toEqual(ALL_STEPS);
    for (const step of line!.steps) {
      expect(step.result, `${step.step}: ${step.detail}`).toBe('pass');
      expect(step.ms, step.step).toBeGreaterThanOrEqual(0);
    }
    expect(result.code).toBe(0);
    expect(line!.ok).toBe(true);
    expect(line!.endpoint).toBe(`${server.url}/graphql`);
    // The read-back reports the cache's outcome: the write purged the card the open step cached.
    expect(stepOf(line!, 'read back').cache).toBeDefined();
    expect(stepOf(line!, 'read back').detail).toMatch(/x-cache: \S+/);
    expect(result.stdout).not.toContain(large.editor);

    const after = await firstContactTitle(large.editor);
    expect(after.id).toBe(before.id);
    expect(after.title).toBe(before.title);
    expect(after.version).toBe(before.version + 2);
  });

  it('reports the edit steps as not run with a reader token, and exits 0', async () => {
    const result = await synthetic(['--url', `${server.url}/graphql`, '--token', small.reader, '--page-size', '10', '--json']);
    const [line] = runLines(result.stdout);
    expect(line!.steps.map((step) => step.step)).toEqual(ALL_STEPS);
    for (const name of ['edit', 'read back', 'restore']) {
      expect(stepOf(line!, name)).toMatchObject({ result: 'not run', detail: 'reader token', ms: null });
    }
    // 15 contacts in pages of 10: the list ends on page 2, which says so coherently.
    expect(stepOf(line!, 'page 2').result).toBe('pass');
    expect(stepOf(line!, 'page 3')).toMatchObject({ result: 'not run', detail: 'the list ends on page 2' });
    for (const name of ['viewer', 'first page', 'list order', 'search', 'open card']) {
      expect(stepOf(line!, name).result, `${name}: ${stepOf(line!, name).detail}`).toBe('pass');
    }
    expect(result.code).toBe(0);
  });

  it('prints a table per run, and with --runs 2 --interval 100ms runs twice and exits', async () => {
    const result = await synthetic(['--url', server.url, '--token', large.editor, '--page-size', '10', '--runs', '2', '--interval', '100ms']);
    expect(result.code).toBe(0);
    const headers = result.stdout.split('\n').filter((line) => line.startsWith('run '));
    expect(headers).toHaveLength(2);
    expect(headers[0]).toMatch(/^run 1 .* all checks passed$/);
    expect(headers[1]).toMatch(/^run 2 .* all checks passed$/);
    expect(result.stdout).toMatch(/^step\s+ms\s+x-cache\s+result$/m);
    expect(result.stdout).toMatch(/^read back\s+\d+\.\d\s+\S+\s+ok: version \d+ at once \(x-cache: \S+\)$/m);
  });

  it('fails with a clear reason on a wrong token, without printing it', async () => {
    const wrong = `cf_${'x'.repeat(43)}`;
    const result = await synthetic(['--url', server.url, '--token', wrong]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^viewer\s+\d+\.\d\s+\S+\s+FAILED: expected Viewer to answer without errors, saw HTTP \d+ UNAUTHENTICATED/m);
    expect(result.stdout).toMatch(/^first page\s+-\s+-\s+not run: viewer failed$/m);
    expect(result.stdout).toContain('1 step failed');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it('stops on SIGTERM between runs and exits with the last run status', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--url', server.url, '--token', small.reader, '--interval', '1h', '--json'], {
      cwd: projectRoot,
      env: childEnv({}),
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error(`exited before its first run: ${stdout}`)));
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.endsWith('\n')) resolve();
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(runLines(stdout)).toHaveLength(1);
  });
});

describe('npm run synthetic refuses bad arguments', () => {
  const cases: Array<{ name: string; args: string[]; says: string }> = [
    { name: 'no token', args: ['--url', 'http://127.0.0.1:1'], says: '--token is required' },
    { name: 'no url', args: ['--token', 'cf_secret'], says: '--url is required' },
    { name: 'a URL that is not http', args: ['--url', 'ftp://127.0.0.1/graphql', '--token', 'cf_secret'], says: '--url must be an http(s) URL' },
    { name: 'a URL with a password', args: ['--url', 'http://me:cf_secret@127.0.0.1/graphql', '--token', 'cf_secret'], says: '--url must carry no user name or password' },
    { name: 'an interval without a duration', args: ['--url', 'http://127.0.0.1:1', '--token', 'cf_secret', '--interval', 'often'], says: '--interval must be a duration' },
    { name: 'zero runs', args: ['--url', 'http://127.0.0.1:1', '--token', 'cf_secret', '--runs', '0'], says: '--runs must be a whole number' },
    { name: 'a page too large', args: ['--url', 'http://127.0.0.1:1', '--token', 'cf_secret', '--page-size', '101'], says: '--page-size must be a whole number from 1 to 100' },
    { name: 'an unknown option', args: ['--url', 'http://127.0.0.1:1', '--token', 'cf_secret', '--retries', '3'], says: "Unknown option '--retries'" },
    { name: 'a stray argument', args: ['--url', 'http://127.0.0.1:1', 'cf_secret'], says: 'Unexpected argument' },
  ];
  for (const { name, args, says } of cases) {
    it(`exits 2 with the usage on ${name}`, async () => {
      const result = await synthetic(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(says);
      expect(result.stderr).toContain('usage: npm run synthetic -- --url URL --token TOKEN');
      expect(result.stderr).not.toContain('cf_secret');
    });
  }
});

/** A loopback HTTP server for answers cardfile would never give; records what it was sent. */
async function fakeServer(answer: (url: URL, request: http.IncomingMessage, response: http.ServerResponse) => void) {
  const seen: Array<{ method: string; url: URL }> = [];
  const fake = http.createServer((request, response) => {
    const url = new URL(request.url!, 'http://fake');
    seen.push({ method: request.method!, url });
    answer(url, request, response);
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}/graphql`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        fake.closeAllConnections();
        fake.close(() => resolve());
      }),
  };
}

const sendJson = (response: http.ServerResponse, body: unknown) => {
  response.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'miss' });
  response.end(JSON.stringify(body));
};

describe('npm run synthetic against a server that answers wrongly', () => {
  it('fails the scroll on a contact repeated across pages, naming the check', async () => {
    const fake = await fakeServer((url, _request, response) => {
      const operation = url.searchParams.get('operationName');
      // The first time the hash alone comes, as for a server that has not seen the document yet.
      if (operation === 'Viewer' && !url.searchParams.has('query')) {
        return sendJson(response, { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
      }
      if (operation === 'Viewer') return sendJson(response, { data: { viewer: { role: 'READER', workspace: { id: 'w1', name: 'fake' } } } });
      if (operation === 'ContactsPage') {
        // Every page is the same two contacts: the cursor is not followed.
        const node = (id: string) => ({ id, firstName: 'Ada', lastName: `Lovelace ${id}`, email: null, title: null, company: null, tags: [] });
        return sendJson(response, {
          data: {
            contacts: {
              edges: [{ cursor: 'c1', node: node('a') }, { cursor: 'c2', node: node('b') }],
              pageInfo: { hasNextPage: true, endCursor: 'c2' },
              totalCount: 10,
            },
          },
        });
      }
      sendJson(response, { errors: [{ message: 'not served here', extensions: { code: 'NOT_FOUND' } }] });
    });
    try {
      const result = await synthetic(['--url', fake.url, '--token', 'cf_fake', '--page-size', '2', '--json']);
      expect(result.code).toBe(1);
      const [line] = runLines(result.stdout);
      expect(line!.ok).toBe(false);
      expect(stepOf(line!, 'viewer').result).toBe('pass');
      expect(stepOf(line!, 'first page').result).toBe('pass');
      expect(stepOf(line!, 'page 2')).toMatchObject({ result: 'fail', cache: 'miss' });
      expect(stepOf(line!, 'page 2').detail).toContain('expected no duplicates, saw contact a on page 1 and again on page 2');
      expect(stepOf(line!, 'page 3')).toMatchObject({ result: 'not run', detail: 'page 2 failed' });
      expect(stepOf(line!, 'list order')).toMatchObject({ result: 'not run', detail: 'the scroll failed' });
      // Queries go as persisted GETs: the hash alone, its text only after PERSISTED_QUERY_NOT_FOUND.
      const viewerRequests = fake.seen.filter((request) => request.url.searchParams.get('operationName') === 'Viewer');
      expect(viewerRequests.map((request) => request.url.searchParams.has('query'))).toEqual([false, true]);
      for (const { method, url } of fake.seen) {
        expect(method).toBe('GET');
        expect(JSON.parse(url.searchParams.get('extensions')!).persistedQuery.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
      }
      const pageRequests = fake.seen.filter((request) => request.url.searchParams.get('operationName') === 'ContactsPage');
      expect(pageRequests.map((request) => request.url.searchParams.has('query'))).toEqual([false, false]);
      expect(JSON.parse(pageRequests[1]!.url.searchParams.get('variables')!)).toEqual({ first: 2, after: 'c2' });
    } finally {
      await fake.close();
    }
  });

  it('fails the read-back when the card still shows the version before the edit, and restores anyway', async () => {
    const contact = { id: 'c1', firstName: 'Ada', lastName: 'Lovelace', email: null, title: 'Engineer', company: null, tags: [] };
    const mutations: Array<{ operationName: string; variables: any; extensions: any; query?: string }> = [];
    const fake = await fakeServer((url, request, response) => {
      const operation = url.searchParams.get('operationName');
      if (request.method === 'POST') {
        let text = '';
        request.on('data', (chunk) => (text += chunk));
        request.on('end', () => {
          const body = JSON.parse(text);
          mutations.push(body);
          const { id, expectedVersion, title } = body.variables.input;
          const updated = { ...contact, id, title, phone: null, version: expectedVersion + 1, updatedAt: '2026-01-01T00:00:00.000Z' };
          sendJson(response, { data: { updateContact: { contact: updated } } });
        });
        return;
      }
      if (operation === 'Viewer') return sendJson(response, { data: { viewer: { role: 'EDITOR', workspace: { id: 'w1', name: 'fake' } } } });
      if (operation === 'ContactsPage') {
        return sendJson(response, { data: { contacts: { edges: [{ cursor: 'c1', node: contact }], pageInfo: { hasNextPage: false, endCursor: 'c1' }, totalCount: 1 } } });
      }
      if (operation === 'SearchContacts') return sendJson(response, { data: { contacts: { edges: [{ node: contact }], totalCount: 1 } } });
      // The card never changes: a cache that kept the answer from before the edit.
      const card = { ...contact, phone: null, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
      sendJson(response, { data: { contact: { ...card, notes: { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 } } } });
    });
    try {
      const result = await synthetic(['--url', fake.url, '--token', 'cf_fake', '--json']);
      expect(result.code).toBe(1);
      const [line] = runLines(result.stdout);
      for (const name of ['viewer', 'first page', 'search', 'open card', 'edit', 'restore']) {
        expect(stepOf(line!, name).result, `${name}: ${stepOf(line!, name).detail}`).toBe('pass');
      }
      expect(stepOf(line!, 'read back')).toMatchObject({ result: 'fail', cache: 'miss' });
      expect(stepOf(line!, 'read back').detail).toContain('expected the card read back at version 2 or later, saw version 1');
      expect(stepOf(line!, 'read back').detail).toMatch(/expected the card read back with title "Engineer \[synthetic [0-9a-f]{6}\]", saw "Engineer"/);
      // Mutations go as POSTs by hash; the restore asks for the title as it was, at the edited version.
      expect(mutations.map((body) => [body.operationName, body.query, body.extensions.persistedQuery.version])).toEqual([
        ['UpdateContact', undefined, 1],
        ['UpdateContact', undefined, 1],
      ]);
      expect(mutations[1]!.variables.input).toEqual({ id: 'c1', expectedVersion: 2, title: 'Engineer' });
    } finally {
      await fake.close();
    }
  });

  it('fails a request that gets no answer within --timeout', async () => {
    // Holds every request open: only the monitor's deadline ends it.
    const fake = await fakeServer(() => {});
    try {
      const result = await synthetic(['--url', fake.url, '--token', 'cf_fake', '--timeout', '300ms']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^viewer\s+\d+\.\d\s+-\s+FAILED: expected an answer within 300 ms, saw none$/m);
    } finally {
      await fake.close();
    }
  });
});
