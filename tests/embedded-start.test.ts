// `npm install && npm start` on a fresh machine: the embedded store is created, migrated and seeded
// with a demo workspace, a token is written for it, and the printed curl line works when pasted.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServerProcess } from './helpers/processes.js';
import { waitFor } from './helpers/wait-for.js';

const exec = promisify(execFile);
const DEMO_CONTACTS = 150;

let dataDir: string;
let first: RunningServer | undefined;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-embedded-'));
});

afterAll(async () => {
  await first?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function curlLineOf(banner: string): string {
  const line = banner.split('\n').find((text) => text.trim().startsWith('curl '));
  expect(line, banner).toBeDefined();
  return line!.trim();
}

describe('the embedded first start', () => {
  it('seeds the demo workspace, writes its token and prints a curl line that works', async () => {
    first = await startServerProcess({ DATA_DIR: dataDir, PORT: '0', DEMO_CONTACTS: String(DEMO_CONTACTS) });
    const token = fs.readFileSync(path.join(dataDir, 'demo-token'), 'utf8');
    expect(token).toMatch(/^cf_[A-Za-z0-9_-]{43}\n$/);

    const { stdout } = await exec('sh', ['-c', curlLineOf(first.banner)]);
    const body = JSON.parse(stdout);
    expect(body.errors).toBeUndefined();
    expect(body.data.contacts.totalCount).toBe(DEMO_CONTACTS);
    expect(body.data.contacts.edges).toHaveLength(3);
    expect(body.data.contacts.edges[0].node.firstName).toEqual(expect.any(String));

    // A browser visiting the endpoint gets Apollo Sandbox in development.
    const landing = await fetch(`${first.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('<html');

    expect(await first.stop()).toBe(0);
    first = undefined;
  });

  it('prints a curl line that works when the server takes persisted queries only', async () => {
    const persistedOnly = await startServerProcess({ DATA_DIR: dataDir, PORT: '0', PERSISTED_ONLY: 'true' });
    try {
      const line = curlLineOf(persistedOnly.banner);
      expect(line).not.toContain('"query"');
      const { stdout } = await exec('sh', ['-c', line]);
      const body = JSON.parse(stdout);
      expect(body.errors, stdout).toBeUndefined();
      expect(body.data.contacts.edges).toHaveLength(3);
      expect(body.data.contacts.totalCount).toBe(DEMO_CONTACTS);
    } finally {
      expect(await persistedOnly.stop()).toBe(0);
    }
  });

  it('keeps the data between starts and does not seed again', async () => {
    const tokenBefore = fs.readFileSync(path.join(dataDir, 'demo-token'), 'utf8');
    const again = await startServerProcess({ DATA_DIR: dataDir, PORT: '0', DEMO_CONTACTS: '999' });
    try {
      expect(fs.readFileSync(path.join(dataDir, 'demo-token'), 'utf8')).toBe(tokenBefore);
      const { stdout } = await exec('sh', ['-c', curlLineOf(again.banner)]);
      expect(JSON.parse(stdout).data.contacts.totalCount).toBe(DEMO_CONTACTS);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});

describe('the first start’s log', () => {
  it('has no slow-statement warnings for start-up work (migrations, the demo seed, cache warming), and has them for requests', async () => {
    const freshDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-embedded-slow-'));
    // Every statement counts as slow: whatever start-up ran that the log would show, it shows.
    const server = await startServerProcess({ DATA_DIR: freshDir, PORT: '0', DEMO_CONTACTS: '30', SLOW_QUERY_MS: '0', LOG_LEVEL: 'info' });
    let output = server.banner;
    server.child.stdout!.on('data', (chunk) => (output += chunk));
    const slowLines = () => output.split('\n').filter((line) => line.includes('"slow SQL statement"'));
    try {
      await waitFor('cache warming to end', async () => output, (text) => /cache warmed with \d+ responses/.test(text));
      expect(slowLines()).toEqual([]);

      const token = fs.readFileSync(path.join(freshDir, 'demo-token'), 'utf8').trim();
      const answer = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ contacts(first: 2, filter: { search: "an" }) { totalCount } }' }),
      });
      expect(answer.status).toBe(200);
      await waitFor('the request’s statements to be logged', async () => slowLines(), (found) => found.some((line) => line.includes('like')));
    } finally {
      expect(await server.stop()).toBe(0);
      fs.rmSync(freshDir, { recursive: true, force: true });
    }
  }, 240_000);
});
