/**
 * The sync protocol between the server and each workstation core, carried by socket.io.
 * See docs/technical/sync-protocol.md for the whole story; in short:
 * - the server appends every change to a log with a global, gap-free `seq`;
 * - a client pulls `since` its last seq, then receives live batches that name the
 *   seq they follow (`after`), so a missed batch is detected and re-pulled;
 * - client writes go through an outbox of mutations, applied idempotently by the
 *   server and acknowledged with their seq.
 */
import { z } from 'zod';
import { isCanonicalTicketBundle } from './bundleCheck.js';
import {
  MAX_HANDOVER_NOTE_LENGTH,
  MAX_RESULT_LENGTH,
  MAX_SUB_CATEGORY_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  customerSchema,
  entityIdSchema,
  epochMsSchema,
  messageSchema,
  messageSourceSchema,
  noteSchema,
  ticketBundleSchema,
  ticketIdSchema,
  ticketSchema,
  ticketGroupSchema,
  ticketStatusSchema,
  ticketTypeSchema,
  prioritySchema,
  textSchema,
  type Customer,
  type Message,
  type Note,
  type Ticket,
  type TicketBundle,
} from './domain.js';
import type {
  AgentStatusResult,
  AgentsPush,
  AgentsResult,
  EscalateRequest,
  LeadAgentsRequest,
  LeadPinRequest,
  LeadReassignRequest,
  LeadReassignResult,
  LeadSetCapacityRequest,
  LeadSetPresenceRequest,
  OfferRespondRequest,
  OfferResponseResult,
  OfferWithdrawn,
  PresenceChanged,
  PresenceResult,
  PresenceSetRequest,
  RoutingAuditRequest,
  RoutingAuditResult,
  RoutingOffer,
  TicketResult,
  TransferTargetsRequest,
  TransferTargetsResult,
} from './routing.js';
import type {
  CustomerHistoryPage,
  CustomerHistoryRequest,
  CustomerMatchesRequest,
  CustomerMatchesResult,
  CustomerMergeRequest,
  CustomerMergeResult,
} from './customers.js';
import type { AgentTypingRequest, ChatReadEvent, ChatTypingEvent } from './webchat.js';
import type { TicketPresenceEvent, TicketPresenceRequest } from './collision.js';
import type { CtiCall } from './cti.js';
import { ticketRefusalSchema } from './ticketRules.js';
import { replyAttachmentsSchema } from './attachments.js';
import { replySubjectSchema } from './replySubject.js';
import { createTicketMutationSchema, createdTicketIdsSchema } from './manualTicket.js';
import type { QueueListRequest, QueueListResult, QueueSummary, TicketFetchRequest, TicketFetchResult } from './queue.js';
import type { PiiAuditRequest, PiiAuditResult, PiiRevealRequest, PiiRevealResult } from './pii.js';
import type { BoardGetRequest, BoardGetResult, BoardSnapshot } from './board.js';
import type { OrgSettings } from './timeZone.js';
import type {
  AdminAuditResult,
  AdminCreateUserRequest,
  AdminResetPasswordRequest,
  AdminSetActiveRequest,
  AdminSetCapacityRequest,
  AdminUpdateUserRequest,
  AdminUserResult,
  AdminUsersResult,
  ChannelRegistryResult,
  ChannelSetRequest,
  ChannelSetResult,
  CustomerVipSetRequest,
  CustomerVipSetResult,
  PoliciesResult,
  PoliciesSetRequest,
  ReportCredentialCreateRequest,
  ReportCredentialCreateResult,
  ReportCredentialRevokeRequest,
  ReportCredentialRevokeResult,
  ReportCredentialsResult,
} from './admin.js';
import type {
  KnowledgeChanged,
  KnowledgeDecideRequest,
  KnowledgeDecideResult,
  KnowledgeHistoryRequest,
  KnowledgeHistoryResult,
  KnowledgeListResult,
  KnowledgeSaveRequest,
  KnowledgeSuggestRequest,
  KnowledgeSuggestionsResult,
  Article,
  Suggestion,
} from './knowledge.js';
import type {
  ScriptDeleteRequest,
  ScriptDeleteResult,
  ScriptSaveRequest,
  ScriptSaveResult,
  ScriptsChanged,
  ScriptsListRequest,
  ScriptsListResult,
} from './scripts.js';
import type {
  Alarm,
  AlarmAckRequest,
  AlarmCounts,
  AlarmResult,
  AlarmsListRequest,
  AlarmsListResult,
  BacklogThresholdSetRequest,
  BacklogThresholdsResult,
  EscalationDecideRequest,
  EscalationRequestResult,
} from './alarms.js';

