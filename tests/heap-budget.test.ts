// The caches at their configured sizes against the heap the process is given: the defaults fit
// the old generation `npm start` caps, cache sizes that do not fit are named at start (before an
// out-of-memory crash under load would), and a process started with a smaller heap says so.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { heapBudget, heapBudgetWarning } from '../src/observability/heap-budget.js';
import { childEnv, projectRoot } from './helpers/processes.js';

const MB = 1024 * 1024;

/** The old-generation cap in `npm start`'s node flags, in bytes. */
function startScriptHeapLimit(): number {
  const scripts = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).scripts;
  const megabytes = /--max-old-space-size=(\d+)/.exec(scripts.start)?.[1];
  expect(megabytes, scripts.start).toBeDefined();
  return Number(megabytes) * MB;
}

describe('heap budget', () => {
  it('fits the default cache sizes in the heap npm start gives', () => {
    const budget = heapBudget(loadConfig({}), startScriptHeapLimit());
    expect(budget.fits).toBe(true);
    expect(heapBudgetWarning(budget)).toBeUndefined();
  });

  it('names the settings when the caches may outgrow the heap, and counts only the caches that are on', () => {
    const limit = startScriptHeapLimit();
    const big = loadConfig({ ENTITY_CACHE_MAX_ENTRIES: '1000000' });
    const warning = heapBudgetWarning(heapBudget(big, limit));
    expect(warning).toContain('ENTITY_CACHE_MAX_ENTRIES');
    expect(warning).toContain('MEMORY_CACHE_MAX_BYTES');
    expect(warning).toContain(`heap limit of ${limit / MB} MB`);
    expect(warning).toContain('--max-old-space-size');

    // The same size with the entity cache off holds nothing.
    expect(heapBudget(loadConfig({ ENTITY_CACHE_MAX_ENTRIES: '1000000', ENTITY_CACHE: 'false' }), limit).fits).toBe(true);
    const responsesOnly = heapBudget(loadConfig({ MEMORY_CACHE_MAX_BYTES: String(limit), ENTITY_CACHE: 'false' }), limit);
    expect(responsesOnly.fits).toBe(false);
    expect(heapBudget(loadConfig({ MEMORY_CACHE_MAX_BYTES: String(limit), ENTITY_CACHE: 'false', RESPONSE_CACHE: 'false' }), limit).fits).toBe(true);
  });

  it('is logged at start by a process given less heap than its caches may need', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cardfile-heap-'));
    // The warning comes before the database is opened: read the output until it, or the banner
    // of a server that started without it, shows up.
    const child = spawn(process.execPath, ['--max-old-space-size=128', '--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      env: childEnv({ DATA_DIR: dataDir, PORT: '0', DEMO_CONTACTS: '10' }),
    });
    try {
      const output = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk) => {
          text += chunk;
          if (/caches may need|serving http/.test(text)) resolve(text);
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code} before any output: ${text}`)));
      });
      expect(output).toMatch(/the caches may need about \d+ MB of heap when full/);
      expect(output).toContain('heap limit of');
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
