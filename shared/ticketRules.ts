/**
 * The ticket rules, once: what a client mutation (reply, note, status, priority, follow-up)
 * does to a ticket, or why it is refused. Pure: no I/O and no clock. The server store calls
 * it inside its transaction with the facts it read from the database; the workstation core
 * calls it on its cached copy, so a refusal is shown at once, offline too, and the two can
 * never disagree (a property test runs both on random sequences).
 *
 * Refusals are codes with facts, never sentences: the renderer says them in the agent's
 * language (renderer/src/i18nRules.ts), `describeRefusal` gives English for logs.
 */
import { z } from 'zod';
import {
  EARLIEST_PLAUSIBLE_MS,
  LATEST_EPOCH_MS,
  canTransition,
  canUserSeeTicket,
  channelOfSource,
  channelSchema,
  clampToReceipt,
  entityIdSchema,
  messageSourceSchema,
  previewOf,
  replyRoutes,
  ticketStatusSchema,
  type Customer,
  type Handover,
  type Message,
  type Note,
  type Role,
  type Ticket,
  type User,
  defaultTicketRouting,
  isOpenStatus,
} from './domain.js';
import {
  DEFAULT_CAPACITY,
  emptyLoad,
  groupForTicket,
  noRoomReason,
  TRANSFER_REFUSALS,
  transferRefusalReasonSchema,
  type AgentStatus,
  type BulkTransferCandidate,
  type TransferRefusalReason,
} from './routing.js';
import { dueAtFor } from './sla.js';
import { ATTACHMENT_LIMITS, attachmentRefusalCodeSchema, checkReplyAttachments, type AttachmentRefusalCode } from './attachments.js';
import type { Mutation } from './sync.js';
import { mayCreateOnChannel, type CreateTicketMutation } from './manualTicket.js';

/** Who acts: the parts of a user the rules look at (the tier decides who may take an escalated ticket). */
export type RuleActor = Pick<User, 'id' | 'role' | 'channels' | 'displayName' | 'tier'>;

/** What an agent may do instead of a written reply that cannot reach the customer. */
export const REPLY_ALTERNATIVES = ['add_note', 'call_back', 'add_email'] as const;
export type ReplyAlternative = (typeof REPLY_ALTERNATIVES)[number];

/** Status changes that end the work, and so need the ticket's owner (or a lead). */
export const OWNER_ACTIONS = ['complete', 'close', 'setPriority', 'setFollowUp', 'setFields', 'setResult', 'transfer'] as const;
export type OwnerAction = (typeof OWNER_ACTIONS)[number];

/**
 * Why an agent may not take a queued ticket: it needs a higher tier than theirs, and either they
 * escalated it themselves (`escalated_by_them`: the point of escalating is that someone else
 * handles it) or not (`tier`). The same facts as a transfer's (TRANSFER_REFUSALS).
 */
export const TAKE_REFUSALS = ['escalated_by_them', 'tier'] as const;
export type TakeRefusalReason = (typeof TAKE_REFUSALS)[number];

const ticketRefSchema = z.string().max(40);
const nameSchema = z.string().max(100);

/**
 * Why a mutation does not apply, as facts. Parsed leniently where it arrives (an unknown
 * code from a newer server falls back to the English `reason` beside it).
 */
