/**
 * The routing contract (智能分配): agent presence and capacity, offers of real-time
 * contacts, escalation, lead overrides and the audit trail, shared by the server, the
 * workstation core and the renderer. The ticket-level routing facts (`ticket.routing`,
 * the structured `assignmentReason` codes) live in domain.ts; this file holds everything
 * else. See docs/technical/routing.md.
 */
import { z } from 'zod';
import {
  CHANNELS,
  channelSchema,
  entityIdSchema,
  ticketBundleSchema,
  ticketIdSchema,
  ticketSchema,
  assignmentReasonSchema,
  routingBasisSchema,
  type Channel,
  type TicketGroup,
  type TicketType,
} from './domain.js';

// ---------------------------------------------------------------------------------------
// Presence and capacity

/**
 * available: takes new work. busy: keeps their tickets, gets nothing new (e.g. on a long
 * call or in training). away: the same, set by hand or automatically (repeated offer
 * time-outs, idle). offline: not signed in (set after the disconnect grace period).
 */
export const PRESENCES = ['available', 'busy', 'away', 'offline'] as const;
export const presenceSchema = z.enum(PRESENCES);
export type Presence = z.infer<typeof presenceSchema>;

/**
 * Why an agent is Away (示忙原因), chosen when they set it (or by the lead who does): the
 * board shows it, and reports can tell a meal break from training. Automatic Away (offer
 * time-outs, idle) has none: its cause says why.
 */
export const AWAY_REASONS = ['break', 'meal', 'training', 'meeting', 'coaching', 'other'] as const;
export const awayReasonSchema = z.enum(AWAY_REASONS);
export type AwayReason = z.infer<typeof awayReasonSchema>;

/** Why presence changed, for the agent's banner and the leads' board. */
export const presenceCauseSchema = z.enum(['self', 'lead', 'connected', 'disconnected', 'offer_timeouts', 'idle']);
export type PresenceCause = z.infer<typeof presenceCauseSchema>;

/** How many open tickets of each channel an agent may hold at once (offers count). */
export const capacitySchema = z.object({
  phone: z.number().int().min(0).max(100),
  chat: z.number().int().min(0).max(100),
  social: z.number().int().min(0).max(100),
  email: z.number().int().min(0).max(200),
});
export type Capacity = z.infer<typeof capacitySchema>;

export const DEFAULT_CAPACITY: Readonly<Capacity> = { phone: 1, chat: 3, social: 5, email: 10 };

/** An agent with fewer open tickets than this is preferred over one with more (the template's "fewer than 5"). */
export const SOFT_OPEN_TICKET_LIMIT = 5;

/** Time a tier-2 agent should have an escalated ticket by: 30 minutes. */
export const ESCALATION_TARGET_MS = 30 * 60 * 1000;

/** How long an agent has to accept a phone or chat offer by default: the templates ask phones to be answered within 10–15 s (was 20 s). An admin changes it in the policies (shared/admin.ts). */
export const DEFAULT_OFFER_TIMEOUT_MS = 15_000;

/** Channels whose contacts are offered (accept/decline) rather than assigned directly. */
export const REAL_TIME_CHANNELS: readonly Channel[] = ['phone', 'chat'];

export function isRealTimeChannel(channel: Channel): boolean {
  return channel === 'phone' || channel === 'chat';
}

