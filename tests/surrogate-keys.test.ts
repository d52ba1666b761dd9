// The Surrogate-Key header a CDN purges by. A response that depends on more tags than the header
// may hold is sent with coarser tags, which must still be purged by every change that can make the
// response stale: its list tags, plus the tag every contact edit purges when it shows contacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coarseDependencies, dependency } from '../src/cache/keys.js';
import { createWorkspace, startTestServer, type TestServer, type Workspace } from './helpers/server.js';

describe('coarse tags', () => {
  it('keep the list tags, drop entity tags and add the contact-edit tag of a list of contacts', () => {
    const tags = [dependency.contactMembers(7), dependency.contactOrder(7, 'NAME'), dependency.contact(1), dependency.company(2), dependency.tag(3), dependency.note(4), dependency.taggedContacts(3)];
    expect(coarseDependencies(tags).sort()).toEqual([dependency.contactMembers(7), dependency.contactOrder(7, 'NAME'), dependency.contactOrder(7, 'UPDATED_AT'), dependency.taggedContacts(3)].sort());
  });

  it('add the contact-edit tag for a company list too (it shows contacts), and nothing for a card', () => {
    expect(coarseDependencies([dependency.companyList(9), dependency.company(5), dependency.companyContacts(5), dependency.contact(6)]).sort()).toEqual(
      [dependency.companyList(9), dependency.companyContacts(5), dependency.contactOrder(9, 'UPDATED_AT')].sort(),
    );
    expect(coarseDependencies([dependency.contact(6), dependency.company(5), dependency.contactNotes(6)])).toEqual([dependency.contactNotes(6)]);
  });
});

describe('the Surrogate-Key header', () => {
  let server: TestServer;
  let big: Workspace;

  beforeAll(async () => {
    server = await startTestServer();
    big = await createWorkspace(server.db, 'big', 1000);
  });

  afterAll(() => server?.close());

  it('lists every tag while they fit, and the coarse tags once they do not', async () => {
    // GET answers, the ones a CDN keeps (a POST carries no Surrogate-Key).
    const small = await server.persistedGet('{ contacts(first: 3) { edges { node { id } } } }', undefined, big.reader, { send: 'with-document' });
    expect(small.headers.get('surrogate-key')).toMatch(/Contact:\d+/);
    // 50 companies with up to 30 contacts each: about 1,000 contacts, over 8,000 characters of tags.
    const large = await server.persistedGet('{ companies(first: 50) { edges { node { id contacts(first: 30) { edges { node { id } } } } } } }', undefined, big.reader, {
      send: 'with-document',
    });
    expect(large.body.errors).toBeUndefined();
    const header = large.headers.get('surrogate-key')!;
    expect(header.length).toBeLessThanOrEqual(8_000);
    expect(header).not.toMatch(/(^| )(Contact|Company):\d+/);
    expect(header.split(' ')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^CompanyList:\d+$/),
        expect.stringMatching(/^CompanyContacts:\d+$/),
        expect.stringMatching(/^ContactOrder:\d+:UPDATED_AT$/),
      ]),
    );
  });
});