export const ticketRefusalSchema = z.discriminatedUnion('code', [
  /** No such ticket, or one the actor never had: they learn nothing about it. */
  z.object({ code: z.literal('not_found'), ticketId: ticketRefSchema }),
  /** The actor had the ticket, but it went to someone else (assigneeName) or back to its queue (null). */
  z.object({ code: z.literal('reassigned'), ticketId: ticketRefSchema, channel: channelSchema, assigneeName: nameSchema.nullable(), meanwhile: z.boolean() }),
  /** Only the assignee (or a lead) may do this; assigneeName null = nobody has taken the ticket yet. */
  z.object({ code: z.literal('not_owner'), ticketId: ticketRefSchema, action: z.enum(OWNER_ACTIONS), assigneeName: nameSchema.nullable() }),
  /** The status cannot go from `from` to `to`; changedMeanwhile: the ticket changed after the agent acted (offline). */
  z.object({
    code: z.literal('invalid_transition'),
    ticketId: ticketRefSchema,
    from: ticketStatusSchema,
    to: ticketStatusSchema,
    changedMeanwhile: z.boolean(),
  }),
  /**
   * A written reply cannot reach the customer (through `via`, or at all when via is null):
   * `routes` are the ways that would (empty when none), `alternatives` what else the agent can do.
   */
  z.object({
    code: z.literal('no_reply_route'),
    ticketId: ticketRefSchema,
    via: messageSourceSchema.nullable(),
    routes: z.array(messageSourceSchema).max(50),
    alternatives: z.array(z.enum(REPLY_ALTERNATIVES)).max(REPLY_ALTERNATIVES.length),
  }),
  /** A reply carries an email subject but does not leave by email (`via` is the way it would leave). */
  z.object({ code: z.literal('subject_not_email'), ticketId: ticketRefSchema, via: messageSourceSchema }),
  /** A new message or note id is already taken (a client bug, or a forged id). */
  z.object({ code: z.literal('duplicate_id'), ticketId: ticketRefSchema, id: entityIdSchema }),
  /**
   * The mutation's id was already used for another mutation (another kind, ticket or content):
   * the first one keeps the id, this one is not applied. A retry of the same mutation is never
   * this: it is answered with what the first sending did (docs/technical/sync-protocol.md).
   */
  z.object({ code: z.literal('mutation_id_reused'), ticketId: ticketRefSchema, id: entityIdSchema }),
  /** A date is outside what can be true (before 2000, or after 2200). */
  z.object({ code: z.literal('invalid_date'), ticketId: ticketRefSchema, field: z.enum(['followUpAt']) }),
  /** Completing needs the result (处理结果) recorded first. */
  z.object({ code: z.literal('result_required'), ticketId: ticketRefSchema }),
  /** Taking the queued ticket (status, reply) needs tier `requiredTier`; `reason` says why this agent is not it. */
  z.object({ code: z.literal('take_refused'), ticketId: ticketRefSchema, reason: z.enum(TAKE_REFUSALS), requiredTier: z.union([z.literal(1), z.literal(2)]) }),
  /** A transfer needs a handover note. */
  z.object({ code: z.literal('note_required'), ticketId: ticketRefSchema }),
  /** The transfer cannot go through: `reason`, about the agent named (null for a group, or when unknown). */
  z.object({ code: z.literal('transfer_refused'), ticketId: ticketRefSchema, reason: transferRefusalReasonSchema, agentName: nameSchema.nullable() }),
  /**
   * A ticket made by hand cannot be created: `channel` — an agent may create on their own
   * channels and on phone only; `customer` — the chosen customer is unknown or not theirs to see.
   */
  z.object({ code: z.literal('create_refused'), ticketId: ticketRefSchema, reason: z.enum(['channel', 'customer']) }),
  /** A reply's files break a limit or a rule of shared/attachments.ts (`reason`), about `fileName` (null: the reply's files together). */
  z.object({
    code: z.literal('attachment_refused'),
    ticketId: ticketRefSchema,
    reason: attachmentRefusalCodeSchema,
    fileName: z.string().max(255).nullable(),
    limit: z.number().int().nonnegative().nullable(),
  }),
]);
export type TicketRefusal = z.infer<typeof ticketRefusalSchema>;
export type RefusalCode = TicketRefusal['code'];

/** How a written reply can reach the customer of a ticket. */
export interface CustomerReach {
  /** Ways a written reply can leave, best first (`replyRoutes`); empty = none. */
  routes: readonly string[];
  /** The customer's newest source on this ticket: the default way out when it is a route. */
  ticketSource: string | null;
  hasPhone: boolean;
  hasEmail: boolean;
}

/**
 * The reach of a ticket's customer, from the customer and their inbound messages (the
 * server reads them on every ticket of theirs; the core on the tickets it has cached).
 */
export function customerReach(
  ticketId: string,
  messages: ReadonlyArray<Pick<Message, 'ticketId' | 'direction' | 'source' | 'createdAt'>>,
  customer: Pick<Customer, 'phone' | 'email' | 'identities'> | null,
): CustomerReach {
  const email = customer ? (customer.email ?? customer.identities.find((identity) => identity.kind === 'email')?.value ?? null) : null;
  const newestOnTicket = messages
    .filter((m) => m.ticketId === ticketId && m.direction === 'inbound' && m.source !== null)
    .reduce<Pick<Message, 'source' | 'createdAt'> | null>((newest, m) => (newest === null || m.createdAt >= newest.createdAt ? m : newest), null);
  const phone = customer ? (customer.phone ?? customer.identities.find((identity) => identity.kind === 'phone')?.value ?? null) : null;
  return {
    routes: replyRoutes(messages, { email }),
    ticketSource: newestOnTicket?.source ?? null,
    hasPhone: phone !== null,
    hasEmail: email !== null,
  };
}

/** The facts outside the ticket that a decision needs; the caller reads them. */
export interface MutationFacts {
  /** The ticket was assigned to the actor at some time (routing audit): decides not_found vs reassigned. */
  wasAssignedToActor: boolean;
  /** Needed for replies only. */
  reach: CustomerReach | null;
  /**
   * A transfer to a named agent: that agent as routing sees them now (null: no such active
   * agent). Absent = not known here (the core, offline): the optimistic copy is made and the
   * server, which knows, decides.
   */
  transferTarget?: TransferAgentFacts | null;
  /**
   * The time, as this side stores it, of the message or note the mutation `follows` (the newest
   * one its client had on the ticket when it was made); null or absent: none named, or not on
   * this ticket here. See `mutationTime`.
   */
  followsAt?: number | null;
}

