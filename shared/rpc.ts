/**
 * The whole renderer ↔ workstation-core contract (GitHub Desktop's ipc-shared.ts idea):
 * every method with its params schema and result type, every pushed event, and the
 * `WorkstationApi` object the preload (Electron) or the WebSocket transport (browser
 * mode) hands to the renderer. Both transports derive from these declarations and the
 * core validates every call with the schemas here.
 */
import { ticketPresenceRequestSchema, type TicketPresenceEvent } from './collision.js';
import { z } from 'zod';
import {
  ATTACHMENT_LIMITS,
  attachmentFileNameSchema,
  offlineFileSchema,
  replyAttachmentsSchema,
  type OfflineFile,
  type ReplyAttachment,
} from './attachments.js';
import { replySubjectSchema } from './replySubject.js';
import type { CtiCall } from './cti.js';
import {
  customerHistoryRequestSchema,
  customerMatchesRequestSchema,
  customerMergeRequestSchema,
  type CustomerHistoryView,
  type CustomerMatchesResult,
  type CustomerMergeResult,
  type CustomerSearchHit,
} from './customers.js';
import {
  EARLIEST_PLAUSIBLE_MS,
  LATEST_EPOCH_MS,
  MAX_HANDOVER_NOTE_LENGTH,
  MAX_RESULT_LENGTH,
  MAX_SUB_CATEGORY_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  channelSchema,
  customerIdSchema,
  entityIdSchema,
  messageSourceSchema,
  prioritySchema,
  textSchema,
  MAX_SUBJECT_LENGTH,
  MAX_TEXT_LENGTH,
  ticketGroupSchema,
  ticketIdSchema,
  ticketStatusSchema,
  ticketTypeSchema,
  type Customer,
  type Channel,
  type Message,
  type Note,
  type Ticket,
  type TicketStatus,
  type User,
} from './domain.js';
import type { ChannelCounts } from './httpApi.js';
import type { BoardSnapshot } from './board.js';
import { scriptDeleteRequestSchema, scriptSaveRequestSchema, type Script } from './scripts.js';
import {
  articleIdSchema,
  knowledgeDecideRequestSchema,
  knowledgeHistoryRequestSchema,
  knowledgeSaveRequestSchema,
  knowledgeSearchRequestSchema,
  knowledgeSuggestRequestSchema,
  type Article,
  type KnowledgeDecideResult,
  type KnowledgeHistoryResult,
  type KnowledgeHit,
  type Suggestion,
} from './knowledge.js';
import {
  alarmAckRequestSchema,
  backlogThresholdSetRequestSchema,
  escalationDecideRequestSchema,
  type Alarm,
  type AlarmCounts,
  type BacklogThresholds,
} from './alarms.js';
import { queueListRequestSchema, type QueueListResult, type QueueSummaryEntry } from './queue.js';
import { reportExportRequestSchema, reportRequestSchema, type Report } from './reports.js';
import type { BoardCharts } from './charts.js';
import {
  adminAuditRequestSchema,
  adminCreateUserRequestSchema,
  adminResetPasswordRequestSchema,
  adminSetActiveRequestSchema,
  adminSetCapacityRequestSchema,
  adminUpdateUserRequestSchema,
  channelSetRequestSchema,
  customerVipSetRequestSchema,
  policiesSetRequestSchema,
  reportCredentialCreateRequestSchema,
  reportCredentialRevokeRequestSchema,
  type ReportCredential,
  type ReportCredentialCreateResult,
  type ReportCredentialRevokeResult,
  type AdminAuditEntry,
  type AdminUser,
  type AdminUserResult,
  type ChannelRegistryResult,
  type ChannelSetResult,
  type CustomerVipSetResult,
  type PoliciesResult,
} from './admin.js';
import { ticketRefusalSchema, type CustomerReach, type TicketRefusal } from './ticketRules.js';
import { ticketDepartureSchema, type TicketDeparture } from './ticketDeparture.js';
import { MAX_MANUAL_CUSTOMER_NAME, typedPhoneSchema } from './manualTicket.js';
import { agentTypingRequestSchema, type ChatReadEvent, type ChatTypingEvent } from './webchat.js';
import type { ConnectionProblem } from './connection.js';
import type { OrgSettings } from './timeZone.js';
import { piiAuditRequestSchema, piiRevealRequestSchema, type PiiAuditEntry, type PiiRevealResult } from './pii.js';
import {
  escalateRequestSchema,
  leadAgentsRequestSchema,
  leadPinRequestSchema,
  leadReassignRequestSchema,
  leadSetCapacityRequestSchema,
  leadSetPresenceRequestSchema,
  offerRespondRequestSchema,
  presenceSetRequestSchema,
  routingAuditRequestSchema,
  transferTargetsRequestSchema,
  bulkTargetsRequestSchema,
  type AgentStatus,
  type BulkTargetsResult,
  type LeadReassignResult,
  type OfferResponseResult,
  type PresenceChanged,
  type PresenceResult,
  type RoutingAuditEntry,
  type RoutingOffer,
  type TransferTargetsResult,
} from './routing.js';

export type ConnectionStatus = 'signed_out' | 'connecting' | 'syncing' | 'online' | 'offline';

export interface ConnectionState {
  status: ConnectionStatus;
  /**
   * When the current status began (epoch ms), e.g. "offline since 10:42": server time as the core
   * knows it (its clock plus `serverClockOffsetMs`), the clock every time on screen is read on.
   */
  since: number;
  /** Local changes not yet acknowledged by the server. */
  pendingCount: number;
  /** Bootstrap progress while the cache fills; null otherwise. */
  progress: { done: number; total: number } | null;
  /**
   * Why the last connection attempt failed or the session ended, as a code and facts the
   * renderer words in the agent's language (shared/connection.ts); null when fine.
   */
  lastError: ConnectionProblem | null;
  /** Refused local changes the agent has not dismissed yet (the "needs attention" list). */
  attentionCount: number;
  /** Signed in from the cached session without the server (password checked locally). */
  offlineSession: boolean;
  /**
   * Why the server ended the last session ('expired' token, or 'revoked' by a sign-out
   * elsewhere), for the sign-in screen; null after the agent's own sign-out and once signed in.
   */
  sessionEnded: 'expired' | 'revoked' | null;
  /**
   * The local search index being built after a bootstrap (tickets indexed of those cached);
   * search works meanwhile, more slowly. Null when it is complete.
   */
  searchIndex: { done: number; total: number } | null;
  /**
   * The server's clock as the core knows it: server − this workstation's clock (ms), what the
   * core dates writes and judges service levels with (docs/technical/sync-protocol.md, "Clocks").
   * The screens count every countdown on `Date.now() + serverClockOffsetMs`. Sent again when it
   * moved by a second or more; after a restart the one the cache kept, before any answer. Null
   * while none is known (the local clock is used).
   */
  serverClockOffsetMs: number | null;
}

