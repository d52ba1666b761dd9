-- contacts.search_text: the lower-cased text that filter.search matches (names, email and the
-- company's name), kept here so every writer (API, seeder, manual SQL) gets it right.
CREATE OR REPLACE FUNCTION contacts_set_search_text() RETURNS trigger AS $$
BEGIN
  NEW.search_text := lower(
    NEW.first_name || ' ' || NEW.last_name || ' ' || coalesce(NEW.email, '') || ' ' ||
    coalesce((SELECT name FROM companies WHERE id = NEW.company_id), '')
  );
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER contacts_search_text
  BEFORE INSERT OR UPDATE OF first_name, last_name, email, company_id ON contacts
  FOR EACH ROW EXECUTE FUNCTION contacts_set_search_text();