/**
 * The time to record for a mutation its client dated `createdAt` (in server time, as well as the
 * client knows it: its clock plus the offset its sync measured), received at `at`:
 * - its own time when plausible, never later than its receipt (`clampToReceipt`): an offline
 *   write keeps the time it was made, before what reached the server while it was offline;
 * - and never at or before the message or note it follows (`followsAt`): the newest entry its
 *   client had on the ticket when it was made, which the agent saw and answered. A clock
 *   behind (or an offset measured before the clock moved) cannot put a reply before the
 *   question it answers. Strictly after (+1 ms): a tie would leave the order to the ids.
 * What arrived on the server after the client's copy was made is not named, so it is not a
 * floor: an offline write still sorts before what it never saw. The floor wins over the
 * receipt in the one case they cross (the entry is dated at or after `at`, which only a server
 * clock stepping back makes possible): the answer still follows its question.
 */
export function mutationTime(createdAt: number, at: number, followsAt: number | null | undefined): number {
  const own = clampToReceipt(createdAt, at);
  return followsAt === null || followsAt === undefined ? own : Math.max(own, followsAt + 1);
}

/** The facts about a named agent that decide whether they can receive a transfer (an `AgentStatus` has them, plus the role). */
export type TransferAgentFacts = Pick<
  AgentStatus,
  'userId' | 'displayName' | 'presence' | 'connected' | 'channels' | 'tier' | 'load' | 'capacity' | 'phoneBlocksChat' | 'onCall'
> & { role: Role };

/**
 * A user's transfer facts when nothing live is known about them (a store without routing, a
 * test): their skills as stored, counted as connected, available and with room.
 */
export function staticTransferFacts(user: Pick<User, 'id' | 'displayName' | 'role' | 'channels' | 'tier'>): TransferAgentFacts {
  return {
    userId: user.id,
    displayName: user.displayName,
    role: user.role,
    channels: [...user.channels],
    tier: user.tier,
    presence: 'available',
    connected: true,
    load: emptyLoad(),
    capacity: { ...DEFAULT_CAPACITY },
    phoneBlocksChat: false,
    onCall: false,
  };
}

/**
 * Why this agent cannot receive this ticket now, or null when they can: the channel, tier
 * and room rules routing uses (shared/routing.ts), so the Transfer dialog lists exactly who can.
 */
export function transferRefusalFor(
  ticket: Pick<Ticket, 'assigneeId' | 'channel' | 'status' | 'routing'>,
  agent: TransferAgentFacts | null,
): TransferRefusalReason | null {
  if (!isOpenStatus(ticket.status)) return 'not_open';
  if (agent === null || agent.role !== 'agent') return 'unknown_agent';
  if (ticket.assigneeId === agent.userId) return 'already_holder';
  if (!agent.channels.includes(ticket.channel)) return 'no_channel';
  const tierRefusal = tierRefusalFor({ id: agent.userId, tier: agent.tier }, ticket);
  if (tierRefusal !== null) return tierRefusal;
  if (agent.presence === 'offline' || !agent.connected) return 'offline';
  return noRoomReason(agent, ticket.channel);
}

/**
 * Who could take a lead's ticked tickets (the bulk bar's target list): for each agent, how
 * many of them `transferRefusalFor` lets through, counting the ones already given to them
 * against their room (a reassignment adds them one by one), and the commonest refusal of the
 * rest. Those who can take them all come first, then by how many, then by name.
 */
export function bulkTransferCandidates(
  tickets: ReadonlyArray<Pick<Ticket, 'assigneeId' | 'channel' | 'status' | 'routing'>>,
  agents: readonly TransferAgentFacts[],
): BulkTransferCandidate[] {
  const candidates = agents.map((agent): BulkTransferCandidate => {
    const load = { ...agent.load };
    const refusals = new Map<TransferRefusalReason, number>();
    let canTake = 0;
    for (const ticket of tickets) {
      const refusal = transferRefusalFor(ticket, { ...agent, load });
      if (refusal === null) {
        canTake++;
        load[ticket.channel] += 1;
      } else refusals.set(refusal, (refusals.get(refusal) ?? 0) + 1);
    }
    // Ties go to the first in TRANSFER_REFUSALS' order, so the answer does not depend on the tickets' order.
    let refusal: TransferRefusalReason | null = null;
    for (const reason of TRANSFER_REFUSALS) if ((refusals.get(reason) ?? 0) > (refusal === null ? 0 : refusals.get(refusal)!)) refusal = reason;
    return { userId: agent.userId, displayName: agent.displayName, presence: agent.presence, canTake, of: tickets.length, refusal };
  });
  return candidates.sort(
    (a, b) => Number(b.canTake === b.of) - Number(a.canTake === a.of) || b.canTake - a.canTake || a.displayName.localeCompare(b.displayName),
  );
}

/** Whether this user's tier is below what the ticket needs, and if so whether they escalated it themselves. */
function tierRefusalFor(user: Pick<User, 'id' | 'tier'>, ticket: Pick<Ticket, 'routing'>): TakeRefusalReason | null {
  if (user.tier >= ticket.routing.requiredTier) return null;
  return ticket.routing.escalation?.byId === user.id ? 'escalated_by_them' : 'tier';
}

