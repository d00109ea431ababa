/**
 * Domain model of the workstation: channels, tickets, messages, notes, customers, agents.
 * Isomorphic: used by the server, the workstation core and the renderer alike.
 * Times are epoch milliseconds (UTC) everywhere; only the UI formats them.
 */
import { z } from 'zod';

export const CHANNELS = ['phone', 'chat', 'social', 'email'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

export const TICKET_STATUSES = ['unassigned', 'in_progress', 'awaiting_customer', 'completed', 'closed'] as const;
export const ticketStatusSchema = z.enum(TICKET_STATUSES);
export type TicketStatus = z.infer<typeof ticketStatusSchema>;

export const PRIORITIES = ['urgent', 'normal', 'low'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;

export const TICKET_TYPES = ['consult', 'complaint', 'suggestion', 'after_sales', 'other'] as const;
export const ticketTypeSchema = z.enum(TICKET_TYPES);
export type TicketType = z.infer<typeof ticketTypeSchema>;

/** The ticket's own fields (issue 12): sub-category, tags and the result (处理结果) the agent records; bounded so a cache row stays small. */
export const MAX_SUB_CATEGORY_LENGTH = 60;
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 30;
export const MAX_RESULT_LENGTH = 2000;
/** A handover note (转办说明) says what the next person needs to know, not the whole story. */
export const MAX_HANDOVER_NOTE_LENGTH = 1000;

export const ROLES = ['agent', 'lead', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Longest text of one message or note. A contact centre message is never a book; refuse rather than truncate. */
export const MAX_TEXT_LENGTH = 20_000;
export const MAX_SUBJECT_LENGTH = 200;

/**
 * Allowed status transitions (处理状态). `closed` and `completed` may be reopened to
 * `in_progress`; `unassigned` is left by taking the ticket.
 */
export const STATUS_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  unassigned: ['in_progress', 'closed'],
  in_progress: ['awaiting_customer', 'completed', 'closed'],
  awaiting_customer: ['in_progress', 'completed', 'closed'],
  completed: ['in_progress', 'closed'],
  closed: ['in_progress'],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/** A status in which the ticket still needs work and counts toward an agent's load. */
export function isOpenStatus(status: TicketStatus): boolean {
  return status === 'unassigned' || status === 'in_progress' || status === 'awaiting_customer';
}

const nonBlank = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${String(max)} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

export const textSchema = nonBlank(MAX_TEXT_LENGTH);

/** 2000-01-01T00:00:00Z: nothing a contact centre records happened earlier; an earlier date is a broken clock or a placeholder like 0001-01-01. */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
/** 2200-01-01T00:00:00Z: no stored time is later; the bound every epoch-ms field is read with. */
export const LATEST_EPOCH_MS = Date.UTC(2200, 0, 1);
/** How far a sender's clock may run ahead of ours before its time is not believed. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A stored time: whole milliseconds between 1970 and 2200 (anything else was never written by us, or is corrupt). */
export const epochMsSchema = z.number().int().nonnegative().max(LATEST_EPOCH_MS, { message: 'is not a date before 2200' });

/** Whether a time someone else's clock gave (a channel's, an API caller's) can be believed when we receive it at `receivedAt`. */
export function isPlausibleTime(at: number, receivedAt: number): boolean {
  return Number.isFinite(at) && at >= EARLIEST_PLAUSIBLE_MS && at <= receivedAt + MAX_CLOCK_SKEW_MS;
}

/**
 * The time to record for something a channel dated `at` and we received at `receivedAt`:
 * its own time when plausible (never later than its receipt), else the receipt time. A
 * mail's Date header, a CTI event or an offline mutation can carry anything.
 */
export function clampToReceipt(at: number, receivedAt: number): number {
  return isPlausibleTime(at, receivedAt) ? Math.min(at, receivedAt) : receivedAt;
}
export const ticketIdSchema = z.string().regex(/^GD\d{8}\d{3,}$/, { message: 'is not a ticket ID like GD20231001001' });
export const customerIdSchema = z.string().regex(/^CUS\d{8}\d{3,}$/, { message: 'is not a customer ID like CUS20240501001' });
export const entityIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'is not a valid id' });

/** How a customer is recognised: phone (E.164), email (lower case) or a social id (`wechat:<app>:<openid>`…). */
export const IDENTITY_KINDS = ['phone', 'email', 'social'] as const;
export const identityKindSchema = z.enum(IDENTITY_KINDS);
export type IdentityKind = z.infer<typeof identityKindSchema>;

/** Up to 1000 characters: an integration's scoped identity (`api:<integration>:email:<address>`) is longer than the address. */
export const customerIdentitySchema = z.object({ kind: identityKindSchema, value: z.string().min(1).max(1000) });
export type CustomerIdentity = z.infer<typeof customerIdentitySchema>;

/**
 * Most identities a customer record carries to a workstation (customerSchema); the store keeps and
 * matches on every one, and sends the first ones in the panel's order (phones, emails, social ids,
 * each oldest first). A record with more was unreadable on every workstation, with every ticket of
 * the customer (attack-10).
 */
export const MAX_CUSTOMER_IDENTITIES = 500;

export const customerSchema = z.object({
  id: customerIdSchema,
  name: z.string().max(200),
  /** The primary phone, email and social id, for display; `identities` holds every one known. */
  phone: z.string().max(40).nullable(),
  email: z.string().max(320).nullable(),
  socialId: z.string().max(200).nullable(),
  vipTier: z.number().int().min(0).max(5),
  createdAt: epochMsSchema,
  /** Every phone, email and social id this customer was recognised by, on any channel; absent in old snapshots = none known. */
  identities: z
    .array(customerIdentitySchema)
    .max(MAX_CUSTOMER_IDENTITIES)
    .default(() => []),
});
export type Customer = z.infer<typeof customerSchema>;

/** Topic groups (技能组) a ticket's type/category maps to; see `groupForTicket` in shared/routing.ts. */
export const TICKET_GROUPS = ['orders', 'after_sales', 'technical', 'billing'] as const;
export const ticketGroupSchema = z.enum(TICKET_GROUPS);
export type TicketGroup = z.infer<typeof ticketGroupSchema>;

/** Where a ticket was transferred (转办): back to a group's queue, or to a named agent. */
export const transferTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group'), group: ticketGroupSchema }),
  z.object({ kind: z.literal('agent'), agentId: z.string().min(1).max(64), agentName: z.string().max(100) }),
]);
export type TransferTarget = z.infer<typeof transferTargetSchema>;