// ---------------------------------------------------------------------------------------
// Changes (server → client). Each carries a full snapshot, never a delta, so replaying a
// change that is already applied is harmless and the newest one always wins.

export const changeSchema = z.discriminatedUnion('kind', [
  /** The ticket's fields changed; the client already has its messages and notes. */
  z.object({ seq: z.number().int().positive(), kind: z.literal('ticket'), ticket: ticketSchema }),
  /** The ticket entered (or left) someone's view, or was created: everything about it. */
  z.object({ seq: z.number().int().positive(), kind: z.literal('bundle'), bundle: ticketBundleSchema }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('message'), message: messageSchema, ticket: ticketSchema }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('note'), note: noteSchema, ticket: ticketSchema }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('customer'), customer: customerSchema }),
]);
export type Change = z.infer<typeof changeSchema>;

/** A change as it is built before the log gives it a seq. */
export type ChangeBody =
  | { kind: 'ticket'; ticket: Ticket }
  | { kind: 'bundle'; bundle: TicketBundle }
  | { kind: 'message'; message: Message; ticket: Ticket }
  | { kind: 'note'; note: Note; ticket: Ticket }
  | { kind: 'customer'; customer: Customer };

// ---------------------------------------------------------------------------------------
// Mutations (client → server through the outbox). Ids of new messages and notes are made
// by the client (UUIDv7) so the optimistic local row and the server's row are one row.

export const mutationIdSchema = entityIdSchema;

/**
 * The newest message or note (by id) the client's copy of the ticket had when the mutation was
 * made: the server never dates the mutation at or before that entry's time (shared/ticketRules.ts
 * `mutationTime`). Absent: none, or a client from before it. Not part of what the mutation is
 * (server/mutationFingerprint.ts leaves it out, like `createdAt`).
 */
const followsSchema = entityIdSchema.optional();

export const mutationSchema = z.discriminatedUnion('kind', [
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('reply'),
    ticketId: ticketIdSchema,
    messageId: entityIdSchema,
    text: textSchema,
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
    /** The source the agent picked to answer through (see `replyRoutes`); absent = the customer's newest. */
    via: messageSourceSchema.optional(),
    /** Files uploaded before (by their upload ids, shared/attachments.ts); absent = none. */
    attachments: replyAttachmentsSchema.optional(),
    /** The email subject the agent wrote (email replies only; shared/replySubject.ts); absent = `Re: <ticket subject> [GD…]`. */
    subject: replySubjectSchema.optional(),
  }),
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('note'),
    ticketId: ticketIdSchema,
    noteId: entityIdSchema,
    text: textSchema,
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('setStatus'),
    ticketId: ticketIdSchema,
    status: ticketStatusSchema,
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('setPriority'),
    ticketId: ticketIdSchema,
    priority: prioritySchema,
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  /**
   * Ask the leads to escalate the ticket to tier 2 (主管审核, shared/alarms.ts). Queued in the
   * outbox like any write, so a request made offline reaches the leads when the workstation is
   * back; the ticket itself changes only when a lead approves.
   */
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('requestEscalation'),
    ticketId: ticketIdSchema,
    reason: z
      .string()
      .max(500)
      .refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('setFollowUp'),
    ticketId: ticketIdSchema,
    /** null clears the reminder. */
    followUpAt: z.number().int().nonnegative().nullable(),
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  /** The ticket's own fields (issue 12): each one present is set, the others kept; changing the type re-routes a queued ticket. */
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('setFields'),
    ticketId: ticketIdSchema,
    type: ticketTypeSchema.optional(),
    /** null (or blank) clears it. */
    subCategory: z.string().max(MAX_SUB_CATEGORY_LENGTH).nullable().optional(),
    /** The whole set; blank and repeated tags are dropped. */
    tags: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).optional(),
    /** null (or blank) clears it; completing needs one. */
    result: z.string().max(MAX_RESULT_LENGTH).nullable().optional(),
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  /**
   * Transfer (转办) to a group's queue or a named agent, with the handover note the receiving side
   * reads first. A blank note is refused by the rules (`note_required`), not here, so an outbox
   * entry is always readable and its refusal says why. `agentName` only labels the optimistic copy.
   */
  z.object({
    mutationId: mutationIdSchema,
    kind: z.literal('transfer'),
    ticketId: ticketIdSchema,
    to: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('group'), group: ticketGroupSchema }),
      z.object({ kind: z.literal('agent'), agentId: entityIdSchema, agentName: z.string().max(100) }),
    ]),
    note: z.string().max(MAX_HANDOVER_NOTE_LENGTH),
    createdAt: z.number().int().nonnegative(),
    follows: followsSchema,
  }),
  /**
   * A ticket made by hand (shared/manualTicket.ts), under the provisional id the workstation
   * shows until the ack's `created` names its GD id. Later mutations may name the provisional
   * id: the server translates it (per user), in the same push or a later one.
   */
  createTicketMutationSchema,
]);
export type Mutation = z.infer<typeof mutationSchema>;