/**
 * Why this actor may not take this ticket, or null when they may (or it is held: nothing to
 * take). Leads and admins take or assign anything; an agent needs the ticket's tier, so a tier-1
 * agent cannot take back a ticket once it is escalated, theirs or anyone's.
 */
export function takeRefusalFor(actor: Pick<RuleActor, 'id' | 'role' | 'tier'>, ticket: Pick<Ticket, 'assigneeId' | 'routing'>): TakeRefusalReason | null {
  if (actor.role !== 'agent' || ticket.assigneeId !== null) return null;
  return tierRefusalFor(actor, ticket);
}

/**
 * Whether the actor may set the type, sub-category and tags of this ticket: its holder and leads,
 * and any agent who sees it while it waits in the queue (a better type re-routes it before anyone
 * takes it). The result stays the holder's (or a lead's): it says how the work ended.
 */
export function mayClassifyTicket(actor: Pick<RuleActor, 'id' | 'role' | 'channels'>, ticket: Pick<Ticket, 'assigneeId' | 'channel' | 'status'>): boolean {
  if (isOwnerOrLead(actor, ticket)) return true;
  return ticket.assigneeId === null && isOpenStatus(ticket.status) && canUserSeeTicket(actor, ticket);
}

/** Tags as stored: trimmed, blank ones dropped, each once (first spelling kept), at most MAX_TAGS. */
export function normaliseTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag === '' || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    out.push(tag);
  }
  return out;
}