/** One agent as leads see it on the routing board, and as the engine counts them. */
export const agentStatusSchema = z.object({
  userId: entityIdSchema,
  username: z.string().max(64),
  displayName: z.string().max(100),
  presence: presenceSchema,
  presenceCause: presenceCauseSchema,
  presenceSince: z.number().int().nonnegative(),
  /** While Away by choice: why. */
  awayReason: awayReasonSchema.nullable().default(null),
  /** At least one authenticated socket is connected right now. */
  connected: z.boolean(),
  capacity: capacitySchema,
  /** While a call is live on this agent's extension they take no chats (see `noRoomReason`). */
  phoneBlocksChat: z.boolean(),
  /** A call is ringing or answered on this agent's extension right now (the CTI's call state). */
  onCall: z.boolean().default(false),
  /** In wrap-up (话后处理) until then: no new offers (see WrapUp in docs/technical/routing.md); null = not in wrap-up. */
  wrapUpUntil: z.number().int().nonnegative().nullable().default(null),
  /** The channel whose contact ended (the call, the completed chat) while in wrap-up. */
  wrapUpChannel: channelSchema.nullable().default(null),
  /** Open assigned tickets plus outstanding offers, per channel. */
  load: capacitySchema,
  /** Open assigned tickets over all channels (offers not included). */
  openTickets: z.number().int().nonnegative(),
  /** Offers waiting for this agent's answer. */
  offers: z.number().int().nonnegative(),
  /** The offers waiting, per channel (so the Team view shows tickets held apart from offers; `load` counts both). */
  offered: capacitySchema.default({ phone: 0, chat: 0, social: 0, email: 0 }),
  channels: z.array(channelSchema),
  groups: z.array(z.string().max(64)),
  tier: z.union([z.literal(1), z.literal(2)]),
  senior: z.boolean(),
  languages: z.array(z.string().max(16)),
  lastAssignedAt: z.number().int().nonnegative().nullable(),
});
export type AgentStatus = z.infer<typeof agentStatusSchema>;

// ---------------------------------------------------------------------------------------
// Room: the one rule for "could this agent take another contact of this channel now"

/** Why routing gives an available agent nothing new on a channel (shown in their header). */
export const ROUTING_SKIP_REASONS = ['on_call', 'at_capacity'] as const;
export const routingSkipReasonSchema = z.enum(ROUTING_SKIP_REASONS);
export type RoutingSkipReason = z.infer<typeof routingSkipReasonSchema>;

/** The facts the room rule looks at (an `AgentStatus` has them, and so does the engine's agent). */
export interface RoomFacts {
  load: Capacity;
  capacity: Capacity;
  phoneBlocksChat: boolean;
  onCall: boolean;
}

/**
 * Why the agent has no room for a new contact of this channel, or null when they have:
 * no chats while a call is live on their extension (when `phoneBlocksChat`), and never
 * more than their capacity. An open phone ticket without a live call (a call-back) blocks nothing.
 */
export function noRoomReason(agent: RoomFacts, channel: Channel): RoutingSkipReason | null {
  if (channel === 'chat' && agent.phoneBlocksChat && agent.onCall) return 'on_call';
  if (agent.load[channel] >= agent.capacity[channel]) return 'at_capacity';
  return null;
}

/** Whether routing could give this agent a new contact of the channel now (skills and pacing aside): the web chat's "is anyone there". */
export function canTakeNewContact(agent: AgentStatus, channel: Channel): boolean {
  return agent.connected && agent.presence === 'available' && agent.channels.includes(channel) && noRoomReason(agent, channel) === null;
}

/** One channel on which routing is passing an available agent over while contacts they could take wait. */
export const routingSkipSchema = z.object({
  channel: channelSchema,
  reason: routingSkipReasonSchema,
  load: z.number().int().nonnegative(),
  capacity: z.number().int().nonnegative(),
  /** Contacts waiting on this channel that match the agent's skills. */
  waiting: z.number().int().positive(),
});
export type RoutingSkip = z.infer<typeof routingSkipSchema>;

// ---------------------------------------------------------------------------------------
// Classification: which group and language a new ticket needs

const BILLING_WORDS = ['发票', '开票', '账单', '扣费', '扣款', '退款', '税号', 'invoice', 'refund', 'billing', 'charge'];
const TECHNICAL_WORDS = ['故障', '报错', '无法登录', '登录不了', '闪退', '死机', '打不开', '系统', 'bug', 'error', 'crash', 'login'];

/**
 * The topic group a ticket needs: after_sales → after_sales; complaint → orders;
 * consult/suggestion/other → billing or technical by keyword, else orders for consult,
 * and any group (null) for suggestion/other.
 */
export function groupForTicket(type: TicketType, text: string): TicketGroup | null {
  if (type === 'after_sales') return 'after_sales';
  if (type === 'complaint') return 'orders';
  const lower = text.toLowerCase();
  if (BILLING_WORDS.some((w) => lower.includes(w))) return 'billing';
  if (TECHNICAL_WORDS.some((w) => lower.includes(w))) return 'technical';
  return type === 'consult' ? 'orders' : null;
}

