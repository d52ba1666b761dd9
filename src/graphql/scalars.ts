import { GraphQLScalarType, Kind } from 'graphql';
import { badUserInput } from '../errors.js';

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

// Date.parse rolls impossible dates over (2024-02-30 becomes March 1st) and accepts 24:00, so
// each field is checked against the calendar first. Instants outside years 1 to 9999 (UTC) are
// refused as well: PostgreSQL has no year 0 and cannot read the six-digit years JavaScript writes
// past 9999, so they would otherwise fail in the database instead of here.
function isRealInstant(match: RegExpExecArray, date: Date): boolean {
  // Groups left out (seconds, a numeric offset) count as zero.
  const [, year, month, day, hour, minute, second, offsetHour, offsetMinute] = match.map((group) => Number(group ?? 0));
  const leap = year! % 4 === 0 && (year! % 100 !== 0 || year! % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month! - 1] ?? 0;
  const fieldsOk =
    month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth &&
    hour! <= 23 && minute! <= 59 && second! <= 59 && offsetHour! <= 23 && offsetMinute! <= 59;
  const utcYear = date.getUTCFullYear();
  return fieldsOk && utcYear >= 1 && utcYear <= 9999;
}

function parseInstant(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  if (match) {
    const date = new Date(value as string);
    if (!Number.isNaN(date.getTime()) && isRealInstant(match, date)) return date;
  }
  throw badUserInput('DateTime', 'A DateTime must be an ISO-8601 string with a time zone, e.g. 2026-01-31T09:30:00Z.');
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant in time, as an ISO-8601 string in UTC with millisecond precision.',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: parseInstant,
  parseLiteral: (ast) => parseInstant(ast.kind === Kind.STRING ? ast.value : undefined),
});