function blankToNull(text: string | null | undefined): string | null {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** What an accepted mutation does: the ticket after it and the row it adds. `changed` false = nothing to write. */
export interface MutationEffect {
  ok: true;
  changed: boolean;
  ticket: Ticket;
  message?: Message;
  note?: Note;
}

export type MutationDecision = MutationEffect | { ok: false; refusal: TicketRefusal };

function refuse(refusal: TicketRefusal): MutationDecision {
  return { ok: false, refusal };
}

/** Fields other than the status (and completing or closing) belong to the assignee, and to leads and admins. */
export function isOwnerOrLead(actor: Pick<RuleActor, 'id' | 'role'>, ticket: Pick<Ticket, 'assigneeId'>): boolean {
  return actor.role !== 'agent' || ticket.assigneeId === actor.id;
}

/**
 * Working on a queued ticket takes it: the actor becomes its assignee and any routing offer is
 * over. Callers check `refuseTake` first: every way of taking goes through both.
 */
function takenBy(actor: RuleActor, ticket: Ticket, at: number): Ticket {
  if (ticket.assigneeId !== null) return ticket;
  return {
    ...ticket,
    assigneeId: actor.id,
    assigneeName: actor.displayName,
    assignedAt: at,
    assignmentReason: { code: 'taken_from_queue', channel: ticket.channel, byName: actor.displayName },
    routing: { ...ticket.routing, offer: null },
  };
}

/** The refusal when the actor may not take this queued ticket, or null. */
function refuseTake(actor: RuleActor, ticket: Ticket): MutationDecision | null {
  const reason = takeRefusalFor(actor, ticket);
  return reason === null ? null : refuse({ code: 'take_refused', ticketId: ticket.id, reason, requiredTier: ticket.routing.requiredTier });
}

/** What an agent can do instead of a written reply to this customer (the composer says it before they write). */
export function replyAlternatives(reach: CustomerReach): ReplyAlternative[] {
  return ['add_note', ...(reach.hasPhone ? (['call_back'] as const) : []), ...(reach.hasEmail ? [] : (['add_email'] as const))];
}

/** The way a reply leaves: the agent's pick, else the customer's newest way on this ticket, else the best way they have. */
function replySourceOf(mutation: Extract<Mutation, { kind: 'reply' }>, reach: CustomerReach): string | null {
  if (mutation.via !== undefined) return reach.routes.includes(mutation.via) ? mutation.via : null;
  if (reach.ticketSource !== null && reach.routes.includes(reach.ticketSource)) return reach.ticketSource;
  return reach.routes[0] ?? null;
}

/**
 * Decides one mutation on the ticket as it stands, by `actor` at time `at` (the server's
 * clock on the server, the mutation's own time in the core). Never throws.
 */
export function decideMutation(ticket: Ticket, mutation: Mutation, actor: RuleActor, at: number, facts: MutationFacts): MutationDecision {
  if (!canUserSeeTicket(actor, ticket)) {
    // Someone who never had the ticket learns nothing about it (not even that it exists).
    if (!facts.wasAssignedToActor) return refuse({ code: 'not_found', ticketId: ticket.id });
    // Notes never conflict: what the former owner wrote (e.g. offline) still reaches the ticket.
    if (mutation.kind !== 'note') {
      return refuse({
        code: 'reassigned',
        ticketId: ticket.id,
        channel: ticket.channel,
        assigneeName: ticket.assigneeId === null ? null : (ticket.assigneeName ?? ticket.assigneeId),
        meanwhile: (ticket.assignedAt ?? ticket.updatedAt) >= mutation.createdAt,
      });
    }
  }
  // An offline mutation keeps its own time when that is believable, never later than now, and never before what it follows,
  // nor before the ticket itself: a client's clock (or a hand-made time) cannot put a reply before the contact that opened it.
  const when = Math.max(mutationTime(mutation.createdAt, at, facts.followsAt), ticket.createdAt);
  const touched = (next: Ticket): Ticket => ({ ...next, updatedAt: Math.max(ticket.updatedAt, at) });
  switch (mutation.kind) {
    case 'reply': {
      // Answering a queued ticket takes it (below), so it needs what taking needs.
      const takeRefusal = ticket.status === 'unassigned' ? refuseTake(actor, ticket) : null;
      if (takeRefusal) return takeRefusal;
      const reach = facts.reach ?? { routes: [], ticketSource: null, hasPhone: false, hasEmail: false };
      const source = replySourceOf(mutation, reach);
      if (source === null) {
        return refuse({
          code: 'no_reply_route',
          ticketId: ticket.id,
          via: mutation.via ?? null,
          routes: [...reach.routes],
          alternatives: replyAlternatives(reach),
        });
      }
      const files = mutation.attachments ?? [];
      const fileRefusal = checkReplyAttachments(files);
      if (fileRefusal)
        return refuse({ code: 'attachment_refused', ticketId: ticket.id, reason: fileRefusal.code, fileName: fileRefusal.fileName, limit: fileRefusal.limit });
      // A subject is an email header: on a chat or social reply it would be silently lost.
      if (mutation.subject !== undefined && channelOfSource(source) !== 'email') return refuse({ code: 'subject_not_email', ticketId: ticket.id, via: source });
      const message: Message = {
        id: mutation.messageId,
        ticketId: ticket.id,
        direction: 'outbound',
        channel: channelOfSource(source) ?? ticket.channel,
        authorId: actor.id,
        authorName: actor.displayName,
        text: mutation.text,
        externalMessageId: null,
        deliveryStatus: 'queued',
        createdAt: when,
        attachments: files.map((file) => ({ id: file.id, fileName: file.fileName, contentType: file.contentType, size: file.size })),
        source,
        call: null,
        deliveryError: null,
        ...(mutation.subject !== undefined ? { subject: mutation.subject } : {}),
      };
      let next: Ticket = {
        ...ticket,
        firstResponseAt: ticket.firstResponseAt ?? at,
        lastMessagePreview: previewOf(mutation.text),
        lastMessageAt: Math.max(ticket.lastMessageAt, when),
      };
      // Answering a queued ticket is working on it: it is taken and in progress.
      if (next.status === 'unassigned') next = takenBy(actor, { ...next, status: 'in_progress' }, at);
      return { ok: true, changed: true, ticket: touched(next), message };
    }
    case 'note': {
      const note: Note = { id: mutation.noteId, ticketId: ticket.id, authorId: actor.id, authorName: actor.displayName, text: mutation.text, createdAt: when };
      return { ok: true, changed: true, ticket: touched(ticket), note };
    }
    case 'setStatus': {
      const to = mutation.status;
      // Already there (e.g. a lead did the same while this client was offline): nothing to refuse, nothing to write.
      if (ticket.status === to) return { ok: true, changed: false, ticket };
      if (!canTransition(ticket.status, to)) {
        return refuse({ code: 'invalid_transition', ticketId: ticket.id, from: ticket.status, to, changedMeanwhile: ticket.updatedAt >= mutation.createdAt });
      }
      // Ending the work is the owner's call: a queued ticket must be taken first.
      if ((to === 'completed' || to === 'closed') && !isOwnerOrLead(actor, ticket)) {
        return refuse({ code: 'not_owner', ticketId: ticket.id, action: to === 'completed' ? 'complete' : 'close', assigneeName: ticket.assigneeName });
      }
      // A completed ticket says how it ended (处理结果); closing (spam, duplicates) does not need one.
      if (to === 'completed' && ticket.result === null) return refuse({ code: 'result_required', ticketId: ticket.id });
      const takeRefusal = to === 'in_progress' ? refuseTake(actor, ticket) : null;
      if (takeRefusal) return takeRefusal;
      let next: Ticket = { ...ticket, status: to };
      if (to === 'completed') next.completedAt = at;
      // Closing ends the work too, so the SLA verdict of a closed ticket stops moving.
      if (to === 'closed' && next.completedAt === null) next.completedAt = at;
      if (to === 'in_progress' && (ticket.status === 'completed' || ticket.status === 'closed')) next.completedAt = null;
      if (to === 'in_progress') next = takenBy(actor, next, at);
      return { ok: true, changed: true, ticket: touched(next) };
    }
    case 'setPriority': {
      if (!isOwnerOrLead(actor, ticket)) return refuse({ code: 'not_owner', ticketId: ticket.id, action: 'setPriority', assigneeName: ticket.assigneeName });
      // Last writer wins in server order; the same value again is a no-op success.
      if (ticket.priority === mutation.priority) return { ok: true, changed: false, ticket };
      // The SLA clock runs from creation with the new priority's window.
      return { ok: true, changed: true, ticket: touched({ ...ticket, priority: mutation.priority, dueAt: dueAtFor(ticket.createdAt, mutation.priority) }) };
    }
    case 'requestEscalation':
      // Anyone who sees the ticket may ask; the request is the leads' to decide (server/alarms/), the ticket is unchanged.
      return { ok: true, changed: false, ticket };
    case 'setFollowUp': {
      if (!isOwnerOrLead(actor, ticket)) return refuse({ code: 'not_owner', ticketId: ticket.id, action: 'setFollowUp', assigneeName: ticket.assigneeName });
      const followUpAt = mutation.followUpAt;
      if (followUpAt !== null && (followUpAt < EARLIEST_PLAUSIBLE_MS || followUpAt > LATEST_EPOCH_MS)) {
        return refuse({ code: 'invalid_date', ticketId: ticket.id, field: 'followUpAt' });
      }
      if (ticket.followUpAt === followUpAt) return { ok: true, changed: false, ticket };
      return { ok: true, changed: true, ticket: touched({ ...ticket, followUpAt }) };
    }
    case 'setFields':
      return decideSetFields(ticket, mutation, actor, touched);
    case 'transfer':
      return decideTransfer(ticket, mutation, actor, when, facts, touched);
    case 'createTicket':
      // The ticket is what this mutation made (decideCreateTicket): on it, the creation again changes nothing.
      return { ok: true, changed: false, ticket };
  }
}

/** The facts outside the mutation that a creation needs (the server reads them; the core knows them from its cache). */
export interface CreateTicketFacts {
  /** The chosen existing customer is one the creator may see (a new customer: true). */
  customerVisible: boolean;
}

export type CreateTicketDecision = { ok: true; ticket: Ticket; note: Note } | { ok: false; refusal: TicketRefusal };

/**
 * A ticket made by hand, under `ids` (provisional in the core, the GD id and real customer id
 * on the server), by `actor` at `at`. Held by its creator (in progress, first response now: they
 * are talking to the customer), or queued on its channel for routing to offer when `toQueue`.
 * The first note is an internal note; its preview is the inbox line, as a message's would be.
 */
export function decideCreateTicket(
  mutation: CreateTicketMutation,
  ids: { ticketId: string; customerId: string },
  actor: RuleActor,
  at: number,
  facts: CreateTicketFacts,
): CreateTicketDecision {
  if (!mayCreateOnChannel(actor, mutation.channel)) return { ok: false, refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'channel' } };
  if (!facts.customerVisible) return { ok: false, refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'customer' } };
  const when = clampToReceipt(mutation.createdAt, at);
  const subject = mutation.subject.trim();
  const held = !mutation.toQueue;
  const ticket: Ticket = {
    id: ids.ticketId,
    customerId: ids.customerId,
    channel: mutation.channel,
    type: mutation.type,
    subject,
    priority: mutation.priority,
    status: held ? 'in_progress' : 'unassigned',
    assigneeId: held ? actor.id : null,
    assigneeName: held ? actor.displayName : null,
    assignmentReason: { code: 'created_by_hand', byName: actor.displayName, queued: !held },
    createdAt: when,
    updatedAt: Math.max(when, at),
    assignedAt: held ? when : null,
    firstResponseAt: held ? when : null,
    dueAt: dueAtFor(when, mutation.priority),
    completedAt: null,
    lastMessagePreview: previewOf(mutation.note),
    lastMessageAt: when,
    followUpAt: null,
    routing: { ...defaultTicketRouting(), group: groupForTicket(mutation.type, `${subject}\n${mutation.note}`) },
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
  };
  const note: Note = { id: mutation.noteId, ticketId: ids.ticketId, authorId: actor.id, authorName: actor.displayName, text: mutation.note, createdAt: when };
  return { ok: true, ticket, note };
}

