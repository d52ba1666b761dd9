// The persisted-documents manifest the server loads at start: keyed by the lowercase hex sha256 of
// exactly each text, which is the hash clients send; anything else is refused whole, never mended.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPersistedDocuments, loadPublishedOperations } from '../src/graphql/published-operations.js';

const directory = mkdtempSync(path.join(tmpdir(), 'cardfile-manifest-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const text = 'query Tags {\n  tags {\n    id\n    name\n    __typename\n  }\n}';
const hash = createHash('sha256').update(text).digest('hex');

function manifestFile(name: string, content: unknown): string {
  const file = path.join(directory, `${name}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('the persisted-documents manifest', () => {
  it('is loaded as sha256 hex -> text when every key is the hash of its text', () => {
    expect([...loadPersistedDocuments(manifestFile('valid', { [hash]: text }))]).toEqual([[hash, text]]);
  });

  it.each([
    ['a sha256: prefix', { [`sha256:${hash}`]: text }],
    ['an uppercase hash', { [hash.toUpperCase()]: text }],
    ['the hash of another text', { [hash]: `${text} ` }],
    ['a text that is not a string', { [hash]: { query: text } }],
    ['not an object of entries', [[hash, text]]],
  ])('is refused at start with %s', (what, content) => {
    expect(() => loadPersistedDocuments(manifestFile(what.replace(/\W+/g, '-'), content))).toThrow(/npm run codegen/);
  });

  it('as generated, lists every operation of src/client/operations/ under its own name', () => {
    const operations = readdirSync(path.join(import.meta.dirname, '../src/client/operations')).map((file) => path.basename(file, '.graphql'));
    const { byName, byHash } = loadPublishedOperations();
    expect([...byName.keys()].sort()).toEqual(operations.sort());
    expect(byHash.size).toBe(operations.length);
  });

  it('is refused at start when an entry does not hold exactly one named operation', () => {
    for (const [what, document] of [
      ['anonymous', '{ viewer { role } }'],
      ['two operations', 'query A { viewer { role } } query B { tags { name } }'],
    ]) {
      const sha = createHash('sha256').update(document!).digest('hex');
      expect(() => loadPublishedOperations(manifestFile(what!.replace(/\W+/g, '-'), { [sha]: document }))).toThrow(/exactly one named operation/);
    }
  });
});
