// How unexpected errors are grouped and statement shapes labelled, on values the test sets: the
// same fault on different rows is one fingerprint, logged once per interval with how many came
// since; a label never carries values, and the label set stops growing at its bound.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorTracker, normalizedMessage } from '../src/observability/error-tracker.js';
import { StatementLabels, statementLabel } from '../src/observability/statement-labels.js';

describe('unexpected errors', () => {
  it('fingerprints by code, path without indices and message without values, and logs each once per interval', () => {
    const lines: Array<Record<string, unknown>> = [];
    const counted: string[] = [];
    const clock = { now: 0 };
    const tracker = new ErrorTracker(
      pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      60_000,
      (fingerprint) => counted.push(fingerprint),
      () => clock.now,
    );
    const failure = (id: number) => Object.assign(new Error(`Failed query: select * from tags where id = ${id}`), { cause: { message: `relation "tags_${id}" does not exist` } });
    const first = tracker.capture(failure(1), 'INTERNAL_SERVER_ERROR', ['contacts', 0, 'tags']);
    const second = tracker.capture(failure(2), 'INTERNAL_SERVER_ERROR', ['contacts', 7, 'tags']);
    const other = tracker.capture(failure(1), 'INTERNAL_SERVER_ERROR', ['tags']);
    expect(second).toBe(first);
    expect(other).not.toBe(first);

    tracker.report(first, 'r1');
    tracker.report(first, 'r2');
    clock.now = 30_000;
    tracker.report(first, 'r3');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ fingerprint: first, requestId: 'r1', path: 'contacts.[].tags', occurrences: 1 });
    clock.now = 61_000;
    tracker.report(first, 'r4');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ requestId: 'r4', occurrences: 3 });
    expect(counted).toEqual([first, first, first, first]);
    // The driver's message, without the statement or the values in it.
    expect(JSON.stringify(lines)).not.toMatch(/select|tags_1|tags_2/);
    expect(normalizedMessage(failure(42))).toBe('relation ? does not exist');
  });
});

describe('statement labels', () => {
  it('name a statement by verb, table and digest, never by its values, and stop growing at their bound', () => {
    expect(statementLabel('select "id" from "contacts" where "workspace_id" = $1')).toMatch(/^select contacts#[0-9a-f]{6}$/);
    expect(statementLabel('insert into "notes" ("body") values ($1)')).toMatch(/^insert notes#[0-9a-f]{6}$/);
    const labels = new StatementLabels(2);
    const a = labels.of('select 1 from "tags" where id = $1');
    expect(labels.of('select 1 from "tags" where id = $1')).toBe(a);
    labels.of('select 1 from "notes" where id = $1');
    expect(labels.of('select 1 from "companies" where id = $1')).toBe('other');
    expect(labels.of('select 1 from "tags" where id = $1')).toBe(a);
  });
});
