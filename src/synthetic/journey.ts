// The scripted user journey: what the contacts screen of a client does, in order, with what each
// answer must satisfy. Steps that depend on a failed or skipped one are reported as not run, except
// the restore, which runs whenever the edit went through so the contact is left as it was.
import { checkCard, checkContactState, checkOrder, checkPage, checkSearch, newWalk, searchFragment } from './checks.js';
import { type Card, type ContactsPage, operations } from './operations.js';
import { assertNone, type StepOutcome, type StepReport, StepRecorder } from './steps.js';
import { markedTitle, newMarker, originalTitle } from './title-marker.js';
import type { Transport } from './transport.js';

export interface JourneySettings {
  pageSize: number;
  token: string;
}

const SCROLLED_PAGES = 3;
// The server's largest page: the order check asks for the scrolled contacts in one page of this many at most.
const MAX_PAGE = 100;
const EDIT_STEPS = ['edit', 'read back', 'restore'];

export async function runJourney(transport: Transport, settings: JourneySettings): Promise<StepReport[]> {
  const redact = (text: string) => text.replaceAll(settings.token, '[token]');
  const recorder = new StepRecorder(transport, redact);
  const { send } = recorder;
  const pageSteps = Array.from({ length: SCROLLED_PAGES }, (_, index) => `page ${index + 2}`);
  const afterViewer = ['first page', ...pageSteps, 'list order', 'search', 'open card', ...EDIT_STEPS];

  const role = await recorder.step('viewer', async () => {
    const { data } = await send(operations.viewer, {});
    return { value: data.viewer.role, detail: `${data.viewer.role.toLowerCase()} in workspace "${data.viewer.workspace.name}"` };
  });
  if (!role) {
    recorder.notRun(afterViewer, 'viewer failed');
    return recorder.steps;
  }

  // 1. The first page, as the infinite-scroll list asks for it.
  const walk = newWalk(settings.pageSize);
  const first = await recorder.step('first page', async () => {
    const { data } = await send(operations.contactsPage, { first: settings.pageSize });
    assertNone(checkPage(data.contacts, 1, walk));
    return { value: data.contacts, detail: `${data.contacts.edges.length} of ${data.contacts.totalCount} contacts` };
  });
  if (!first) {
    recorder.notRun(afterViewer.slice(1), 'first page failed');
    return recorder.steps;
  }

  // 2. Scrolling: each next page from the previous endCursor.
  let previous: ContactsPage | undefined = first;
  let scrollPassed = true;
  for (const [index, name] of pageSteps.entries()) {
    const pageNumber = index + 2;
    if (!previous) {
      recorder.notRun([name], `page ${pageNumber - 1} failed`);
      continue;
    }
    if (!previous.pageInfo.hasNextPage) {
      recorder.notRun([name], `the list ends on page ${pageNumber - 1}`);
      continue;
    }
    const after: string | null = previous.pageInfo.endCursor;
    previous = await recorder.step(name, async (): Promise<StepOutcome<ContactsPage>> => {
      const { data } = await send(operations.contactsPage, { first: settings.pageSize, after });
      assertNone(checkPage(data.contacts, pageNumber, walk));
      return { value: data.contacts, detail: `${data.contacts.edges.length} more, ${walk.order.length} seen, none twice` };
    });
    if (!previous) scrollPassed = false;
  }

  // The pages end to end must be the list one larger page gives: no contact skipped or moved at a
  // page boundary. Names sort by the database's collation, so this compares ids, not names.
  if (!scrollPassed) recorder.notRun(['list order'], 'the scroll failed');
  else if (walk.order.length < 2) recorder.notRun(['list order'], 'fewer than two contacts');
  else {
    await recorder.step('list order', async () => {
      const size = Math.min(walk.order.length, MAX_PAGE);
      const { data } = await send(operations.contactsPage, { first: size });
      assertNone(checkOrder(walk.order.slice(0, size), data.contacts.edges.map((edge) => edge.node.id)));
      return { value: true, detail: `${size} contacts in the order of one page of ${size}` };
    });
  }

  // 3. The search box, with a fragment of a name from the first page.
  const firstContacts = first.edges.map((edge) => edge.node);
  const source = searchFragment(firstContacts);
  if (!source) recorder.notRun(['search'], firstContacts.length === 0 ? 'the workspace has no contacts' : 'no name of 2 or more characters on the first page');
  else {
    await recorder.step('search', async () => {
      const { data } = await send(operations.searchContacts, { search: source.fragment });
      assertNone(checkSearch(data.contacts, source.fragment, source.from));
      return { value: true, detail: `"${source.fragment}": ${data.contacts.edges.length} of ${data.contacts.totalCount} shown, all match` };
    });
  }

  // 4. The card of the first contact; it is what the list said.
  const listed = firstContacts[0];
  let card: Card | undefined;
  if (!listed) recorder.notRun(['open card'], 'the workspace has no contacts');
  else {
    card = await recorder.step('open card', async () => {
      const { data } = await send(operations.contactCard, { id: listed.id });
      assertNone(checkCard(data.contact, listed));
      return { value: data.contact!, detail: `${listed.id} as listed, version ${data.contact!.version}` };
    });
  }

  // 5. Edit, read back through the cache, restore: editors only.
  if (role !== 'EDITOR') {
    recorder.notRun(EDIT_STEPS, 'reader token');
    return recorder.steps;
  }
  if (!card) {
    recorder.notRun(EDIT_STEPS, listed ? 'open card failed' : 'the workspace has no contacts');
    return recorder.steps;
  }
  const opened = card;
  const original = originalTitle(opened.title);
  const marked = markedTitle(original, newMarker());

  const edited = await recorder.step('edit', async () => {
    const { data } = await send(operations.updateContact, { input: { id: opened.id, expectedVersion: opened.version, title: marked } });
    const contact = data.updateContact.contact;
    assertNone(checkContactState('the updated contact', contact, { id: opened.id, title: marked, version: opened.version + 1 }));
    return { value: contact, detail: `title marked, version ${opened.version} → ${contact.version}` };
  });
  if (!edited) {
    recorder.notRun(['read back', 'restore'], 'edit failed');
    return recorder.steps;
  }

  // The card again, by the same persisted GET as before: a cache that missed the write would
  // answer the version opened a moment ago.
  await recorder.step('read back', async () => {
    const { data, cache } = await send(operations.contactCard, { id: opened.id });
    assertNone(checkContactState('the card read back', data.contact, { id: opened.id, title: marked, version: edited.version }));
    return { value: true, detail: `version ${data.contact!.version} at once (x-cache: ${cache ?? 'absent'})` };
  });

  await recorder.step('restore', async () => {
    const { data } = await send(operations.updateContact, { input: { id: opened.id, expectedVersion: edited.version, title: original } });
    const contact = data.updateContact.contact;
    assertNone(checkContactState('the restored contact', contact, { id: opened.id, title: original, version: edited.version + 1 }));
    return { value: true, detail: `title back, version ${contact.version}` };
  });
  return recorder.steps;
}