/**
 * The last sign-in found a local cache nothing on this workstation could open (the password
 * changed on the server while the user was signed out): it was set aside and the tickets are
 * downloaded again.
 */
export interface CacheReset {
  /** Unsent local changes the set-aside cache held when it was last closed; they were not sent. */
  lostChanges: number;
  /** When it was set aside (epoch ms). */
  at: number;
}

export interface SessionState {
  user: User | null;
  serverUrl: string;
  connection: ConnectionState;
  /** Set after a sign-in that had to set the local cache aside; null otherwise. */
  cacheReset: CacheReset | null;
  /** The organisation's time zone (IANA) as last heard from this server, else the default Asia/Shanghai. */
  timeZone: string;
}

export interface InboxRow extends Ticket {
  customerName: string;
  /** A customer message arrived after the agent last opened this ticket (kept in the cache across restarts). */
  unread: boolean;
  /** A local change to this ticket waits for the server. */
  pending: boolean;
  /** A customer reply written offline waits on this ticket for the agent to send it. */
  hasDraft: boolean;
}

/**
 * A customer reply written while offline. It is never sent by itself: once online, the
 * agent confirms it (the ticket may have moved on), then it goes through the outbox.
 */
export interface Draft {
  id: string;
  ticketId: string;
  text: string;
  createdAt: number;
  /** The email subject the agent wrote with it (shared/replySubject.ts); absent = the default. */
  subject?: string;
}

/** What a reply became: sent through the outbox (online), or kept as a draft (offline). */
export type ReplyResult = { kind: 'sent'; message: PendingMessage } | { kind: 'draft'; draft: Draft };

/**
 * What the agent wrote in a refused change (a reply's text, subject and file names, a note,
 * a handover note, an escalation reason, a new ticket's subject and first note), kept with its
 * "needs attention" item so text typed offline is not lost when the server refuses it. The
 * core writes it, the renderer reads it again through this schema (it crossed a process).
 */
export const attentionContentSchema = z
  .object({
    text: z.string().max(MAX_TEXT_LENGTH),
    subject: z.string().max(MAX_SUBJECT_LENGTH).optional(),
    /** The names of the files a refused reply carried (the files themselves are not kept). */
    fileNames: z.array(z.string().max(255)).max(ATTACHMENT_LIMITS.maxFiles).optional(),
  })
  .strict();
export type AttentionContent = z.infer<typeof attentionContentSchema>;

/**
 * Characters (code points) of kept text an item of the list carries: what the dialog shows
 * before "show all". The whole text comes with `attention.content` when asked for, so a list of
 * thousands of refusals (a long offline shift against revoked rights) does not carry every text.
 */
export const ATTENTION_PREVIEW_CHARS = 280;
/** Items per page of the "needs attention" list, and the most one call returns (a reload of what the dialog shows). */
export const ATTENTION_PAGE_SIZE = 50;
export const ATTENTION_PAGE_MAX = 500;

/** The kept text as the list carries it: the first `ATTENTION_PREVIEW_CHARS` characters and how many the whole has. */
export const attentionPreviewSchema = z
  .object({
    text: z
      .string()
      .max(ATTENTION_PREVIEW_CHARS * 2)
      .refine((text) => [...text].length <= ATTENTION_PREVIEW_CHARS, { message: `at most ${String(ATTENTION_PREVIEW_CHARS)} characters` }),
    /** Characters of the whole text: more than the preview's means `attention.content` has the rest. */
    textChars: z.number().int().min(0).max(MAX_TEXT_LENGTH),
    subject: z.string().max(MAX_SUBJECT_LENGTH).optional(),
    fileNames: z.array(z.string().max(255)).max(ATTACHMENT_LIMITS.maxFiles).optional(),
  })
  .strict();
export type AttentionPreview = z.infer<typeof attentionPreviewSchema>;

/** The preview of kept text (by code points, so a surrogate pair is never cut in half). */
export function attentionPreviewOf(content: AttentionContent): AttentionPreview {
  const chars = [...content.text];
  return {
    text: chars.length > ATTENTION_PREVIEW_CHARS ? chars.slice(0, ATTENTION_PREVIEW_CHARS).join('') : content.text,
    textChars: chars.length,
    ...(content.subject !== undefined ? { subject: content.subject } : {}),
    ...(content.fileNames !== undefined ? { fileNames: content.fileNames } : {}),
  };
}

/** Whether the preview is all of the text. */
export function isWholeAttentionText(preview: AttentionPreview): boolean {
  return preview.textChars <= ATTENTION_PREVIEW_CHARS;
}

/**
 * A local change the server refused (it was reverted), or a change from the server this
 * workstation could not read (it was skipped); either waits for the agent to read it.
 */
export interface AttentionItem {
  id: number;
  /** Null when an unreadable change named no ticket. */
  ticketId: string | null;
  /** The mutation kind that was refused, e.g. setStatus; 'change' for an unreadable change. */
  kind: string;
  /** `unreadable_change`, `unsendable_change` (an outbox row this version cannot read, taken out), or the coarse refusal code. */
  code: string;
  /** English; shown when there are no facts (`refusal` null). */
  reason: string;
  /** Why, as facts the UI says in the agent's language. */
  refusal: TicketRefusal | null;
  /** The seq of an unreadable change. */
  changeSeq: number | null;
  at: number;
  /** What the agent wrote in the refused change, as a preview (`attention.content` has all of it); null when it carried no text (or for an unreadable change). Gone once dismissed. */
  content: AttentionPreview | null;
  /** The ticket is still in this workstation's view, so the text can go back into its composer. */
  ticketAvailable: boolean;
}

/** One page of the "needs attention" list, newest first, and how many items wait in all. */
export interface AttentionPage {
  items: AttentionItem[];
  /** Items not dismissed, this page's and the others'. */
  total: number;
  /** `before` for the next (older) page; null when this is the last. */
  next: number | null;
}