/** 'zh' when the text has CJK characters, 'en' when it has Latin letters only, else null (any). */
export function detectLanguage(text: string): string | null {
  if (/[\u3400-\u9fff]/.test(text)) return 'zh';
  if (/[A-Za-z]/.test(text)) return 'en';
  return null;
}

// ---------------------------------------------------------------------------------------
// Offers (server → agent)

/** A real-time contact offered to one agent: everything needed to show it, and the deadline. */
export const routingOfferSchema = z.object({
  ticketId: ticketIdSchema,
  bundle: ticketBundleSchema,
  offeredAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative(),
  /** The rule that chose this agent. */
  basis: routingBasisSchema,
});
export type RoutingOffer = z.infer<typeof routingOfferSchema>;

export const offerWithdrawnReasonSchema = z.enum(['timeout', 'taken', 'reassigned', 'closed', 'agent_unavailable']);
export const offerWithdrawnSchema = z.object({ ticketId: ticketIdSchema, reason: offerWithdrawnReasonSchema });
export type OfferWithdrawn = z.infer<typeof offerWithdrawnSchema>;

export const presenceChangedSchema = z.object({
  presence: presenceSchema,
  cause: presenceCauseSchema,
  awayReason: awayReasonSchema.nullable().default(null),
  /** The lead who changed it, when cause is 'lead'. */
  byName: z.string().max(100).nullable(),
  at: z.number().int().nonnegative(),
  /** While available: the channels on which routing passes this agent over, and why (their header says so). */
  skipped: z.array(routingSkipSchema).max(CHANNELS.length).default([]),
  /** In wrap-up until then (no new offers; "Ready" or presence Available ends it early); null = not. */
  wrapUpUntil: z.number().int().nonnegative().nullable().default(null),
  wrapUpChannel: channelSchema.nullable().default(null),
});
export type PresenceChanged = z.infer<typeof presenceChangedSchema>;

/**
 * The leads' roster (`lead:agents`). `complete`: `agents` is the whole roster (on connect, after
 * another lead connected, on a new routing leader); otherwise only the agents whose status
 * changed since the previous push, and `removed` the ones no longer on it (a user made a lead).
 * A push without `complete` (an older server) is the whole roster. Every field of a status is
 * a fact or a timestamp, never a duration, so an agent nothing happened to is never re-sent.
 */
export const agentsPushSchema = z.object({
  agents: z.array(agentStatusSchema),
  at: z.number().int().nonnegative(),
  complete: z.boolean().default(true),
  removed: z.array(entityIdSchema).default([]),
  /**
   * The routing leader's lease epoch (server/cluster/leaderLease.ts) whose roster this is:
   * fencing, so a late push of a deposed leader is not applied over its successor's roster.
   * Absent from a server without a lease (one node) or an older one.
   */
  epoch: z.number().int().nonnegative().optional(),
});
export type AgentsPush = z.infer<typeof agentsPushSchema>;

/**
 * What a holder of a roster does with a push, given the epoch of the roster it holds (null:
 * none known — nothing held yet, or a roster from a server that sends no epoch):
 * - `apply`: a complete push no older than the roster, or a diff of the same epoch (or one
 *   from a server without epochs onto a roster without one, as before epochs existed);
 * - `stale`: from an older epoch than the roster — a leader that lost its lease and had not
 *   noticed yet; dropped, the roster is kept as it is;
 * - `needs_complete`: a diff of a newer epoch (or without one onto an epoch's roster) that
 *   has no roster of its own here to apply to: dropped, the whole roster is needed first.
 * A diff with an epoch onto a roster of unknown epoch applies (the roster is replaced by the
 * next complete push anyway); numbering within one leader's run is the holder's own concern.
 */
export type AgentsPushVerdict = 'apply' | 'stale' | 'needs_complete';

export function agentsPushVerdict(heardEpoch: number | null, push: Pick<AgentsPush, 'complete' | 'epoch'>): AgentsPushVerdict {
  if (push.epoch !== undefined && heardEpoch !== null && push.epoch < heardEpoch) return 'stale';
  if (push.complete) return 'apply';
  if (heardEpoch === null) return 'apply';
  return push.epoch === heardEpoch ? 'apply' : 'needs_complete';
}

