// What any token holder can make a process remember is bounded in bytes. An outside review killed an
// instance at its heap limit with about 550 requests whose operationName was 900,000 characters:
// a memo of operation kinds was bounded by entries, not bytes, and kept each name. Here a server
// started as `npm start` starts it (same heap flags) takes 1,000 such requests and must refuse
// each at once, keep nothing of them, and stay within its memory budget.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentFactsMemo } from '../src/graphql/document-facts.js';
import { metricValue } from './helpers/metrics.js';
import { childEnv, projectRoot } from './helpers/processes.js';

const MB = 1024 * 1024;

/** `npm start`'s node flags, so the server has the heap it has in production. */
function startFlags(): string[] {
  const scripts = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).scripts;
  return scripts.start.split(/\s+/).filter((part: string) => part.startsWith('--max-'));
}

async function startServer(dataDir: string): Promise<{ url: string; stop: () => Promise<void>; exited: () => boolean }> {
  const child = spawn(process.execPath, [...startFlags(), '--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: childEnv({ DATA_DIR: dataDir, PORT: '0', DEMO_CONTACTS: '20', WARM_WORKSPACES: '0' }),
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /serving (http:\/\/\S+)\/graphql/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before serving: ${stderr}`)));
  });
  return {
    url,
    exited: () => exited,
    stop: async () => {
      child.kill('SIGTERM');
      await exit;
    },
  };
}

async function readMetrics(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return { rss: metricValue(text, 'cardfile_process_resident_memory_bytes'), memos: metricValue(text, 'cardfile_memo_bytes') };
}

describe('requests with huge operation names', () => {
  // A server process of its own, and 900 MB sent to it: minutes on a busy machine.
  it('are refused one by one, remembered nowhere, and leave the process within its budget', { timeout: 240_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-memory-'));
    const server = await startServer(dataDir);
    try {
      const token = fs.readFileSync(path.join(dataDir, 'demo-token'), 'utf8').trim();
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const ordinary = JSON.stringify({ query: '{ contacts(first: 5) { edges { node { id firstName } } } }' });
      for (let i = 0; i < 50; i += 1) expect((await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: ordinary })).status).toBe(200);
      const before = await readMetrics(server.url);
      expect(before.rss).toBeGreaterThan(0);
      expect(before.memos).toBeGreaterThan(0);

      const name = 'N'.repeat(900_000);
      let sent = 0;
      const sendOne = async () => {
        const body = JSON.stringify({ query: `query ${name.slice(0, 10)}${sent} { viewer { role } }`, operationName: `${name}${(sent += 1)}` });
        const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
        const answer = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
        expect(response.status).toBe(400);
        expect(answer.errors[0]?.extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
      };
      for (let i = 0; i < 1_000; i += 8) await Promise.all(Array.from({ length: 8 }, sendOne));

      expect(server.exited()).toBe(false);
      expect((await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: ordinary })).status).toBe(200);
      const after = await readMetrics(server.url);
      // The memos hold nothing of those requests; the process holds about what it held (the
      // bound allows for V8 keeping some of the 900 MB it parsed as heap it has not returned yet).
      expect(after.memos - before.memos).toBeLessThan(64 * 1024);
      const growth = `RSS ${Math.round(before.rss / MB)} MB -> ${Math.round(after.rss / MB)} MB`;
      process.stdout.write(`memory-bounds: ${growth}\n`);
      expect((after.rss - before.rss) / MB, growth).toBeLessThan(150);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the document-facts memo', () => {
  it('stays within its byte budget however many documents, and however long their names', () => {
    const memo = new DocumentFactsMemo();
    for (let i = 0; i < 20_000; i += 1) {
      const operations = Array.from({ length: 20 }, (_, j) => `query ${'Q'.repeat(120)}${i}x${j} { viewer { role } }`).join('\n');
      memo.of(`hash-${i}`, operations);
    }
    expect(memo.bytes).toBeGreaterThan(0);
    expect(memo.bytes).toBeLessThanOrEqual(4_000_000);
  });
});
