/**
 * What an administrative change changed, as the change log says it: the leaves of the audited
 * before and after documents (shared/admin.ts AdminAuditEntry) that differ, by their dotted path
 * ("slaMinutes.urgent: 120 → 90", "extension: "8002" → "8012""). Nested documents (a user's
 * skills, the policies, a channel's hours) are walked, so a one-field change is one short item
 * rather than the whole document; arrays count as one value ("channels: ["phone"] → ["phone","email"]").
 */

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

/** One value as the log shows it: JSON (so "" and null differ), long ones shortened; a missing one as "—". */
function shown(value: unknown): string {
  const text = value === undefined ? '—' : (JSON.stringify(value) ?? '—');
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** "field: before → after; …" for the change log's detail line. */
export function auditChangeText(before: unknown, after: unknown): string {
  return auditChanges(before, after)
    .map((change) => `${change.field}: ${shown(change.before)} → ${shown(change.after)}`)
    .join('; ');
}