/** The ticket's own fields; a new type re-routes a ticket nobody holds yet (its topic group follows the type). */
function decideSetFields(
  ticket: Ticket,
  mutation: Extract<Mutation, { kind: 'setFields' }>,
  actor: RuleActor,
  touched: (next: Ticket) => Ticket,
): MutationDecision {
  if (!mayClassifyTicket(actor, ticket)) return refuse({ code: 'not_owner', ticketId: ticket.id, action: 'setFields', assigneeName: ticket.assigneeName });
  // An agent classifying a queued ticket does not take it, and so does not say how it ended.
  if (mutation.result !== undefined && !isOwnerOrLead(actor, ticket)) {
    return refuse({ code: 'not_owner', ticketId: ticket.id, action: 'setResult', assigneeName: ticket.assigneeName });
  }
  const next: Ticket = {
    ...ticket,
    type: mutation.type ?? ticket.type,
    subCategory: mutation.subCategory === undefined ? ticket.subCategory : blankToNull(mutation.subCategory),
    tags: mutation.tags === undefined ? ticket.tags : normaliseTags(mutation.tags),
    result: mutation.result === undefined ? ticket.result : blankToNull(mutation.result),
  };
  if (next.type !== ticket.type && ticket.assigneeId === null && isOpenStatus(ticket.status)) {
    next.routing = { ...ticket.routing, group: groupForTicket(next.type, `${ticket.subject} ${ticket.lastMessagePreview}`) };
  }
  const same =
    next.type === ticket.type &&
    next.subCategory === ticket.subCategory &&
    next.result === ticket.result &&
    next.tags.length === ticket.tags.length &&
    next.tags.every((tag, i) => tag === ticket.tags[i]);
  // The same values again (e.g. a lead did it meanwhile) is a no-op success.
  if (same) return { ok: true, changed: false, ticket };
  return { ok: true, changed: true, ticket: touched(next) };
}

