/**
 * A hand-written check of a ticket bundle, for the bootstrap's hot path (100,000 bundles a
 * bootstrap; zod's `ticketBundleSchema` cost the core ~0.8 s of CPU and one copy of every
 * object for the GC). It accepts only what `ticketBundleSchema` accepts AND parses into an
 * equal value: every field present with a valid value (so no default to fill in), no key the
 * schema would strip. Anything else — a bundle zod would refuse, but also an old-snapshot
 * bundle zod would complete with defaults, or one with an extra key — is answered `false`
 * and the caller parses it with the schema as before, so the refusals stay zod's own.
 * Mirrors shared/domain.ts field by field: a schema change there must be made here too
 * (bundleCheck.test.ts compares the two on valid and broken bundles).
 */
import {
  CHANNELS,
  IDENTITY_KINDS,
  LATEST_EPOCH_MS,
  MAX_HANDOVER_NOTE_LENGTH,
  MAX_RESULT_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_SUB_CATEGORY_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  MAX_TEXT_LENGTH,
  PRIORITIES,
  TICKET_GROUPS,
  TICKET_STATUSES,
  TICKET_TYPES,
  callInfoSchema,
  messageSchema,
  queuedCauseSchema,
  routingBasisSchema,
  type TicketBundle,
} from './domain.js';

// The same patterns as shared/domain.ts's id and source schemas.
const TICKET_ID = /^GD\d{8}\d{3,}$/;
const CUSTOMER_ID = /^CUS\d{8}\d{3,}$/;
const ENTITY_ID = /^[A-Za-z0-9_-]+$/;
const MESSAGE_SOURCE = /^[a-z][a-z0-9_-]*(?::[A-Za-z0-9_.-]+)?$/;

const channels: ReadonlySet<unknown> = new Set(CHANNELS);
const statuses: ReadonlySet<unknown> = new Set(TICKET_STATUSES);
const priorities: ReadonlySet<unknown> = new Set(PRIORITIES);
const ticketTypes: ReadonlySet<unknown> = new Set(TICKET_TYPES);
const groups: ReadonlySet<unknown> = new Set(TICKET_GROUPS);
const identityKinds: ReadonlySet<unknown> = new Set(IDENTITY_KINDS);
// Read from the schemas themselves, so a value added there is accepted here too.
const routingBases: ReadonlySet<unknown> = new Set(routingBasisSchema.options);
const queuedCauses: ReadonlySet<unknown> = new Set(queuedCauseSchema.options);
const tieBreaks: ReadonlySet<unknown> = new Set(['none', 'idle_longest', 'username']);
const directions: ReadonlySet<unknown> = new Set(messageSchema.shape.direction.options);
const deliveryStatuses: ReadonlySet<unknown> = new Set(messageSchema.shape.deliveryStatus.options);
const callOutcomes: ReadonlySet<unknown> = new Set(callInfoSchema.shape.outcome.options);

type Fields = Record<string, unknown>;

/** A plain object (what JSON.parse makes) with exactly `keys` enumerable keys, so none for zod to strip. */
function isRecord(value: unknown, keys: number): value is Fields {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  // Counting with for…in allocates nothing (Object.keys would make an array per object).
  let count = 0;
  for (const _key in value) count++;
  return count === keys;
}

function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isNullableString(value: unknown, max: number): boolean {
  return value === null || (typeof value === 'string' && value.length <= max);
}

/** `z.number().int().nonnegative()`: zod's int is a safe integer. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** `epochMsSchema`. */
function isEpochMs(value: unknown): boolean {
  return isCount(value) && value <= LATEST_EPOCH_MS;
}

function isNullableEpochMs(value: unknown): boolean {
  return value === null || isEpochMs(value);
}

function isEntityId(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= 64 && ENTITY_ID.test(value);
}

function isTicketId(value: unknown): boolean {
  return typeof value === 'string' && TICKET_ID.test(value);
}