/** Most mutations one push may carry; the outbox sends larger backlogs in several pushes. */
export const MAX_PUSH_BATCH = 200;

/**
 * The largest frame a signed-in workstation sends (server/frameLimits.ts reads none larger): a
 * push, cut to fit by `pushBatchLength`. Every other request is far smaller (a knowledge article
 * of 20,000 characters is at most ~120 KB as JSON); files go by HTTP upload. One mutation always
 * fits: a reply of MAX_TEXT_LENGTH characters, each at most 6 bytes as JSON (`\u001f`, a lone
 * surrogate), with its subject and ten attachments' names, is under 160 KB.
 */
export const MAX_PUSH_FRAME_BYTES = 1024 * 1024;

/** Room left in a push's frame for what surrounds the mutations: `42<ack id>["sync:push",{"mutations":[…]}]`. */
const PUSH_ENVELOPE_BYTES = 1024;

/** Bytes of `text` in UTF-8 (shared code runs in the renderer too: no Buffer). JSON.stringify leaves no lone surrogate to count. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      // A pair: 4 bytes for both halves.
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * How many of `mutations` (in order) one push carries: at most MAX_PUSH_BATCH, and as many as fit
 * in MAX_PUSH_FRAME_BYTES as socket.io sends them (JSON, UTF-8); always at least one. Before, a
 * push was cut by count only: 200 replies of 20,000 CJK characters made a 12 MB frame, and the
 * server let every signed-in connection send 16 MiB ones.
 */
export function pushBatchLength(mutations: readonly Mutation[]): number {
  let bytes = PUSH_ENVELOPE_BYTES;
  const count = Math.min(mutations.length, MAX_PUSH_BATCH);
  for (let index = 0; index < count; index++) {
    // The comma between two mutations counts too.
    bytes += utf8Length(JSON.stringify(mutations[index])) + 1;
    if (bytes > MAX_PUSH_FRAME_BYTES) return Math.max(1, index);
  }
  return count;
}