/**
 * Which tickets the inbox lists: the user's own (`mine`), the unassigned ones they could
 * take (`unassigned`: an agent's offered tickets, every queued one for a lead), or all they may see.
 */
export const INBOX_VIEWS = ['mine', 'unassigned', 'all'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

/** Newest activity first; SLA (breached, then at risk, then by due time); priority (urgent first, then newest activity). */
export const INBOX_SORTS = ['activity', 'sla', 'priority'] as const;
export type InboxSort = (typeof INBOX_SORTS)[number];

/** The SLA states an open ticket can be in (shared/sla.ts); completed and closed ones are in none. */
export const INBOX_SLA_FILTERS = ['breached', 'at_risk', 'ok'] as const;
export type InboxSlaFilter = (typeof INBOX_SLA_FILTERS)[number];

/** `open`: every status that still needs work (the default views leave completed and closed out). */
export const inboxStatusFilterSchema = z.union([ticketStatusSchema, z.literal('open')]);
export type InboxStatusFilter = z.infer<typeof inboxStatusFilterSchema>;

/** The most rows one `inbox.list` answers; the renderer asks for the window it shows. */
export const INBOX_WINDOW_MAX = 500;
/**
 * Rows the renderer asks `inbox.rows` for when a filter or the search changes: a tall screen of
 * rows with the virtual list's overscan, so typing waits for no more than is shown first.
 */
export const INBOX_FIRST_WINDOW_ROWS = 50;
/** No cache holds this many tickets: a larger offset is a caller's bug, refused. */
export const INBOX_OFFSET_MAX = 10_000_000;

/** Someone holding tickets in the listed scope, for the assignee filter. */
export interface InboxAssignee {
  id: string;
  name: string;
  count: number;
}

/** The window asked for: up to `limit` rows from `offset` in the chosen order. */
export interface InboxWindow {
  rows: InboxRow[];
  offset: number;
  /** Tickets matching the view, filters and search (what the list scrolls through). */
  total: number;
}

/** The first window of a search or filter, with no count: what the list shows first, before `inbox.counts` answers. */
export interface InboxRows {
  rows: InboxRow[];
  offset: number;
  /** More tickets match after these (how many: `inbox.counts`). */
  more: boolean;
}

/** Every count of the inbox for a filter and search. */
export interface InboxCounts {
  /** Tickets matching the view, filters and search (what the list scrolls through). */
  total: number;
  /** Tickets the user may see in this cache, whatever the view, filters and search. */
  exists: number;
  /** Tickets per channel under the current status filter and search (the channel filter is ignored). */
  channelCounts: ChannelCounts;
  /** Tickets per status under the current channel filter and search. */
  statusCounts: Record<TicketStatus, number>;
  /** Open tickets per view (filters and search ignored). */
  viewCounts: Record<InboxView, number>;
  /** Who holds the tickets of the current view (most first), for the assignee filter. */
  assignees: InboxAssignee[];
  /** Tickets the user may see with an unread customer message (the window title's count). */
  unreadCount: number;
}

export interface InboxResult extends InboxWindow, InboxCounts {}

/** The tickets a filter selects, for "select all N matching": the first MAX_BULK_REASSIGN ids in the list's order, and how many match. */
export interface InboxIds {
  ids: string[];
  total: number;
}

export type PendingMessage = Message & { pending: boolean };
export type PendingNote = Note & { pending: boolean };

export interface TicketDetail {
  ticket: Ticket;
  customer: Customer;
  messages: PendingMessage[];
  notes: PendingNote[];
  /** The customer's other tickets, across channels, newest first. */
  customerTickets: Ticket[];
  pending: boolean;
  /** Replies drafted offline for this ticket, oldest first. */
  drafts: Draft[];
  /** How a written reply can reach the customer (the ways the core's ticket rules will accept), so the composer can say so before sending. */
  reach: CustomerReach;
  /** A customer message came after the ticket was last opened; the renderer marks it read (`ticket.markRead`). */
  unread: boolean;
  /** The attachments of this ticket whose bytes this workstation keeps: they open offline too. */
  keptAttachmentIds: string[];
  /**
   * The last full download left this ticket out (it is kept only for a draft): no change about it
   * comes any more, so the row (its assignee too) is as it was before, no longer confirmed the user's.
   */
  leftOutOfDownload: boolean;
}

const emptyParams = z.object({}).strict();

/** What part of the inbox to list, and how (shared by `inbox.list` and `inbox.window`). */
export const inboxRequestSchema = z
  .object({
    channel: channelSchema.nullable(),
    /** null: every status; `open`: those that still need work. */
    status: inboxStatusFilterSchema.nullable(),
    /** Free text: ticket ID, customer, subject or message text. */
    query: z.string().max(200),
    view: z.enum(INBOX_VIEWS).default('all'),
    sort: z.enum(INBOX_SORTS).default('activity'),
    priority: prioritySchema.nullable().default(null),
    sla: z.enum(INBOX_SLA_FILTERS).nullable().default(null),
    /** Only the tickets this user holds. */
    assigneeId: entityIdSchema.nullable().default(null),
    /** Only escalated tickets: escalated to tier 2, or with an escalation request waiting for a lead (sent or still in the outbox). */
    escalated: z.boolean().default(false),
    offset: z.number().int().min(0).max(INBOX_OFFSET_MAX).default(0),
    limit: z.number().int().min(1).max(INBOX_WINDOW_MAX).default(INBOX_WINDOW_MAX),
  })
  .strict();

/**
 * One user action (pressing Send on a reply, Add on a note), made once by the renderer and
 * sent again unchanged when the same action is retried: the core uses it as the mutation id
 * (and the new message's or note's id), so a retry whose first answer was lost is done once.
 */
export const actionIdSchema = z.uuid({ error: 'must be a UUID made once per user action' });

export const rpcParamSchemas = {
  'session.get': emptyParams,
  'session.signIn': z
    .object({
      username: z.string().trim().min(1).max(64),
      password: z.string().min(1).max(200),
    })
    .strict(),
  'session.signOut': emptyParams,
  /** Tries to reach the server now instead of at the end of the reconnect backoff (offline sessions retry their sign-in). */
  'connection.retryNow': emptyParams,
  /** One window of the inbox with every count (views, channels, statuses, assignees, unread). */
  'inbox.list': inboxRequestSchema,
  /** The same window without the counts, for scrolling: cheaper over a large cache. */
  'inbox.window': inboxRequestSchema,
  /** The window alone, not even its total: the first screen of a search, shown before its counts. */
  'inbox.rows': inboxRequestSchema,
  /** Every count of `inbox.list` for the filters and search (no rows): asked for once the first screen is shown. */
  'inbox.counts': inboxRequestSchema.omit({ offset: true, limit: true }),
  /** The ids of the tickets the filters and search select, in the list's order, at most MAX_BULK_REASSIGN (the bulk bar's "select all"). */
  'inbox.ids': inboxRequestSchema.omit({ offset: true, limit: true }),
  'ticket.get': z.object({ ticketId: ticketIdSchema }).strict(),
  /** The agent has seen the ticket's customer messages: its unread marker goes (a change event follows when it had one). */
  'ticket.markRead': z.object({ ticketId: ticketIdSchema }).strict(),
  'ticket.reply': z
    .object({
      ticketId: ticketIdSchema,
      text: textSchema,
      via: messageSourceSchema.optional(),
      actionId: actionIdSchema.optional(),
      /** Files uploaded first with `attachment.upload` (online only; shared/attachments.ts). */
      attachments: replyAttachmentsSchema.optional(),
      /** Email replies only (shared/replySubject.ts): trimmed, 1..200 characters, no CR/LF. */
      subject: replySubjectSchema.optional(),
    })
    .strict(),
  'ticket.addNote': z.object({ ticketId: ticketIdSchema, text: textSchema, actionId: actionIdSchema.optional() }).strict(),
  'ticket.setStatus': z.object({ ticketId: ticketIdSchema, status: ticketStatusSchema }).strict(),
  'ticket.setPriority': z.object({ ticketId: ticketIdSchema, priority: prioritySchema }).strict(),
  'ticket.setFollowUp': z
    .object({
      ticketId: ticketIdSchema,
      followUpAt: z.number().int().min(EARLIEST_PLAUSIBLE_MS, { message: 'is before 2000' }).max(LATEST_EPOCH_MS, { message: 'is after 2200' }).nullable(),
    })
    .strict(),
  /** The ticket's own fields: each one given is set (through the outbox, so offline too); a new type re-routes a queued ticket. */
  'ticket.setFields': z
    .object({
      ticketId: ticketIdSchema,
      type: ticketTypeSchema.optional(),
      subCategory: z.string().max(MAX_SUB_CATEGORY_LENGTH).nullable().optional(),
      tags: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).optional(),
      result: z.string().max(MAX_RESULT_LENGTH).nullable().optional(),
    })
    .strict(),
  /** Transfer (转办) with a handover note, through the outbox; a blank note is the rules' `note_required` refusal. */
  'ticket.transfer': z
    .object({
      ticketId: ticketIdSchema,
      to: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('group'), group: ticketGroupSchema }).strict(),
        z.object({ kind: z.literal('agent'), agentId: entityIdSchema, agentName: z.string().max(100) }).strict(),
      ]),
      note: z.string().max(MAX_HANDOVER_NOTE_LENGTH),
    })
    .strict(),
  /**
   * A ticket made by hand (a walk-in, a care call, a call taken during an outage), through the
   * outbox, so offline too: answered with the ticket under its provisional id (待编号) at once;
   * it gets its GD id when the server has it (`ticket.get` on the old id finds the new one).
   * `actionId` makes a retried call create once.
   */
  'ticket.create': z
    .object({
      customer: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('existing'), customerId: customerIdSchema }).strict(),
        z
          .object({
            kind: z.literal('new'),
            name: z.string().trim().min(1).max(MAX_MANUAL_CUSTOMER_NAME),
            phone: typedPhoneSchema.nullable(),
            email: z.email().max(320).nullable(),
          })
          .strict()
          .refine((c) => c.phone !== null || c.email !== null, { message: 'needs a phone or an email', path: ['phone'] }),
      ]),
      channel: channelSchema,
      type: ticketTypeSchema,
      priority: prioritySchema,
      subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH),
      note: textSchema,
      toQueue: z.boolean(),
      actionId: actionIdSchema.optional(),
    })
    .strict(),
  /**
   * Sends a draft written offline (only when online; the agent confirms first). The draft's
   * id is the action id: sending it again after a lost answer returns the same message.
   */
  'draft.send': z.object({ draftId: entityIdSchema }).strict(),
  'draft.discard': z.object({ draftId: entityIdSchema }).strict(),
  /** A page of the list, newest first: the first page without `before`, the next with the page's `next`. */
  'attention.list': z
    .object({
      before: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(ATTENTION_PAGE_MAX).optional(),
    })
    .strict(),
  /** The whole kept text of one item ("show all", copy, put back); `not_found` once dismissed. */
  'attention.content': z.object({ id: z.number().int().positive() }).strict(),
  'attention.dismiss': z.object({ id: z.number().int().positive() }).strict(),
  // Routing (params mirror the socket events of shared/routing.ts; lead.* refuse agents with `forbidden`).
  /** The signed-in user's presence as last heard from the server; null before the first connect. */
  'presence.get': emptyParams,
  'presence.set': presenceSetRequestSchema,
  /** The offers waiting for this agent's answer (the `offers` event's list), for a window that opens late. */
  'offer.list': emptyParams,
  'offer.respond': offerRespondRequestSchema,
  /** Files an escalation request (主管审核) to the leads; the ticket goes to tier 2 when one approves. Offline it waits in the outbox. */
  'ticket.escalate': escalateRequestSchema,
  'ticket.audit': routingAuditRequestSchema,
  /** Who the ticket could be transferred to now, with why not for the others (needs the server). */
  'ticket.transferTargets': transferTargetsRequestSchema,
  /** Leads: who could take these ticked tickets, and why not: the core judges its cached tickets on the roster the server last pushed. */
  'lead.bulkTargets': bulkTargetsRequestSchema,
  'lead.agents': leadAgentsRequestSchema,
  'lead.reassign': leadReassignRequestSchema,
  'lead.pin': leadPinRequestSchema,
  'lead.setPresence': leadSetPresenceRequestSchema,
  'lead.setCapacity': leadSetCapacityRequestSchema,
  // The queue view (shared/queue.ts): agents are sent what they hold; the queues come as a summary and on demand.
  /** The queue summary as last heard from the server (the `queueSummary` event's), for a window that opens late. */
  'queue.summary': emptyParams,
  /** Leads and admins: the channel board as last pushed by the server (the `board` event's), for a window that opens late. */
  'board.get': emptyParams,
  // Scripts (话术库, shared/scripts.ts): read from the cache (works offline); writes need the server.
  /** The cached team library and the user's own personal scripts, and when they were fetched. */
  'scripts.list': emptyParams,
  /** Creates (no id) or replaces a script; leads and admins write the team library, everyone their own. Needs the server. */
  'scripts.save': scriptSaveRequestSchema,
  'scripts.delete': scriptDeleteRequestSchema,
  // Knowledge base (知识库, shared/knowledge.ts): searched and read from the cache (works offline); writes and suggestions need the server.
  /** The cached articles ranked by how many of the query's terms they contain; drafts only with `includeDrafts` (leads' caches hold them). */
  'knowledge.search': knowledgeSearchRequestSchema.extend({ includeDrafts: z.boolean().optional() }).strict(),
  /** One cached article. */
  'knowledge.get': z.object({ id: articleIdSchema }).strict(),
  /** Every cached article (the lead's screen), newest first. */
  'knowledge.list': emptyParams,
  /** Leads and admins: create or change an article. Needs the server. */
  'knowledge.save': knowledgeSaveRequestSchema,
  /** Suggest an edit of an article, or a new one. Needs the server. */
  'knowledge.suggest': knowledgeSuggestRequestSchema,
  /** The user's own suggestions (agents) or every one (leads and admins). Needs the server. */
  'knowledge.suggestions': emptyParams,
  /** Leads and admins: accept or decline a suggestion. Needs the server. */
  'knowledge.decide': knowledgeDecideRequestSchema,
  /** Leads and admins: an article's audit, newest first (who did what when, which fields changed). Needs the server. */
  'knowledge.history': knowledgeHistoryRequestSchema,
  /** The alarms as last heard (the `alarms` event's), for a window that opens late. */
  'alarms.list': emptyParams,
  /** The next older page of alarms (every one, or the open ones only), added to what the core holds. Needs the server. */
  'alarms.loadOlder': z.object({ open: z.boolean() }).strict(),
  /** Leads and admins: acknowledge an alarm. Needs the server. */
  'alarms.ack': alarmAckRequestSchema,
  /** Leads and admins: approve or refuse (with a reason) an escalation request. Needs the server. */
  'alarms.decide': escalationDecideRequestSchema,
  /** Leads and admins: one channel's backlog threshold. Needs the server. */
  'alarms.setThreshold': backlogThresholdSetRequestSchema,
  /** The queued tickets the user could take, longest waiting first. Needs the server (fails `offline`). */
  'queue.list': queueListRequestSchema,
  /**
   * Fetches one ticket the user may open (a queued one from the queue view) into the cache so it
   * can be opened and taken; it is dropped again at the next queue refresh unless taken. Needs the server.
   */
  'ticket.fetch': z.object({ ticketId: ticketIdSchema }).strict(),
  // One customer across channels.
  /** Customers in this workstation's cache whose name, phone, email or social id contains the query (works offline). */
  'customer.search': z
    .object({
      query: z.string().trim().min(1).max(200),
      /** Leave this customer out (the one being merged into). */
      excludeId: customerIdSchema.optional(),
    })
    .strict(),
  /** Needs the server (fails `offline` otherwise). */
  'customer.merge': customerMergeRequestSchema,
  /** "Possibly the same customer": others sharing an identity this one or they only claimed. Needs the server (fails `offline`). */
  'customer.matches': customerMatchesRequestSchema,
  /** The customer's earlier tickets and messages on every channel, read-only, a page at a time; offline from the cache as of when it was fetched. */
  'customer.history': customerHistoryRequestSchema,
  /**
   * An attachment's bytes (up to MAX_ATTACHMENT_DOWNLOAD_BYTES): the ones this workstation keeps
   * (online or offline), else from the server with the agent's token; offline and not kept fails
   * `offline` with `offlineFile` saying why.
   */
  'attachment.download': z.object({ attachmentId: entityIdSchema }).strict(),
  /**
   * Uploads a file for a reply on this ticket (online only), under an id the renderer makes
   * once per file, so a retry is the same upload; refused with `attachment_refused` facts.
   */
  'attachment.upload': z
    .object({
      ticketId: ticketIdSchema,
      uploadId: entityIdSchema,
      fileName: attachmentFileNameSchema,
      contentType: z.string().min(1).max(255),
      base64: z.string().max(Math.ceil((ATTACHMENT_LIMITS.maxFileBytes + 1) / 3) * 4),
    })
    .strict(),
  // Phone (CTI).
  /** Phone calls popped on this agent's screen (the `calls` event's list), for a window that opens late. */
  'call.list': emptyParams,
  /** Takes a call's card off the screen (the call itself goes on). */
  'call.dismiss': z.object({ callId: z.string().min(1).max(200) }).strict(),
  // Web chat (shared/webchat.ts): ephemeral signals, never stored.
  /** Tells the web chat visitor of a ticket that this agent is typing (or stopped); `sent: false` when offline. */
  'chat.typing': agentTypingRequestSchema,
  /** Collision: the ticket the window shows (or none) and whether the user is typing a reply there (ephemeral; shared/collision.ts). */
  'ticket.presence': ticketPresenceRequestSchema,
  /** Visitors typing now and the read watermarks heard this session, for a window that opens late. */
  'chat.state': emptyParams,
  // Personal data (shared/pii.ts): online only; the clear value is never written to the cache.
  /** The clear value of one masked field; the server audits every reveal. */
  'pii.reveal': piiRevealRequestSchema,
  /** Leads and admins: who revealed what on a ticket, newest first (agents get `forbidden`). */
  'pii.audit': piiAuditRequestSchema,
  // Reports (shared/reports.ts): leads and admins; the server computes them, so they need it (`offline` otherwise).
  /** The KPIs of a day, week or month by channel, type, group or agent (agents get `forbidden`). */
  'report.get': reportRequestSchema,
  /** The same report as a CSV or XLSX file for the renderer to save. */
  'report.export': reportExportRequestSchema,
  /** The Board's charts (shared/charts.ts): contacts per hour today against a week ago, SLA compliance over 14 days. */
  'report.charts': emptyParams,
  // Administration (shared/admin.ts): leads read, admins write; the server keeps users and policies, so these need it (`offline` otherwise).
  /** Every user with their state and capacity (agents get `forbidden`). */
  'admin.users': emptyParams,
  /** The admin audit, newest first; of one user when `userId` is given. */
  'admin.audit': adminAuditRequestSchema,
  /** The service policies (SLA, first response, offer timeout) and who set them last. */
  'admin.policies': emptyParams,
  /** Admins: creates a user with an initial password; refusals (`username_taken`, …) come back as results. */
  'admin.createUser': adminCreateUserRequestSchema,
  /** Admins: a user's name, role and routing skills. */
  'admin.updateUser': adminUpdateUserRequestSchema,
  /** Admins: deactivates (tickets back to the queue, sessions ended) or reactivates a user. */
  'admin.setActive': adminSetActiveRequestSchema,
  /** Admins: a new password; the user's sessions end. */
  'admin.resetPassword': adminResetPasswordRequestSchema,
  /** Admins: capacity per channel. */
  'admin.setCapacity': adminSetCapacityRequestSchema,
  /** Admins: the service policies. */
  'admin.setPolicies': policiesSetRequestSchema,
  /** The channel registry (owner, hours, auto-reply, volume, customer group, on/off); leads and admins. */
  'admin.channels': emptyParams,
  /** Admins: one channel's registry entry; `owner_not_found` comes back as a result. */
  'admin.setChannel': channelSetRequestSchema,
  /** Admins: a customer's VIP tier. */
  'admin.setCustomerVip': customerVipSetRequestSchema,
  /** The live report-reader credentials (name, who made it, when, last used; never the secret); leads and admins. */
  'admin.reportCredentials': emptyParams,
  /** Admins: a report-reader credential; the result holds its secret, shown once. */
  'admin.createReportCredential': reportCredentialCreateRequestSchema,
  /** Admins: revoke a report-reader credential. */
  'admin.revokeReportCredential': reportCredentialRevokeRequestSchema,
} as const;