function isAssignmentReason(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Fields;
  switch (r.code) {
    case 'least_loaded':
      return isRecord(r, 4) && channels.has(r.channel) && isCount(r.openTickets) && tieBreaks.has(r.tieBreak);
    case 'no_agent_online':
      return isRecord(r, 2) && channels.has(r.channel);
    case 'taken_from_queue':
      return isRecord(r, 3) && channels.has(r.channel) && isString(r.byName, 100);
    case 'assigned_by_lead':
      return isRecord(r, 2) && isString(r.byName, 100);
    case 'vip_senior':
      return isRecord(r, 4) && channels.has(r.channel) && isCount(r.vipTier) && r.vipTier >= 1 && r.vipTier <= 5 && isCount(r.openTickets);
    case 'urgent_senior':
      return isRecord(r, 3) && channels.has(r.channel) && isCount(r.openTickets);
    case 'returning_customer':
      return isRecord(r, 3) && channels.has(r.channel) && (r.previousTicketId === null || isTicketId(r.previousTicketId));
    case 'escalated_tier2':
      return isRecord(r, 4) && channels.has(r.channel) && isString(r.escalatedBy, 100) && isCount(r.openTickets);
    case 'pinned':
      return isRecord(r, 2) && isString(r.byName, 100);
    case 'offer_accepted':
      return isRecord(r, 3) && channels.has(r.channel) && routingBases.has(r.basis);
    case 'queued':
      return isRecord(r, 3) && channels.has(r.channel) && queuedCauses.has(r.cause);
    case 'requeued_agent_offline':
      return isRecord(r, 3) && channels.has(r.channel) && isString(r.agentName, 100);
    case 'call_answered':
      return isRecord(r, 3) && isString(r.byName, 100) && isString(r.extension, 20);
    case 'created_by_hand':
      return isRecord(r, 3) && isString(r.byName, 100) && typeof r.queued === 'boolean';
    case 'transferred':
      return isRecord(r, 4) && isString(r.byName, 100) && (r.group === null || groups.has(r.group)) && isString(r.note, MAX_HANDOVER_NOTE_LENGTH);
    default:
      return false;
  }
}

function isRouting(value: unknown): boolean {
  if (!isRecord(value, 7)) return false;
  const { escalation, offer } = value;
  return (
    (value.group === null || groups.has(value.group)) &&
    isNullableString(value.language, 16) &&
    (value.requiredTier === 1 || value.requiredTier === 2) &&
    (escalation === null ||
      (isRecord(escalation, 5) &&
        isString(escalation.reason, 500) &&
        isString(escalation.byId, 64) &&
        isString(escalation.byName, 100) &&
        isCount(escalation.at) &&
        isCount(escalation.dueAt))) &&
    isNullableString(value.pinnedAgentId, 64) &&
    isNullableString(value.pinnedAgentName, 100) &&
    (offer === null ||
      (isRecord(offer, 4) && isString(offer.agentId, 64) && isString(offer.agentName, 100) && isCount(offer.offeredAt) && isCount(offer.expiresAt)))
  );
}

function isHandover(value: unknown): boolean {
  if (!isRecord(value, 5)) return false;
  const to = value.to;
  if (typeof to !== 'object' || to === null) return false;
  const target = to as Fields;
  const targetOk =
    target.kind === 'group'
      ? isRecord(target, 2) && groups.has(target.group)
      : target.kind === 'agent' &&
        isRecord(target, 3) &&
        typeof target.agentId === 'string' &&
        target.agentId.length >= 1 &&
        target.agentId.length <= 64 &&
        isString(target.agentName, 100);
  return targetOk && isString(value.note, MAX_HANDOVER_NOTE_LENGTH) && isString(value.byId, 64) && isString(value.byName, 100) && isCount(value.at);
}

function isTags(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > MAX_TAGS) return false;
  for (const tag of value as unknown[]) if (typeof tag !== 'string' || tag.length < 1 || tag.length > MAX_TAG_LENGTH) return false;
  return true;
}

function isTicket(value: unknown): boolean {
  if (!isRecord(value, 24)) return false;
  const t = value;
  return (
    isTicketId(t.id) &&
    typeof t.customerId === 'string' &&
    CUSTOMER_ID.test(t.customerId) &&
    channels.has(t.channel) &&
    ticketTypes.has(t.type) &&
    isString(t.subject, MAX_SUBJECT_LENGTH) &&
    priorities.has(t.priority) &&
    statuses.has(t.status) &&
    (t.assigneeId === null || isEntityId(t.assigneeId)) &&
    isNullableString(t.assigneeName, 100) &&
    (t.assignmentReason === null || isAssignmentReason(t.assignmentReason)) &&
    isEpochMs(t.createdAt) &&
    isEpochMs(t.updatedAt) &&
    isNullableEpochMs(t.assignedAt) &&
    isNullableEpochMs(t.firstResponseAt) &&
    isEpochMs(t.dueAt) &&
    isNullableEpochMs(t.completedAt) &&
    isString(t.lastMessagePreview, 200) &&
    isEpochMs(t.lastMessageAt) &&
    isNullableEpochMs(t.followUpAt) &&
    isRouting(t.routing) &&
    isNullableString(t.subCategory, MAX_SUB_CATEGORY_LENGTH) &&
    isTags(t.tags) &&
    isNullableString(t.result, MAX_RESULT_LENGTH) &&
    (t.handover === null || isHandover(t.handover))
  );
}