export const pushRequestSchema = z.object({
  mutations: z.array(mutationSchema).min(1).max(MAX_PUSH_BATCH),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

/** The coarse refusal codes (kept for clients from before `refusal`); the facts are in `refusal`. */
export const REJECTION_CODES = ['not_found', 'forbidden', 'invalid_transition', 'invalid'] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export const mutationResultSchema = z.discriminatedUnion('ok', [
  z.object({
    mutationId: mutationIdSchema,
    ok: z.literal(true),
    seq: z.number().int().positive(),
    /** A `createTicket`'s GD id and customer id (also on a repeat answered from the stored result). */
    created: createdTicketIdsSchema.optional(),
  }),
  z.object({
    mutationId: mutationIdSchema,
    ok: z.literal(false),
    code: z.enum(REJECTION_CODES),
    /** English, for logs and for a refusal this client cannot read (a newer server's code). */
    reason: z.string(),
    /**
     * Why, as a code with facts (shared/ticketRules.ts) the UI says in the agent's language.
     * Absent in results stored before it existed; an unknown code reads as absent.
     */
    refusal: ticketRefusalSchema.optional().catch(undefined),
    /** The authoritative ticket, so the client can revert its optimistic change. */
    ticket: ticketSchema.nullable(),
  }),
]);
export type MutationResult = z.infer<typeof mutationResultSchema>;

// ---------------------------------------------------------------------------------------
// Requests with acknowledgements. Every ack is either a result or an error; a malformed
// request is answered with `invalid_request` and changes nothing.

export const protocolErrorSchema = z.object({
  /**
   * forbidden / not_found / conflict answer routing requests (e.g. an agent calling a lead-only event).
   * On a server of several nodes, a routing request the routing leader could not take in time:
   * `unavailable` — nothing was done (no leader during an election, or the leader skipped it
   * because its caller's deadline had passed), ask again; `unconfirmed` — the leader heard it but
   * no answer came in time, so it may or may not have been done (docs/technical/routing.md).
   */
  code: z.enum(['invalid_request', 'unauthorized', 'internal', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'unavailable', 'unconfirmed']),
  message: z.string(),
});
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

export type Ack<T> = { ok: true; result: T } | { ok: false; error: ProtocolError };

export const pullRequestSchema = z.object({ since: z.number().int().nonnegative() });
export type PullRequest = z.infer<typeof pullRequestSchema>;

/** Largest number of changes one pull returns; `more` says to pull again. */
export const MAX_PULL_CHANGES = 1000;

const seqSchema = z.number().int().nonnegative();

/**
 * A change (or bootstrap bundle) this client could not read. It is skipped and listed as
 * needing attention; one bad change must never stop a workstation from syncing the rest.
 */
export interface UnreadableChange {
  /** The change's seq when it had one (null for a bootstrap bundle, or a seq that was unreadable too). */
  seq: number | null;
  /** The ticket it was about, when that could be made out. */
  ticketId: string | null;
  /** What was wrong with it, for the agent's support desk. */
  issue: string;
  /** When this client met it. */
  at: number;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The ticket id a raw (unreadable) change or bundle names, if one shaped like a ticket id can be made out. */
function ticketIdIn(raw: unknown): string | null {
  const candidates = [
    field(field(raw, 'ticket'), 'id'),
    field(field(field(raw, 'bundle'), 'ticket'), 'id'),
    field(field(raw, 'message'), 'ticketId'),
    field(field(raw, 'note'), 'ticketId'),
  ];
  for (const candidate of candidates) {
    const parsed = ticketIdSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return null;
}

function issueOf(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unreadable';
  return `${issue.path.length > 0 ? issue.path.join('.') : '(change)'}: ${issue.message}`;
}

/** Reads each change on its own: the readable ones in order, the others as unreadable (seq and ticket kept when they can be). */
export function readChanges(raw: readonly unknown[], at: number): { changes: Change[]; unreadable: UnreadableChange[] } {
  const changes: Change[] = [];
  const unreadable: UnreadableChange[] = [];
  for (const item of raw) {
    const parsed = changeSchema.safeParse(item);
    if (parsed.success) {
      changes.push(parsed.data);
      continue;
    }
    const seq = z.number().int().positive().safeParse(field(item, 'seq'));
    unreadable.push({ seq: seq.success ? seq.data : null, ticketId: ticketIdIn(item), issue: issueOf(parsed.error), at });
  }
  return { changes, unreadable };
}

/**
 * Reads each bootstrap bundle on its own, like `readChanges`. A bundle the hand-written
 * check (bundleCheck.ts) finds complete and valid is used as it came; any other goes through
 * `ticketBundleSchema`, which fills its defaults or refuses it as before.
 */
export function readBundles(raw: readonly unknown[], at: number): { bundles: TicketBundle[]; unreadable: UnreadableChange[] } {
  const bundles: TicketBundle[] = [];
  const unreadable: UnreadableChange[] = [];
  for (const item of raw) {
    if (isCanonicalTicketBundle(item)) {
      bundles.push(item);
      continue;
    }
    const parsed = ticketBundleSchema.safeParse(item);
    if (parsed.success) bundles.push(parsed.data);
    else unreadable.push({ seq: null, ticketId: ticketIdIn({ bundle: item }), issue: issueOf(parsed.error), at });
  }
  return { bundles, unreadable };
}

/**
 * The server's clock when it answered (epoch ms): the core measures its clock's offset from it
 * on every pull and push (main/core/sync/serverClock.ts) and dates its writes in server time.
 * Optional: a server from before it sends none, and an older core ignores it.
 */
const serverTimeSchema = epochMsSchema.optional();

export const pullResultSchema = z.discriminatedUnion('mustRefetch', [
  z.object({ mustRefetch: z.literal(false), changes: z.array(changeSchema), upTo: seqSchema, more: z.boolean(), serverTime: serverTimeSchema }),
  /** The server no longer has (or never had) the range asked for: bootstrap again. */
  z.object({ mustRefetch: z.literal(true), upTo: seqSchema, serverTime: serverTimeSchema }),
]);
export type PullResult = z.infer<typeof pullResultSchema>;

export const bootstrapRequestSchema = z.object({
  /** Ticket id to continue after; null for the first page. */
  after: ticketIdSchema.nullable(),
  limit: z.number().int().min(1).max(5000),
});
export type BootstrapRequest = z.infer<typeof bootstrapRequestSchema>;

export const bootstrapPageSchema = z.object({
  /** The log position the snapshot is at least as new as: pull from here when done. */
  seq: seqSchema,
  total: z.number().int().nonnegative(),
  bundles: z.array(ticketBundleSchema),
  /** Ticket id to pass as `after` for the next page; null on the last page. */
  next: z.string().nullable(),
});
export type BootstrapPage = z.infer<typeof bootstrapPageSchema>;

/**
 * The pull answer and bootstrap page as a client reads them: the envelope strictly, each
 * change or bundle left raw for `readChanges` / `readBundles`, so one bad entry is skipped
 * instead of making the whole answer unreadable.
 */
export const pullResultEnvelopeSchema = z.discriminatedUnion('mustRefetch', [
  z.object({ mustRefetch: z.literal(false), changes: z.array(z.unknown()), upTo: seqSchema, more: z.boolean(), serverTime: serverTimeSchema }),
  z.object({ mustRefetch: z.literal(true), upTo: seqSchema, serverTime: serverTimeSchema }),
]);
export type PullResultEnvelope = z.infer<typeof pullResultEnvelopeSchema>;

export const bootstrapPageEnvelopeSchema = bootstrapPageSchema.extend({ bundles: z.array(z.unknown()) });
export type BootstrapPageEnvelope = z.infer<typeof bootstrapPageEnvelopeSchema>;

export const pushResultSchema = z.object({ results: z.array(mutationResultSchema), serverTime: serverTimeSchema });
export type PushResult = z.infer<typeof pushResultSchema>;

/** The schema of an acknowledgement carrying `result` (clients parse every ack; socket.io types are only hints). */
export function ackSchema<T extends z.ZodType>(result: T) {
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), result }), z.object({ ok: z.literal(false), error: protocolErrorSchema })]);
}

