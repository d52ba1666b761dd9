// The data model. Every row belongs to a workspace; every index below serves a named access path
// (see the comment beside it), and tests/query-plans.test.ts checks that the main queries use them.
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const workspaceRef = () =>
  bigint('workspace_id', { mode: 'number' })
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' });
// Millisecond precision: cursors carry JavaScript Dates, which cannot hold microseconds, and a
// keyset comparison against a truncated value would skip or repeat rows.
const instant = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' }).notNull().defaultNow();

export const workspaces = pgTable('workspaces', {
  id: id(),
  name: text('name').notNull().unique(),
  createdAt: instant('created_at'),
});

/**
 * Live (not deleted) contacts per workspace, kept by statement-level triggers on contacts
 * (drizzle/0005): an unfiltered totalCount reads one row instead of counting the workspace.
 */
export const workspaceContactCounts = pgTable('workspace_contact_counts', {
  workspaceId: bigint('workspace_id', { mode: 'number' })
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  contacts: bigint('contacts', { mode: 'number' }).notNull().default(0),
});

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    workspaceId: workspaceRef(),
    // sha256 of the token; the token itself is shown once and never stored.
    tokenHash: text('token_hash').notNull().unique(),
    role: text('role', { enum: ['reader', 'editor'] }).notNull(),
    createdAt: instant('created_at'),
    // Null: the token never expires (`npm run token -- --expires-in 30d` sets it).
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3, mode: 'date' }),
    // Set once by `npm run token:revoke`; the row stays, so a revoked token is told apart from an
    // unknown one and the revocation can be announced again.
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3, mode: 'date' }),
  },
  (t) => [
    check('api_tokens_role_check', sql`${t.role} in ('reader', 'editor')`),
    index('api_tokens_workspace_idx').on(t.workspaceId),
  ],
);

export const companies = pgTable(
  'companies',
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    domain: text('domain'),
    nameKey: text('name_key')
      .notNull()
      .generatedAlwaysAs(sql`lower(name)`),
    createdAt: instant('created_at'),
  },
  (t) => [
    // companies(first, after): keyset over (name_key, id) within a workspace.
    index('companies_workspace_name_idx').on(t.workspaceId, t.nameKey, t.id),
    // companies(filter: { search }): trigram match on name and domain.
    index('companies_search_idx').using(
      'gin',
      sql`(lower(${t.name} || ' ' || coalesce(${t.domain}, ''))) gin_trgm_ops`,
    ),
  ],
);

export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    workspaceId: workspaceRef(),
    companyId: bigint('company_id', { mode: 'number' }).references(() => companies.id, {
      onDelete: 'set null',
    }),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email'),
    phone: text('phone'),
    title: text('title'),
    // Sort key of orderBy NAME: last name, then first name, case-insensitive.
    nameKey: text('name_key')
      .notNull()
      .generatedAlwaysAs(sql`lower(last_name || ' ' || first_name)`),
    // Lower-cased names, email and company name, kept by the trigger in drizzle/0002: a generated
    // column cannot read the company's name from another table.
    searchText: text('search_text').notNull().default(''),
    createdAt: instant('created_at'),
    updatedAt: instant('updated_at'),
    version: integer('version').notNull().default(1),
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3, mode: 'date' }),
    // Written only by the view flusher (src/view-counting/): a view is not an edit, so neither `version`
    // nor `updated_at` moves when these do.
    viewCount: integer('view_count').notNull().default(0),
    lastViewedAt: timestamp('last_viewed_at', { withTimezone: true, precision: 3, mode: 'date' }),
  },
  (t) => [
    // One keyset index per orderBy; only live contacts are ever listed.
    index('contacts_workspace_name_idx')
      .on(t.workspaceId, t.nameKey, t.id)
      .where(sql`deleted_at is null`),
    index('contacts_workspace_created_idx')
      .on(t.workspaceId, t.createdAt, t.id)
      .where(sql`deleted_at is null`),
    index('contacts_workspace_updated_idx')
      .on(t.workspaceId, t.updatedAt, t.id)
      .where(sql`deleted_at is null`),
    // Company.contacts and filter.companyId, ordered by name; also the foreign-key index.
    index('contacts_company_name_idx').on(t.companyId, t.nameKey, t.id),
    // filter.search: trigram match anywhere in names, email and company name.
    index('contacts_search_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
    // One live contact per email address in a workspace.
    uniqueIndex('contacts_workspace_email_key')
      .on(t.workspaceId, sql`lower(${t.email})`)
      .where(sql`deleted_at is null and email is not null`),
  ],
);