/** Largest attachment `attachment.download` hands to the renderer; bigger ones fail with `too_large`. */
export const MAX_ATTACHMENT_DOWNLOAD_BYTES = 10 * 1024 * 1024;

/** A file's bytes for the renderer to save (an attachment, an exported report). */
export interface FileDownload {
  fileName: string;
  contentType: string;
  size: number;
  base64: string;
}

export type RpcMethod = keyof typeof rpcParamSchemas;
export type RpcParams<M extends RpcMethod> = z.input<(typeof rpcParamSchemas)[M]>;

export interface RpcResults {
  'session.get': SessionState;
  'session.signIn': SessionState;
  'session.signOut': SessionState;
  /** `retrying: false` when there is nothing to retry (online, or signed out). */
  'connection.retryNow': { retrying: boolean };
  'inbox.list': InboxResult;
  'inbox.window': InboxWindow;
  'inbox.rows': InboxRows;
  'inbox.counts': InboxCounts;
  'inbox.ids': InboxIds;
  'ticket.get': TicketDetail;
  'ticket.markRead': { wasUnread: boolean };
  'ticket.reply': ReplyResult;
  'ticket.addNote': PendingNote;
  'ticket.setStatus': Ticket;
  'ticket.setPriority': Ticket;
  'ticket.setFollowUp': Ticket;
  'ticket.setFields': Ticket;
  'ticket.transfer': Ticket;
  /** The ticket as created, under its provisional id until the server numbers it. */
  'ticket.create': Ticket;
  'draft.send': PendingMessage;
  'draft.discard': { discarded: true };
  'attention.list': AttentionPage;
  /** Null when the item carried no text. */
  'attention.content': { content: AttentionContent | null };
  'attention.dismiss': { dismissed: true };
  'presence.get': { presence: PresenceChanged | null };
  'presence.set': PresenceResult;
  'offer.list': { offers: RoutingOffer[] };
  'offer.respond': OfferResponseResult;
  /** The request filed; null when offline: it waits in the outbox and is filed when the connection is back. */
  'ticket.escalate': Alarm | null;
  'ticket.audit': RoutingAuditEntry[];
  'ticket.transferTargets': TransferTargetsResult;
  'lead.bulkTargets': BulkTargetsResult;
  'lead.agents': AgentStatus[];
  'lead.reassign': LeadReassignResult;
  'lead.pin': Ticket;
  'lead.setPresence': AgentStatus;
  'lead.setCapacity': AgentStatus;
  'queue.summary': QueueSummaryState;
  'board.get': { board: BoardSnapshot | null };
  'scripts.list': ScriptLibrary;
  'scripts.save': { script: Script };
  'scripts.delete': { deleted: boolean };
  'knowledge.search': { hits: KnowledgeHit[]; fetchedAt: number | null };
  'knowledge.get': { article: Article };
  'knowledge.list': { articles: Article[]; fetchedAt: number | null };
  'knowledge.save': { article: Article };
  'knowledge.suggest': { suggestion: Suggestion };
  'knowledge.suggestions': { suggestions: Suggestion[] };
  'knowledge.decide': KnowledgeDecideResult;
  'knowledge.history': KnowledgeHistoryResult;
  'alarms.list': AlarmsState;
  'alarms.loadOlder': AlarmsState;
  'alarms.ack': Alarm;
  'alarms.decide': Alarm;
  'alarms.setThreshold': { thresholds: BacklogThresholds };
  'queue.list': QueueListResult;
  'ticket.fetch': TicketDetail;
  'customer.search': CustomerSearchHit[];
  'customer.merge': CustomerMergeResult;
  'customer.matches': CustomerMatchesResult;
  'customer.history': CustomerHistoryView;
  'attachment.download': FileDownload;
  'attachment.upload': ReplyAttachment;
  'call.list': { calls: CtiCall[] };
  'call.dismiss': { dismissed: boolean };
  'chat.typing': { sent: boolean };
  /** `roster`: the newest roster of that ticket already known (null until the server says). */
  'ticket.presence': { sent: boolean; roster: TicketPresenceEvent | null };
  'chat.state': { typing: ChatTypingEvent[]; reads: ChatReadEvent[] };
  'pii.reveal': PiiRevealResult;
  'pii.audit': PiiAuditEntry[];
  'report.get': Report;
  'report.export': FileDownload;
  'report.charts': BoardCharts;
  'admin.users': AdminUser[];
  'admin.audit': AdminAuditEntry[];
  'admin.policies': PoliciesResult;
  'admin.createUser': AdminUserResult;
  'admin.updateUser': AdminUserResult;
  'admin.setActive': AdminUserResult;
  'admin.resetPassword': AdminUserResult;
  'admin.setCapacity': AdminUserResult;
  'admin.setPolicies': PoliciesResult;
  'admin.channels': ChannelRegistryResult;
  'admin.setChannel': ChannelSetResult;
  'admin.setCustomerVip': CustomerVipSetResult;
  'admin.reportCredentials': ReportCredential[];
  'admin.createReportCredential': ReportCredentialCreateResult;
  'admin.revokeReportCredential': ReportCredentialRevokeResult;
}