/** The newest transfer of a ticket: what the receiving side reads first, at the top of the ticket. */
export const handoverSchema = z.object({
  note: z.string().max(MAX_HANDOVER_NOTE_LENGTH),
  byId: z.string().max(64),
  byName: z.string().max(100),
  at: z.number().int().nonnegative(),
  to: transferTargetSchema,
});
export type Handover = z.infer<typeof handoverSchema>;

/** Which routing rule picked an agent (carried by `offer_accepted` and by offers). */
export const routingBasisSchema = z.enum(['least_loaded', 'vip_senior', 'urgent_senior', 'returning_customer', 'escalated_tier2', 'pinned']);
export type RoutingBasis = z.infer<typeof routingBasisSchema>;

/**
 * Why a ticket waits in the queue: nobody with the skills is online; someone is, but every
 * one of them is at capacity (or busy/away); every eligible agent declined or let the offer
 * time out; it is pinned to an agent who cannot take it now; shift-start pacing (the drain
 * hands each agent at most a few tickets per tick).
 */
/**
 * Why a ticket waits. `agents_in_wrap_up`: an eligible agent with room is in wrap-up (话后处理) and takes it
 * when that ends; `agents_on_call`: an eligible agent with room is on a live call, which holds chats back.
 */
export const queuedCauseSchema = z.enum([
  'no_agent_online',
  'all_at_capacity',
  'agents_in_wrap_up',
  'agents_on_call',
  'offer_declined',
  'waiting_for_pinned_agent',
  'pacing',
  'put_back_by_lead',
]);
export type QueuedCause = z.infer<typeof queuedCauseSchema>;

