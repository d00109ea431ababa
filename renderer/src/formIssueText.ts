import { CHANNELS, ROLES, TICKET_GROUPS } from '../../shared/domain.js';
import { WEEKDAYS } from '../../shared/businessHours.js';
import type { MessageKey, Translate } from './i18n.js';

/**
 * The part of a zod 4 issue this module reads. Written out here because the renderer does
 * not import zod (layer rule); zod's own issue types fit it, so `error.issues[0]` is passed as it is.
 */
export interface FormIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** too_small / too_big: what was measured (string = characters, array = items, number = value). */
  readonly origin?: string;
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly inclusive?: boolean;
  readonly exact?: boolean;
  /** invalid_type: the kind of value wanted. */
  readonly expected?: string;
  /** invalid_format: 'regex', 'email', … */
  readonly format?: string;
  /** invalid_value: the allowed values. */
  readonly values?: readonly unknown[];
  /** not_multiple_of. */
  readonly divisor?: number | bigint;
  /** custom: shared schemas put `code` here for the UI to word (the message is English, for logs). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** invalid_union: each branch's issues. */
  readonly errors?: ReadonlyArray<ReadonlyArray<FormIssue>>;
}

/** A field as the form names it, and what it knows how to say about its own values and format. */
interface Field {
  label: string;
  /** The format a regex on this field asks for, said in words. */
  formatKey?: MessageKey;
  /** An allowed value by the name the form shows for it; null when it has none. */
  valueName?: (value: unknown) => string | null;
}

const TOP_FIELDS: Readonly<Record<string, MessageKey>> = {
  // The user editor and the password reset (shared/admin.ts skills, username, password).
  username: 'admin.form.username',
  password: 'admin.form.password',
  newPassword: 'admin.newPassword',
  displayName: 'admin.form.displayName',
  role: 'admin.form.role',
  channels: 'admin.form.channels',
  groups: 'admin.form.groups',
  tier: 'admin.form.tier',
  senior: 'admin.form.senior',
  languages: 'admin.form.languages',
  extension: 'admin.form.extension',
  // The policies (policiesSchema).
  complaintSlaMinutes: 'admin.policies.complaint',
  offerTimeoutSeconds: 'admin.policies.offerTimeout',
  timeZone: 'admin.policies.timeZone',
  // A channel's registry entry (channelSettingsSchema).
  enabled: 'hours.enabled',
  ownerId: 'hours.owner',
  expectedDailyVolume: 'hours.volume',
  customerGroup: 'hours.customerGroup',
};

const HOURS_FIELDS: Readonly<Record<string, MessageKey>> = {
  alwaysOpen: 'hours.alwaysOpen',
  holidays: 'hours.holidays',
  autoReplyText: 'hours.autoReply',
};

const FORMATS: Readonly<Record<string, MessageKey>> = {
  username: 'formIssue.format.username',
  extension: 'formIssue.format.extension',
  languages: 'formIssue.format.language',
  holidays: 'formIssue.format.date',
};

const CUSTOM_CODES: Readonly<Record<string, MessageKey>> = {
  password_is_username: 'formIssue.custom.password_is_username',
  end_not_after_start: 'formIssue.custom.end_not_after_start',
  intervals_overlap: 'formIssue.custom.intervals_overlap',
  not_a_calendar_date: 'formIssue.custom.not_a_calendar_date',
  date_listed_twice: 'formIssue.custom.date_listed_twice',
  unknown_time_zone: 'formIssue.custom.unknown_time_zone',
};

const PRIORITIES = ['urgent', 'normal', 'low'] as const;

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/**
 * A label as a field's name in a sentence: the form's own label without its hint in
 * brackets or what follows it ("Initial password (at least 8 characters)" → "Initial password",
 * "话后处理时长（秒，0–600；0 为不设）：…" → "话后处理时长"); the problem then says the facts.
 */