/** A live batch: `after` is the seq this socket was sent up to before, `upTo` the newest seq now. */
export interface LiveChanges {
  after: number;
  upTo: number;
  changes: Change[];
}

export const liveChangesSchema = z.object({
  after: z.number().int().nonnegative(),
  upTo: z.number().int().nonnegative(),
  changes: z.array(changeSchema),
});

/** A live batch as a client reads it: each change left raw for `readChanges`. */
export const liveChangesEnvelopeSchema = liveChangesSchema.extend({ changes: z.array(z.unknown()) });

// ---------------------------------------------------------------------------------------
// socket.io event maps (socket.io's typed-events convention; the client reverses them).

export interface ClientToServerEvents {
  'sync:pull': (request: PullRequest, ack: (response: Ack<PullResult>) => void) => void;
  'sync:bootstrap': (request: BootstrapRequest, ack: (response: Ack<BootstrapPage>) => void) => void;
  'sync:push': (request: PushRequest, ack: (response: Ack<PushResult>) => void) => void;
  /** The queued tickets the caller could take, longest waiting first (shared/queue.ts); masked for agents. */
  'queue:list': (request: QueueListRequest, ack: (response: Ack<QueueListResult>) => void) => void;
  /** One ticket's bundle when the caller may open it (queued tickets of an agent's channels included), else `not_found`. */
  'ticket:fetch': (request: TicketFetchRequest, ack: (response: Ack<TicketFetchResult>) => void) => void;
  // Routing (shared/routing.ts has the schemas; lead:* answer `forbidden` to agents).
  'presence:set': (request: PresenceSetRequest, ack: (response: Ack<PresenceResult>) => void) => void;
  'offer:respond': (request: OfferRespondRequest, ack: (response: Ack<OfferResponseResult>) => void) => void;
  /** Files an escalation request (主管审核, shared/alarms.ts): the ticket goes to tier 2 only when a lead approves. */
  'ticket:escalate': (request: EscalateRequest, ack: (response: Ack<EscalationRequestResult>) => void) => void;
  'routing:audit': (request: RoutingAuditRequest, ack: (response: Ack<RoutingAuditResult>) => void) => void;
  /** Who the ticket could be transferred to now, and why not for the others (its holder or a lead; else `not_found`). */
  'ticket:transferTargets': (request: TransferTargetsRequest, ack: (response: Ack<TransferTargetsResult>) => void) => void;
  'lead:agents': (request: LeadAgentsRequest, ack: (response: Ack<AgentsResult>) => void) => void;
  'lead:reassign': (request: LeadReassignRequest, ack: (response: Ack<LeadReassignResult>) => void) => void;
  'lead:pin': (request: LeadPinRequest, ack: (response: Ack<TicketResult>) => void) => void;
  'lead:setPresence': (request: LeadSetPresenceRequest, ack: (response: Ack<AgentStatusResult>) => void) => void;
  'lead:setCapacity': (request: LeadSetCapacityRequest, ack: (response: Ack<AgentStatusResult>) => void) => void;
  /** Merges two customers (shared/customers.ts); the viewers get the kept customer, then each moved ticket, as changes. */
  'customer:merge': (request: CustomerMergeRequest, ack: (response: Ack<CustomerMergeResult>) => void) => void;
  /** Customers possibly the same as this one (shared/customers.ts): a shared phone, email or social id that one side only claimed. */
  'customer:matches': (request: CustomerMatchesRequest, ack: (response: Ack<CustomerMatchesResult>) => void) => void;
  /** One page of the customer's history on every channel (shared/customers.ts): to whoever holds or is offered one of their tickets, and leads; masked for agents; rate limited. */
  'customer:history': (request: CustomerHistoryRequest, ack: (response: Ack<CustomerHistoryPage>) => void) => void;
  /** Web chat: this agent is typing a reply on a chat ticket (no ack; ephemeral, shared/webchat.ts). */
  'chat:typing': (request: AgentTypingRequest) => void;
  /** Collision: the ticket this workstation shows (or none) and whether its user is typing there (no ack; ephemeral, shared/collision.ts). */
  'ticket:presence': (request: TicketPresenceRequest) => void;
  /** The clear value of a masked field the user may see (audited; shared/pii.ts). */
  'pii:reveal': (request: PiiRevealRequest, ack: (response: Ack<PiiRevealResult>) => void) => void;
  /** Leads and admins: who revealed what on a ticket (agents get `forbidden`). */
  'pii:audit': (request: PiiAuditRequest, ack: (response: Ack<PiiAuditResult>) => void) => void;
  /** Leads and admins: the live channel board now (shared/board.ts); agents get `forbidden`. */
  'board:get': (request: BoardGetRequest, ack: (response: Ack<BoardGetResult>) => void) => void;
  /** The scripts the caller may read: the team library and their own personal one (shared/scripts.ts). */
  'scripts:list': (request: ScriptsListRequest, ack: (response: Ack<ScriptsListResult>) => void) => void;
  /** Creates or replaces a script; leads and admins write the team library, each user their own personal one. */
  'scripts:save': (request: ScriptSaveRequest, ack: (response: Ack<ScriptSaveResult>) => void) => void;
  'scripts:delete': (request: ScriptDeleteRequest, ack: (response: Ack<ScriptDeleteResult>) => void) => void;
  // Knowledge base (shared/knowledge.ts): agents read published articles and suggest; leads and admins write and decide.
  /** The articles the caller may read: published ones for agents, every one for leads and admins. */
  'kb:list': (request: Record<string, never>, ack: (response: Ack<KnowledgeListResult>) => void) => void;
  /** Leads and admins: create or change an article (agents get `forbidden`). */
  'kb:save': (request: KnowledgeSaveRequest, ack: (response: Ack<{ article: Article }>) => void) => void;
  /** Anyone signed in: suggest an edit of a readable article, or a new article. */
  'kb:suggest': (request: KnowledgeSuggestRequest, ack: (response: Ack<{ suggestion: Suggestion }>) => void) => void;
  /** The caller's own suggestions (agents), or every suggestion (leads and admins). */
  'kb:suggestions': (request: Record<string, never>, ack: (response: Ack<KnowledgeSuggestionsResult>) => void) => void;
  /** Leads and admins: accept or decline (with a reason) a pending suggestion. */
  'kb:decide': (request: KnowledgeDecideRequest, ack: (response: Ack<KnowledgeDecideResult>) => void) => void;
  /** Leads and admins: an article's audit, newest first (agents get `forbidden`, an unknown article `not_found`). */
  'kb:history': (request: KnowledgeHistoryRequest, ack: (response: Ack<KnowledgeHistoryResult>) => void) => void;
  /** The alarms this user may see (all for leads; an agent's own SLA alarms and escalation requests) and the backlog thresholds. */
  'alarms:list': (request: AlarmsListRequest, ack: (response: Ack<AlarmsListResult>) => void) => void;
  /** Leads and admins: acknowledge an alarm (who and when are kept); agents get `forbidden`. */
  'alarms:ack': (request: AlarmAckRequest, ack: (response: Ack<AlarmResult>) => void) => void;
  /** Leads and admins: approve or refuse an escalation request; `conflict` when it was decided already. */
  'alarms:decide': (request: EscalationDecideRequest, ack: (response: Ack<AlarmResult>) => void) => void;
  /** Leads and admins: one channel's backlog threshold. */
  'alarms:setThreshold': (request: BacklogThresholdSetRequest, ack: (response: Ack<BacklogThresholdsResult>) => void) => void;
  // Administration (shared/admin.ts): leads and admins read; only admins write (others get `forbidden`).
  'admin:users': (request: Record<string, never>, ack: (response: Ack<AdminUsersResult>) => void) => void;
  'admin:audit': (request: { userId?: string }, ack: (response: Ack<AdminAuditResult>) => void) => void;
  'admin:policies': (request: Record<string, never>, ack: (response: Ack<PoliciesResult>) => void) => void;
  'admin:createUser': (request: AdminCreateUserRequest, ack: (response: Ack<AdminUserResult>) => void) => void;
  'admin:updateUser': (request: AdminUpdateUserRequest, ack: (response: Ack<AdminUserResult>) => void) => void;
  'admin:setActive': (request: AdminSetActiveRequest, ack: (response: Ack<AdminUserResult>) => void) => void;
  'admin:resetPassword': (request: AdminResetPasswordRequest, ack: (response: Ack<AdminUserResult>) => void) => void;
  'admin:setCapacity': (request: AdminSetCapacityRequest, ack: (response: Ack<AdminUserResult>) => void) => void;
  'admin:setPolicies': (request: PoliciesSetRequest, ack: (response: Ack<PoliciesResult>) => void) => void;
  /** The channel registry: owner, business hours and off-hours auto-reply, expected volume, customer group, on/off. */
  'admin:channels': (request: Record<string, never>, ack: (response: Ack<ChannelRegistryResult>) => void) => void;
  /** Admins: one channel's registry entry. */
  'admin:setChannel': (request: ChannelSetRequest, ack: (response: Ack<ChannelSetResult>) => void) => void;
  /** Admins: a customer's VIP tier (routing prefers senior agents for VIPs). */
  'admin:setCustomerVip': (request: CustomerVipSetRequest, ack: (response: Ack<CustomerVipSetResult>) => void) => void;
  /** Leads and admins: the live report-reader credentials (never their secrets). */
  'admin:reportCredentials': (request: Record<string, never>, ack: (response: Ack<ReportCredentialsResult>) => void) => void;
  /** Admins: a report-reader credential for another system; the answer carries its secret, once. */
  'admin:createReportCredential': (request: ReportCredentialCreateRequest, ack: (response: Ack<ReportCredentialCreateResult>) => void) => void;
  /** Admins: revoke a report-reader credential; its next request is refused on every node. */
  'admin:revokeReportCredential': (request: ReportCredentialRevokeRequest, ack: (response: Ack<ReportCredentialRevokeResult>) => void) => void;
}