export const RPC_METHODS = Object.keys(rpcParamSchemas) as RpcMethod[];

export function isRpcMethod(name: unknown): name is RpcMethod {
  return typeof name === 'string' && Object.hasOwn(rpcParamSchemas, name);
}

/** Events the core pushes to the renderer. */
export interface RpcEvents {
  /** Connection, pending count or sync progress changed. */
  connection: ConnectionState;
  /** Tickets changed in the cache (from the server or locally); `ticketIds` empty means "reload everything". */
  changed: { ticketIds: string[] };
  /** A local change was refused by the server and reverted, or a change from the server could not be read. */
  attention: { ticketId: string | null; reason: string; refusal: TicketRefusal | null };
  /** The offers waiting for this agent's answer, soonest deadline first (empty when none). */
  offers: { offers: RoutingOffer[] };
  /** This user's presence changed (by them, a lead, or the server). */
  presence: PresenceChanged;
  /** Leads only: every agent's presence and load. */
  agents: { agents: AgentStatus[] };
  /** Phone calls popped on this agent's screen (ringing, answered, ended or missed), newest first; empty when none. */
  calls: { calls: CtiCall[] };
  /** Web chat: the visitor of a ticket started or stopped typing. */
  chatTyping: ChatTypingEvent;
  /** Collision: who is viewing (or typing on) the ticket shown now; an empty list when the connection dropped. */
  ticketPresence: TicketPresenceEvent;
  /** Web chat: the visitor has seen the agent messages of a ticket up to one. */
  chatRead: ChatReadEvent;
  /**
   * Desktop app only: the process the core runs in stopped unexpectedly and is being
   * restarted, runs again, or failed for good (see docs/technical/hosts.md).
   */
  coreProcess: CoreProcessState;
  /** Agents: the queues of their channels changed (throttled by the server). */
  queueSummary: QueueSummaryState;
  /** Leads and admins: the live channel board changed (pushed by the server, throttled). */
  board: { board: BoardSnapshot };
  /** The cached scripts libraries were refreshed from the server (on connect and after any change). */
  scripts: ScriptLibrary;
  /** The cached knowledge base was refreshed from the server (on connect and after any change): search and open articles again. */
  knowledge: { fetchedAt: number | null; count: number };
  /** Suggestions this user sees were filed or decided: fetch `knowledge.suggestions` again. */
  knowledgeSuggestions: Record<string, never>;
  /** The alarms this user may see changed (raised, acknowledged, decided) or were fetched on connect. */
  alarms: AlarmsState;
  /** Leads and admins: users or policies changed on the server (shared/admin.ts); the Admin view loads them again. */
  adminChanged: Record<string, never>;
  /** The organisation's time zone changed (an admin saved it, or this server's differs from the one remembered): times are shown in it. */
  organisation: OrgSettings;
  /**
   * Customer messages the cache stored for the first time, on tickets the user holds (not
   * during a first bootstrap of an empty cache). The window decides what to notify.
   */
  customerMessages: { messages: CustomerMessageArrival[] };
}

