/**
 * What an administrative change changed, as the change log says it: the leaves of the audited
 * before and after documents (shared/admin.ts AdminAuditEntry) that differ. Nested documents (a
 * user's skills, the policies, a channel's hours) are walked, so a one-field change is one short
 * item rather than the whole document, and each is said in the UI's language ("解决时限（分钟）
 * · 紧急: 120 → 90", "Channels: Phone, Chat → Phone, Chat, Email"), not by its stored key.
 */
import { WEEKDAYS, type Weekday } from '../../shared/businessHours.js';
import { CHANNELS, PRIORITIES, ROLES, TICKET_GROUPS, type Channel, type Priority, type Role } from '../../shared/domain.js';
import { AWAY_REASONS, PRESENCES, type AwayReason, type Presence } from '../../shared/routing.js';
import type { MessageKey, Translate } from './i18n.js';
import { auditEn } from './i18nAudit.js';

export interface AuditChange {
  field: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(path: string, before: unknown, after: unknown, into: AuditChange[]): void {
  if (isPlainObject(before) || isPlainObject(after)) {
    const from = isPlainObject(before) ? before : {};
    const to = isPlainObject(after) ? after : {};
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) collect(path === '' ? key : `${path}.${key}`, from[key], to[key], into);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) into.push({ field: path, before, after });
}

/** The leaves that differ between `before` and `after` (either may be null: a creation, a reset). */
export function auditChanges(before: unknown, after: unknown): AuditChange[] {
  const changes: AuditChange[] = [];
  collect('', before ?? null, after ?? null, changes);
  return changes;
}

const CHANNEL_CODES: readonly string[] = CHANNELS;
const GROUP_CODES: readonly string[] = TICKET_GROUPS;
const PRIORITY_CODES: readonly string[] = PRIORITIES;
const WEEKDAY_CODES: readonly string[] = WEEKDAYS;
const ROLE_CODES: readonly string[] = ROLES;
const PRESENCE_CODES: readonly string[] = PRESENCES;
const AWAY_REASON_CODES: readonly string[] = AWAY_REASONS;
const FIELD_NAMES: ReadonlySet<string> = new Set(
  Object.keys(auditEn)
    .filter((key) => key.startsWith('audit.field.'))
    .map((key) => key.slice('audit.field.'.length)),
);

/** How the log says names and times it does not hold in its own words. */
export interface AuditWording {
  /** A user's display name by id (a channel's owner), when known. */
  userName: (id: string) => string | undefined;
  dateTime: (ms: number) => string;
}

/** One segment of a field's path in words: a known field, a channel, a priority, a weekday; "weekly" says nothing (the weekday does). */
function segmentText(t: Translate, segment: string): string | null {
  if (segment === 'weekly') return null;
  if (FIELD_NAMES.has(segment)) return t(`audit.field.${segment}` as MessageKey);
  if (CHANNEL_CODES.includes(segment)) return t(`channel.${segment as Channel}`);
  if (PRIORITY_CODES.includes(segment)) return t(`admin.policies.priority.${segment as Priority}`);
  if (WEEKDAY_CODES.includes(segment)) return t(`hours.day.${segment as Weekday}`);
  return segment;
}

function fieldText(t: Translate, field: string): string {
  return field
    .split('.')
    .map((segment) => segmentText(t, segment))
    .filter((text): text is string => text !== null)
    .join(' · ');
}

function shortened(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A value in words: codes by their names, yes/no, a day's periods as "09:00-18:00", times as dates, nothing as "—". */
function valueText(t: Translate, wording: AuditWording, field: string, value: unknown): string {
  const last = field.split('.').at(-1) ?? field;
  const separator = t('list.separator');
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return t(value ? 'audit.yes' : 'audit.no');
  if (typeof value === 'number') return last.endsWith('At') ? wording.dateTime(value) : String(value);
  if (typeof value === 'string') {
    if (last === 'ownerId') return wording.userName(value) ?? value;
    if (last === 'role' && ROLE_CODES.includes(value)) return t(`admin.role.${value as Role}`);
    if (last === 'presence' && PRESENCE_CODES.includes(value)) return t(`presence.${value as Presence}`);
    if (last === 'awayReason' && AWAY_REASON_CODES.includes(value)) return t(`presence.reason.${value as AwayReason}`);
    return shortened(value);
  }
  if (Array.isArray(value)) {
    if (WEEKDAY_CODES.includes(last)) {
      const periods = value as Array<{ start?: unknown; end?: unknown }>;
      return periods.length === 0 ? t('audit.closed') : periods.map((period) => `${String(period.start)}-${String(period.end)}`).join(', ');
    }
    if (value.length === 0) return '—';
    const named = value.map((item) => {
      const code = String(item);
      if (last === 'channels' && CHANNEL_CODES.includes(code)) return t(`channel.${code as Channel}`);
      if (last === 'groups' && GROUP_CODES.includes(code)) return t(`group.${code as (typeof TICKET_GROUPS)[number]}`);
      return typeof item === 'object' ? JSON.stringify(item) : code;
    });
    return shortened(named.join(separator));
  }
  return shortened(JSON.stringify(value) ?? '—');
}

/** "Field · sub-field: before → after; …" in the UI's language, for the change log's detail line; "" when nothing differs. */
export function auditChangeText(t: Translate, wording: AuditWording, before: unknown, after: unknown): string {
  return auditChanges(before, after)
    .map((change) => {
      // A password reset records how many sessions it ended: a count of what happened, not a field
      // that changed ("— → 0" read as a change); none ended says nothing.
      if (change.field === 'sessionsEnded') {
        return typeof change.after === 'number' && change.after > 0 ? t('audit.sessionsEnded', { n: change.after }) : '';
      }
      return t('audit.change', {
        field: fieldText(t, change.field),
        before: valueText(t, wording, change.field, change.before),
        after: valueText(t, wording, change.field, change.after),
      });
    })
    .filter((text) => text !== '')
    .join(t('audit.joiner'));
}
