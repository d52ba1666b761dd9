// Dependencies point down. The table below says, for each part of src/, which parts it may import;
// this test reads every import of every source file and fails on any other arrow, so the
// architecture on paper and in the code cannot drift apart. There are no exceptions to list.
//
// From the top: the composition root (main.ts, app.ts, the first start's demo and banner) wires
// everything; the command-line tools may use everything it does; HTTP serves GraphQL and the
// browser routes; GraphQL resolves through loaders, auth, limits, caches and repositories; below
// them the caches, the view counting, the database, Redis; at the bottom observability (which
// takes registrations and reaches into nothing) and the foundations every part may use (config,
// settings, the error catalogue).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '../src');

const FOUNDATIONS = ['config.ts', 'errors.ts', 'settings'];
const COMPOSITION = ['main.ts', 'app.ts', 'lifecycle.ts', 'demo.ts', 'first-query.ts'];

/** Part -> the parts it may import (besides itself and the foundations). */
const ALLOWED: Record<string, readonly string[]> = {
  composition: ['*'],
  cli: ['tools', 'synthetic', 'http', 'graphql', 'rum', 'loaders', 'view-counting', 'limits', 'auth', 'cache', 'db', 'redis', 'observability'],
  synthetic: ['client', 'graphql'],
  tools: ['db', 'observability'],
  http: ['rum', 'graphql', 'auth', 'limits', 'cache', 'observability'],
  rum: ['graphql', 'observability'],
  graphql: ['loaders', 'auth', 'limits', 'cache', 'db', 'observability'],
  loaders: ['cache', 'db', 'observability'],
  'view-counting': ['cache', 'db', 'redis', 'observability'],
  limits: ['auth', 'redis', 'observability'],
  auth: ['db', 'observability'],
  cache: ['db', 'redis', 'observability'],
  db: ['observability'],
  redis: ['observability'],
  observability: [],
  client: [],
  foundations: [],
};

/** The part of src/ a file (path relative to src/) belongs to. */
function partOf(file: string): string {
  const [first] = file.split('/');
  if (FOUNDATIONS.includes(first!)) return 'foundations';
  if (COMPOSITION.includes(first!)) return 'composition';
  return first!;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm;

interface Arrow {
  from: string;
  to: string;
  line: string;
}

function arrows(): Arrow[] {
  const found: Arrow[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      // Imports name the compiled file (.js); the source is the .ts beside it.
      const target = path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) continue;
      found.push({ from: path.relative(SRC, file), to: target, line: match[0].trim() });
    }
  }
  return found;
}

describe('layering', () => {
  it('knows every part of src/', () => {
    const parts = new Set(sourceFiles(SRC).map((file) => partOf(path.relative(SRC, file))));
    for (const part of parts) expect(Object.keys(ALLOWED), `src/${part} has no row in the table`).toContain(part);
  });

  it('has every import point down the table', () => {
    const all = arrows();
    expect(all.length).toBeGreaterThan(300);
    const wrong = all
      .filter(({ from, to }) => {
        const source = partOf(from);
        const target = partOf(to);
        if (source === target || target === 'foundations') return false;
        const allowed = ALLOWED[source] ?? [];
        return !allowed.includes('*') && !allowed.includes(target);
      })
      .map(({ from, to }) => `src/${from} -> src/${to}`);
    expect(wrong).toEqual([]);
  });

  it('keeps the table itself downward: no two parts may import each other', () => {
    for (const [part, allowed] of Object.entries(ALLOWED)) {
      for (const other of allowed) {
        if (other === '*') continue;
        expect(ALLOWED[other] ?? [], `${part} and ${other} import each other`).not.toContain(part);
      }
    }
  });
});