/** The epoch a roster has after a push was applied (see `agentsPushVerdict`). */
export function epochAfterPush(heardEpoch: number | null, push: Pick<AgentsPush, 'complete' | 'epoch'>): number | null {
  return push.complete ? (push.epoch ?? null) : heardEpoch;
}

const sameValue = <T>(a: T, b: T): boolean => a === b;
const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((item, i) => item === b[i]);
const sameCapacity = (a: Capacity, b: Capacity): boolean => a.phone === b.phone && a.chat === b.chat && a.social === b.social && a.email === b.email;

/** How each field of a status is compared: typed over every key, so a field added to the schema must say how it is compared. */
const AGENT_STATUS_FIELDS: { [K in keyof AgentStatus]-?: (a: AgentStatus[K], b: AgentStatus[K]) => boolean } = {
  userId: sameValue,
  username: sameValue,
  displayName: sameValue,
  presence: sameValue,
  presenceCause: sameValue,
  presenceSince: sameValue,
  awayReason: sameValue,
  connected: sameValue,
  capacity: sameCapacity,
  phoneBlocksChat: sameValue,
  onCall: sameValue,
  wrapUpUntil: sameValue,
  wrapUpChannel: sameValue,
  load: sameCapacity,
  openTickets: sameValue,
  offers: sameValue,
  offered: sameCapacity,
  channels: sameList,
  groups: sameList,
  tier: sameValue,
  senior: sameValue,
  languages: sameList,
  lastAssignedAt: sameValue,
};
const AGENT_STATUS_COMPARISONS = Object.entries(AGENT_STATUS_FIELDS) as Array<[keyof AgentStatus, (a: unknown, b: unknown) => boolean]>;

/** Whether the two statuses say the same: field by field (a roster of 1,000 is compared every push; serialising it is what the diff saves). */
export function sameAgentStatus(a: AgentStatus, b: AgentStatus): boolean {
  for (const [key, same] of AGENT_STATUS_COMPARISONS) if (!same(a[key], b[key])) return false;
  return true;
}

/** The roster push that takes a lead who holds `previous` to `current`: the changed and new agents, and the ones gone. */
export function agentsDiff(previous: ReadonlyMap<string, AgentStatus>, current: readonly AgentStatus[], at: number, epoch?: number): AgentsPush {
  const changed = current.filter((agent) => {
    const known = previous.get(agent.userId);
    return known === undefined || !sameAgentStatus(known, agent);
  });
  const present = new Set(current.map((agent) => agent.userId));
  const removed = [...previous.keys()].filter((userId) => !present.has(userId));
  return { agents: changed, at, complete: false, removed, ...(epoch !== undefined ? { epoch } : {}) };
}

/** A roster with a push applied: a complete push replaces it, a partial one updates and removes agents (a new map; `roster` is left as it was). */
export function applyAgentsPush(roster: ReadonlyMap<string, AgentStatus>, push: AgentsPush): Map<string, AgentStatus> {
  const next = push.complete ? new Map<string, AgentStatus>() : new Map(roster);
  for (const userId of push.removed) next.delete(userId);
  for (const agent of push.agents) next.set(agent.userId, agent);
  return next;
}

// ---------------------------------------------------------------------------------------
// Audit trail (routing decisions and overrides, newest last)

export const ROUTING_DECISIONS = [
  'assigned',
  'queued',
  'offered',
  'declined',
  'offer_timeout',
  'escalated',
  'pinned',
  'unpinned',
  'requeued',
  'presence',
  'transferred',
] as const;
export const routingDecisionKindSchema = z.enum(ROUTING_DECISIONS);
export type RoutingDecisionKind = z.infer<typeof routingDecisionKindSchema>;

export const routingAuditEntrySchema = z.object({
  id: z.number().int().positive(),
  ticketId: ticketIdSchema,
  at: z.number().int().nonnegative(),
  decision: routingDecisionKindSchema,
  assigneeId: z.string().max(64).nullable(),
  assigneeName: z.string().max(100).nullable(),
  /** Who made an override (lead, escalating agent); null for the engine. */
  actorName: z.string().max(100).nullable(),
  /** The facts; null only for entries written before reasons were structured. */
  reason: assignmentReasonSchema.nullable(),
  /** The English sentence (describeAssignmentReason), for logs and old entries. */
  text: z.string(),
});
export type RoutingAuditEntry = z.infer<typeof routingAuditEntrySchema>;

