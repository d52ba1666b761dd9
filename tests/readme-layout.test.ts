// The README is the front door: its layout map must match src/ as it is, and every link in it and
// in the pages it leads to must land somewhere. Moving a folder without updating the map, renaming
// a heading without updating the links to it, or deleting a page a link names fails here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const exists = (file: string) => fs.existsSync(path.join(root, file));
const isDirectory = (file: string) => exists(file) && fs.statSync(path.join(root, file)).isDirectory();

/** Every folder under `dir`, at any depth, as `dir/name/` paths relative to the repository. */
function foldersUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const folder = `${dir}/${entry.name}`;
    found.push(`${folder}/`, ...foldersUnder(folder));
  }
  return found;
}

/** Markdown without its fenced code blocks (their lines blanked, so line numbers stay true). */
function withoutCodeBlocks(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/**
 * The anchors GitHub gives a page's headings: the heading's text as rendered (inline code, emphasis
 * and links reduced to their text), lower case, punctuation dropped (letters, digits, `-`, `_` and
 * spaces stay), spaces turned into hyphens; a repeated one gets `-1`, `-2`, ...
 */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutCodeBlocks(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = match[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '')
      .trim();
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Inline links and images, outside code: `[text](target)`, with an optional title. */
function linksOf(markdown: string): string[] {
  const prose = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, (span) => (/\]\(/.test(span) ? '' : span));
  return [...prose.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^()\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
}

/** Why `target`, linked from `from` (a path relative to the repository), does not resolve; null when it does. */
function brokenLink(from: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // http:, https:, mailto:: not local
  const hash = target.indexOf('#');
  const filePart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? '' : decodeURIComponent(target.slice(hash + 1));
  const file = filePart === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURIComponent(filePart)));
  if (file.startsWith('..')) return `${target} leaves the repository`;
  if (!exists(file)) return `${target}: no file ${file}`;
  if (anchor === '') return null;
  if (!file.endsWith('.md')) return `${target}: an anchor into ${file}, which is not a Markdown page`;
  if (!anchorsOf(read(file)).has(anchor)) return `${target}: ${file} has no heading whose anchor is #${anchor}`;
  return null;
}

/** The README's layout map: the first code block under its "## Layout" heading, one entry a line. */
function layoutMap(): { entries: Array<{ path: string; meaning: string }>; text: string } {
  const readme = read('README.md');
  const start = readme.search(/^## Layout$/m);
  expect(start, 'README.md has a "## Layout" section').toBeGreaterThanOrEqual(0);
  const section = readme.slice(start).split(/^## /m)[1]!;
  const block = /^```[^\n]*\n([\s\S]*?)^```/m.exec(section);
  expect(block, 'the Layout section holds the map in a code block').not.toBeNull();
  const text = block![1]!;
  const entries = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, entryPath, meaning] = /^(\S+)\s*(.*)$/.exec(line)!;
      return { path: entryPath!, meaning: meaning! };
    });
  return { entries, text };
}

const pages = ['README.md', 'bench/README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe("the README's layout map", () => {
  it('names every folder under src/', () => {
    const listed = new Set(layoutMap().entries.map((entry) => entry.path));
    const folders = foldersUnder('src');
    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) expect(listed, `the layout map lacks ${folder}`).toContain(folder);
  });

  it('names only paths that exist, each with what it holds', () => {
    const { entries, text } = layoutMap();
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      if (entry.path.endsWith('/')) expect(isDirectory(entry.path), `the layout map names ${entry.path}, which is not a folder`).toBe(true);
      else expect(exists(entry.path) && !isDirectory(entry.path), `the layout map names ${entry.path}, which is not a file`).toBe(true);
      expect(entry.meaning, `the layout map says nothing about ${entry.path}`).not.toBe('');
    }
    // Paths named in the descriptions too ("tests/helpers start real servers").
    for (const match of text.matchAll(/(?<![\w./-])(?:src|tests|bench|ops|docs|drizzle|patches)\/[\w./-]*/g)) {
      const named = match[0].replace(/\.$/, '');
      expect(exists(named), `the layout map names ${named}, which does not exist`).toBe(true);
    }
  });
});

describe('links in the README and the pages it leads to', () => {
  it('the anchors are computed as GitHub renders them', () => {
    const anchors = anchorsOf('# Calling from another origin (CORS)\n## What `/metrics` scrapes cost\n## Keys\n### Keys\n```\n# not a heading\n```\n');
    expect([...anchors]).toEqual(['calling-from-another-origin-cors', 'what-metrics-scrapes-cost', 'keys', 'keys-1']);
    expect(linksOf('[a](x.md#y) `[b](nope.md)` [`c`](z.md)\n```\n[d](nope.md)\n```\n')).toEqual(['x.md#y', 'z.md']);
  });

  it.each(pages)('every local link in %s resolves', (page) => {
    const links = linksOf(read(page));
    expect(links.length, `${page} links nowhere`).toBeGreaterThan(0);
    const broken = links.map((target) => brokenLink(page, target)).filter((reason) => reason !== null);
    expect(broken, `broken links in ${page}`).toEqual([]);
  });

  it('the README links every page under docs/', () => {
    const linked = new Set(linksOf(read('README.md')).map((target) => target.split('#')[0]));
    for (const page of pages.filter((name) => name.startsWith('docs/'))) expect(linked, `README.md does not link ${page}`).toContain(page);
  });

  it("every alert's runbook link resolves", () => {
    const runbooks = [...read('ops/prometheus/alerts.yml').matchAll(/runbook: "([^"]+)"/g)].map((match) => match[1]!);
    expect(runbooks.length).toBeGreaterThan(5);
    for (const target of runbooks) expect(brokenLink('README.md', target), `alerts.yml: runbook ${target}`).toBeNull();
  });
});