/** Tier-1 → tier-2 escalation (升级): who, why, when, and the 30-minute target. */
export const escalationSchema = z.object({
  reason: z.string().max(500),
  byId: z.string().max(64),
  byName: z.string().max(100),
  at: z.number().int().nonnegative(),
  /** at + 30 min: by then a tier-2 agent should have it. */
  dueAt: z.number().int().nonnegative(),
});
export type Escalation = z.infer<typeof escalationSchema>;

/** A real-time ticket currently offered to one agent (it stays unassigned until accepted). */
export const ticketOfferInfoSchema = z.object({
  agentId: z.string().max(64),
  agentName: z.string().max(100),
  offeredAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
});
export type TicketOfferInfo = z.infer<typeof ticketOfferInfoSchema>;

/**
 * The routing facts of a ticket, kept together so a cache stores them as one value:
 * the topic group and language it needs, the tier it needs (2 once escalated), the
 * escalation, a lead's pin and the current offer.
 */
export const ticketRoutingSchema = z.object({
  group: ticketGroupSchema.nullable(),
  /** 'zh', 'en', … as detected from the first message; null = any. */
  language: z.string().max(16).nullable(),
  requiredTier: z.union([z.literal(1), z.literal(2)]),
  escalation: escalationSchema.nullable(),
  pinnedAgentId: z.string().max(64).nullable(),
  pinnedAgentName: z.string().max(100).nullable(),
  offer: ticketOfferInfoSchema.nullable(),
});
export type TicketRouting = z.infer<typeof ticketRoutingSchema>;

/** Routing facts of a ticket that predates routing, or that nothing is known about. */
export function defaultTicketRouting(): TicketRouting {
  return { group: null, language: null, requiredTier: 1, escalation: null, pinnedAgentId: null, pinnedAgentName: null, offer: null };
}

/**
 * Why a ticket is where it is, as facts rather than a sentence, so each UI language can
 * say it in its own words (`describeAssignmentReason` gives the English for logs and audits).
 */
export const assignmentReasonSchema = z.discriminatedUnion('code', [
  /** Routed to the eligible online agent with the fewest open tickets. */
  z.object({
    code: z.literal('least_loaded'),
    channel: channelSchema,
    openTickets: z.number().int().nonnegative(),
    tieBreak: z.enum(['none', 'idle_longest', 'username']),
  }),
  /** Queued: no online agent has the channel skill. */
  z.object({ code: z.literal('no_agent_online'), channel: channelSchema }),
  /** An agent took it from the channel queue by working on it. */
  z.object({ code: z.literal('taken_from_queue'), channel: channelSchema, byName: z.string().max(100) }),
  /** A lead assigned it (or put it back in the queue) by hand. */
  z.object({ code: z.literal('assigned_by_lead'), byName: z.string().max(100) }),
  /** A VIP customer (vipTier > 0): a senior agent was preferred, then the fewest open tickets. */
  z.object({ code: z.literal('vip_senior'), channel: channelSchema, vipTier: z.number().int().min(1).max(5), openTickets: z.number().int().nonnegative() }),
  /** An urgent or angry contact (priority urgent, or a complaint): a senior agent was preferred. */
  z.object({ code: z.literal('urgent_senior'), channel: channelSchema, openTickets: z.number().int().nonnegative() }),
  /** A returning customer went back to the agent who last handled them. */
  z.object({ code: z.literal('returning_customer'), channel: channelSchema, previousTicketId: ticketIdSchema.nullable() }),
  /** An escalated ticket went to a tier-2 agent. */
  z.object({ code: z.literal('escalated_tier2'), channel: channelSchema, escalatedBy: z.string().max(100), openTickets: z.number().int().nonnegative() }),
  /** A lead pinned the ticket to this agent. */
  z.object({ code: z.literal('pinned'), byName: z.string().max(100) }),
  /** A real-time ticket was offered and the agent accepted it; `basis` is the rule that chose them. */
  z.object({ code: z.literal('offer_accepted'), channel: channelSchema, basis: routingBasisSchema }),
  /** Waiting in the queue, and why (the ticket is never dropped). */
  z.object({ code: z.literal('queued'), channel: channelSchema, cause: queuedCauseSchema }),
  /** A real-time ticket went back to the queue because its agent stayed offline past the grace period. */
  z.object({ code: z.literal('requeued_agent_offline'), channel: channelSchema, agentName: z.string().max(100) }),
  /** The agent at this phone extension answered the call the ticket records (CTI). */
  z.object({ code: z.literal('call_answered'), byName: z.string().max(100), extension: z.string().max(20) }),
  /** Created by hand (a walk-in, a care call, a call taken during an outage): held by its creator, or queued when they chose so. */
  z.object({ code: z.literal('created_by_hand'), byName: z.string().max(100), queued: z.boolean() }),
  /** Transferred (转办) by its holder or a lead, to a named agent (group null) or back to a group's queue, with the handover note. */
  z.object({
    code: z.literal('transferred'),
    byName: z.string().max(100),
    group: ticketGroupSchema.nullable(),
    note: z.string().max(MAX_HANDOVER_NOTE_LENGTH),
  }),
]);
export type AssignmentReason = z.infer<typeof assignmentReasonSchema>;

