// The one generator of seed data: companies, then contacts with their tags and notes, drawn from
// faker in a fixed order. It knows nothing of ids or of how rows reach the database, so the same
// name and size give the same data on every backend and whatever the chunking of the writes.
// The English locale alone: the package root loads every locale, tens of MB of heap.
import { faker } from '@faker-js/faker/locale/en';
import { createHash } from 'node:crypto';

export const REFERENCE_DAY = new Date('2026-06-01T00:00:00Z');

export const TAG_NAMES = [
  'customer', 'prospect', 'partner', 'investor', 'vip', 'newsletter', 'churn-risk', 'renewal',
  'decision-maker', 'technical', 'billing', 'event-2026', 'referral', 'support', 'beta',
];

export interface SeedCompany {
  name: string;
  domain: string;
  createdAt: Date;
}

export interface SeedNote {
  body: string;
  createdAt: Date;
}

export interface SeedContact {
  /** Index into the companies generated for this run, or undefined for none. */
  company: number | undefined;
  firstName: string;
  lastName: string;
  email: string;
  phone: string | null;
  title: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Indexes into the workspace's tags, ordered by id. */
  tags: number[];
  notes: SeedNote[];
}

/** About one company per 20 contacts, so company pages have a realistic size. */
export function companyCountFor(contacts: number): number {
  return contacts === 0 ? 0 : Math.max(1, Math.round(contacts / 20));
}

function seedNumber(...parts: unknown[]): number {
  return createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0);
}

const TAGS_PER_CONTACT = [
  { weight: 3, value: 0 }, { weight: 4, value: 1 }, { weight: 3, value: 2 }, { weight: 1, value: 3 },
];

export interface SeedRows {
  companies: SeedCompany[];
  /** Contacts one at a time: a million of them never sit in memory together. */
  contacts(): Generator<SeedContact>;
}

/**
 * The rows to add to a workspace that already holds `offset` contacts: seeded from the workspace's
 * name and that offset, so a second seed of the same workspace adds different people, and email
 * addresses (numbered from the offset) stay unique within the workspace.
 */
export function seedRows(workspace: string, offset: number, contacts: number, tagCount: number): SeedRows {
  faker.seed(seedNumber(workspace, offset));
  faker.setDefaultRefDate(REFERENCE_DAY);
  const companies = Array.from({ length: companyCountFor(contacts) }, (_, i): SeedCompany => {
    const name = faker.company.name();
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'company';
    return { name, domain: `${slug}-${offset + i}.example.com`, createdAt: faker.date.past({ years: 3 }) };
  });
  const tagIndexes = Array.from({ length: tagCount }, (_, i) => i);

  function* generate(): Generator<SeedContact> {
    for (let i = 0; i < contacts; i++) {
      const firstName = faker.person.firstName();
      const lastName = faker.person.lastName();
      const company = companies.length > 0 && faker.number.float() < 0.85 ? faker.number.int({ max: companies.length - 1 }) : undefined;
      const local = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z0-9.]+/g, '');
      const createdAt = faker.date.past({ years: 2 });
      const updatedAt = faker.number.float() < 0.5 ? createdAt : faker.date.between({ from: createdAt, to: REFERENCE_DAY });
      const domain = company === undefined ? 'mail.example.org' : companies[company]!.domain;
      const phone = faker.number.float() < 0.8 ? faker.phone.number({ style: 'international' }) : null;
      const title = faker.number.float() < 0.9 ? faker.person.jobTitle() : null;
      const tags = tagCount === 0 ? [] : faker.helpers.arrayElements(tagIndexes, faker.helpers.weightedArrayElement(TAGS_PER_CONTACT));
      const notes = Array.from({ length: faker.number.int({ min: 0, max: 4 }) }, () => ({
        body: faker.lorem.sentences({ min: 1, max: 3 }),
        createdAt: faker.date.between({ from: createdAt, to: REFERENCE_DAY }),
      }));
      yield {
        company,
        firstName,
        lastName,
        email: `${local || 'contact'}.${offset + i}@${domain}`,
        phone,
        title,
        createdAt,
        updatedAt,
        tags,
        notes,
      };
    }
  }

  return { companies, contacts: generate };
}
