// Rows in COPY's text format: one line per row, columns separated by tabs, \N for null, and
// backslash, tab, newline and carriage return escaped, so any text survives the trip.
export type CopyValue = string | number | Date | null;

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(value: CopyValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return value.toISOString();
  return value.replace(SPECIAL, (c) => ESCAPES[c]!);
}

/** One row as a line of COPY text, newline included. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = field(values[0] ?? null);
  for (let i = 1; i < values.length; i++) line += `\t${field(values[i]!)}`;
  return `${line}\n`;
}