// ---------------------------------------------------------------------------------------
// Requests (client → server socket events with acks; the RPC methods take the same params)

/** A reason goes with Away only (and is optional there: "Away" alone stays valid for older clients). */
function reasonOnlyWhenAway(request: { presence: Presence; awayReason?: AwayReason | null | undefined }): boolean {
  return request.presence === 'away' || request.awayReason == null;
}
const AWAY_REASON_ONLY_WHEN_AWAY = { message: 'awayReason is given only with presence "away"', path: ['awayReason'] };

export const presenceSetRequestSchema = z
  .object({ presence: presenceSchema, awayReason: awayReasonSchema.nullable().optional() })
  .strict()
  .refine(reasonOnlyWhenAway, AWAY_REASON_ONLY_WHEN_AWAY);
export const offerRespondRequestSchema = z.object({ ticketId: ticketIdSchema, accept: z.boolean() }).strict();
export const escalateRequestSchema = z
  .object({
    ticketId: ticketIdSchema,
    reason: z
      .string()
      .max(500)
      .refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
  })
  .strict();
export const MAX_BULK_REASSIGN = 100;
/** The tickets of one bulk action: 1 to MAX_BULK_REASSIGN, each once. */
const bulkTicketIdsSchema = z
  .array(ticketIdSchema)
  .min(1)
  .max(MAX_BULK_REASSIGN)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat a ticket' });
export const leadReassignRequestSchema = z
  .object({
    ticketIds: bulkTicketIdsSchema,
    /** An agent's user id, or null to put the tickets back in the queue. */
    to: entityIdSchema.nullable(),
  })
  .strict();
/** Who could take these tickets (the bulk bar's target list); answered by the core from its cache and the roster. */
export const bulkTargetsRequestSchema = z.object({ ticketIds: bulkTicketIdsSchema }).strict();
export const leadPinRequestSchema = z.object({ ticketId: ticketIdSchema, agentId: entityIdSchema.nullable() }).strict();
export const leadSetPresenceRequestSchema = z
  .object({ userId: entityIdSchema, presence: presenceSchema, awayReason: awayReasonSchema.nullable().optional() })
  .strict()
  .refine(reasonOnlyWhenAway, AWAY_REASON_ONLY_WHEN_AWAY);
export const leadSetCapacityRequestSchema = z
  .object({ userId: entityIdSchema, capacity: capacitySchema.partial(), phoneBlocksChat: z.boolean().optional() })
  .strict();
export const leadAgentsRequestSchema = z.object({}).strict();
export const routingAuditRequestSchema = z.object({ ticketId: ticketIdSchema }).strict();
/** Who a ticket could be transferred to now (the Transfer dialog); answered for the ticket's holder or a lead. */
export const transferTargetsRequestSchema = z.object({ ticketId: ticketIdSchema }).strict();

export type PresenceSetRequest = z.infer<typeof presenceSetRequestSchema>;
export type OfferRespondRequest = z.infer<typeof offerRespondRequestSchema>;
export type EscalateRequest = z.infer<typeof escalateRequestSchema>;
export type LeadReassignRequest = z.infer<typeof leadReassignRequestSchema>;
export type LeadPinRequest = z.infer<typeof leadPinRequestSchema>;
export type LeadSetPresenceRequest = z.infer<typeof leadSetPresenceRequestSchema>;
export type LeadSetCapacityRequest = z.infer<typeof leadSetCapacityRequestSchema>;
export type LeadAgentsRequest = z.infer<typeof leadAgentsRequestSchema>;
export type RoutingAuditRequest = z.infer<typeof routingAuditRequestSchema>;
export type TransferTargetsRequest = z.infer<typeof transferTargetsRequestSchema>;
export type BulkTargetsRequest = z.infer<typeof bulkTargetsRequestSchema>;

// ---------------------------------------------------------------------------------------
// Results

export const presenceResultSchema = z.object({
  presence: presenceSchema,
  cause: presenceCauseSchema,
  awayReason: awayReasonSchema.nullable().default(null),
  at: z.number().int().nonnegative(),
});
export type PresenceResult = z.infer<typeof presenceResultSchema>;