export interface ServerToClientEvents {
  'sync:changes': (batch: LiveChanges) => void;
  /** To agents: their channels' queues (shared/queue.ts), on connect and, throttled, when they change. */
  'queue:summary': (summary: QueueSummary) => void;
  /** A phone/chat contact offered to this agent (also re-sent for open offers on reconnect). */
  'routing:offer': (offer: RoutingOffer) => void;
  /** An offer this agent had is no longer theirs to accept. */
  'routing:offerWithdrawn': (withdrawn: OfferWithdrawn) => void;
  /** This agent's presence, sent on connect and whenever it changes (by them, a lead or the server). */
  'presence:changed': (change: PresenceChanged) => void;
  /** To leads and admins: every agent's presence and load, on connect and (throttled) when it changes. */
  'lead:agents': (push: AgentsPush) => void;
  /** To leads and admins only: the live channel board (shared/board.ts), on connect and (throttled) when its figures change. */
  'board:snapshot': (board: BoardSnapshot) => void;
  /** An alarm raised or changed (acknowledged, decided): to leads and admins, and to the agent it concerns. */
  'alarms:alarm': (alarm: Alarm) => void;
  /** To leads and admins: the backlog thresholds after a lead changed one. */
  'alarms:thresholds': (result: BacklogThresholdsResult) => void;
  /** The open counts (shared/alarms.ts `AlarmCounts`) after alarms were pushed: to leads and admins, and to each agent concerned (their own). */
  'alarms:counts': (counts: AlarmCounts) => void;
  /** Web chat: the visitor of a ticket this user sees is typing, or stopped (ephemeral, shared/webchat.ts). */
  'chat:typing': (event: ChatTypingEvent) => void;
  /** Collision: everyone viewing a ticket this socket views, and who of them is typing (names only; shared/collision.ts). */
  'ticket:presence': (event: TicketPresenceEvent) => void;
  /** Web chat: the visitor has seen the agent messages up to one (the read watermark; ephemeral). */
  'chat:read': (event: ChatReadEvent) => void;
  /** The screen pop: a call ringing at (or answered, ended, missed by) this agent's extension; re-sent for live calls on reconnect. */
  'cti:call': (call: CtiCall) => void;
  /** The session's token expired or was revoked (sign-out): sent just before the server disconnects the socket. */
  'session:ended': (event: SessionEnded) => void;
  /** A library this user reads changed (the team's, or their personal one): fetch `scripts:list` again. */
  'scripts:changed': (event: ScriptsChanged) => void;
  /** The knowledge base changed: `articles` to every signed-in socket; `suggestions` to leads and the suggestion's author. */
  'kb:changed': (event: KnowledgeChanged) => void;
  /** To leads and admins: users or policies changed; an open admin view fetches them again. */
  'admin:changed': (event: Record<string, never>) => void;
  /** To every signed-in socket: the organisation's time zone, on connect and whenever an admin saves the policies (shared/timeZone.ts). */
  'org:settings': (settings: OrgSettings) => void;
}