/**
 * Transfer (转办): the holder (or a lead) hands the ticket to a named agent who can take it,
 * or back to a group's queue for routing to offer; the note goes with it and is what the
 * receiving side reads first. An escalated ticket stays tier 2 wherever it goes.
 */
function decideTransfer(
  ticket: Ticket,
  mutation: Extract<Mutation, { kind: 'transfer' }>,
  actor: RuleActor,
  when: number,
  facts: MutationFacts,
  touched: (next: Ticket) => Ticket,
): MutationDecision {
  if (!isOwnerOrLead(actor, ticket)) return refuse({ code: 'not_owner', ticketId: ticket.id, action: 'transfer', assigneeName: ticket.assigneeName });
  const note = mutation.note.trim();
  if (note === '') return refuse({ code: 'note_required', ticketId: ticket.id });
  const to = mutation.to;
  const agentName = to.kind === 'agent' ? (facts.transferTarget?.displayName ?? to.agentName) : null;
  const refusal: TransferRefusalReason | null = !isOpenStatus(ticket.status)
    ? 'not_open'
    : to.kind === 'agent' && facts.transferTarget !== undefined
      ? transferRefusalFor(ticket, facts.transferTarget)
      : to.kind === 'agent' && ticket.assigneeId === to.agentId
        ? 'already_holder'
        : null;
  if (refusal !== null) return refuse({ code: 'transfer_refused', ticketId: ticket.id, reason: refusal, agentName });
  const handover: Handover = {
    note,
    byId: actor.id,
    byName: actor.displayName,
    at: when,
    to: to.kind === 'agent' ? { kind: 'agent', agentId: to.agentId, agentName: agentName ?? to.agentName } : { kind: 'group', group: to.group },
  };
  // Whoever was pinned or offered it before no longer is: the transfer decides where it goes.
  const routing = { ...ticket.routing, offer: null, pinnedAgentId: null, pinnedAgentName: null };
  const reason = { code: 'transferred' as const, byName: actor.displayName, group: to.kind === 'group' ? to.group : null, note };
  if (to.kind === 'agent') {
    return {
      ok: true,
      changed: true,
      ticket: touched({
        ...ticket,
        assigneeId: to.agentId,
        assigneeName: agentName ?? to.agentName,
        assignedAt: when,
        status: ticket.status === 'unassigned' ? 'in_progress' : ticket.status,
        assignmentReason: reason,
        routing,
        handover,
      }),
    };
  }
  return {
    ok: true,
    changed: true,
    ticket: touched({
      ...ticket,
      assigneeId: null,
      assigneeName: null,
      assignedAt: null,
      status: 'unassigned',
      assignmentReason: reason,
      routing: { ...routing, group: to.group },
      handover,
    }),
  };
}

/** The coarse code older clients read (shared/sync.ts REJECTION_CODES). */
export function rejectionCodeOf(refusal: TicketRefusal): 'not_found' | 'forbidden' | 'invalid_transition' | 'invalid' {
  switch (refusal.code) {
    case 'not_found':
      return 'not_found';
    case 'reassigned':
    case 'not_owner':
    case 'take_refused':
      return 'forbidden';
    case 'invalid_transition':
      return 'invalid_transition';
    case 'no_reply_route':
    case 'subject_not_email':
    case 'duplicate_id':
    case 'mutation_id_reused':
    case 'invalid_date':
    case 'result_required':
    case 'note_required':
    case 'transfer_refused':
    case 'attachment_refused':
      return 'invalid';
    case 'create_refused':
      return refusal.reason === 'channel' ? 'forbidden' : 'not_found';
  }
}

const ACTION_TEXT: Record<OwnerAction, string> = {
  complete: 'complete',
  close: 'close',
  setPriority: 'change the priority of',
  setFollowUp: 'set a follow-up on',
  setFields: 'change the type, tags or result of',
  setResult: 'record the result of',
  transfer: 'transfer',
};

const TAKE_REFUSAL_TEXT: Record<TakeRefusalReason, (tier: string) => string> = {
  escalated_by_them: (tier) => `you escalated it, so a tier-${tier} agent handles it now`,
  tier: (tier) => `it needs a tier-${tier} agent`,
};

