// A bounded, readable label for each SQL statement shape, for the statement-duration histogram:
// "<verb> <table>#<digest>", e.g. "select contacts#3f9a1c". The verb and table say what it is at a
// glance; the digest (of the statement text, which holds $n placeholders and never values) tells
// apart two statements on the same table, and the slow-statement log prints it next to the text.
// Statement texts come from the repositories' fixed set of shapes; should anything produce more,
// the label set stops growing at `max` and the rest are counted as "other".
import { createHash } from 'node:crypto';

const VERB = /^\s*(select|insert|update|delete|with|explain)\b/i;
const TABLE = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i;

export class StatementLabels {
  private readonly labels = new Map<string, string>();
  private distinct = 0;

  constructor(private readonly max = 200) {}

  of(text: string): string {
    const known = this.labels.get(text);
    if (known !== undefined) return known;
    if (this.distinct >= this.max) return 'other';
    const label = statementLabel(text);
    this.labels.set(text, label);
    this.distinct++;
    return label;
  }
}

export function statementLabel(text: string): string {
  const verb = VERB.exec(text)?.[1]?.toLowerCase() ?? 'other';
  const table = TABLE.exec(text)?.[1]?.toLowerCase() ?? '-';
  const digest = createHash('sha256').update(text.replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 6);
  return `${verb} ${table}#${digest}`;
}
