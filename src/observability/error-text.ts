// What a log line may say about an error: never a value a statement carried. Drizzle's query errors
// hold the statement and its parameters in their message ("Failed query: ...\nparams: ..."), and
// so in the first lines of their stack too, under a multi-line statement; the driver's error (the
// cause) may quote values in its message (PostgreSQL quotes most; a trigger's RAISE need not); and
// postgres.js hangs the parameters on its errors. So a stack is cut down to its frames, and a
// message is the driver's, with Drizzle's statement text dropped, every parameter of the failed
// statement found anywhere in the cause chain blotted out, and quoted text dropped.

const MAX_CHAIN = 5;
const MAX_FRAMES = 10;
const MAX_MESSAGE = 500;
/** Shorter values are left: blotting every "a" or "7" would leave nothing readable. */
const MIN_VALUE_LENGTH = 2;

interface ChainLink {
  message?: unknown;
  cause?: unknown;
  params?: unknown;
  parameters?: unknown;
}

function chainOf(error: unknown): ChainLink[] {
  const links: ChainLink[] = [];
  let current = error;
  while (links.length < MAX_CHAIN && current && typeof current === 'object') {
    links.push(current as ChainLink);
    current = (current as ChainLink).cause;
  }
  return links;
}

/** Every text form a parameter may take in a message: as sent, as JSON, element by element. */
function valueTexts(value: unknown, into: Set<string>, depth = 0): void {
  if (value === null || value === undefined || depth > 3) return;
  if (Array.isArray(value)) {
    for (const item of value) valueTexts(item, into, depth + 1);
    into.add(String(value));
    into.add(JSON.stringify(value));
    return;
  }
  if (value instanceof Date) {
    if (!Number.isNaN(value.getTime())) into.add(value.toISOString());
    return;
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return;
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  into.add(text);
  into.add(JSON.stringify(text).slice(1, -1));
}

/** The parameters of the failed statement, from whichever errors of the chain carry them. */
function parameterTexts(links: ChainLink[]): string[] {
  const texts = new Set<string>();
  for (const link of links) {
    for (const params of [link.params, link.parameters]) if (Array.isArray(params)) valueTexts(params, texts);
  }
  // Longest first, so a value is blotted whole before any shorter value inside it.
  return [...texts].filter((text) => text.length >= MIN_VALUE_LENGTH).sort((a, b) => b.length - a.length);
}

/** The error's message as a log may carry it (see the top of this file); bounded. */
export function messageWithoutValues(error: unknown): string {
  const links = chainOf(error);
  const cause = links[1];
  let message = typeof cause?.message === 'string' ? cause.message : String(links[0]?.message ?? error);
  if (message.startsWith('Failed query:')) message = 'Failed query';
  for (const text of parameterTexts(links)) message = message.split(text).join('?');
  return message.replace(/"[^"]*"|'[^']*'/g, '?').slice(0, MAX_MESSAGE);
}

/** The stack's frames (file, line, function), without the message lines above them. */
export function stackFrames(error: unknown): string | undefined {
  const stack = (error as Error | undefined)?.stack;
  if (typeof stack !== 'string') return undefined;
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .join('\n');
}