const QUEUED_CAUSE_TEXT: Record<QueuedCause, string> = {
  no_agent_online: 'no eligible agent is online',
  all_at_capacity: 'every eligible agent is at capacity or not available',
  agents_in_wrap_up: 'the eligible agents are in wrap-up',
  agents_on_call: 'the eligible agents are on a call',
  offer_declined: 'every eligible agent declined or missed the offer',
  waiting_for_pinned_agent: 'waiting for the agent it is pinned to',
  pacing: 'spread over the agents signing in',
  put_back_by_lead: 'put back by a lead',
};

/** The English sentence for a reason, for server logs and the routing audit. */
export function describeAssignmentReason(reason: AssignmentReason, assigneeName: string | null): string {
  switch (reason.code) {
    case 'least_loaded': {
      const tie = reason.tieBreak === 'idle_longest' ? ', idle longest' : reason.tieBreak === 'username' ? ', first by username' : '';
      return `Routed to ${assigneeName ?? '?'}: ${reason.channel} skill, fewest open tickets (${String(reason.openTickets)})${tie}`;
    }
    case 'no_agent_online':
      return `Queued: no agent with the ${reason.channel} skill is online`;
    case 'taken_from_queue':
      return `Taken from the ${reason.channel} queue by ${reason.byName}`;
    case 'assigned_by_lead':
      return assigneeName ? `Assigned to ${assigneeName} by ${reason.byName}` : `Put back in the queue by ${reason.byName}`;
    case 'vip_senior':
      return `Routed to ${assigneeName ?? '?'}: VIP customer (tier ${String(reason.vipTier)}), senior agent, ${String(reason.openTickets)} open tickets`;
    case 'urgent_senior':
      return `Routed to ${assigneeName ?? '?'}: urgent contact, senior agent, ${String(reason.openTickets)} open tickets`;
    case 'returning_customer':
      return `Routed to ${assigneeName ?? '?'}: returning customer, handled them last${reason.previousTicketId ? ` (${reason.previousTicketId})` : ''}`;
    case 'escalated_tier2':
      return `Routed to ${assigneeName ?? '?'}: escalated to tier 2 by ${reason.escalatedBy}, ${String(reason.openTickets)} open tickets`;
    case 'pinned':
      return `Pinned to ${assigneeName ?? '?'} by ${reason.byName}`;
    case 'offer_accepted':
      return `${assigneeName ?? '?'} accepted the ${reason.channel} offer (${reason.basis.replace(/_/g, ' ')})`;
    case 'queued':
      return `Queued on ${reason.channel}: ${QUEUED_CAUSE_TEXT[reason.cause]}`;
    case 'requeued_agent_offline':
      return `Back in the ${reason.channel} queue: ${reason.agentName} went offline`;
    case 'call_answered':
      return `${reason.byName} answered the call at extension ${reason.extension}`;
    case 'created_by_hand':
      return reason.queued ? `Created by hand by ${reason.byName} and put in the queue` : `Created by hand by ${reason.byName}, who holds it`;
    case 'transferred':
      return reason.group === null
        ? `Transferred to ${assigneeName ?? '?'} by ${reason.byName}: ${reason.note}`
        : `Transferred to the ${reason.group} group's queue by ${reason.byName}: ${reason.note}`;
  }
}