/**
 * The agent's presence right after the server answered their own `presence:set` (the core and
 * the window both apply it before the server's `presence:changed` push, which may come late).
 * Saying "available" ends a wrap-up on the server (the agent is ready); any other choice leaves
 * it running. Only an available agent is passed over by routing: what was known of that is kept
 * until the push says more.
 */
export function presenceAfterOwnChange(result: PresenceResult, before: PresenceChanged | null): PresenceChanged {
  const available = result.presence === 'available';
  return {
    presence: result.presence,
    cause: result.cause,
    awayReason: result.awayReason,
    byName: null,
    at: result.at,
    skipped: available ? (before?.skipped ?? []) : [],
    wrapUpUntil: available ? null : (before?.wrapUpUntil ?? null),
    wrapUpChannel: available ? null : (before?.wrapUpChannel ?? null),
  };
}

/** accepted: the ticket is now theirs. declined: it went on to the next agent. gone: the offer had expired or was withdrawn. */
export const offerResponseResultSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('accepted'), ticket: ticketSchema }),
  z.object({ outcome: z.literal('declined') }),
  z.object({ outcome: z.literal('gone'), reason: z.enum(['expired', 'not_offered']) }),
]);
export type OfferResponseResult = z.infer<typeof offerResponseResultSchema>;

/** Per ticket of a (bulk) reassignment: done, or why not (the others still go through). */
export const reassignOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ticketId: ticketIdSchema, ok: z.literal(true), ticket: ticketSchema }),
  z.object({
    ticketId: ticketIdSchema,
    ok: z.literal(false),
    code: z.enum(['not_found', 'not_open', 'not_eligible', 'at_capacity', 'agent_offline']),
    message: z.string(),
  }),
]);
export type ReassignOutcome = z.infer<typeof reassignOutcomeSchema>;
export const leadReassignResultSchema = z.object({ results: z.array(reassignOutcomeSchema) });
export type LeadReassignResult = z.infer<typeof leadReassignResultSchema>;

export const ticketResultSchema = z.object({ ticket: ticketSchema });
export type TicketResult = z.infer<typeof ticketResultSchema>;
export const agentStatusResultSchema = z.object({ agent: agentStatusSchema });
export type AgentStatusResult = z.infer<typeof agentStatusResultSchema>;
/** `epoch`: as in `agentsPushSchema`, the routing leader's epoch whose roster this is (absent: none known). */
export const agentsResultSchema = z.object({ agents: z.array(agentStatusSchema), epoch: z.number().int().nonnegative().optional() });
export type AgentsResult = z.infer<typeof agentsResultSchema>;
export const routingAuditResultSchema = z.object({ entries: z.array(routingAuditEntrySchema) });
export type RoutingAuditResult = z.infer<typeof routingAuditResultSchema>;

/**
 * Why a named agent cannot receive a transfer (or a transfer cannot happen at all): no such
 * active agent; they already hold it; they lack the ticket's channel or tier; they escalated
 * it themselves (a tier-1 agent never takes back what they escalated); offline; no room on
 * the channel (capacity, or a live call blocking chats); the ticket is no longer open.
 */
export const TRANSFER_REFUSALS = [
  'unknown_agent',
  'already_holder',
  'no_channel',
  'tier',
  'escalated_by_them',
  'offline',
  'at_capacity',
  'on_call',
  'not_open',
] as const;
export const transferRefusalReasonSchema = z.enum(TRANSFER_REFUSALS);
export type TransferRefusalReason = (typeof TRANSFER_REFUSALS)[number];

/**
 * The agents a ticket could go to, each with why not (`refusal`, a shared/ticketRules.ts
 * TRANSFER_REFUSALS code) when they cannot take it now; groups can always take a transfer.
 */
export const transferCandidateSchema = z.object({
  userId: entityIdSchema,
  displayName: z.string().max(100),
  presence: presenceSchema,
  refusal: transferRefusalReasonSchema.nullable(),
});
export type TransferCandidate = z.infer<typeof transferCandidateSchema>;
export const transferTargetsResultSchema = z.object({ agents: z.array(transferCandidateSchema).max(2000) });
export type TransferTargetsResult = z.infer<typeof transferTargetsResultSchema>;

