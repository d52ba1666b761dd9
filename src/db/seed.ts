// Realistic demo and benchmark data: companies, tags, contacts with tags and notes. Reproducible:
// the same workspace name and size give the same data, because faker is seeded from them and
// every date is relative to a fixed reference day.
import { createHash } from 'node:crypto';
// The English locale alone: the package root loads every locale, tens of MB of heap.
import { faker } from '@faker-js/faker/locale/en';
import { count, eq } from 'drizzle-orm';
import type { Database } from './client.js';
import { findOrCreateWorkspace } from './repositories/workspaces.js';
import { companies, contacts, contactTags, notes, tags } from './schema.js';

export interface SeedOptions {
  workspace: string;
  contacts: number;
}

export interface SeedSummary {
  workspace: string;
  contacts: number;
  companies: number;
  tags: number;
  notes: number;
  contactTags: number;
  seconds: number;
}

const REFERENCE_DAY = new Date('2026-06-01T00:00:00Z');
const TAG_NAMES = [
  'customer', 'prospect', 'partner', 'investor', 'vip', 'newsletter', 'churn-risk', 'renewal',
  'decision-maker', 'technical', 'billing', 'event-2026', 'referral', 'support', 'beta',
];
// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for the widest table.
const CHUNK = 2000;

function seedNumber(...parts: unknown[]): number {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0);
}

async function inChunks<T, R>(rows: T[], insert: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let start = 0; start < rows.length; start += CHUNK) out.push(...(await insert(rows.slice(start, start + CHUNK))));
  return out;
}

export async function seedWorkspace(db: Database, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const workspace = await findOrCreateWorkspace(db, options.workspace);
  const workspaceId = workspace.id;
  const [existing] = await db.select({ n: count() }).from(contacts).where(eq(contacts.workspaceId, workspaceId));
  const offset = existing?.n ?? 0;
  faker.seed(seedNumber(options.workspace, offset));
  faker.setDefaultRefDate(REFERENCE_DAY);

  // Tags: a fixed vocabulary, created once per workspace.
  const tagRows = await db
    .insert(tags)
    .values(TAG_NAMES.map((name) => ({ workspaceId, name })))
    .onConflictDoNothing()
    .returning({ id: tags.id });
  const allTagIds = (await db.select({ id: tags.id }).from(tags).where(eq(tags.workspaceId, workspaceId))).map((t) => t.id);

  // About one company per 20 contacts, so company pages have a realistic size.
  const companyCount = options.contacts === 0 ? 0 : Math.max(1, Math.round(options.contacts / 20));
  const companyRows = await inChunks(
    Array.from({ length: companyCount }, (_, i) => {
      const name = faker.company.name();
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'company';
      return { workspaceId, name, domain: `${slug}-${offset + i}.example.com`, createdAt: faker.date.past({ years: 3 }) };
    }),
    (chunk) => db.insert(companies).values(chunk).returning({ id: companies.id, domain: companies.domain }),
  );

  const contactValues = Array.from({ length: options.contacts }, (_, i) => {
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const company = companyRows.length > 0 && faker.number.float() < 0.85 ? faker.helpers.arrayElement(companyRows) : undefined;
    const local = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z0-9.]+/g, '');
    const createdAt = faker.date.past({ years: 2 });
    const updatedAt = faker.number.float() < 0.5 ? createdAt : faker.date.between({ from: createdAt, to: REFERENCE_DAY });
    return {
      workspaceId,
      companyId: company?.id ?? null,
      firstName,
      lastName,
      email: `${local || 'contact'}.${offset + i}@${company?.domain ?? 'mail.example.org'}`,
      phone: faker.number.float() < 0.8 ? faker.phone.number({ style: 'international' }) : null,
      title: faker.number.float() < 0.9 ? faker.person.jobTitle() : null,
      createdAt,
      updatedAt,
    };
  });
  const contactRows = await inChunks(contactValues, (chunk) =>
    db.insert(contacts).values(chunk).returning({ id: contacts.id, createdAt: contacts.createdAt }),
  );

  const tagLinks = contactRows.flatMap((contact) =>
    allTagIds.length === 0
      ? []
      : faker.helpers
          .arrayElements(allTagIds, faker.helpers.weightedArrayElement([
            { weight: 3, value: 0 }, { weight: 4, value: 1 }, { weight: 3, value: 2 }, { weight: 1, value: 3 },
          ]))
          .map((tagId) => ({ contactId: contact.id, tagId })),
  );
  await inChunks(tagLinks, (chunk) => db.insert(contactTags).values(chunk).returning({ id: contactTags.tagId }));

  const noteValues = contactRows.flatMap((contact) =>
    Array.from({ length: faker.number.int({ min: 0, max: 4 }) }, () => ({
      workspaceId,
      contactId: contact.id,
      body: faker.lorem.sentences({ min: 1, max: 3 }),
      createdAt: faker.date.between({ from: contact.createdAt, to: REFERENCE_DAY }),
    })),
  );
  await inChunks(noteValues, (chunk) => db.insert(notes).values(chunk).returning({ id: notes.id }));

  return {
    workspace: options.workspace,
    contacts: contactRows.length,
    companies: companyRows.length,
    tags: tagRows.length,
    notes: noteValues.length,
    contactTags: tagLinks.length,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export function describeSeed(summary: SeedSummary): string {
  return (
    `workspace "${summary.workspace}": +${summary.contacts} contacts, +${summary.companies} companies, ` +
    `+${summary.tags} tags, +${summary.notes} notes, +${summary.contactTags} tag links in ${summary.seconds}s`
  );
}