const TRANSFER_REFUSAL_TEXT: Record<TransferRefusalReason, string> = {
  unknown_agent: 'there is no such active agent',
  already_holder: 'they already hold it',
  no_channel: "they do not serve the ticket's channel",
  tier: 'it needs a tier-2 agent',
  escalated_by_them: 'they escalated it themselves',
  offline: 'they are offline',
  at_capacity: 'they are at capacity on its channel',
  on_call: 'they are on a call',
  not_open: 'the ticket is no longer open',
};

const ALTERNATIVE_TEXT: Record<ReplyAlternative, string> = {
  add_note: 'add an internal note',
  call_back: 'call the customer back',
  add_email: "add the customer's email address, then reply by email",
};

/** The English sentence for a refusal, for server logs, old clients and tests. */
export function describeRefusal(refusal: TicketRefusal): string {
  switch (refusal.code) {
    case 'not_found':
      return `Ticket ${refusal.ticketId} does not exist or is not yours to see`;
    case 'reassigned': {
      const meanwhile = refusal.meanwhile ? ' while you were offline' : '';
      return refusal.assigneeName === null
        ? `${refusal.ticketId} was put back in the ${refusal.channel} queue${meanwhile}; your change was not applied`
        : `${refusal.ticketId} was reassigned to ${refusal.assigneeName}${meanwhile}; your change was not applied`;
    }
    case 'not_owner':
      return refusal.assigneeName === null
        ? `Take ${refusal.ticketId} first: only its assignee or a lead may ${ACTION_TEXT[refusal.action]} it`
        : `Only ${refusal.assigneeName} (the assignee) or a lead may ${ACTION_TEXT[refusal.action]} ${refusal.ticketId}`;
    case 'invalid_transition':
      return `Cannot change ticket ${refusal.ticketId} from ${refusal.from} to ${refusal.to}${refusal.changedMeanwhile ? ' (it was changed while you were offline)' : ''}`;
    case 'no_reply_route': {
      const instead = refusal.alternatives.map((alternative) => ALTERNATIVE_TEXT[alternative]).join(', or ');
      if (refusal.via !== null && refusal.routes.length > 0) {
        return `The customer of ${refusal.ticketId} cannot be answered through ${refusal.via}; reply through ${refusal.routes.join(' or ')}`;
      }
      return `No written reply can reach the customer of ${refusal.ticketId}${refusal.via !== null ? ` through ${refusal.via}` : ''}; ${instead}`;
    }
    case 'subject_not_email':
      return `A reply to ${refusal.ticketId} through ${refusal.via} cannot carry an email subject`;
    case 'duplicate_id':
      return `Id ${refusal.id} is already used on ${refusal.ticketId}`;
    case 'mutation_id_reused':
      return `Action id ${refusal.id} was already used for another change; this change to ${refusal.ticketId} was not applied`;
    case 'invalid_date':
      return `The ${refusal.field} of ${refusal.ticketId} is not a date between 2000 and 2200`;
    case 'result_required':
      return `Record the result of ${refusal.ticketId} before completing it`;
    case 'note_required':
      return `A transfer of ${refusal.ticketId} needs a handover note`;
    case 'transfer_refused':
      return `${refusal.ticketId} cannot be transferred${refusal.agentName === null ? '' : ` to ${refusal.agentName}`}: ${TRANSFER_REFUSAL_TEXT[refusal.reason]}`;
    case 'take_refused':
      return `You cannot take ${refusal.ticketId}: ${TAKE_REFUSAL_TEXT[refusal.reason](String(refusal.requiredTier))}`;
    case 'create_refused':
      return refusal.reason === 'channel'
        ? 'The ticket was not created: an agent creates tickets on their own channels or on phone'
        : 'The ticket was not created: the customer is unknown or not yours to see';
    case 'attachment_refused':
      return `The reply on ${refusal.ticketId} was not sent: ${ATTACHMENT_REFUSAL_TEXT[refusal.reason]}${refusal.fileName === null ? '' : ` (${refusal.fileName})`}`;
  }
}

const ATTACHMENT_REFUSAL_TEXT: Record<AttachmentRefusalCode, string> = {
  attachment_too_large: `a file is larger than ${String(ATTACHMENT_LIMITS.maxFileBytes / 1024 / 1024)} MB`,
  attachments_too_large: `the files together are larger than ${String(ATTACHMENT_LIMITS.maxReplyBytes / 1024 / 1024)} MB`,
  too_many_attachments: `more than ${String(ATTACHMENT_LIMITS.maxFiles)} files`,
  attachment_type_denied: 'this type of file may not be sent',
  attachment_empty: 'a file is empty',
  attachment_unknown: 'a file was not uploaded (upload it again)',
  attachment_offline: 'files can only be attached while connected',
  uploads_over_quota: `files uploaded and not yet sent exceed ${String(ATTACHMENT_LIMITS.maxPendingBytes / 1024 / 1024)} MB (send or remove some)`,
};