/**
 * An agent in the bulk bar's target list: of the `of` ticked tickets they could take
 * `canTake` now; `refusal` says why not for (most of) the others, null when they can take all.
 */
export const bulkTransferCandidateSchema = transferCandidateSchema.extend({
  canTake: z.number().int().nonnegative(),
  of: z.number().int().nonnegative(),
});
export type BulkTransferCandidate = z.infer<typeof bulkTransferCandidateSchema>;
export interface BulkTargetsResult {
  agents: BulkTransferCandidate[];
}

/** Every channel at zero: the load of an agent with nothing open. */
export function emptyLoad(): Capacity {
  return Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Capacity;
}

// ---------------------------------------------------------------------------------------
// Between server nodes: routing runs on one leader; the other nodes carry their sockets'
// routing requests to it (server/cluster/routingLeader.ts). Users travel by id: the leader
// reads them from the database, never trusting a copy.

const connectionIdSchema = z.string().min(1).max(100);

/** Who made a lead's change of an agent's presence or capacity: it is audited (admin_audit) in the change's transaction. */
export const routingAuditActorSchema = z.object({ id: entityIdSchema, name: z.string().max(200) });
export type RoutingAuditActor = z.infer<typeof routingAuditActorSchema>;

export const routingCallSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('connect'), userId: entityIdSchema, connectionId: connectionIdSchema }),
  z.object({ op: z.literal('disconnect'), userId: entityIdSchema, connectionId: connectionIdSchema }),
  z.object({
    op: z.literal('setPresence'),
    userId: entityIdSchema,
    presence: presenceSchema,
    cause: presenceCauseSchema,
    byName: z.string().max(100).nullable(),
    awayReason: awayReasonSchema.nullable().default(null),
    auditBy: routingAuditActorSchema.nullable().default(null),
  }),
  z.object({
    op: z.literal('setCapacity'),
    userId: entityIdSchema,
    capacity: capacitySchema.partial(),
    phoneBlocksChat: z.boolean().optional(),
    auditBy: routingAuditActorSchema.nullable().default(null),
  }),
  z.object({ op: z.literal('respond'), agentId: entityIdSchema, ticketId: ticketIdSchema, accept: z.boolean() }),
  z.object({ op: z.literal('escalate'), actorId: entityIdSchema, ticketId: ticketIdSchema, reason: z.string().min(1).max(500) }),
  z.object({
    op: z.literal('reassign'),
    leadId: entityIdSchema,
    ticketIds: z.array(ticketIdSchema).min(1).max(MAX_BULK_REASSIGN),
    to: entityIdSchema.nullable(),
  }),
  z.object({ op: z.literal('pin'), leadId: entityIdSchema, ticketId: ticketIdSchema, agentId: entityIdSchema.nullable() }),
  z.object({ op: z.literal('callStateChanged'), agentId: entityIdSchema, afterTalk: z.boolean().optional() }),
  z.object({ op: z.literal('userChanged'), userId: entityIdSchema, byName: z.string().max(200) }),
  z.object({ op: z.literal('policiesChanged') }),
]);
export type RoutingCall = z.infer<typeof routingCallSchema>;

/** What the leader answers, per call. */
export const routingCallResultSchemas = {
  connect: z.object({ offers: z.array(routingOfferSchema), presence: presenceChangedSchema.nullable() }),
  disconnect: z.null(),
  setPresence: agentStatusSchema,
  setCapacity: agentStatusSchema,
  respond: offerResponseResultSchema,
  escalate: ticketSchema,
  reassign: z.array(reassignOutcomeSchema),
  pin: ticketSchema,
  callStateChanged: z.null(),
  userChanged: agentStatusSchema.nullable(),
  policiesChanged: z.null(),
} satisfies Record<RoutingCall['op'], z.ZodType>;
export type RoutingCallResult<Op extends RoutingCall['op']> = z.infer<(typeof routingCallResultSchemas)[Op]>;

/** The leader's answer: the result, or a refusal with its code (the codes of socket refusals). */
export const routingAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), code: z.enum(['not_found', 'forbidden', 'conflict', 'invalid_request', 'internal']), message: z.string().max(2000) }),
]);
export type RoutingAnswer = z.infer<typeof routingAnswerSchema>;