export const ticketSchema = z.object({
  id: ticketIdSchema,
  customerId: customerIdSchema,
  channel: channelSchema,
  type: ticketTypeSchema,
  subject: z.string().max(MAX_SUBJECT_LENGTH),
  priority: prioritySchema,
  status: ticketStatusSchema,
  assigneeId: entityIdSchema.nullable(),
  assigneeName: z.string().max(100).nullable(),
  /** One-line reason for the current assignment, shown in the inbox ("fewest open tickets"). */
  assignmentReason: assignmentReasonSchema.nullable(),
  createdAt: epochMsSchema,
  updatedAt: epochMsSchema,
  assignedAt: epochMsSchema.nullable(),
  firstResponseAt: epochMsSchema.nullable(),
  dueAt: epochMsSchema,
  completedAt: epochMsSchema.nullable(),
  /** Preview of the newest message, for inbox rows. */
  lastMessagePreview: z.string().max(200),
  lastMessageAt: epochMsSchema,
  /** Follow-up reminder (回访) set by the assignee; null when none. */
  followUpAt: epochMsSchema.nullable(),
  /** Routing facts (group, tier, escalation, pin, current offer); absent in old snapshots = defaults. */
  routing: ticketRoutingSchema.default(defaultTicketRouting),
  /** Sub-category within the type (e.g. 物流 under 售后); absent in old snapshots = none. */
  subCategory: z.string().max(MAX_SUB_CATEGORY_LENGTH).nullable().default(null),
  /** Free tags, each unique; absent in old snapshots = none. */
  tags: z
    .array(z.string().min(1).max(MAX_TAG_LENGTH))
    .max(MAX_TAGS)
    .default(() => []),
  /** The result (处理结果), required to complete; absent in old snapshots = none recorded. */
  result: z.string().max(MAX_RESULT_LENGTH).nullable().default(null),
  /** The newest transfer and its note, shown first to whoever receives the ticket; absent = never transferred. */
  handover: handoverSchema.nullable().default(null),
});
export type Ticket = z.infer<typeof ticketSchema>;

/** Longest file name and content type a message's file may carry (attachmentSchema). */
export const MAX_ATTACHMENT_NAME_LENGTH = 255;
/** Most files one message may carry (messageSchema): a bundle with more is unreadable to every workstation. */
export const MAX_MESSAGE_ATTACHMENTS = 100;