/** Between server nodes (socket.io `serverSideEmit`, through the cluster adapter). */
export interface InterServerEvents {
  /** An agent on the sending node opened or left a ticket (no commit says so): the board is recomputed for this node's leads. */
  'board:viewingChanged': () => void;
}

/**
 * The version of this protocol the code speaks, sent in every workstation handshake, so a
 * server can turn away a core that would misread what it sends instead of letting it
 * show a wrong picture. What each version added:
 * - 1: everything before versions (its handshake carries no `protocol`);
 * - 2: the leads' roster (`lead:agents`) as diffs after a complete push (`complete: false`,
 *   `removed`, `epoch`, shared/routing.ts `agentsPushVerdict`): a version-1 core takes each
 *   diff for the whole roster.
 * - 3: a push's frame is at most MAX_PUSH_FRAME_BYTES (the core cuts its outbox by bytes as
 *   well as by count, `pushBatchLength`); the server reads no larger frame from anyone, so a
 *   version-2 core, whose push of 200 long replies could reach ~12 MB, is turned away as outdated
 *   rather than having its connection closed at every push.
 * Raise it with every change an older core would misread, and say here what it added.
 */
export const SYNC_PROTOCOL_VERSION = 3;

/** The oldest version the server accepts by default; an older (or unversioned) handshake is refused with OUTDATED_CLIENT_SOCKET_ERROR. */
export const MIN_SYNC_PROTOCOL_VERSION = 3;

