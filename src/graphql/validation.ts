// Input checks that graphql-js's type system cannot express. Each failure names the field at
// fault, so a form can put the message next to the right input.
import { badUserInput } from '../errors.js';

// Control characters (PostgreSQL refuses NUL in text outright) and unpaired surrogates have no
// place in a name, an email or a note.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE = /^\+?[0-9 ()./-]{3,40}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export interface TextRule {
  min: number;
  max: number;
  multiline?: boolean;
}

export function text(value: string, field: string, rule: TextRule): string {
  const trimmed = value.trim();
  if (!trimmed.isWellFormed() || (rule.multiline ? CONTROL.test(trimmed) : /[\u0000-\u001f\u007f]/.test(trimmed))) {
    throw badUserInput(field, `"${field}" contains characters that are not allowed.`);
  }
  if (trimmed.length < rule.min) {
    throw badUserInput(field, rule.min === 1 ? `"${field}" must not be empty.` : `"${field}" must be at least ${rule.min} characters.`);
  }
  if (trimmed.length > rule.max) throw badUserInput(field, `"${field}" must be at most ${rule.max} characters.`);
  return trimmed;
}

/** Optional text: undefined stays "not given", null or blank becomes "cleared". */
export function optionalText(value: string | null | undefined, field: string, rule: TextRule): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  return text(value, field, rule);
}

export const rules = {
  personName: { min: 1, max: 100 },
  title: { min: 1, max: 200 },
  companyName: { min: 1, max: 200 },
  tagName: { min: 1, max: 50 },
  noteBody: { min: 1, max: 10_000, multiline: true },
  search: { min: 2, max: 100 },
} satisfies Record<string, TextRule>;

export function email(value: string | null | undefined, field: string): string | null | undefined {
  const checked = optionalText(value, field, { min: 3, max: 254 });
  if (checked && !EMAIL.test(checked)) throw badUserInput(field, `"${field}" is not a valid email address.`);
  return checked?.toLowerCase() ?? checked;
}

export function phone(value: string | null | undefined, field: string): string | null | undefined {
  const checked = optionalText(value, field, { min: 3, max: 40 });
  if (checked && !PHONE.test(checked)) throw badUserInput(field, `"${field}" is not a valid phone number.`);
  return checked;
}

export function domain(value: string | null | undefined, field: string): string | null | undefined {
  const checked = optionalText(value, field, { min: 3, max: 253 });
  if (checked && !DOMAIN.test(checked)) throw badUserInput(field, `"${field}" is not a valid domain name.`);
  return checked?.toLowerCase() ?? checked;
}

export function idList(values: readonly string[] | null | undefined, field: string, max: number): readonly string[] {
  if (!values) return [];
  if (values.length > max) throw badUserInput(field, `"${field}" may list at most ${max} ids.`);
  return values;
}