/** A customer's message that just reached a ticket the user holds (masked for agents like everything cached). */
export interface CustomerMessageArrival {
  messageId: string;
  ticketId: string;
  channel: Channel;
  /** The customer's name as the message carries it. */
  authorName: string;
  /** The start of the text, at most CUSTOMER_MESSAGE_PREVIEW_LENGTH characters. */
  preview: string;
  createdAt: number;
}

/** How much of a new customer message travels with its arrival (a notification shows a line or two). */
export const CUSTOMER_MESSAGE_PREVIEW_LENGTH = 140;

/** A desktop notification the window asks the desktop app to show (the preload's `notifications.notify`). */
export const desktopNotificationSchema = z.object({
  title: z.string().min(1).max(200),
  body: z.string().max(1000),
  /** Identifies what it is about (`offer:GD…`); a newer one with the same tag replaces it, a click answers with it. */
  tag: z.string().min(1).max(200),
});
export type DesktopNotification = z.infer<typeof desktopNotificationSchema>;

/**
 * Desktop app only (the preload's bridge; absent in browser mode, which uses the Web
 * Notification API): shows a system notification through Electron's `Notification` in main,
 * and reports clicks on it by tag (the app has already brought its window forward).
 */
export interface DesktopNotificationBridge {
  notify(notification: DesktopNotification): void;
  onClick(listener: (tag: string) => void): () => void;
}