/** What the handshake must carry: the bearer token from sign-in, the client's stable id and the protocol version it speaks. */
export const handshakeAuthSchema = z.object({
  token: z.string().min(1).max(200),
  clientId: entityIdSchema,
  protocol: z.number().int().positive(),
});
export type HandshakeAuth = z.infer<typeof handshakeAuthSchema>;

/** The version a handshake names, read before the rest of it; none is version 1 (a core from before versions). */
export const handshakeProtocolSchema = z.object({
  protocol: z.number().int().positive().default(1),
});

/** The handshake `auth` of a workstation speaking this code's protocol version (the core, and every test or bench client). */
export function workstationHandshakeAuth(token: string, clientId: string): HandshakeAuth {
  return { token, clientId, protocol: SYNC_PROTOCOL_VERSION };
}

/** The message of the connect_error a socket gets when its token is missing, wrong, expired, revoked or bound to another client. */
export const UNAUTHORIZED_SOCKET_ERROR = 'unauthorized';

/** The connect_error of a socket opened with a report-reader credential: it reads the HTTP reports only, never a socket. */
export const REPORT_CREDENTIAL_SOCKET_ERROR =
  'report_credential_not_allowed: a report-reader credential reads GET /api/v1/reports and /api/v1/reports/charts only';

/**
 * The message of the connect_error a socket gets when its handshake names no protocol version
 * (a core from before versions) or one older than the server accepts, whatever its token. Not
 * 'unauthorized': the token stays valid and the core keeps its session, cache and outbox; only
 * an update lets it connect.
 */
export const OUTDATED_CLIENT_SOCKET_ERROR = 'client_outdated';

/** Why the server ended a signed-in socket: its token expired, or it was revoked by signing out. */
export const sessionEndedSchema = z.object({
  reason: z.enum(['expired', 'revoked']),
  message: z.string().max(500),
});
export type SessionEnded = z.infer<typeof sessionEndedSchema>;
