-- workspace_contact_counts.contacts follows the live (not deleted) contacts of each workspace,
-- whoever writes them (API, seeder, manual SQL). Statement-level triggers with transition tables:
-- one counter update per statement and workspace, not one per row, so a bulk insert pays once,
-- and statements that leave the count unchanged (most updates) do not touch the counter row.
CREATE OR REPLACE FUNCTION contacts_count_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO workspace_contact_counts AS counts (workspace_id, contacts)
    SELECT workspace_id, count(*) FROM inserted_rows WHERE deleted_at IS NULL GROUP BY workspace_id
  ON CONFLICT (workspace_id) DO UPDATE SET contacts = counts.contacts + EXCLUDED.contacts;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION contacts_count_deleted() RETURNS trigger AS $$
BEGIN
  UPDATE workspace_contact_counts AS counts SET contacts = counts.contacts - gone.n
    FROM (SELECT workspace_id, count(*) AS n FROM deleted_rows WHERE deleted_at IS NULL GROUP BY workspace_id) AS gone
    WHERE counts.workspace_id = gone.workspace_id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION contacts_count_updated() RETURNS trigger AS $$
BEGIN
  INSERT INTO workspace_contact_counts AS counts (workspace_id, contacts)
    SELECT workspace_id, delta FROM (
      SELECT after.workspace_id,
             sum((after.deleted_at IS NULL)::int - (before.deleted_at IS NULL)::int) AS delta
        FROM new_rows AS after JOIN old_rows AS before ON before.id = after.id
       GROUP BY after.workspace_id
    ) AS changes
    WHERE delta <> 0
  ON CONFLICT (workspace_id) DO UPDATE SET contacts = counts.contacts + EXCLUDED.contacts;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION contacts_count_truncated() RETURNS trigger AS $$
BEGIN
  DELETE FROM workspace_contact_counts;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts
  REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_inserted();
--> statement-breakpoint
CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts
  REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_deleted();
--> statement-breakpoint
CREATE TRIGGER contacts_count_update AFTER UPDATE ON contacts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_updated();
--> statement-breakpoint
CREATE TRIGGER contacts_count_truncate AFTER TRUNCATE ON contacts
  FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_truncated();
--> statement-breakpoint
-- The contacts written before these triggers existed.
INSERT INTO workspace_contact_counts (workspace_id, contacts)
  SELECT workspace_id, count(*) FROM contacts WHERE deleted_at IS NULL GROUP BY workspace_id
ON CONFLICT (workspace_id) DO UPDATE SET contacts = EXCLUDED.contacts;