/** The scripts the user reads (team and own), as cached; `fetchedAt` null before the first fetch. */
export interface ScriptLibrary {
  scripts: Script[];
  fetchedAt: number | null;
}

/**
 * The alarms as the core holds them: newest first (every waiting escalation request and open
 * alarm up to a cap, the newest closed ones, and older pages asked for); `loaded` false until
 * the server's list arrived this session. `counts`: the server's open counts (null before the
 * list); `hasOlder` / `hasOlderOpen`: whether `alarms.loadOlder` has more to bring.
 */
export interface AlarmsState {
  alarms: Alarm[];
  thresholds: BacklogThresholds;
  loaded: boolean;
  counts: AlarmCounts | null;
  hasOlder: boolean;
  hasOlderOpen: boolean;
}

/** The queues of the user's channels as last heard; `at` null before the server said anything this session. */
export interface QueueSummaryState {
  at: number | null;
  entries: QueueSummaryEntry[];
}
export type RpcEventName = keyof RpcEvents;

/** Where the desktop app's core process stands after a crash; the window says it in the agent's language. */
export interface CoreProcessState {
  /** `restarting`: it stopped and a new one is starting; `running`: it runs again; `failed`: it kept stopping and is not restarted. */
  status: 'restarting' | 'running' | 'failed';
  /** Unexpected stops counted towards the limit (see `failed`). */
  restarts: number;
  /** The stopped process's exit code, when it had one. */
  exitCode: number | null;
}

