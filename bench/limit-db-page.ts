// The statement both limit-db references run: PostgreSQL builds the whole JSON of the list page
// (first 50 contacts by name, each with its company and tags, plus totalCount) in one statement.
// $1 is the workspace id, $2 the scope written into the cursor. As the published ContactsPage,
// edges carry no cursor: the page has one, pageInfo.endCursor.
//
// totalCount comes from the counter the triggers keep (drizzle/0005), as in cardfile.
// The position cardfile's cursors hold, base64url(JSON [scope, name_key, id]), left unsealed: SQL
// cannot seal it, and sealing (src/graphql/cursor-codec.ts, a few microseconds per edge) is not
// what this reference measures. The bytes are as many as a sealed cursor's, less 16.
export const LIMIT_DB_SCOPE = 'limit-db-page';

export const PAGE_SQL = `
with page as (
  select id, first_name, last_name, email, title, company_id, name_key
  from contacts
  where workspace_id = $1 and deleted_at is null
  order by name_key, id
  limit 51
), shown as (
  select * from page order by name_key, id limit 50
), edges as (
  select s.name_key, s.id,
    translate(encode(convert_to(json_build_array($2::text, s.name_key, s.id)::text, 'UTF8'), 'base64'), E'+/=\\n', '-_') as cursor,
    json_build_object(
      'id', translate(encode(convert_to('Contact:' || s.id, 'UTF8'), 'base64'), '+/=', '-_'),
      'firstName', s.first_name,
      'lastName', s.last_name,
      'email', s.email,
      'title', s.title,
      'company', (
        select json_build_object('id', translate(encode(convert_to('Company:' || c.id, 'UTF8'), 'base64'), '+/=', '-_'), 'name', c.name)
        from companies c where c.id = s.company_id
      ),
      'tags', coalesce((
        select json_agg(json_build_object('id', translate(encode(convert_to('Tag:' || t.id, 'UTF8'), 'base64'), '+/=', '-_'), 'name', t.name) order by t.name, t.id)
        from contact_tags ct join tags t on t.id = ct.tag_id
        where ct.contact_id = s.id
      ), '[]'::json)
    ) as node
  from shown s
)
select json_build_object('data', json_build_object('contacts', json_build_object(
  'edges', coalesce((select json_agg(json_build_object('node', e.node) order by e.name_key, e.id) from edges e), '[]'::json),
  'pageInfo', json_build_object(
    'hasNextPage', (select count(*) from page) > 50,
    'endCursor', (select e.cursor from edges e order by e.name_key desc, e.id desc limit 1)
  ),
  'totalCount', (select contacts from workspace_contact_counts where workspace_id = $1)
)))::text as body`;