/** A file that came with a message (mail attachment, chat image); the bytes stay on the server. */
export const attachmentSchema = z.object({
  id: entityIdSchema,
  fileName: z.string().max(MAX_ATTACHMENT_NAME_LENGTH),
  contentType: z.string().max(MAX_ATTACHMENT_NAME_LENGTH),
  size: z.number().int().nonnegative(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** A phone call as the CTI reported it; the message text holds the agent-facing summary. */
export const callInfoSchema = z.object({
  callId: z.string().min(1).max(200),
  outcome: z.enum(['answered', 'missed']),
  /** Caller and callee as the CTI gave them (not normalised). */
  from: z.string().max(40),
  to: z.string().max(40),
  agentExtension: z.string().max(20).nullable(),
  startedAt: epochMsSchema,
  answeredAt: epochMsSchema.nullable(),
  durationSec: z.number().int().nonnegative(),
  /** When the call ended; null while an answered call is still going on (absent in old snapshots = null). */
  endedAt: epochMsSchema.nullable().default(null),
});
export type CallInfo = z.infer<typeof callInfoSchema>;

/**
 * Where a message came from or goes out through, finer than its channel: `email`,
 * `webchat`, `wechat:<appId>`, `webhook:<platform>`, `cti`, `api`. Outbound replies take
 * the source of the customer's latest inbound message, so they leave the way the customer came.
 */
export const messageSourceSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*(?::[A-Za-z0-9_.-]+)?$/, { message: 'is not a message source like wechat:gh_123' });

const CHANNEL_OF_SOURCE_FAMILY: Readonly<Record<string, Channel>> = { email: 'email', webchat: 'chat', wechat: 'social', webhook: 'social', cti: 'phone' };

/** The channel a source belongs to (`webchat:demo` → chat); null for sources of no channel (`api`). */
export function channelOfSource(source: string): Channel | null {
  return CHANNEL_OF_SOURCE_FAMILY[source.split(':', 1)[0]!] ?? null;
}

/**
 * Source families that can carry a written reply back to the customer. A phone call
 * (`cti`) cannot, and a contact that came through the HTTP API (`api`) names no way back.
 */
export const WRITTEN_REPLY_FAMILIES: readonly string[] = ['email', 'webchat', 'wechat', 'webhook'];

/** Whether a written reply can leave through this source. */
export function carriesWrittenReply(source: string): boolean {
  return WRITTEN_REPLY_FAMILIES.includes(source.split(':', 1)[0]!);
}

/**
 * The ways a written reply can reach the customer, best first: the sources the customer
 * wrote from that can carry one (newest first, from `messages`), then e-mail when the
 * customer has an address. Empty means no reply can reach them: only a note or a call back.
 */
export function replyRoutes(messages: ReadonlyArray<Pick<Message, 'direction' | 'source' | 'createdAt'>>, customer: Pick<Customer, 'email'>): string[] {
  const routes = [...messages]
    .filter((m) => m.direction === 'inbound' && m.source !== null && carriesWrittenReply(m.source))
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((m) => m.source!);
  if (customer.email) routes.push('email');
  return [...new Set(routes)];
}

/**
 * Why the server itself holds a reply back, as opposed to a channel's own error text:
 * `no_route` (failed) — the source cannot carry a written reply (a phone call, the HTTP
 * API, none); `no_sender` (still queued) — this server runs no sender for that source yet;
 * for web chat, `visitor_gone` — the visitor left and gave no email (they see it if they come
 * back), `no_visitor` — the ticket has no web chat visitor, `not_confirmed` — the visitor's
 * widget did not confirm the reply (retried first). Stored in `deliveryError` as
 * `code(source): English`, so the UI says it in the agent's language and an API reader still
 * reads English.
 */
export const DELIVERY_FAILURE_CODES = ['no_route', 'no_sender', 'visitor_gone', 'no_visitor', 'not_confirmed'] as const;
export type DeliveryFailureCode = (typeof DELIVERY_FAILURE_CODES)[number];

const DELIVERY_FAILURE_ENGLISH: Record<DeliveryFailureCode, (source: string) => string> = {
  no_route: (source) => `no written reply can reach the customer through ${source}`,
  no_sender: (source) => `this server runs no sender for ${source} replies`,
  visitor_gone: () => 'the visitor left the chat and gave no email address; they will see this reply if they come back to the chat',
  no_visitor: () => 'no web chat visitor on this ticket can receive this reply',
  not_confirmed: () => "the visitor's chat window did not confirm receiving this reply; they will see it when they come back to the chat",
};

export function undeliverableError(code: DeliveryFailureCode, source: string | null): string {
  return `${code}(${source ?? ''}): ${DELIVERY_FAILURE_ENGLISH[code](source ?? 'an unknown source')}`;
}

const DELIVERY_ERROR_PATTERN = new RegExp(`^(${DELIVERY_FAILURE_CODES.join('|')})\\(([^)]*)\\): `);

/** The code and source of a `deliveryError` made by `undeliverableError`; null for a channel's own text. */
export function readDeliveryError(error: string): { code: DeliveryFailureCode; source: string | null } | null {
  const match = DELIVERY_ERROR_PATTERN.exec(error);
  if (!match) return null;
  return { code: match[1] as DeliveryFailureCode, source: match[2] === '' ? null : match[2]! };
}

/** Longest channel message id a message carries to a workstation (messageSchema). */
export const MAX_EXTERNAL_MESSAGE_ID_LENGTH = 500;

export const messageSchema = z.object({
  id: entityIdSchema,
  ticketId: ticketIdSchema,
  direction: z.enum(['inbound', 'outbound']),
  channel: channelSchema,
  /** The agent who wrote an outbound message; null for the customer. */
  authorId: entityIdSchema.nullable(),
  /** Display name of the author (agent, or the customer), kept with the message so history reads without a directory. */
  authorName: z.string().max(200),
  text: z.string().max(MAX_TEXT_LENGTH),
  externalMessageId: z.string().max(MAX_EXTERNAL_MESSAGE_ID_LENGTH).nullable(),
  /** Outbound delivery: queued until a channel adapter sends it. Inbound messages are `received`. */
  deliveryStatus: z.enum(['received', 'queued', 'sent', 'failed']),
  createdAt: epochMsSchema,
  /** Absent in old snapshots = none. */
  attachments: z
    .array(attachmentSchema)
    .max(MAX_MESSAGE_ATTACHMENTS)
    .default(() => []),
  /** Absent in old snapshots = unknown (the API before channels). */
  source: messageSourceSchema.nullable().default(null),
  /** Set on call messages only. */
  call: callInfoSchema.nullable().default(null),
  /** Why the channel could not deliver an outbound message (`failed`), or why a `queued` one waits; null otherwise. */
  deliveryError: z.string().max(500).nullable().default(null),
  /** The subject an agent wrote for an email reply (issue 12); absent or null = the default `Re: … [GD…]`. */
  subject: z.string().max(200).nullable().optional(),
});
export type Message = z.infer<typeof messageSchema>;

export const noteSchema = z.object({
  id: entityIdSchema,
  ticketId: ticketIdSchema,
  authorId: entityIdSchema,
  authorName: z.string().max(100),
  text: z.string().max(MAX_TEXT_LENGTH),
  createdAt: epochMsSchema,
});
export type Note = z.infer<typeof noteSchema>;

export const userSchema = z.object({
  id: entityIdSchema,
  username: z.string().min(1).max(64),
  displayName: z.string().max(100),
  role: roleSchema,
  channels: z.array(channelSchema),
  groups: z.array(z.string().max(64)),
  tier: z.union([z.literal(1), z.literal(2)]),
  senior: z.boolean(),
  /** Languages the agent serves in ('zh', 'en', …); absent in old snapshots = ['zh']. */
  languages: z
    .array(z.string().max(16))
    .max(20)
    .default(() => ['zh']),
  /** Phone extension (分机号) the CTI names when this agent's phone rings; absent in old snapshots = none. */
  extension: z.string().max(20).nullable().default(null),
});
export type User = z.infer<typeof userSchema>;

/** Everything a workstation shows for one ticket. */
export const ticketBundleSchema = z.object({
  ticket: ticketSchema,
  customer: customerSchema,
  messages: z.array(messageSchema),
  notes: z.array(noteSchema),
});
export type TicketBundle = z.infer<typeof ticketBundleSchema>;

/**
 * Who may see a ticket: leads and admins see everything; an agent sees the tickets
 * assigned to them and the unassigned tickets queued on their channels.
 * The server filters with it and the core drops tickets that leave the user's view.
 */
export function canUserSeeTicket(user: Pick<User, 'id' | 'role' | 'channels'>, ticket: Pick<Ticket, 'assigneeId' | 'channel'>): boolean {
  if (user.role !== 'agent') return true;
  if (ticket.assigneeId !== null) return ticket.assigneeId === user.id;
  return user.channels.includes(ticket.channel);
}

/**
 * Whether the server SENDS a ticket to this user's workstation (its sync scope), narrower than
 * `canUserSeeTicket`: an agent is sent what they hold and what is being offered to them; queued
 * tickets of their channels they fetch on demand. Leads and admins are sent everything.
 */
export function isInSyncScope(user: Pick<User, 'id' | 'role'>, ticket: Pick<Ticket, 'assigneeId' | 'routing'>): boolean {
  if (user.role !== 'agent') return true;
  if (ticket.assigneeId !== null) return ticket.assigneeId === user.id;
  return ticket.routing.offer?.agentId === user.id;
}

/** Short preview of a message for inbox rows: first line, whitespace collapsed. */
export function previewOf(text: string, max = 120): string {
  const firstLine = text.trim().split(/\r?\n/, 1)[0] ?? '';
  const collapsed = firstLine.replace(/\s+/g, ' ');
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}