export const tags = pgTable(
  'tags',
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    createdAt: instant('created_at'),
  },
  (t) => [uniqueIndex('tags_workspace_name_key').on(t.workspaceId, sql`lower(${t.name})`)],
);

export const contactTags = pgTable(
  'contact_tags',
  {
    contactId: bigint('contact_id', { mode: 'number' })
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    tagId: bigint('tag_id', { mode: 'number' })
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
  },
  (t) => [
    // Contact.tags: by contact. filter.tagIds: by tag.
    primaryKey({ columns: [t.contactId, t.tagId] }),
    index('contact_tags_tag_idx').on(t.tagId, t.contactId),
  ],
);

export const notes = pgTable(
  'notes',
  {
    id: id(),
    workspaceId: workspaceRef(),
    contactId: bigint('contact_id', { mode: 'number' })
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: instant('created_at'),
  },
  // Contact.notes: newest first, keyset over (created_at, id); also the foreign-key index.
  (t) => [index('notes_contact_created_idx').on(t.contactId, t.createdAt, t.id)],
);

// Views waiting to be counted, when Redis is not configured or not answering (otherwise they wait
// in a Redis stream). The flusher deletes the rows it applies in the transaction that applies them.
export const contactViewBuffer = pgTable('contact_view_buffer', {
  id: id(),
  // The view's own id: the same view may reach both buffers (an XADD that timed out on our side
  // but landed in Redis), and applied_contact_views counts it once.
  viewId: uuid('view_id').notNull(),
  workspaceId: bigint('workspace_id', { mode: 'number' }).notNull(),
  contactId: bigint('contact_id', { mode: 'number' })
    .notNull()
    .references(() => contacts.id, { onDelete: 'cascade' }),
  viewedAt: timestamp('viewed_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
});

// The ids of views already counted, written in the transaction that counts them: a buffered view
// delivered again (a stream entry replayed after a crash before XACK, or claimed by a second
// instance) finds its id here and is skipped. Rows are pruned after an hour, far longer than an
// entry can stay pending.
export const appliedContactViews = pgTable(
  'applied_contact_views',
  {
    viewId: uuid('view_id').primaryKey(),
    appliedAt: timestamp('applied_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull().defaultNow(),
  },
  // Pruning by age.
  (t) => [index('applied_contact_views_applied_at_idx').on(t.appliedAt)],
);

// Secrets every instance must share, each made once, by whichever process needs it first
// (src/db/repositories/server-keys.ts), and kept with the data: a restart or a new instance finds
// the same key, and no setting has to carry it. Holds the key cursors are sealed with.
export const serverKeys = pgTable('server_keys', {
  name: text('name').primaryKey(),
  // base64url of the random key bytes.
  secret: text('secret').notNull(),
  createdAt: instant('created_at'),
});

/** A contact as the API reads it: search_text is the database's own business. */
export type ContactRow = Omit<typeof contacts.$inferSelect, 'searchText'>;
export type CompanyRow = typeof companies.$inferSelect;
export type TagRow = typeof tags.$inferSelect;
export type NoteRow = typeof notes.$inferSelect;
export type WorkspaceRow = typeof workspaces.$inferSelect;
export type Role = (typeof apiTokens.$inferSelect)['role'];