function isCustomer(value: unknown): boolean {
  if (!isRecord(value, 8)) return false;
  const c = value;
  if (!(
    typeof c.id === 'string' &&
    CUSTOMER_ID.test(c.id) &&
    isString(c.name, 200) &&
    isNullableString(c.phone, 40) &&
    isNullableString(c.email, 320) &&
    isNullableString(c.socialId, 200) &&
    isCount(c.vipTier) &&
    c.vipTier <= 5 &&
    isEpochMs(c.createdAt) &&
    Array.isArray(c.identities) &&
    c.identities.length <= 500
  ))
    return false;
  for (const identity of c.identities as unknown[]) {
    if (!isRecord(identity, 2) || !identityKinds.has(identity.kind)) return false;
    const v = identity.value;
    if (typeof v !== 'string' || v.length < 1 || v.length > 1000) return false;
  }
  return true;
}

function isAttachments(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > 100) return false;
  for (const a of value as unknown[]) {
    if (!(isRecord(a, 4) && isEntityId(a.id) && isString(a.fileName, 255) && isString(a.contentType, 255) && isCount(a.size))) return false;
  }
  return true;
}

function isCall(value: unknown): boolean {
  if (!isRecord(value, 9)) return false;
  const c = value;
  return (
    typeof c.callId === 'string' &&
    c.callId.length >= 1 &&
    c.callId.length <= 200 &&
    callOutcomes.has(c.outcome) &&
    isString(c.from, 40) &&
    isString(c.to, 40) &&
    isNullableString(c.agentExtension, 20) &&
    isEpochMs(c.startedAt) &&
    isNullableEpochMs(c.answeredAt) &&
    isCount(c.durationSec) &&
    isNullableEpochMs(c.endedAt)
  );
}

function isMessage(value: unknown): boolean {
  // `subject` is the one optional key: 15 keys with it, 14 without.
  if (typeof value !== 'object' || value === null) return false;
  const hasSubject = 'subject' in value;
  if (!isRecord(value, hasSubject ? 15 : 14)) return false;
  const m = value;
  return (
    isEntityId(m.id) &&
    isTicketId(m.ticketId) &&
    directions.has(m.direction) &&
    channels.has(m.channel) &&
    (m.authorId === null || isEntityId(m.authorId)) &&
    isString(m.authorName, 200) &&
    isString(m.text, MAX_TEXT_LENGTH) &&
    isNullableString(m.externalMessageId, 500) &&
    deliveryStatuses.has(m.deliveryStatus) &&
    isEpochMs(m.createdAt) &&
    isAttachments(m.attachments) &&
    (m.source === null || (typeof m.source === 'string' && m.source.length >= 1 && m.source.length <= 64 && MESSAGE_SOURCE.test(m.source))) &&
    (m.call === null || isCall(m.call)) &&
    isNullableString(m.deliveryError, 500) &&
    (!hasSubject || isNullableString(m.subject, 200))
  );
}

function isNote(value: unknown): boolean {
  if (!isRecord(value, 6)) return false;
  const n = value;
  return (
    isEntityId(n.id) &&
    isTicketId(n.ticketId) &&
    isEntityId(n.authorId) &&
    isString(n.authorName, 100) &&
    isString(n.text, MAX_TEXT_LENGTH) &&
    isEpochMs(n.createdAt)
  );
}

/**
 * Whether `value` is a ticket bundle that `ticketBundleSchema` would accept and parse into an
 * equal value (same fields, same values), so it can be used as it is. `false` says nothing
 * about validity: parse it with the schema.
 */
export function isCanonicalTicketBundle(value: unknown): value is TicketBundle {
  if (!isRecord(value, 4) || !isTicket(value.ticket) || !isCustomer(value.customer)) return false;
  const { messages, notes } = value;
  if (!Array.isArray(messages) || !Array.isArray(notes)) return false;
  for (const message of messages as unknown[]) if (!isMessage(message)) return false;
  for (const note of notes as unknown[]) if (!isNote(note)) return false;
  return true;
}