export const RPC_ERROR_CODES = [
  'invalid_params',
  'unknown_method',
  'not_signed_in',
  'bad_credentials',
  'server_unreachable',
  /** The server took the connection but did not answer in time (busy or stuck): not a network fault. */
  'server_not_answering',
  'not_found',
  'forbidden',
  'invalid_transition',
  /** The action needs the server (e.g. sending a draft) and the workstation is offline. */
  'offline',
  /** The server refused a routing action on the current state (e.g. escalating an escalated ticket). */
  'conflict',
  /** A file is larger than the workstation hands over (e.g. an attachment over 10 MB). */
  'too_large',
  /** A written reply cannot reach the customer (a phone call, a contact from the HTTP API); `refusal` says what would. */
  'no_reply_route',
  /** The server refused for now (too many sign-in attempts); `retryAfterMs` says how long to wait. */
  'rate_limited',
  /** Routing is busy or changing hands between server nodes; nothing was done, ask again in a moment. */
  'routing_busy',
  /** The server took the request but did not confirm it in time: it may or may not have been done (look, then ask again). */
  'unconfirmed',
  /** The desktop app's core process stopped before answering (it is restarted; a `coreProcess` event says how it goes). */
  'core_unavailable',
  'internal',
] as const;
export type RpcErrorCode = (typeof RPC_ERROR_CODES)[number];

/** The error a failed call rejects with, on both transports. */
export interface RpcErrorShape {
  code: RpcErrorCode;
  /** English, for logs; the UI says `refusal` in the agent's language when there is one. */
  message: string;
  /** A ticket rule's refusal as facts (shared/ticketRules.ts). */
  refusal?: TicketRefusal;
  /** With `rate_limited`: how long until the server accepts another try. */
  retryAfterMs?: number;
  /** With `offline` from `attachment.download`: why the file is not on this workstation. */
  offlineFile?: OfflineFile;
  /** With `not_found` from `ticket.get`: where a ticket the user held went, when the workstation saw it go. */
  departure?: TicketDeparture;
}

/**
 * The one object the renderer talks to: `window.workstation` in Electron (from the
 * preload), or the WebSocket client in browser mode.
 */
export interface WorkstationApi {
  invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResults[M]>;
  on<E extends RpcEventName>(event: E, listener: (payload: RpcEvents[E]) => void): () => void;
  /** Desktop app only: system notifications through main (see DesktopNotificationBridge). */
  notifications?: DesktopNotificationBridge;
}

// ---------------------------------------------------------------------------------------
// Wire envelopes for transports that carry the contract as messages (the browser host's
// WebSocket, the desktop app's core process port — shared/corePort.ts; Electron IPC uses
// invoke/handle and needs only the event envelope).

export const rpcRequestEnvelopeSchema = z.object({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  params: z.unknown(),
});
export type RpcRequestEnvelope = z.infer<typeof rpcRequestEnvelopeSchema>;

const rpcErrorShapeSchema = z.object({
  code: z.enum(RPC_ERROR_CODES),
  message: z.string(),
  refusal: ticketRefusalSchema.optional().catch(undefined),
  retryAfterMs: z.number().int().positive().optional(),
  offlineFile: offlineFileSchema.optional().catch(undefined),
  departure: ticketDepartureSchema.optional().catch(undefined),
});

/** What the host sends back: a response to one request, or a pushed event. */
export const rpcHostEnvelopeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('response'),
    id: z.number().int().nonnegative(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: rpcErrorShapeSchema.optional(),
  }),
  z.object({
    type: z.literal('event'),
    event: z.enum([
      'connection',
      'changed',
      'attention',
      'offers',
      'presence',
      'agents',
      'calls',
      'chatTyping',
      'chatRead',
      'ticketPresence',
      'coreProcess',
      'queueSummary',
      'board',
      'scripts',
      'knowledge',
      'knowledgeSuggestions',
      'alarms',
      'adminChanged',
      'organisation',
      'customerMessages',
    ]),
    payload: z.unknown(),
  }),
]);

export type RpcResponseEnvelope =
  { type: 'response'; id: number; ok: true; result: unknown } | { type: 'response'; id: number; ok: false; error: RpcErrorShape };

export interface RpcEventEnvelope {
  type: 'event';
  event: RpcEventName;
  payload: unknown;
}

/** The IPC channel names Electron uses; the preload and main both import them from here. */
export const IPC_INVOKE_CHANNEL = 'workstation:invoke';
export const IPC_EVENT_CHANNEL = 'workstation:event';
/** Window → main: show a desktop notification (`DesktopNotification`, validated in main). */
export const IPC_NOTIFY_CHANNEL = 'workstation:notify';
/** Main → window: a desktop notification was clicked (its tag). */
export const IPC_NOTIFICATION_CLICK_CHANNEL = 'workstation:notification-click';

/** The path of the browser host's WebSocket endpoint. */
export const BROWSER_RPC_PATH = '/rpc';

/**
 * The browser host's per-launch key: the launch link carries it in its fragment
 * (`http://127.0.0.1:4781/#k=…`) and the page presents it in the handshake query
 * (`/rpc?k=…`). See docs/technical/hosts.md.
 */
export const BROWSER_LAUNCH_KEY_PARAM = 'k';

/**
 * Browser mode's seats (issue 12): each browser profile gets its own seat, a core with its
 * own data folder, so several people can sign in side by side from one workstation. The
 * page presents its seat in the handshake query (`/rpc?k=…&s=…`); the host answers every
 * connection with the seat it placed the page in (a `seat` envelope, kept by the page in
 * localStorage, which the tabs of one profile share). See docs/technical/hosts.md.
 */
export const BROWSER_SEAT_PARAM = 's';
/** 16 random bytes, base64url. */
export const seatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
/** Host → page, first on every connection: the seat this page is in. */
export const browserSeatEnvelopeSchema = z.object({ type: z.literal('seat'), seatId: seatIdSchema });
export type BrowserSeatEnvelope = z.infer<typeof browserSeatEnvelopeSchema>;
/**
 * The close code (private range) of a connection the host had no seat for: as many seats
 * as it runs are in use. The page says so instead of reconnecting.
 */
export const BROWSER_SEATS_FULL_CLOSE_CODE = 4009;