function labelOf(t: Translate, key: MessageKey): string {
  const text = t(key);
  const cut = text.search(/[(（]/);
  return (cut > 0 ? text.slice(0, cut) : text).trim().replace(/[:：]$/, '');
}

function sub(t: Translate, groupKey: MessageKey, fieldKey: MessageKey): string {
  return t('formIssue.field.sub', { group: labelOf(t, groupKey), field: t(fieldKey) });
}

/** The field a schema path names, or null for one this module does not know. Array indexes are counted from 1 for people. */
function fieldOf(t: Translate, path: readonly string[]): Field | null {
  const [first, second, third] = path;
  if (first === undefined) return null;
  const item = (field: Field, at: string | undefined): Field =>
    at !== undefined && /^\d+$/.test(at) ? { ...field, label: t('formIssue.field.item', { field: field.label, n: Number(at) + 1 }) } : field;

  const topKey = TOP_FIELDS[first];
  if (topKey) {
    const field: Field = { label: labelOf(t, topKey), formatKey: FORMATS[first] };
    if (first === 'role') field.valueName = (v) => (isOneOf(ROLES, v) ? t(`admin.role.${v}`) : null);
    if (first === 'channels') field.valueName = (v) => (isOneOf(CHANNELS, v) ? t(`channel.${v}`) : null);
    if (first === 'groups') field.valueName = (v) => (isOneOf(TICKET_GROUPS, v) ? t(`group.${v}`) : null);
    return item(field, second);
  }
  if ((first === 'capacity' || first === 'firstResponseMinutes' || first === 'wrapUpSeconds') && isOneOf(CHANNELS, second)) {
    const group: MessageKey =
      first === 'capacity' ? 'admin.form.capacity' : first === 'wrapUpSeconds' ? 'admin.policies.wrapUp' : 'admin.policies.firstResponse';
    return { label: sub(t, group, `channel.${second}`) };
  }
  if (first === 'slaMinutes' && isOneOf(PRIORITIES, second)) return { label: sub(t, 'admin.policies.sla', `admin.policies.priority.${second}`) };
  if (first === 'hours' && second !== undefined) {
    // A day's periods: the day is the field; which period of it is left out (the form writes them on one line).
    if (second === 'weekly' && isOneOf(WEEKDAYS, third)) return { label: sub(t, 'hours.weekly', `hours.day.${third}`), formatKey: 'formIssue.format.time' };
    const hoursKey = HOURS_FIELDS[second];
    if (hoursKey) return item({ label: labelOf(t, hoursKey), formatKey: FORMATS[second] }, third);
  }
  return null;
}

function count(value: number | bigint | undefined): number {
  return Number(value ?? 0);
}

/** The allowed values by their names in the form, or null when one of them has none (then they are not listed). */
function valuesText(t: Translate, field: Field | null, values: readonly unknown[]): string | null {
  const names = values.map((value) => (typeof value === 'number' ? String(value) : (field?.valueName?.(value) ?? null)));
  return names.length > 0 && names.every((name) => name !== null) ? names.join(t('list.separator')) : null;
}

function sizeProblem(t: Translate, issue: FormIssue, bound: 'min' | 'max'): string {
  const n = count(bound === 'min' ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (issue.exact) return t('formIssue.string.exact', { n });
      if (bound === 'min') return n <= 1 && inclusive ? t('formIssue.string.empty') : t('formIssue.string.min', { n: inclusive ? n : n + 1 });
      return t('formIssue.string.max', { n: inclusive ? n : n - 1 });
    case 'array':
    case 'set':
      if (issue.exact) return t('formIssue.array.exact', { n });
      if (bound === 'min') return n <= 1 && inclusive ? t('formIssue.array.empty') : t('formIssue.array.min', { n: inclusive ? n : n + 1 });
      return t('formIssue.array.max', { n: inclusive ? n : n - 1 });
    case 'number':
    case 'int':
    case 'bigint':
      if (bound === 'min') return inclusive ? t('formIssue.number.min', { n }) : t('formIssue.number.above', { n });
      return inclusive ? t('formIssue.number.max', { n }) : t('formIssue.number.below', { n });
    default:
      return t('formIssue.invalid');
  }
}

function typeProblem(t: Translate, expected: string | undefined): string {
  switch (expected) {
    case 'number':
    case 'int':
    case 'string':
    case 'boolean':
    case 'array':
      return t(`formIssue.type.${expected}`);
    default:
      return t('formIssue.type.other');
  }
}

/** A union of literals (the tier: 1 or 2) fails as one issue per branch; when each is "not this value", they are one invalid_value. */
function unionValues(issue: FormIssue): unknown[] | null {
  const branches = issue.errors ?? [];
  if (branches.length === 0) return null;
  const values: unknown[] = [];
  for (const branch of branches) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (!only || only.code !== 'invalid_value' || only.path.length > 0 || !only.values) return null;
    values.push(...only.values);
  }
  return values;
}

function problemOf(t: Translate, issue: FormIssue, field: Field | null): string {
  switch (issue.code) {
    case 'too_small':
      return sizeProblem(t, issue, 'min');
    case 'too_big':
      return sizeProblem(t, issue, 'max');
    case 'invalid_type':
      return typeProblem(t, issue.expected);
    case 'invalid_format':
      return issue.format === 'regex' && field?.formatKey ? t(field.formatKey) : t('formIssue.format');
    case 'not_multiple_of':
      return t('formIssue.number.multipleOf', { n: count(issue.divisor) });
    case 'invalid_value':
    case 'invalid_union': {
      const values = issue.code === 'invalid_value' ? (issue.values ?? []) : unionValues(issue);
      if (!values) return t('formIssue.invalid');
      const names = valuesText(t, field, values);
      return names === null ? t('formIssue.notAllowed') : t('formIssue.oneOf', { values: names });
    }
    case 'custom': {
      const code = issue.params?.code;
      const key = typeof code === 'string' ? CUSTOM_CODES[code] : undefined;
      return key ? t(key) : t('formIssue.invalid');
    }
    default:
      // unrecognized_keys, invalid_key, invalid_element and whatever a later zod adds: zod's words are English, so none of them.
      return t('formIssue.invalid');
  }
}

/**
 * A zod issue in the UI's language: "<the field's label>: <the problem and its facts>",
 * never zod's English message nor the schema path. `at` is prepended to the issue's path,
 * for a form whose schema is a single value (the password reset parses a bare string).
 */
export function formIssueText(t: Translate, issue: FormIssue, at: readonly string[] = []): string {
  const path = [...at, ...issue.path.map(String)];
  const field = fieldOf(t, path);
  return t('formIssue.line', { field: field?.label ?? t('formIssue.field.unknown'), problem: problemOf(t, issue, field) });
}

/** The first issue of a failed parse, as formIssueText says it ('' when there is none). */
export function firstFormIssueText(t: Translate, error: { readonly issues: readonly FormIssue[] }, at: readonly string[] = []): string {
  const issue = error.issues[0];
  return issue ? formIssueText(t, issue, at) : '';
}
