// `npm install && npm start` on a fresh machine: the embedded store is created, migrated and seeded
// with a demo workspace, a token is written for it, and the printed curl line works when pasted.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServerProcess } from './helpers/processes.js';

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
