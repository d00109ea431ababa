/**
 * The server's only data-access module: every SQL statement lives here, behind the typed
 * `ServerReadable` / `ServerWritable` interfaces (Signal Desktop's ReadableInterface /
 * WritableInterface idea). SQL is kept plain (no SQLite-only functions, `RETURNING` and
 * `ON CONFLICT` which PostgreSQL shares) so a second backend can implement the same
 * interfaces. Every write appends its change-log entries in the same transaction, and the
 * committed changes are handed to listeners (the live fan-out) after the commit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { ATTACHMENT_LIMITS, checkReplyAttachments, storableAttachmentName, storableContentType } from '../shared/attachments.js';
import {
  CHANNELS,
  canUserSeeTicket,
  carriesWrittenReply,
  clampToReceipt,
  defaultTicketRouting,
  describeAssignmentReason,
  isOpenStatus,
  previewOf,
  MAX_CUSTOMER_IDENTITIES,
  MAX_EXTERNAL_MESSAGE_ID_LENGTH,
  MAX_SUBJECT_LENGTH,
  type AssignmentReason,
  type Attachment,
  type CallInfo,
  type Channel,
  type Customer,
  type CustomerIdentity,
  type Handover,
  type Message,
  type Note,
  type Priority,
  type Role,
  type Ticket,
  type TicketBundle,
  type TicketRouting,
  type TicketStatus,
  type User,
} from '../shared/domain.js';
import type { CustomerHistoryCursor, CustomerHistoryEntry, CustomerHistoryPage, CustomerMatch, SharedIdentity } from '../shared/customers.js';
import { maskEmail, maskPhone, maskPiiInText, piiViewOf } from '../shared/masking.js';
import { prepareSqliteFile } from './privateFiles.js';
import { detectLanguage, groupForTicket } from '../shared/routing.js';
import type { InboundContact, InboundResponse } from '../shared/httpApi.js';
import { dayKey, formatCustomerId, formatTicketId } from '../shared/ids.js';
import { isProvisionalTicketId, type CreateTicketMutation } from '../shared/manualTicket.js';
import { AUTO_REPLY_AUTHOR_NAME, policyDueAt, type ChannelSettings } from '../shared/admin.js';
import { offHoursPeriodStart } from '../shared/businessHours.js';
import { ChannelUnavailableError } from './channelAvailability.js';
import {
  customerReach,
  decideCreateTicket,
  decideMutation,
  describeRefusal,
  rejectionCodeOf,
  staticTransferFacts,
  type CustomerReach,
  type TicketRefusal,
  type TransferAgentFacts,
} from '../shared/ticketRules.js';
import { MAX_PULL_CHANGES, type BootstrapPage, type Change, type ChangeBody, type Mutation, type MutationResult, type PullResult } from '../shared/sync.js';
import { hashPassword, hashToken, newToken, uuidv7 } from './credentials.js';
import { CustomerRefusal, identitiesOf } from './customers.js';
import { triageContact } from './inbound.js';
import { mutationFingerprint } from './mutationFingerprint.js';
import { IN_LIST_MAX, createTurns, inList, type SqlDatabase, type SqlDialect, type SqlExecutor, type SqlValue, type Transaction } from './db/sql.js';
import { insertUserRow, userFromRow, type UserDirectoryRow } from './userRows.js';
import { openPostgresDatabase } from './db/postgres.js';
import { openSqliteDatabase } from './db/sqlite.js';
import { migrate } from './migrations/index.js';
import { migratePostgres } from './migrations/postgres/index.js';
import type { RoutingAssignee, RoutingDecision, TicketRouter } from './routing.js';
import { createRoutingStore, type RoutingStore } from './routingStore.js';
import { createCtiCallStore, type CtiCallStore } from './channels/cti/callStore.js';
import { createQueueViewStore, type QueueViewStore } from './queueViewStore.js';
import {
  UNREADABLE_ROWS_BATCH,
  UNREADABLE_ROWS_CLAIM_MS,
  UNREADABLE_ROWS_REPAIR,
  UNREADABLE_ROWS_WAIT_MS,
  repairStoredMessage,
  type StoredMessageColumns,
} from './unreadableRows.js';
import { offeredAgentSql, principalsOf, syncScopeClause, ticketChangeAudience, viewerPrincipals } from './viewScope.js';
import { createPiiAuditStore, type PiiAuditStore } from './piiAuditStore.js';
import { createKnowledgeStore, type KnowledgeStore } from './knowledgeStore.js';
import { createScriptStore, type ScriptStore } from './scriptStore.js';
import { createAlertStore, type AlertStore } from './alarms/alertStore.js';
import { createAdminStore, type AdminStore, type PolicyDocumentRow } from './adminStore.js';
import { createReportCredentialStore, type ReportCredentialStore } from './reportCredentialStore.js';
import type { Alarm } from '../shared/alarms.js';
import type { CsatAnswer } from '../shared/csat.js';
import { createCsatStore, type CsatAnswerOutcome, type CsatStore } from './csat/csatStore.js';
import { announce, announceUserChanged } from './cluster/changeFeed.js';
import { HISTORY_RETENTION_LOCK_KEY, ROUTING_TURN_LOCK_KEY } from './db/lockKeys.js';
import { addFreshTicketsRollup, refreshTicketRollup } from './reports/reportRollup.js';

// ---------------------------------------------------------------------------------------
// Types of the interface

/** The part of a user that decides what they may see. */
export type Viewer = Pick<User, 'id' | 'role' | 'channels'>;

/** A user to create; the password is hashed before it is stored. */
export interface NewUser {
  /** Stable id; a random one when omitted. */
  id?: string;
  username: string;
  password: string;
  displayName: string;
  role: Role;
  channels: Channel[];
  groups?: string[];
  tier?: 1 | 2;
  senior?: boolean;
  /** Default ['zh']. */
  languages?: string[];
  /** Phone extension (分机号); default none. */
  extension?: string | null;
}

/** A freshly issued bearer token (the only time its plain text exists). */
export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/** What a presented bearer token turned out to be. */
export type TokenLookup =
  | { status: 'valid'; kind: 'user'; user: User; expiresAt: number }
  | { status: 'valid'; kind: 'integration'; name: string; expiresAt: number | null }
  | { status: 'expired'; expiredAt: number }
  | { status: 'unknown' };

/** A user with the stored password hash, for sign-in only. */
export interface UserCredentials {
  user: User;
  passwordHash: string;
  /** False once an admin deactivated the user: the password is still checked (same cost), then refused. */
  active: boolean;
}

/** Position in the newest-first ticket list. */
export interface TicketListCursor {
  createdAt: number;
  id: string;
}

/** Filters of the ticket list (already validated). */
export interface TicketListFilter {
  status?: TicketStatus | undefined;
  channel?: Channel | undefined;
  /** Customer id, or a substring of the customer's name, phone or email. */
  customer?: string | undefined;
  limit: number;
  cursor?: TicketListCursor | undefined;
}

export interface TicketListPage {
  tickets: Ticket[];
  next: TicketListCursor | null;
}

/** What the store asks outside itself while deciding a mutation. */
export interface MutationContext {
  /**
   * A named transfer target as routing sees them now (presence, connection, load); null = no
   * such active agent. Without it (tools, a store without routing) the target's skills are
   * checked from their user row and they count as available with room.
   */
  transferTarget?: (agentId: string) => Promise<TransferAgentFacts | null>;
}

export interface IngestOptions {
  now: number;
  /** Decides the assignee of a new or still-queued ticket; without one the ticket stays queued. */
  router?: TicketRouter;
}

/** A file a channel received, already within the channel's size limits. */
export interface IncomingAttachment {
  fileName: string;
  contentType: string;
  data: Buffer;
}

/**
 * An inbound contact as a channel adapter hands it over: the HTTP API's fields plus what
 * only a channel knows. Everything is stored in the one ingest transaction, so a contact
 * lands whole or not at all.
 */
export interface ChannelContact extends InboundContact {
  /** Finer than the channel: 'email', 'webchat', 'wechat:<appId>', 'webhook:<platform>', 'cti'. Default 'api'. */
  source?: string;
  /**
   * The ticket the channel threaded this contact to (a mail's In-Reply-To). Open → joined;
   * completed → reopened; closed or unknown → the usual matching, as if absent.
   */
  threadTicketId?: string;
  /**
   * The channel knows this contact starts a conversation of its own (a mail that answers
   * none of ours): a new ticket, not the customer's open one. Ignored with threadTicketId.
   */
  newConversation?: boolean;
  attachments?: readonly IncomingAttachment[];
  /** The contact exactly as it arrived (a mail's MIME source); kept, never shown. */
  rawSource?: Buffer;
  call?: CallInfo;
  /**
   * The customer fields this channel has verified: the From address of a mail, a caller's
   * number, a WeChat openid, a signed site's user and email, a web chat visitor's own random
   * id. Default none. Only proven identities match a contact to a customer (and so to their
   * open ticket); every other field is a claim, recorded in `customer_claims`, shown to
   * agents as unverified and used only to suggest "possibly the same customer".
   */
  proven?: readonly ContactField[];
  /**
   * The integration that vouches for the claims (`api:<token name>`, `webhook:<platform>`):
   * each claimed field is also recorded as the identity `social <claimScope>:<kind>:<value>`,
   * so a follow-up through the same integration is recognised and joins the open ticket,
   * while the bare phone or email (which other channels prove) matches nobody.
   */
  claimScope?: string;
  /** The customer's display name on this message when it differs from the customer's (a mail's From name). */
  authorName?: string;
  /** The priority of a new ticket instead of the triage's (a missed call's callback task). */
  priority?: Priority;
  /** A follow-up reminder due at this time (a callback task); on a joined ticket an earlier one is kept. */
  followUpAt?: number;
  /**
   * The contact is itself the team's first response: a call an agent answered (the phone's
   * first-response target is "answered within 15 s", and a call has no written reply to count).
   * Set on a ticket that has none yet, never before its creation nor after now.
   */
  firstResponseAt?: number;
}

/** A customer field a channel can prove (see `ChannelContact.proven`). */
export type ContactField = 'phone' | 'email' | 'socialId';

/** An outbound message waiting for its channel, with what a sender needs to deliver it. */
/** What a channel did with an outbound message, or why it has not left yet (`queued` with an error). */
export interface DeliveryOutcome {
  status: 'sent' | 'failed' | 'queued';
  externalMessageId?: string;
  error?: string;
  /**
   * The node whose claimed attempt this is (delivery.ts): then a failure is recorded only while the
   * reply is still queued under that claim, and a "sent" never records the reply twice. Absent: as told.
   */
  claimedBy?: string;
}

export interface QueuedDelivery {
  message: Message;
  ticket: Ticket;
  customer: Customer;
}

/** The HTTP response of an inbound contact plus the ticket as it now stands. */
/** Who holds a queued reply to send it, until when, as of when. */
export interface DeliveryClaim {
  by: string;
  until: number;
  now: number;
}

export interface IngestOutcome extends InboundResponse {
  ticket: Ticket;
}

/** A committed change with the principals allowed to see it (`agent:<id>`, `queue:<channel>`). */
export interface CommittedChange {
  change: Change;
  audience: string[];
}

export type CommittedChangesListener = (changes: CommittedChange[]) => void;

/**
 * What a transaction does once its outcome is known, instead of guessing. Registered inside
 * `withTransaction(async tx => …)`; each hook runs exactly once, and a hook that throws is logged without stopping the others.
 */
export interface TransactionHooks {
  /**
   * Runs after the OUTERMOST transaction has committed (after the change listeners heard its
   * changes), in the order registered. Never runs if this transaction, or any enclosing one,
   * rolls back. A transaction committed from a listener or hook is announced after the current one.
   */
  afterCommit(fn: () => void): void;
  /**
   * Runs when this transaction's work is undone: right after its savepoint rolls
   * back (the enclosing transaction goes on without it), or after the outermost rollback; in the order registered.
   */
  afterRollback(fn: () => void): void;
}

export interface ChangeLogBounds {
  /** Newest seq handed out (0 on a fresh database). */
  maxSeq: number;
  /** Oldest seq still kept; older ones were pruned. */
  firstRetainedSeq: number;
}

export interface RoutingAuditEntry {
  id: number;
  ticketId: string;
  at: number;
  decision: 'assigned' | 'queued';
  assigneeId: string | null;
  reason: string;
}

/** Two customers to merge, and who asks. */
export interface CustomerMergeInput {
  keepId: string;
  mergeId: string;
  actor: User;
  now: number;
}

/** What a merge did. */
export interface CustomerMergeOutcome {
  customer: Customer;
  mergedId: string;
  ticketIds: string[];
  /** The change log's newest seq once the merge committed. */
  seq: number;
}

export interface AssignTicketInput {
  ticketId: string;
  /** null puts the ticket back in its channel's queue. */
  assignee: RoutingAssignee | null;
  reason: AssignmentReason;
  now: number;
}

/** A file uploaded for a reply (checked against shared/attachments.ts before it is stored). */
export interface ReplyUploadBytes {
  id: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** The bytes of one attachment, with what it belongs to. */
export interface StoredAttachment {
  attachment: Attachment;
  messageId: string;
  ticketId: string;
  data: Buffer;
}

/** Reads. None of them writes, so they are safe outside a transaction. */
export interface ServerReadable {
  countUsers(): Promise<number>;
  getUser(id: string): Promise<User | null>;
  getUserByUsername(username: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  getCredentials(username: string): Promise<UserCredentials | null>;
  /**
   * Whether the workstation `clientId` signed in as the user named `username` (exactly as stored)
   * with the right password before, since their last password reset: its sign-ins then spend a
   * failure budget of their own, which a stranger's wrong passwords do not touch (attack-12).
   */
  isSignInDevice(username: string, clientId: string): Promise<boolean>;
  lookupToken(token: string, now: number): Promise<TokenLookup>;
  getCustomer(id: string): Promise<Customer | null>;
  getTicket(id: string): Promise<Ticket | null>;
  /** The tickets of these ids that exist, in no particular order: one query per `TICKETS_BY_ID_BATCH` ids. */
  getTickets(ids: readonly string[]): Promise<Ticket[]>;
  getTicketBundle(id: string): Promise<TicketBundle | null>;
  /** Tickets the viewer may see, newest first (createdAt desc, id desc). */
  listTickets(viewer: Viewer, filter: TicketListFilter): Promise<TicketListPage>;
  changeLogBounds(): Promise<ChangeLogBounds>;
  /**
   * Committed changes after `seq` (at most `limit`, oldest first) with their audiences: how a
   * node hears what other nodes committed (server/cluster/commitStream.ts). A seq that was
   * pruned meanwhile is simply absent.
   */
  committedChangesAfter(seq: number, limit: number): Promise<CommittedChange[]>;
  /** The viewer's changes after `since` (≤ MAX_PULL_CHANGES), or must-refetch. */
  pullChanges(viewer: Viewer, since: number): Promise<PullResult>;
  /**
   * One page of the bundles the viewer may see, ordered by ticket id. `total` counts them,
   * unless `knownTotal` (the count an earlier page of the same walk gave) is passed: then that.
   */
  bootstrapPage(viewer: Viewer, after: string | null, limit: number, knownTotal?: number): Promise<BootstrapPage>;
  listRoutingAudit(ticketId: string): Promise<RoutingAuditEntry[]>;
  /** The customer a phone number belongs to (normalised and matched as an inbound contact's phone); null when none. */
  findCustomerByPhone(phone: string): Promise<Customer | null>;
  /** A customer's newest tickets on every channel that the viewer may see (createdAt desc, id desc). */
  listCustomerTickets(viewer: Viewer, customerId: string, limit: number): Promise<Ticket[]>;
  /**
   * Customers possibly the same as this one (sharing a phone, email or social id that at
   * least one side only claimed), among those the viewer may see; null when the customer is
   * unknown, merged away, or not the viewer's to see.
   */
  listCustomerMatches(viewer: Viewer, customerId: string, limit: number): Promise<CustomerMatch[] | null>;
  /**
   * One page of the customer's whole history, every channel and every agent's tickets
   * (newest first by creation, then id), each with its newest messages; a merged-away id
   * reads the customer it went into. Null when the customer is unknown or the viewer neither
   * holds nor is offered any of their tickets (leads and admins see every customer).
   */
  listCustomerHistory(viewer: Viewer, customerId: string, page: CustomerHistoryQuery): Promise<CustomerHistoryPage | null>;
}

/** Which history page to read (already validated). */
export interface CustomerHistoryQuery {
  before: CustomerHistoryCursor | null;
  limit: number;
  messagesPerTicket: number;
}

/** Writes. Each runs in a transaction (joining the caller's, if any) with its change-log entries. */
export interface ServerWritable {
  createUser(input: NewUser, now?: number): Promise<User>;
  /**
   * A new sign-in token; `clientId` binds it to the workstation that signed in (else its first
   * socket binds it) and records that workstation as one the user signs in from (isSignInDevice).
   */
  issueUserToken(userId: string, now: number, ttlMs: number, clientId?: string | null): Promise<IssuedToken>;
  /**
   * Ties a user token to the workstation presenting it: the first clientId sticks, and a
   * later one that differs is refused (a copied token used from elsewhere). False when the
   * token is bound to another client, or unknown.
   */
  bindTokenToClient(token: string, clientId: string): Promise<boolean>;
  /** Sign-out: forgets a USER token (its lookups say unknown from now on). False when there was no such user token. */
  revokeUserToken(token: string): Promise<boolean>;
  /** Registers a channel integration's bearer token (stored hashed); null expiry = never. */
  createIntegrationToken(name: string, token: string, expiresAt?: number | null, now?: number): Promise<void>;
  /** An inbound contact: dedupe, match the customer, join the open ticket or open a new one, route. */
  ingestInbound(contact: ChannelContact, options: IngestOptions): Promise<IngestOutcome>;
  /**
   * Records what the channel did with an outbound message (or, still `queued`, why it has
   * not left yet); the agents see it as a message change. Null when there is no such outbound message.
   */
  setDeliveryStatus(messageId: string, outcome: DeliveryOutcome, now: number): Promise<Message | null>;
  /**
   * Outbound messages still waiting for their channel, oldest first (after a restart, too),
   * among those whose source is one of `sources` or `<source>:<anything>`.
   */
  listQueuedDeliveries(sources: readonly string[], limit: number): Promise<QueuedDelivery[]>;
  /**
   * Claims up to `limit` queued replies of these sources for `claim.by` until `claim.until`:
   * replies nobody holds, whose claim ran out, or already this claimant's. Of several nodes
   * claiming at once each reply goes to one (PostgreSQL: FOR UPDATE SKIP LOCKED). Sending,
   * failing or re-queueing a reply (`setDeliveryStatus`) clears its claim.
   */
  claimQueuedDeliveries(sources: readonly string[], limit: number, claim: DeliveryClaim): Promise<QueuedDelivery[]>;
  /** Keeps a claimed reply for its claimant until `until` (a retry later); false when the claim is no longer theirs. */
  renewDeliveryClaim(messageId: string, claim: DeliveryClaim): Promise<boolean>;
  /**
   * When `by` should look at the queued replies of these sources again: when the first claim another
   * claimant holds runs out, or 0 (now) while one is held by no claim at all (on PostgreSQL, one that
   * `by`'s claim skipped because another node was claiming it at that moment); null when every queued
   * reply of these sources is `by`'s own.
   */
  nextForeignClaimEnd(sources: readonly string[], by: string): Promise<number | null>;
  /** Outbound messages still queued, with no reason recorded yet, that none of `sources` sends (or that have no source). */
  listUndeliverable(sources: readonly string[], limit: number): Promise<QueuedDelivery[]>;
  /** The bytes of one attachment, with its description; null when unknown. */
  getAttachment(id: string): Promise<StoredAttachment | null>;
  /**
   * Keeps a file an agent uploads for a reply, under the client's id: the same bytes again
   * (a retried upload) are `same`; another user's id, or other bytes, or an id already sent, `conflict`;
   * a new file that would take the user's unsent uploads past `ATTACHMENT_LIMITS.maxPendingBytes`, `over_quota`.
   */
  putReplyUpload(userId: string, upload: ReplyUploadBytes, now: number): Promise<'stored' | 'same' | 'conflict' | 'over_quota'>;
  /** Removes uploads no reply claimed, made before `before`; returns how many. */
  removeStaleReplyUploads(before: number): Promise<number>;
  /** The raw source a channel kept for a message (a mail's MIME); null when none. */
  getMessageSource(messageId: string): Promise<Buffer | null>;
  /** The ticket holding a message with one of these external ids on the channel, trying them in order. */
  findTicketByExternalMessageIds(channel: Channel, externalIds: readonly string[]): Promise<string | null>;
  /**
   * Tickets holding a message on one of `channels` whose external id starts with `prefix`,
   * newest such message first (a web chat visitor's conversations: their ids share a prefix).
   */
  listTicketIdsByExternalIdPrefix(channels: readonly Channel[], prefix: string, limit: number): Promise<string[]>;
  /**
   * Rewrites the call a call message records (e.g. its duration once the call ended) and the
   * message's text; the agents see it as a message change. Null when there is no such call message.
   */
  updateCallMessage(messageId: string, call: CallInfo, text: string, now: number): Promise<Message | null>;
  /** Applies one client mutation idempotently per (actor, clientId, mutationId). */
  applyMutation(actor: User, clientId: string, mutation: Mutation, now: number, context?: MutationContext): Promise<MutationResult>;
  /** Assigns (or queues) a ticket, with its audit row; the new viewer gets a bundle. */
  assignTicket(input: AssignTicketInput): Promise<Ticket>;
  /**
   * Merges `mergeId` into `keepId` in one transaction: identities and tickets move (the
   * viewers get the kept customer, then each moved ticket), the merged customer points to
   * the kept one, and an audit row records who did it. Throws CustomerRefusal (server/customers.ts).
   */
  mergeCustomers(input: CustomerMergeInput): Promise<CustomerMergeOutcome>;
  /**
   * Repairs, once (on one node of many), the rows stored before attack-10 that no workstation can
   * read (server/unreadableRows.ts) and sends every ticket it touched, and every ticket of a customer
   * with more identities than a workstation reads, to its viewers again as a bundle. Run at start-up;
   * nothing to do (zeros) once done. In batches of `batch` rows (UNREADABLE_ROWS_BATCH), each in its
   * own transaction with the renewal of this node's claim (`data_repair_claims`, migration 038 /
   * PostgreSQL 029) and where the next batch begins; the last writes the row that says it is done.
   * Resolves when the repair is done: a node finding it claimed by another waits, and takes it over
   * where it got to once that claim runs out unrenewed (UNREADABLE_ROWS_CLAIM_MS).
   */
  repairUnreadableRows(clock: () => number, options?: { batch?: number }): Promise<{ messages: number; tickets: number }>;
  /** Forgets changes with seq < `seq`; clients behind that must bootstrap again. Returns the count deleted. */
  pruneChangesBefore(seq: number): Promise<number>;
  /**
   * History retention (server/retention.ts), one bounded batch per call, each in its own
   * transaction. Forgets the oldest change-log entries written before `before`, at most
   * `limit` (stops at the first one written since); returns how many went.
   */
  pruneChangesWrittenBefore(before: number, limit: number): Promise<number>;
  /**
   * Forgets the oldest idempotency records (`applied_mutations`) made before `before`, at most
   * `limit` however many share one time; returns how many went, 0 once none is left.
   */
  removeAppliedMutationsBefore(before: number, limit: number): Promise<number>;
  /** Deletes user sign-in tokens that expired before `before`, at most `limit` (integration tokens are configuration: kept); returns how many. */
  removeExpiredUserTokens(before: number, limit: number): Promise<number>;
  /** Deletes rating-link tokens (`csat_tokens`) of surveys that expired before `before`, at most `limit`; returns how many. The surveys stay. */
  removeExpiredCsatTokens(before: number, limit: number): Promise<number>;
  /** Forgets the provisional ids of hand-made tickets (`ticket_drafts`) mapped before `before`, at most `limit`; returns how many. The tickets stay. */
  removeTicketDraftsBefore(before: number, limit: number): Promise<number>;
  /**
   * Runs `fn` unless `job` is running on another node of this database now: on PostgreSQL a
   * session advisory try-lock held while `fn` runs (`{ ran: false }` at once when another
   * holds it); on SQLite (one node) it just runs.
   */
  runAlone<T>(job: 'history-retention', fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}

/** The server store: reads, writes, transactions and commit notifications. */
export interface ServerStore extends ServerReadable, ServerWritable {
  readonly dialect: SqlDialect;
  /** The SQLite file; null on PostgreSQL. */
  readonly filePath: string | null;
  /** Phone calls' state and events, agents' extensions (server/channels/cti/callStore.ts). */
  readonly cti: CtiCallStore;
  /** Who revealed which masked personal data (server/piiAuditStore.ts). */
  readonly pii: PiiAuditStore;
  /** Presence, capacity, VIP tiers and routing decisions (server/routingStore.ts). */
  readonly routing: RoutingStore;
  /** The agents' queue view: the queue summary and queued-ticket listings (server/queueViewStore.ts). */
  readonly queue: QueueViewStore;
  /** The scripts libraries (话术库): team and personal (server/scriptStore.ts). */
  readonly scripts: ScriptStore;
  /** The knowledge base (知识库): articles, suggestions and their audit (server/knowledgeStore.ts). */
  readonly knowledge: KnowledgeStore;
  /** Alarms, escalation requests and backlog thresholds (server/alarms/alertStore.ts). */
  readonly alerts: AlertStore & {
    /** Hears the alarms the store itself raised (an escalation request from the outbox), after their commit. */
    onDidRaise(listener: (alarm: Alarm) => void): () => void;
  };
  /** Users as administrators manage them, the admin audit and the policies (server/adminStore.ts). */
  readonly admin: AdminStore;
  /** Report-reader credentials for other systems (server/reportCredentialStore.ts). */
  readonly reportCredentials: ReportCredentialStore;
  /** Satisfaction surveys (满意度回访, server/csat/csatStore.ts): created on completion, answered once. */
  readonly csat: Omit<CsatStore, 'onCompleted' | 'deliveryChanged' | 'answer'> & {
    /** The one answer, in a transaction of its own; a low-score alarm is announced (onDidRaise) after the commit. */
    answer(token: string, answer: CsatAnswer, now: number): Promise<CsatAnswerOutcome>;
  };
  /** Read-only SQL for repositories built on the seam (server/db/sql.ts); writes go through the store. */
  readonly sql: SqlExecutor;
  /**
   * Runs `fn` in one transaction; called inside one (the same async context), it is a
   * savepoint there. Store calls made inside `fn` join it; reads from elsewhere see committed
   * data only. `fn` should await nothing but the store (no network, no timers): on SQLite it
   * holds the only writer, on PostgreSQL its row locks. It may run again after a PostgreSQL
   * serialization failure or deadlock, so its only effects outside the database go through
   * `tx`. Listeners hear the changes after the outermost commit; `tx` registers what must
   * happen only once the outcome is known (see `TransactionHooks`).
   */
  withTransaction<T>(fn: (tx: TransactionHooks) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits for the routing engine's turn and holds it until the
   * transaction has ended and its hooks have run (across nodes a PostgreSQL advisory lock, in
   * this process a queue). Called again in the same transaction, it already has it.
   */
  lockRoutingTurn(): Promise<void>;
  /**
   * Outside any transaction: runs `fn` (synchronous: an engine step that writes nothing) in the
   * routing engine's turn in this process, so it sees no other operation's undecided state.
   */
  inRoutingTurn<T>(fn: () => T): Promise<T>;
  /** Called after each outermost commit that appended changes, in commit order (see `TransactionHooks.afterCommit`). */
  onDidCommitChanges(listener: CommittedChangesListener): () => void;
  /** Called after each commit that changed a user's directory entry or active flag, with their id (this process's writes; a cluster hears every node's through server/cluster/commitStream.ts). */
  onDidChangeUser(listener: (userId: string | null) => void): () => void;
  close(): Promise<void>;
}

export interface ServerStoreOptions {
  /** The SQLite file; its folder is created if missing (`openPostgresServerStore` opens PostgreSQL instead). */
  filePath: string;
  /** Where listener failures are reported. */
  log?: (line: string) => void;
}

// ---------------------------------------------------------------------------------------
// Rows

interface UserRow extends UserDirectoryRow {
  password_hash: string;
  last_assigned_at: number | null;
  /** Set while the user is deactivated (migration 016): they cannot sign in and their tokens are refused. */
  deactivated_at: number | null;
}

interface CustomerRow {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  social_id: string | null;
  vip_tier: number;
  created_at: number;
}

interface TicketRow {
  id: string;
  customer_id: string;
  channel: string;
  type: string;
  subject: string;
  priority: string;
  status: string;
  assignee_id: string | null;
  assignee_name: string | null;
  assignment_reason: string | null;
  created_at: number;
  updated_at: number;
  assigned_at: number | null;
  first_response_at: number | null;
  due_at: number;
  completed_at: number | null;
  last_message_preview: string;
  last_message_at: number;
  follow_up_at: number | null;
  routing: string | null;
  sub_category: string | null;
  tags_json: string;
  result: string | null;
  handover_json: string | null;
}

interface MessageRow {
  id: string;
  ticket_id: string;
  direction: string;
  channel: string;
  author_id: string | null;
  author_name: string;
  text: string;
  external_message_id: string | null;
  delivery_status: string;
  created_at: number;
  source: string | null;
  attachments_json: string;
  call_json: string | null;
  delivery_error: string | null;
  /** NULL before migration 023 and for every message but an email reply with the agent's own subject. */
  subject: string | null;
  /** The node sending it now (migration 011), NULL when none. */
  claimed_by?: string | null;
}

interface NoteRow {
  id: string;
  ticket_id: string;
  author_id: string;
  author_name: string;
  text: string;
  created_at: number;
}

// Rows were written by this module from validated values, so the casts below only restore types.
function customerFromRow(row: CustomerRow, identities: CustomerIdentity[]): Customer {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    socialId: row.social_id,
    vipTier: row.vip_tier,
    createdAt: row.created_at,
    identities,
  };
}

function ticketFromRow(row: TicketRow): Ticket {
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel as Channel,
    type: row.type as Ticket['type'],
    subject: row.subject,
    priority: row.priority as Ticket['priority'],
    status: row.status as TicketStatus,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_name,
    // Written by this module from a validated ticket, so it is read back as it was stored.
    assignmentReason: row.assignment_reason === null ? null : (JSON.parse(row.assignment_reason) as AssignmentReason),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    assignedAt: row.assigned_at,
    firstResponseAt: row.first_response_at,
    dueAt: row.due_at,
    completedAt: row.completed_at,
    lastMessagePreview: row.last_message_preview,
    lastMessageAt: row.last_message_at,
    followUpAt: row.follow_up_at,
    // NULL for tickets from before routing facts existed.
    routing: row.routing === null ? defaultTicketRouting() : (JSON.parse(row.routing) as TicketRouting),
    subCategory: row.sub_category,
    tags: JSON.parse(row.tags_json) as string[],
    result: row.result,
    handover: row.handover_json === null ? null : (JSON.parse(row.handover_json) as Handover),
  };
}

function messageFromRow(row: MessageRow): Message {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    direction: row.direction as Message['direction'],
    channel: row.channel as Channel,
    authorId: row.author_id,
    authorName: row.author_name,
    text: row.text,
    externalMessageId: row.external_message_id,
    deliveryStatus: row.delivery_status as Message['deliveryStatus'],
    createdAt: row.created_at,
    attachments: JSON.parse(row.attachments_json) as Attachment[],
    source: row.source,
    call: row.call_json === null ? null : (JSON.parse(row.call_json) as CallInfo),
    deliveryError: row.delivery_error,
    ...(row.subject !== null ? { subject: row.subject } : {}),
  };
}

function noteFromRow(row: NoteRow): Note {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    authorId: row.author_id,
    authorName: row.author_name,
    text: row.text,
    createdAt: row.created_at,
  };
}

/** Customer columns read alongside a ticket, prefixed so they do not collide with the ticket's. */
interface PrefixedCustomerRow {
  c_id: string;
  c_name: string;
  c_phone: string | null;
  c_email: string | null;
  c_social_id: string | null;
  c_vip_tier: number;
  c_created_at: number;
}

const CUSTOMER_COLUMN_NAMES = ['id', 'name', 'phone', 'email', 'social_id', 'vip_tier', 'created_at'];
const CUSTOMER_COLUMNS_C = CUSTOMER_COLUMN_NAMES.map((c) => `c.${c} AS c_${c}`).join(', ');

function customerFromPrefixedRow(row: PrefixedCustomerRow, identities: CustomerIdentity[]): Customer {
  return {
    id: row.c_id,
    name: row.c_name,
    phone: row.c_phone,
    email: row.c_email,
    socialId: row.c_social_id,
    vipTier: row.c_vip_tier,
    createdAt: row.c_created_at,
    identities,
  };
}

function ticketParams(t: Ticket): SqlValue[] {
  return [
    t.id,
    t.customerId,
    t.channel,
    t.type,
    t.subject,
    t.priority,
    t.status,
    t.assigneeId,
    t.assigneeName,
    t.assignmentReason === null ? null : JSON.stringify(t.assignmentReason),
    t.createdAt,
    t.updatedAt,
    t.assignedAt,
    t.firstResponseAt,
    t.dueAt,
    t.completedAt,
    t.lastMessagePreview,
    t.lastMessageAt,
    t.followUpAt,
    JSON.stringify(t.routing),
    t.subCategory,
    JSON.stringify(t.tags),
    t.result,
    t.handover === null ? null : JSON.stringify(t.handover),
  ];
}

const TICKET_COLUMNS =
  'id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, assignment_reason, created_at, updated_at, assigned_at, first_response_at, due_at, completed_at, last_message_preview, last_message_at, follow_up_at, routing, sub_category, tags_json, result, handover_json';
/** `requeued_at` after a ticket write; parameters: the new assignee, the write's time (the ticket's updatedAt). */
const REQUEUED_AT_ASSIGNMENT =
  'requeued_at = CASE WHEN CAST(? AS TEXT) IS NOT NULL THEN NULL WHEN assignee_id IS NOT NULL THEN CAST(? AS BIGINT) ELSE requeued_at END';
const TICKET_COLUMNS_T = TICKET_COLUMNS.split(', ')
  .map((c) => `t.${c}`)
  .join(', ');

/**
 * A reader of rows fetched as arrays (`allArrays`) into the objects `all` would give, for the
 * reads of thousands of rows: the driver builds each object property by property (about half
 * a bootstrap page's SQL time), a function compiled once for the columns builds it as one
 * literal. The names are this module's own column constants, never input.
 */
function arrayRowReader<Row>(columns: readonly string[]): (values: unknown[]) => Row {
  const fields = columns.map((column, index) => `${JSON.stringify(column)}: values[${String(index)}]`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed literal per column list; see above
  return new Function('values', `return { ${fields.join(', ')} };`) as (values: unknown[]) => Row;
}

const bootstrapTicketRow = arrayRowReader<TicketRow & PrefixedCustomerRow>([...TICKET_COLUMNS.split(', '), ...CUSTOMER_COLUMN_NAMES.map((c) => `c_${c}`)]);
const MESSAGE_COLUMNS = [
  'id',
  'ticket_id',
  'direction',
  'channel',
  'author_id',
  'author_name',
  'text',
  'external_message_id',
  'delivery_status',
  'created_at',
  'source',
  'attachments_json',
  'call_json',
  'delivery_error',
  'subject',
] as const satisfies ReadonlyArray<keyof MessageRow>;
const bootstrapMessageRow = arrayRowReader<MessageRow>(MESSAGE_COLUMNS);

// ---------------------------------------------------------------------------------------
// Visibility as SQL (the same rule as canUserSeeTicket)

function visibilityClause(viewer: Viewer, alias: string): { sql: string; params: SqlValue[] } {
  if (viewer.role !== 'agent') return { sql: '1 = 1', params: [] };
  if (viewer.channels.length === 0) return { sql: `${alias}.assignee_id = ?`, params: [viewer.id] };
  const marks = viewer.channels.map(() => '?').join(', ');
  return {
    sql: `(${alias}.assignee_id = ? OR (${alias}.assignee_id IS NULL AND ${alias}.channel IN (${marks})))`,
    params: [viewer.id, ...viewer.channels],
  };
}

/** A customer's identities as the panel lists them: phones, then emails, then social ids, each oldest first. */
const IDENTITY_ORDER = "CASE kind WHEN 'phone' THEN 0 WHEN 'email' THEN 1 ELSE 2 END, created_at, value";
/** IDENTITY_ORDER's first key, for identities known without reading them back. */
function identityRank(kind: CustomerIdentity['kind']): number {
  return kind === 'phone' ? 0 : kind === 'email' ? 1 : 2;
}

/**
 * The workstations a user's sign-ins are recognised from (sign_in_devices): the newest this many.
 * Each has a failure budget of its own outside the address's, so an account collecting client ids
 * gets at most this many budgets' worth of password checks a window (attack-12).
 */
export const MAX_SIGN_IN_DEVICES = 32;

/** The bytes a user's uploads no reply claimed yet hold (the per-user quota): one seek of migration 027's covering index `reply_uploads_user`. */
export const REPLY_UPLOAD_QUOTA_SQL = 'SELECT sum(size) AS bytes FROM reply_uploads WHERE user_id = ?';
/** Uploads no reply claimed in time (the sweep): a range of `reply_uploads_created` (migration 022). */
export const STALE_REPLY_UPLOADS_SQL = 'SELECT id FROM reply_uploads WHERE created_at < ?';

/** Ids per query of `getTickets`. */
export const TICKETS_BY_ID_BATCH = IN_LIST_MAX;
/** Rows an agent's search by customer reads at a time while it fills a page with the rows their masked view matches. */
const MASKED_SEARCH_BATCH = 200;

/** The audiences of a run of seqs (the cluster's commit stream, after every commit): a range of migration 029's `change_audience_seq`. */
export const COMMITTED_AUDIENCES_SQL = 'SELECT seq, principal FROM change_audience WHERE seq > ? AND seq <= ?';
/** Pruning the log's audiences: the same index, from the front. */
export const PRUNE_AUDIENCES_SQL = 'DELETE FROM change_audience WHERE seq < ?';
/** One history-retention batch of a table: its rows oldest first (parameters: the time, then the batch size), named by its key. */
export interface RetentionBatch {
  table: string;
  /** The table's alias in `from` followed by a dot, or '' without one. */
  alias: string;
  from: string;
  where: string;
  orderBy: string;
  keys: readonly string[];
}

/** The oldest idempotency records before a time: a range of migration 029's `applied_mutations_created`. */
export const APPLIED_MUTATIONS_BATCH: RetentionBatch = {
  table: 'applied_mutations',
  alias: '',
  from: 'applied_mutations',
  where: 'created_at < ?',
  orderBy: 'created_at',
  keys: ['user_id', 'client_id', 'mutation_id'],
};
/** User sign-in tokens expired before a time: a range of migration 030's partial index `tokens_user_expiry`. */
export const EXPIRED_USER_TOKENS_BATCH: RetentionBatch = {
  table: 'tokens',
  alias: '',
  from: 'tokens',
  where: "kind = 'user' AND expires_at < ?",
  orderBy: 'expires_at',
  keys: ['token_hash'],
};
/**
 * Rating-link tokens whose survey expired before a time (the time twice). A token is minted
 * only while its survey is open, so every such token was made before that time: a range of
 * migration 030's `csat_tokens_created`, the few of still-open surveys skipped by the join.
 */
export const EXPIRED_CSAT_TOKENS_BATCH: RetentionBatch = {
  table: 'csat_tokens',
  alias: 't.',
  from: 'csat_tokens t JOIN csat_surveys s ON s.id = t.survey_id',
  where: 't.created_at < ? AND s.expires_at < ?',
  orderBy: 't.created_at',
  keys: ['token_hash'],
};
/** Provisional-id mappings of hand-made tickets made before a time: a range of migration 030's `ticket_drafts_created`. */
export const OLD_TICKET_DRAFTS_BATCH: RetentionBatch = {
  table: 'ticket_drafts',
  alias: '',
  from: 'ticket_drafts',
  where: 'created_at < ?',
  orderBy: 'created_at',
  keys: ['user_id', 'draft_id'],
};

/** The batch's keys, oldest first, at most the LIMIT parameter. */
export function retentionBatchSelectSql(batch: RetentionBatch, columns: string = batch.keys.map((key) => `${batch.alias}${key}`).join(', ')): string {
  return `SELECT ${columns} FROM ${batch.from} WHERE ${batch.where} ORDER BY ${batch.orderBy} LIMIT ?`;
}

/**
 * Deletes the batch's rows, never more than its LIMIT. PostgreSQL by their ctids, fetched
 * once (`ARRAY(…)`): with `key IN (SELECT …)` it hash-joins the batch against a scan of the
 * whole table. SQLite looks each key up in the primary key.
 */
export function retentionBatchDeleteSql(batch: RetentionBatch, dialect: SqlDialect): string {
  if (dialect === 'postgres') return `DELETE FROM ${batch.table} WHERE ctid = ANY(ARRAY(${retentionBatchSelectSql(batch, `${batch.alias}ctid`)}))`;
  const key = batch.keys.length === 1 ? batch.keys[0]! : `(${batch.keys.join(', ')})`;
  return `DELETE FROM ${batch.table} WHERE ${key} IN (${retentionBatchSelectSql(batch)})`;
}

export const OLD_APPLIED_MUTATIONS_SQL = retentionBatchSelectSql(APPLIED_MUTATIONS_BATCH);
export const EXPIRED_USER_TOKENS_SQL = retentionBatchSelectSql(EXPIRED_USER_TOKENS_BATCH);
export const EXPIRED_CSAT_TOKENS_SQL = retentionBatchSelectSql(EXPIRED_CSAT_TOKENS_BATCH);
export const OLD_TICKET_DRAFTS_SQL = retentionBatchSelectSql(OLD_TICKET_DRAFTS_BATCH);

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// ---------------------------------------------------------------------------------------
// The implementation, on either backend of server/db/

/** Opens the embedded SQLite store (the default): the numbered migrations run first. */
export function openServerStore(options: ServerStoreOptions): ServerStore {
  const { filePath } = options;
  // The organisation's tickets and credentials: the folder 0700, the database and its WAL 0600.
  prepareSqliteFile(filePath);
  const db = openSqliteDatabase({ filePath, migrate: (writer) => migrate(writer), log: options.log });
  return createServerStore(db, { ...options, filePath });
}

export interface PostgresServerStoreOptions {
  /** postgres://user@host:port/database */
  databaseUrl: string;
  /** Connections in the pool; default 10. */
  maxConnections?: number;
  log?: (line: string) => void;
  /**
   * Tell every node of each commit that appended to the change log (one NOTIFY per
   * transaction, server/cluster/changeFeed.ts): only several nodes need it. Default false.
   */
  announceCommits?: boolean;
}

/** Opens the store on PostgreSQL (several nodes): the numbered PostgreSQL migrations run first, once however many nodes start together. */
export async function openPostgresServerStore(options: PostgresServerStoreOptions): Promise<ServerStore> {
  const db = openPostgresDatabase({ connectionString: options.databaseUrl, maxConnections: options.maxConnections, log: options.log });
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return createServerStore(db, { filePath: null, log: options.log, announceCommits: options.announceCommits ?? false, sessionLocks: db.pool });
}

interface TransactionContext {
  tx: Transaction;
  /** The changes the outermost transaction appended so far, announced after its commit. */
  pending: CommittedChange[];
  /** The outermost transaction's hold on the routing engine's turn (kept across retried attempts). */
  turn: { release: (() => void) | null };
  /** Tickets whose report-rollup contribution may have changed; refreshed once each just before the outermost commit. */
  rollupPending: Set<string>;
  /** What the outermost transaction holds on behalf of all its savepoints (one object, shared). */
  held: TransactionHeld;
}

/**
 * A counter row (an id counter, the change log's seq) this transaction has advanced. Its first
 * number is taken by a statement that writes the row (and locks it on PostgreSQL) until the
 * commit, so nobody else can take one: the next numbers are counted here and the row written
 * once, before the commit, instead of one statement per number.
 */
interface HeldCounter {
  /** The last number handed out. */
  value: number;
  /** What the row holds now, in this transaction. */
  written: number;
  write: (value: number) => Promise<unknown>;
}

/** A change-log entry appended but not yet written (SQLite: written together before the commit). */
interface ChangeRow {
  seq: number;
  kind: string;
  body: string;
  createdAt: number;
  principals: string[];
}

interface TransactionHeld {
  counters: Map<string, HeldCounter>;
  /** SQLite: one per `pending` change, same order; the first `changesWritten` are in the tables. */
  changeRows: ChangeRow[];
  changesWritten: number;
  /**
   * SQLite: the policies documents read in this transaction. Nobody else writes while it is
   * open (one writer), so they change only by this transaction's own writes, which drop them.
   */
  documents: Map<string, PolicyDocumentRow | undefined>;
  /** Tickets inserted by this transaction: no stored rollup contribution yet, so all are added by two statements before the commit. */
  freshTickets: Set<string>;
}

/** Rows per multi-row INSERT of the change log: 4 values each, far under SQLite's 32,766 parameters. */
const CHANGE_ROWS_PER_INSERT = 200;

function createServerStore(
  db: SqlDatabase,
  options: {
    filePath: string | null;
    log?: (line: string) => void;
    announceCommits?: boolean;
    /** PostgreSQL's pool, for session advisory locks held across transactions (`runAlone`). */
    sessionLocks?: Pick<pg.Pool, 'connect'>;
  },
): ServerStore {
  const log = options.log ?? ((line: string) => console.error(line));
  const sessionLocks = options.sessionLocks ?? null;
  const dialect = db.dialect;
  const postgres = dialect === 'postgres';
  /** `SELECT … FOR UPDATE` on PostgreSQL; SQLite's one writer already serialises. */
  const forUpdate = postgres ? ' FOR UPDATE' : '';

  // --- transactions and commit notification ----------------------------------------
  const listeners = new Set<CommittedChangesListener>();
  const userListeners = new Set<(userId: string | null) => void>();
  /** The transaction of this async context: store calls made in it join it. */
  const context = new AsyncLocalStorage<TransactionContext>();

  /** Where a statement goes now: the open transaction of this context, else the database. */
  function ex(): SqlExecutor {
    return context.getStore()?.tx ?? db;
  }

  /**
   * A write may have changed what `ticketId` contributes to the reports: its rollup is brought
   * up to date in this transaction, just before it commits (reports/reportRollup.ts).
   */
  async function ticketRollupChanged(ticketId: string): Promise<void> {
    const open = context.getStore();
    if (open) open.rollupPending.add(ticketId);
    else await transaction(() => refreshTicketRollup(ex(), ticketId));
  }

  /** The hooks `fn` gets; registering one after its unit has ended is a mistake (it would never run), so it throws. */
  function hooksOf(tx: Transaction, unit: { ended: boolean }): TransactionHooks {
    const check = (kind: string) => {
      if (unit.ended) throw new Error(`${kind}: the transaction has already ended`);
    };
    return {
      afterCommit: (hook) => (check('afterCommit'), tx.afterCommit(hook)),
      afterRollback: (hook) => (check('afterRollback'), tx.afterRollback(hook)),
    };
  }

  /** One transaction, or a savepoint inside this context's open one. */
  async function transaction<T>(fn: (hooks: TransactionHooks) => Promise<T>): Promise<T> {
    const open = context.getStore();
    if (open) {
      const unit = { ended: false };
      try {
        return await open.tx.nested((tx) => {
          // Taken when the savepoint starts: a rollback restores what the database restores.
          const mark = open.pending.length;
          const held = open.held;
          // Rows written inside the savepoint, even ones appended before it, are rolled back with it.
          const changesWritten = held.changesWritten;
          const counters = new Map([...held.counters].map(([key, counter]) => [key, { ...counter }]));
          tx.afterRollback(() => {
            open.pending.length = Math.min(open.pending.length, mark);
            held.changeRows.length = Math.min(held.changeRows.length, mark);
            held.changesWritten = changesWritten;
            held.counters = counters;
            held.documents.clear();
          });
          return context.run({ ...open, tx }, () => fn(hooksOf(tx, unit)));
        });
      } finally {
        unit.ended = true;
      }
    }
    const turn: TransactionContext['turn'] = { release: null };
    /** The attempt running now: a retried one registers its hooks afresh (the rolled-back attempt's have run and ended it). */
    let unit: { ended: boolean } = { ended: false };
    try {
      return await db.withTransaction((tx) => {
        // A retried attempt (PostgreSQL serialization failure) starts with nothing pending and hooks of its own.
        const pending: CommittedChange[] = [];
        const attempt: { ended: boolean } = (unit = { ended: false });
        // Registered first: the listeners hear the changes before any other after-commit hook runs.
        tx.afterCommit(() => {
          attempt.ended = true;
          if (pending.length > 0) notifyListeners(pending);
        });
        tx.afterRollback(() => void (attempt.ended = true));
        // Registered first, so it runs last of the rollback hooks (the engine has undone this attempt's
        // decisions by then): a retried attempt takes the turn again in order, the database's lock first.
        // Kept across the retry, it would wait for the database's lock while a transaction holding that
        // lock waits for this process's turn: a deadlock PostgreSQL cannot see.
        tx.afterRollback(() => {
          const release = turn.release;
          turn.release = null;
          release?.();
        });
        const rollupPending = new Set<string>();
        const held: TransactionHeld = { counters: new Map(), changeRows: [], changesWritten: 0, documents: new Map(), freshTickets: new Set() };
        return context.run({ tx, pending, turn, rollupPending, held }, async () => {
          const result = await fn(hooksOf(tx, attempt));
          await writeHeld(held);
          // Once per ticket however many writes touched it, and the rollup rows (shared on PostgreSQL) locked only for the commit's last moments.
          // A savepoint that rolled back leaves its tickets here: a refresh reads the ticket as it now is, so it is exact either way
          // (a fresh ticket whose insert rolled back is simply not found).
          const fresh = [...held.freshTickets];
          for (let start = 0; start < fresh.length; start += IN_LIST_MAX) await addFreshTicketsRollup(tx, fresh.slice(start, start + IN_LIST_MAX));
          for (const ticketId of rollupPending) if (!held.freshTickets.has(ticketId)) await refreshTicketRollup(tx, ticketId);
          // Every node's live fan-out hears of it on commit (never for a rollback): one NOTIFY per transaction.
          const last = pending[pending.length - 1];
          if (options.announceCommits && last) await announce(tx, last.change.seq);
          return result;
        });
      });
    } finally {
      unit.ended = true;
      // Only now, every hook having run: the engine has kept or undone this transaction's decisions.
      turn.release?.();
    }
  }

  const routingTurns = createTurns();

  function notifyListeners(batch: CommittedChange[]): void {
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        log(`change listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }

  /**
   * Serialises transactions that decide on the same key (a customer identity, a client's
   * mutation id) until they end: PostgreSQL transaction-scoped advisory locks, in a fixed
   * order so two holders never wait for each other. SQLite's one writer already does this.
   */
  async function lockKeys(keys: readonly string[]): Promise<void> {
    if (!postgres) return;
    for (const key of [...new Set(keys)].sort()) await ex().get('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
  }

  /**
   * The next number of a counter row: `take` advances the row by one and answers its value;
   * once this transaction holds the row, later numbers are counted here and `write` stores the
   * last one before the commit (`writeHeld`). Outside a transaction, simply `take`.
   */
  async function advanceCounter(key: string, take: () => Promise<number>, write: (value: number) => Promise<unknown>): Promise<number> {
    const held = context.getStore()?.held;
    const known = held?.counters.get(key);
    if (known) return ++known.value;
    const value = await take();
    held?.counters.set(key, { value, written: value, write });
    return value;
  }

  /** Writes what this transaction holds back (counter rows, SQLite's change-log rows): before its commit, and before anything reads those tables in it. */
  async function writeHeld(held: TransactionHeld): Promise<void> {
    for (const counter of held.counters.values()) {
      if (counter.value === counter.written) continue;
      await counter.write(counter.value);
      counter.written = counter.value;
    }
    const rows = held.changeRows.slice(held.changesWritten);
    for (let start = 0; start < rows.length; start += CHANGE_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + CHANGE_ROWS_PER_INSERT);
      await ex().run(
        `INSERT INTO changes (seq, kind, body, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((row) => [row.seq, row.kind, row.body, row.createdAt]),
      );
      const audience = chunk.flatMap((row) => row.principals.map((principal) => [row.seq, principal]));
      for (let first = 0; first < audience.length; first += CHANGE_ROWS_PER_INSERT * 2) {
        const pairs = audience.slice(first, first + CHANGE_ROWS_PER_INSERT * 2);
        await ex().run(`INSERT INTO change_audience (seq, principal) VALUES ${pairs.map(() => '(?, ?)').join(', ')}`, pairs.flat());
      }
    }
    held.changesWritten = held.changeRows.length;
  }

  /** Before reading the change log or a counter inside a transaction: what it holds back is written first. */
  async function writeHeldNow(): Promise<void> {
    const open = context.getStore();
    if (open) await writeHeld(open.held);
  }

  // --- change log ----------------------------------------------------------------------
  async function appendChange(body: ChangeBody, audience: Iterable<string>, now: number): Promise<number> {
    const open = context.getStore();
    if (!open) throw new Error('appendChange outside a transaction');
    const principals = [...new Set(audience)];
    let seq: number;
    if (postgres) {
      // One round trip instead of 2 + one per principal (each statement costs a round trip and a
      // syscall on both sides). The counter row stays locked until commit, so seq order is commit
      // order and no reader skips a late seq.
      seq = Number(
        (await ex().get<{ seq: number | string }>(
          `WITH s AS (UPDATE change_log_state SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq),
                c AS (INSERT INTO changes (seq, kind, body, created_at) SELECT last_seq, ?, ?, ? FROM s RETURNING seq),
                a AS (INSERT INTO change_audience (seq, principal) SELECT c.seq, p.principal FROM c, json_array_elements_text(CAST(? AS json)) AS p(principal))
           SELECT seq FROM c`,
          [body.kind, JSON.stringify(body), now, JSON.stringify(principals)],
        ))!.seq,
      );
    } else {
      // One writer: the counter is this transaction's from its first append to its commit, and the rows are written
      // together before the commit (or before a read of the log inside it): 3 statements per batch, not 3 per change.
      seq = await advanceCounter(
        'change_log',
        async () => (await ex().get<{ last_seq: number }>('UPDATE change_log_state SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq'))!.last_seq,
        (value) => ex().run('UPDATE change_log_state SET last_seq = ? WHERE id = 1', [value]),
      );
      open.held.changeRows.push({ seq, kind: body.kind, body: JSON.stringify(body), createdAt: now, principals });
    }
    open.pending.push({ change: { seq, ...body }, audience: principals });
    return seq;
  }

  /**
   * Logs a ticket change for everyone who saw it before or sees it after. When the ticket
   * enters a new principal's view the change is a full bundle, so the new viewer has everything.
   */
  async function appendTicketChange(before: Ticket | null, after: Ticket, body: ChangeBody, now: number, knownBundle?: TicketBundle): Promise<number> {
    const { audience, entersNewView } = ticketChangeAudience(before, after);
    const effective: ChangeBody = entersNewView || body.kind === 'bundle' ? { kind: 'bundle', bundle: knownBundle ?? (await requireBundle(after.id)) } : body;
    return appendChange(effective, audience, now);
  }

  async function changeLogBounds(): Promise<ChangeLogBounds> {
    await writeHeldNow();
    const row = (await ex().get<{ last_seq: number; first_retained_seq: number }>('SELECT last_seq, first_retained_seq FROM change_log_state WHERE id = 1'))!;
    return { maxSeq: row.last_seq, firstRetainedSeq: row.first_retained_seq };
  }

  async function pullChanges(viewer: Viewer, since: number): Promise<PullResult> {
    const { maxSeq, firstRetainedSeq } = await changeLogBounds();
    if (since > maxSeq || since < firstRetainedSeq - 1) return { mustRefetch: true, upTo: maxSeq };
    const principals = viewerPrincipals(viewer);
    let rows: Array<{ seq: number; body: string }>;
    if (principals === null) {
      rows = await ex().all('SELECT seq, body FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?', [since, maxSeq, MAX_PULL_CHANGES + 1]);
    } else {
      const marks = principals.map(() => '?').join(', ');
      rows = await ex().all(
        `SELECT c.seq, c.body FROM changes c
         JOIN (SELECT DISTINCT a.seq AS seq FROM change_audience a
               WHERE a.principal IN (${marks}) AND a.seq > ? AND a.seq <= ? ORDER BY a.seq LIMIT ?) s ON s.seq = c.seq
         ORDER BY c.seq`,
        [...principals, since, maxSeq, MAX_PULL_CHANGES + 1],
      );
    }
    const more = rows.length > MAX_PULL_CHANGES;
    if (more) rows = rows.slice(0, MAX_PULL_CHANGES);
    const changes = rows.map((row) => ({ seq: row.seq, ...(JSON.parse(row.body) as ChangeBody) }));
    const upTo = more ? rows[rows.length - 1]!.seq : maxSeq;
    return { mustRefetch: false, changes, upTo, more };
  }

  async function repairUnreadableRows(clock: () => number, options: { batch?: number } = {}): Promise<{ messages: number; tickets: number }> {
    const batch = options.batch ?? UNREADABLE_ROWS_BATCH;
    const claimant = randomUUID();
    /** Tickets sent again by this start: a ticket met in a later batch again is not sent twice (one resumed after a stop may be). */
    const sent = new Set<string>();
    let messages = 0;
    // Claim the repair, or wait while another node's start does it (as a start waited for the one transaction before).
    for (;;) {
      const state = await transaction(async () => {
        const now = clock();
        // A claim whose holder stopped renewing it (a node stopped midway) is taken over, where it got to.
        const claimed = await ex().run(
          `INSERT INTO data_repair_claims (name, claimed_by, claimed_until, stage, resume_after) VALUES (?, ?, ?, 'messages', '')
           ON CONFLICT (name) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until WHERE data_repair_claims.claimed_until <= ?`,
          [UNREADABLE_ROWS_REPAIR, claimant, now + UNREADABLE_ROWS_CLAIM_MS, now],
        );
        // After the claim: a node finishing at this moment has committed its row by then (its claim row was locked until it did).
        if (await ex().get('SELECT 1 AS done FROM data_repairs WHERE name = ?', [UNREADABLE_ROWS_REPAIR])) {
          if (claimed.changes > 0) await ex().run('DELETE FROM data_repair_claims WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);
          return 'done';
        }
        return claimed.changes > 0 ? 'mine' : 'held';
      });
      if (state === 'done') break;
      if (state === 'held') {
        await sleep(UNREADABLE_ROWS_WAIT_MS);
        continue;
      }
      const integrations = (await ex().all<{ name: string }>("SELECT DISTINCT name FROM tokens WHERE kind = 'integration' AND name IS NOT NULL")).map(
        (row) => row.name,
      );
      let stage: 'batch' | 'done' | 'lost' = 'batch';
      while (stage === 'batch') {
        // Each batch in its own transaction, with the claim renewed and where the next one begins. What it did is
        // counted once it commits (a PostgreSQL retry runs the batch again).
        const outcome = await transaction(async () => {
          const now = clock();
          const renewed = await ex().run('UPDATE data_repair_claims SET claimed_until = ? WHERE name = ? AND claimed_by = ?', [
            now + UNREADABLE_ROWS_CLAIM_MS,
            UNREADABLE_ROWS_REPAIR,
            claimant,
          ]);
          // Taken over: this node was too slow to renew its claim. It waits as any other start would.
          if (renewed.changes === 0) return { stage: 'lost' as const, repaired: 0, sending: [] };
          const { stage, resume_after: after } = (await ex().get<{ stage: string; resume_after: string }>(
            'SELECT stage, resume_after FROM data_repair_claims WHERE name = ?',
            [UNREADABLE_ROWS_REPAIR],
          ))!;
          const tickets = new Set<string>();
          let repaired = 0;
          let next: { stage: string; after: string } | null;
          if (stage === 'messages') {
            // Only messages with files or a long id can be unreadable; SQL counts characters, a workstation UTF-16 units (at most twice as many).
            const rows = await ex().all<StoredMessageColumns & { id: string; ticket_id: string; channel: string }>(
              `SELECT id, ticket_id, channel, text, external_message_id, attachments_json FROM messages
             WHERE id > ? AND (attachments_json <> '[]' OR length(external_message_id) > ${String(MAX_EXTERNAL_MESSAGE_ID_LENGTH / 2)})
             ORDER BY id LIMIT ?`,
              [after, batch],
            );
            for (const row of rows) {
              if (await repairMessage(row, integrations)) {
                repaired += 1;
                tickets.add(row.ticket_id);
              }
            }
            next = rows.length === batch ? { stage, after: rows[rows.length - 1]!.id } : { stage: 'customers', after: '' };
          } else {
            // Their customer record was unreadable, and with it every bundle of their tickets; it is read capped now (identitiesOfCustomer).
            const rows = await ex().all<{ id: string }>(
              `SELECT id FROM tickets WHERE id > ? AND customer_id IN
               (SELECT customer_id FROM customer_identities GROUP BY customer_id HAVING COUNT(*) > ${String(MAX_CUSTOMER_IDENTITIES)})
             ORDER BY id LIMIT ?`,
              [after, batch],
            );
            for (const row of rows) tickets.add(row.id);
            next = rows.length === batch ? { stage, after: rows[rows.length - 1]!.id } : null;
          }
          const sending = [...tickets].filter((ticketId) => !sent.has(ticketId)).sort();
          for (const ticketId of sending) {
            const bundle = await requireBundle(ticketId);
            await appendTicketChange(bundle.ticket, bundle.ticket, { kind: 'bundle', bundle }, now, bundle);
          }
          if (next) {
            await ex().run('UPDATE data_repair_claims SET stage = ?, resume_after = ? WHERE name = ?', [next.stage, next.after, UNREADABLE_ROWS_REPAIR]);
            return { stage: 'batch' as const, repaired, sending };
          }
          await ex().run('INSERT INTO data_repairs (name, done_at) VALUES (?, ?)', [UNREADABLE_ROWS_REPAIR, now]);
          await ex().run('DELETE FROM data_repair_claims WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);
          return { stage: 'done' as const, repaired, sending };
        });
        stage = outcome.stage;
        messages += outcome.repaired;
        for (const ticketId of outcome.sending) sent.add(ticketId);
      }
      if (stage === 'done') break;
    }
    if (messages > 0 || sent.size > 0)
      log(`repaired ${String(messages)} message(s) no workstation could read; sent ${String(sent.size)} ticket(s) to their viewers again`);
    return { messages, tickets: sent.size };
  }

  /** Repairs one stored message as `repairStoredMessage` says (its files' own rows too); false when it reads as it is. */
  async function repairMessage(row: StoredMessageColumns & { id: string; channel: string }, integrations: readonly string[]): Promise<boolean> {
    const repair = repairStoredMessage(row, integrations);
    if (!repair) return false;
    let externalMessageId = repair.externalMessageId;
    if (externalMessageId !== row.external_message_id && externalMessageId !== null) {
      // Sent again since attack-10, the id is already stored in its new form on the copy that answers repeats: this one keeps its own.
      const taken = await ex().get('SELECT 1 AS taken FROM messages WHERE channel = ? AND external_message_id = ?', [row.channel, externalMessageId]);
      if (taken) externalMessageId = `${externalMessageId}:${row.id}`;
    }
    await ex().run('UPDATE messages SET text = ?, external_message_id = ?, attachments_json = ? WHERE id = ?', [
      repair.text,
      externalMessageId,
      JSON.stringify(repair.attachments),
      row.id,
    ]);
    for (const file of repair.renamed) {
      await ex().run('UPDATE attachments SET file_name = ?, content_type = ? WHERE id = ? AND message_id = ?', [
        file.fileName,
        file.contentType,
        file.id,
        row.id,
      ]);
    }
    return true;
  }

  async function committedChangesAfter(seq: number, limit: number): Promise<CommittedChange[]> {
    await writeHeldNow();
    const rows = await ex().all<{ seq: number; body: string }>('SELECT seq, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?', [seq, limit]);
    if (rows.length === 0) return [];
    const last = rows[rows.length - 1]!.seq;
    const audiences = new Map<number, string[]>();
    for (const row of await ex().all<{ seq: number; principal: string }>(COMMITTED_AUDIENCES_SQL, [seq, last])) {
      let list = audiences.get(row.seq);
      if (!list) audiences.set(row.seq, (list = []));
      list.push(row.principal);
    }
    return rows.map((row) => ({ change: { seq: row.seq, ...(JSON.parse(row.body) as ChangeBody) }, audience: audiences.get(row.seq) ?? [] }));
  }

  function pruneChangesBefore(seq: number): Promise<number> {
    return transaction(async () => {
      // Locks the counter row first, as every append does.
      await ex().run('UPDATE change_log_state SET first_retained_seq = first_retained_seq WHERE id = 1');
      const { maxSeq, firstRetainedSeq } = await changeLogBounds();
      const boundary = Math.min(Math.max(Math.floor(seq), firstRetainedSeq), maxSeq + 1);
      await ex().run(PRUNE_AUDIENCES_SQL, [boundary]);
      const deleted = (await ex().run('DELETE FROM changes WHERE seq < ?', [boundary])).changes;
      await ex().run('UPDATE change_log_state SET first_retained_seq = ? WHERE id = 1', [boundary]);
      return deleted;
    });
  }

  function pruneChangesWrittenBefore(before: number, limit: number): Promise<number> {
    return transaction(async () => {
      await ex().run('UPDATE change_log_state SET first_retained_seq = first_retained_seq WHERE id = 1');
      const { maxSeq, firstRetainedSeq } = await changeLogBounds();
      // Seqs are handed out in order, so the entries to go are a prefix: read from the front, at most `limit`.
      const end = Math.min(firstRetainedSeq + limit, maxSeq + 1);
      const recent = await ex().get<{ seq: number }>('SELECT seq FROM changes WHERE seq >= ? AND seq < ? AND created_at >= ? ORDER BY seq LIMIT 1', [
        firstRetainedSeq,
        end,
        before,
      ]);
      return pruneChangesBefore(recent ? Number(recent.seq) : end);
    });
  }

  /** One batch, its own short transaction; how many rows went. */
  function removeBatch(batch: RetentionBatch, params: readonly SqlValue[]): Promise<number> {
    return transaction(async () => (await ex().run(retentionBatchDeleteSql(batch, dialect), params)).changes);
  }

  function removeAppliedMutationsBefore(before: number, limit: number): Promise<number> {
    return removeBatch(APPLIED_MUTATIONS_BATCH, [before, limit]);
  }

  function removeExpiredUserTokens(before: number, limit: number): Promise<number> {
    return removeBatch(EXPIRED_USER_TOKENS_BATCH, [before, limit]);
  }

  function removeExpiredCsatTokens(before: number, limit: number): Promise<number> {
    return removeBatch(EXPIRED_CSAT_TOKENS_BATCH, [before, before, limit]);
  }

  function removeTicketDraftsBefore(before: number, limit: number): Promise<number> {
    return removeBatch(OLD_TICKET_DRAFTS_BATCH, [before, limit]);
  }

  async function runAlone<T>(job: 'history-retention', fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (!sessionLocks) return { ran: true, value: await fn() };
    const key = { 'history-retention': HISTORY_RETENTION_LOCK_KEY }[job];
    // A session lock on a connection of its own: the job's batches are many short transactions on other connections.
    const client = await sessionLocks.connect();
    let held = false;
    try {
      held = (await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key])).rows[0]!.locked;
    } catch (error) {
      client.release(true);
      throw error;
    }
    if (!held) {
      client.release();
      return { ran: false };
    }
    try {
      return { ran: true, value: await fn() };
    } finally {
      let unlocked = true;
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => (unlocked = false));
      // Not unlocked: the connection is closed instead, and ending its session releases the lock.
      client.release(unlocked ? undefined : true);
    }
  }

  // --- users and tokens ------------------------------------------------------------------
  const USER_COLUMNS =
    'id, username, display_name, role, channels, groups_json, tier, senior, password_hash, last_assigned_at, languages_json, extension, deactivated_at';

  function getUserRow(id: string): Promise<UserRow | undefined> {
    return ex().get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
  }

  async function getUser(id: string): Promise<User | null> {
    const row = await getUserRow(id);
    return row ? userFromRow(row) : null;
  }

  async function listUsers(): Promise<User[]> {
    // Deactivated users are nobody's to route to or transfer to; the admin view lists them (server/adminStore.ts).
    return (await ex().all<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE deactivated_at IS NULL ORDER BY username`)).map(userFromRow);
  }

  async function createUser(input: NewUser, now: number = Date.now()): Promise<User> {
    const user: User = {
      id: input.id ?? `u_${uuidv7(now).replace(/-/g, '')}`,
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      channels: [...input.channels],
      groups: [...(input.groups ?? [])],
      tier: input.tier ?? 1,
      senior: input.senior ?? false,
      languages: [...(input.languages ?? ['zh'])],
      extension: input.extension ?? null,
    };
    const passwordHash = hashPassword(input.password);
    await transaction(() => insertUserRow(ex(), user, passwordHash, now));
    return user;
  }

  async function issueUserToken(userId: string, now: number, ttlMs: number, clientId: string | null = null): Promise<IssuedToken> {
    const token = newToken();
    const expiresAt = now + ttlMs;
    await transaction(async () => {
      await ex().run('INSERT INTO tokens (token_hash, kind, user_id, name, created_at, expires_at, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        hashToken(token),
        'user',
        userId,
        'sign-in',
        now,
        expiresAt,
        clientId,
      ]);
      if (clientId !== null) {
        await ex().run(
          'INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES (?, ?, ?) ON CONFLICT (user_id, client_id) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at',
          [userId, clientId, now],
        );
        // The newest MAX_SIGN_IN_DEVICES only: each is a failure budget outside the address's.
        await ex().run(
          `DELETE FROM sign_in_devices WHERE user_id = ? AND client_id NOT IN (
             SELECT client_id FROM sign_in_devices WHERE user_id = ? ORDER BY last_sign_in_at DESC, client_id DESC LIMIT ${String(MAX_SIGN_IN_DEVICES)})`,
          [userId, userId],
        );
      }
    });
    return { token, expiresAt };
  }

  function bindTokenToClient(token: string, clientId: string): Promise<boolean> {
    return transaction(async () => {
      const tokenHash = hashToken(token);
      // One statement decides, so two first handshakes racing cannot both bind.
      await ex().run("UPDATE tokens SET client_id = ? WHERE token_hash = ? AND kind = 'user' AND client_id IS NULL", [clientId, tokenHash]);
      const row = await ex().get<{ client_id: string | null }>('SELECT client_id FROM tokens WHERE token_hash = ?', [tokenHash]);
      return row?.client_id === clientId;
    });
  }

  function revokeUserToken(token: string): Promise<boolean> {
    return transaction(async () => (await ex().run("DELETE FROM tokens WHERE token_hash = ? AND kind = 'user'", [hashToken(token)])).changes > 0);
  }

  async function createIntegrationToken(name: string, token: string, expiresAt: number | null = null, now: number = Date.now()): Promise<void> {
    await transaction(async () => {
      await ex().run('INSERT INTO tokens (token_hash, kind, user_id, name, created_at, expires_at) VALUES (?, ?, NULL, ?, ?, ?)', [
        hashToken(token),
        'integration',
        name,
        now,
        expiresAt,
      ]);
    });
  }

  async function lookupToken(token: string, now: number): Promise<TokenLookup> {
    const row = await ex().get<{ kind: string; user_id: string | null; name: string; expires_at: number | null }>(
      'SELECT kind, user_id, name, expires_at FROM tokens WHERE token_hash = ?',
      [hashToken(token)],
    );
    if (!row) return { status: 'unknown' };
    if (row.expires_at !== null && row.expires_at <= now) return { status: 'expired', expiredAt: row.expires_at };
    if (row.kind === 'integration') return { status: 'valid', kind: 'integration', name: row.name, expiresAt: row.expires_at };
    const userRow = row.user_id === null ? undefined : await getUserRow(row.user_id);
    // A deactivated user's tokens are deleted with the deactivation; this covers one issued in the same instant.
    if (!userRow || row.expires_at === null || userRow.deactivated_at !== null) return { status: 'unknown' };
    return { status: 'valid', kind: 'user', user: userFromRow(userRow), expiresAt: row.expires_at };
  }

  // --- customers -------------------------------------------------------------------------
  function identitiesOfCustomer(customerId: string): Promise<CustomerIdentity[]> {
    // Every identity matches contacts; a workstation reads at most MAX_CUSTOMER_IDENTITIES of them (an integration's claims add one per new address typed).
    return ex().all<CustomerIdentity>(
      `SELECT kind, value FROM customer_identities WHERE customer_id = ? ORDER BY ${IDENTITY_ORDER} LIMIT ${String(MAX_CUSTOMER_IDENTITIES)}`,
      [customerId],
    );
  }

  async function getCustomer(id: string): Promise<Customer | null> {
    const row = await ex().get<CustomerRow>('SELECT * FROM customers WHERE id = ?', [id]);
    return row ? customerFromRow(row, await identitiesOfCustomer(id)) : null;
  }

  /** The next number of `scope` on `day`; a batch of contacts writes each counter row twice, not once per number. */
  function nextSequence(scope: string, day: string): Promise<number> {
    return advanceCounter(
      `id:${scope}:${day}`,
      async () =>
        (await ex().get<{ last_value: number }>(
          `INSERT INTO id_counters (scope, day, last_value) VALUES (?, ?, 1)
           ON CONFLICT (scope, day) DO UPDATE SET last_value = id_counters.last_value + 1
           RETURNING last_value`,
          [scope, day],
        ))!.last_value,
      (value) => ex().run('UPDATE id_counters SET last_value = ? WHERE scope = ? AND day = ?', [value, scope, day]),
    );
  }

  /**
   * A new customer's number, when a ticket of theirs follows in this transaction: both counter
   * rows advanced by one statement, the ticket's number held for the `nextSequence('ticket')`
   * that follows (given back before the commit if none does). Rows taken in one order,
   * customer then ticket, as the two separate calls take them.
   */
  async function nextCustomerAndTicketSequence(day: string): Promise<number> {
    const held = context.getStore()?.held;
    const customerKey = `id:customer:${day}`;
    const ticketKey = `id:ticket:${day}`;
    if (!held || held.counters.has(customerKey) || held.counters.has(ticketKey)) return nextSequence('customer', day);
    const rows = await ex().all<{ scope: string; last_value: number | string }>(
      `INSERT INTO id_counters (scope, day, last_value) VALUES (?, ?, 1), (?, ?, 1)
       ON CONFLICT (scope, day) DO UPDATE SET last_value = id_counters.last_value + 1
       RETURNING scope, last_value`,
      ['customer', day, 'ticket', day],
    );
    const taken = (scope: string) => Number(rows.find((row) => row.scope === scope)!.last_value);
    const write = (scope: string) => (value: number) => ex().run('UPDATE id_counters SET last_value = ? WHERE scope = ? AND day = ?', [value, scope, day]);
    const customer = taken('customer');
    const ticket = taken('ticket');
    held.counters.set(customerKey, { value: customer, written: customer, write: write('customer') });
    held.counters.set(ticketKey, { value: ticket - 1, written: ticket, write: write('ticket') });
    return customer;
  }

  /** The customer an id stands for today: a merged customer resolves to the one it was merged into. */
  async function resolveMerged(customerId: string): Promise<string> {
    let id = customerId;
    // Merges never point at a merged customer, so one hop is the rule; the bound only guards bad data.
    for (let hop = 0; hop < 16; hop++) {
      const row = await ex().get<{ merged_into: string | null }>('SELECT merged_into FROM customers WHERE id = ?', [id]);
      if (!row?.merged_into) return id;
      id = row.merged_into;
    }
    return id;
  }

  /** Everyone who sees a ticket of this customer. */
  async function customerAudience(customerId: string): Promise<string[]> {
    const owners = await ex().all<{ assignee_id: string | null; channel: Channel; offered_to: string | null }>(
      `SELECT DISTINCT assignee_id, channel, ${offeredAgentSql(dialect, 'tickets')} AS offered_to FROM tickets WHERE customer_id = ?`,
      [customerId],
    );
    return owners.flatMap((o) => principalsOf(o.assignee_id, o.channel, o.offered_to));
  }

  async function appendCustomerChange(customerId: string, now: number): Promise<void> {
    const customer = await getCustomer(customerId);
    const audience = await customerAudience(customerId);
    if (customer && audience.length > 0) await appendChange({ kind: 'customer', customer }, audience, now);
  }

  /**
   * The contact's identities, normalised: what the channel proved, what is only claimed, and
   * the integration's own keys for those claims (`ChannelContact.claimScope`).
   */
  function identitiesOfContact(contact: ChannelContact): { proven: CustomerIdentity[]; claimed: CustomerIdentity[]; scoped: CustomerIdentity[] } {
    const provenFields = new Set<ContactField>(contact.proven ?? []);
    const given = contact.customer;
    const pick = (field: ContactField, wantProven: boolean) => (provenFields.has(field) === wantProven ? given[field] : null);
    const proven = identitiesOf({ phone: pick('phone', true), email: pick('email', true), socialId: pick('socialId', true) });
    const claimed = identitiesOf({ phone: pick('phone', false), email: pick('email', false), socialId: pick('socialId', false) });
    const scope = contact.claimScope;
    const scoped = scope ? claimed.map((claim): CustomerIdentity => ({ kind: 'social', value: `${scope}:${claim.kind}:${claim.value}` })) : [];
    return { proven, claimed, scoped };
  }

  /**
   * Recognises the customer by a PROVEN identity already known (phone as E.164, then email
   * without case, then social id exactly, then an integration's scoped identity; a merged
   * customer resolves to the kept one), records the contact's other proven identities and
   * its claims for them and fills primary fields they lacked; or creates the customer.
   * Claims never match: a typed email or phone proves nothing about who is typing.
   */
  /**
   * The contact's customer; `created`: made by this call (so no earlier ticket, VIP tier 0).
   * `ticketFollows`: a customer made here gets a new ticket in this transaction.
   */
  async function matchOrCreateCustomer(contact: ChannelContact, now: number, ticketFollows = false): Promise<{ customer: Customer; created: boolean }> {
    const given = contact.customer;
    const { proven, claimed, scoped } = identitiesOfContact(contact);
    const keys = [...proven, ...scoped];
    const source = contact.source ?? 'api';
    // Two first contacts of one new customer on two nodes must not create two customers.
    await lockKeys(keys.map((identity) => `identity:${identity.kind}:${identity.value}`));
    const ownerOf = (kind: string, value: string) =>
      ex().get<{ customer_id: string }>('SELECT customer_id FROM customer_identities WHERE kind = ? AND value = ?', [kind, value]);
    const recordIdentity = (identity: CustomerIdentity, customerId: string) =>
      ex().run('INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING', [
        identity.kind,
        identity.value,
        customerId,
        now,
      ]);
    const recordClaim = (claim: CustomerIdentity, customerId: string) =>
      ex().run(
        'INSERT INTO customer_claims (customer_id, kind, value, source, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, kind, value) DO NOTHING',
        [customerId, claim.kind, claim.value, source, now],
      );
    let matchedId: string | null = null;
    for (const identity of keys) {
      const row = await ownerOf(identity.kind, identity.value);
      if (row) {
        matchedId = await resolveMerged(row.customer_id);
        break;
      }
    }
    const claimOf = (kind: CustomerIdentity['kind']) => claimed.find((claim) => claim.kind === kind)?.value ?? null;
    if (matchedId === null) {
      const day = await orgDayKey(now);
      const id = formatCustomerId(day, await (ticketFollows ? nextCustomerAndTicketSequence(day) : nextSequence('customer', day)));
      const primary = (kind: CustomerIdentity['kind']) => proven.find((identity) => identity.kind === kind)?.value ?? claimOf(kind);
      await ex().run('INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        id,
        given.name ?? given.email ?? given.socialId ?? given.phone ?? '',
        primary('phone'),
        primary('email'),
        primary('social'),
        0,
        now,
      ]);
      for (const identity of keys) await recordIdentity(identity, id);
      for (const claim of claimed) await recordClaim(claim, id);
      // Known in full (nobody else can own these identities: they are locked above); as getCustomer would read it back.
      const identities = [
        ...new Map(keys.map((identity) => [`${identity.kind}\u0000${identity.value}`, { kind: identity.kind, value: identity.value }])).values(),
      ];
      identities.sort((a, b) => identityRank(a.kind) - identityRank(b.kind) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      const customer: Customer = {
        id,
        name: given.name ?? given.email ?? given.socialId ?? given.phone ?? '',
        phone: primary('phone'),
        email: primary('email'),
        socialId: primary('social'),
        vipTier: 0,
        createdAt: now,
        identities,
      };
      return { customer, created: true };
    }
    const existing = (await getCustomer(matchedId))!;
    let recorded = 0;
    for (const identity of keys) recorded += (await recordIdentity(identity, existing.id)).changes;
    for (const claim of claimed) await recordClaim(claim, existing.id);
    // A proven identity becomes primary only when it is this customer's (another customer may own the email);
    // a claim may fill an empty primary field: it is where the contact asked to be answered, and agents see it unverified.
    const own = async (kind: CustomerIdentity['kind']) => {
      for (const identity of proven) {
        if (identity.kind === kind && (await ownerOf(kind, identity.value))?.customer_id === existing.id) return identity.value;
      }
      return claimOf(kind);
    };
    const phone = existing.phone ?? (await own('phone'));
    const email = existing.email ?? (await own('email'));
    const socialId = existing.socialId ?? (await own('social'));
    const filled = phone !== existing.phone || email !== existing.email || socialId !== existing.socialId;
    if (filled) await ex().run('UPDATE customers SET phone = ?, email = ?, social_id = ? WHERE id = ?', [phone, email, socialId, existing.id]);
    if (recorded === 0 && !filled) return { customer: existing, created: false };
    await appendCustomerChange(existing.id, now);
    return { customer: (await getCustomer(existing.id))!, created: false };
  }

  /** Leads see every customer; an agent only the customers of tickets they can see. */
  async function maySeeCustomer(actor: Viewer, customerId: string): Promise<boolean> {
    if (actor.role !== 'agent') return true;
    const visibility = visibilityClause(actor, 't');
    return (await ex().get(`SELECT 1 FROM tickets t WHERE t.customer_id = ? AND ${visibility.sql} LIMIT 1`, [customerId, ...visibility.params])) !== undefined;
  }

  function mergeCustomers(input: CustomerMergeInput): Promise<CustomerMergeOutcome> {
    return transaction(async () => {
      const { keepId, mergeId, actor, now } = input;
      if (keepId === mergeId) throw new CustomerRefusal('invalid_request', `A customer cannot be merged into itself (${keepId}).`);
      const read = async (id: string, role: 'keep' | 'merge') => {
        const row = await ex().get<CustomerRow & { merged_into: string | null }>(`SELECT * FROM customers WHERE id = ?${forUpdate}`, [id]);
        // A merged customer has no tickets left: whoever sees the one it went into may learn where it went.
        const seenThrough = row?.merged_into ?? id;
        if (!row || !(await maySeeCustomer(actor, seenThrough)))
          throw new CustomerRefusal('not_found', `Customer ${id} does not exist or is not yours to see.`);
        if (row.merged_into !== null) {
          const advice = role === 'keep' ? '; merge into that customer instead' : '';
          throw new CustomerRefusal('conflict', `Customer ${id} was already merged into ${row.merged_into}${advice}.`);
        }
        return row;
      };
      // Both rows locked in id order, whichever side each is, so two merges of the same pair cannot deadlock.
      const [first, second] = keepId < mergeId ? [keepId, mergeId] : [mergeId, keepId];
      await ex().all(`SELECT id FROM customers WHERE id IN (?, ?) ORDER BY id${forUpdate}`, [first, second]);
      const mergeRow = await read(mergeId, 'merge');
      const keepRow = await read(keepId, 'keep');
      // Everyone who saw either customer hears about the kept one, before the tickets that now point to it.
      const audience = new Set([...(await customerAudience(keepId)), ...(await customerAudience(mergeId))]);
      const moving = (
        await ex().all<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE customer_id = ? ORDER BY created_at, id${forUpdate}`, [mergeId])
      ).map(ticketFromRow);

      await ex().run('UPDATE customer_identities SET customer_id = ? WHERE customer_id = ?', [keepId, mergeId]);
      // Claims the kept customer already has stay once; the merged one keeps none.
      await ex().run(
        `INSERT INTO customer_claims (customer_id, kind, value, source, created_at)
         SELECT ?, kind, value, source, created_at FROM customer_claims WHERE customer_id = ?
         ON CONFLICT (customer_id, kind, value) DO NOTHING`,
        [keepId, mergeId],
      );
      await ex().run('DELETE FROM customer_claims WHERE customer_id = ?', [mergeId]);
      await ex().run('UPDATE customers SET name = ?, phone = ?, email = ?, social_id = ?, vip_tier = ? WHERE id = ?', [
        keepRow.name.length > 0 ? keepRow.name : mergeRow.name,
        keepRow.phone ?? mergeRow.phone,
        keepRow.email ?? mergeRow.email,
        keepRow.social_id ?? mergeRow.social_id,
        Math.max(keepRow.vip_tier, mergeRow.vip_tier),
        keepId,
      ]);
      await ex().run('UPDATE customers SET merged_into = ? WHERE id = ?', [keepId, mergeId]);
      const customer = (await getCustomer(keepId))!;
      if (audience.size > 0) await appendChange({ kind: 'customer', customer }, audience, now);
      for (const before of moving) {
        const after: Ticket = { ...before, customerId: keepId, updatedAt: now };
        await updateTicket(after);
        await appendTicketChange(before, after, { kind: 'ticket', ticket: after }, now);
      }
      await ex().run('INSERT INTO customer_merges (kept_id, merged_id, by_user_id, by_name, tickets_moved, at) VALUES (?, ?, ?, ?, ?, ?)', [
        keepId,
        mergeId,
        actor.id,
        actor.displayName,
        moving.length,
        now,
      ]);
      return { customer, mergedId: mergeId, ticketIds: moving.map((ticket) => ticket.id), seq: (await changeLogBounds()).maxSeq };
    });
  }

  async function listCustomerMatches(viewer: Viewer, customerId: string, limit: number): Promise<CustomerMatch[] | null> {
    const row = await ex().get<{ merged_into: string | null }>('SELECT merged_into FROM customers WHERE id = ?', [customerId]);
    if (!row || row.merged_into !== null || !(await maySeeCustomer(viewer, customerId))) return null;
    // Every customer sharing a value with this one, whichever side proved or only claimed it.
    const rows = await ex().all<{ customer_id: string; kind: CustomerIdentity['kind']; value: string; ours_proven: number; theirs_proven: number }>(
      `WITH ours (kind, value, proven) AS (
         SELECT kind, value, 1 FROM customer_identities WHERE customer_id = ?
         UNION ALL SELECT kind, value, 0 FROM customer_claims WHERE customer_id = ?
       ),
       theirs (customer_id, kind, value, proven) AS (
         SELECT i.customer_id, i.kind, i.value, 1 FROM customer_identities i JOIN ours o ON o.kind = i.kind AND o.value = i.value
         UNION ALL SELECT c.customer_id, c.kind, c.value, 0 FROM customer_claims c JOIN ours o ON o.kind = c.kind AND o.value = c.value
       )
       SELECT t.customer_id, t.kind, t.value, MAX(o.proven) AS ours_proven, MAX(t.proven) AS theirs_proven
       FROM theirs t JOIN ours o ON o.kind = t.kind AND o.value = t.value
       WHERE t.customer_id != ?
       GROUP BY t.customer_id, t.kind, t.value
       ORDER BY t.customer_id, CASE t.kind WHEN 'phone' THEN 0 WHEN 'email' THEN 1 ELSE 2 END, t.value`,
      [customerId, customerId, customerId],
    );
    const byCustomer = new Map<string, SharedIdentity[]>();
    for (const shared of rows) {
      const other = await resolveMerged(shared.customer_id);
      if (other === customerId) continue;
      let list = byCustomer.get(other);
      if (!list) byCustomer.set(other, (list = []));
      if (!list.some((known) => known.kind === shared.kind && known.value === shared.value)) {
        list.push({ kind: shared.kind, value: shared.value, oursProven: shared.ours_proven === 1, theirsProven: shared.theirs_proven === 1 });
      }
    }
    const matches: CustomerMatch[] = [];
    for (const [otherId, shared] of byCustomer) {
      if (matches.length >= limit) break;
      if (!(await maySeeCustomer(viewer, otherId))) continue;
      const customer = await getCustomer(otherId);
      if (!customer) continue;
      const visibility = visibilityClause(viewer, 't');
      const tickets = await ex().all<{ channel: Channel; last_message_at: number }>(
        `SELECT t.channel, t.last_message_at FROM tickets t WHERE t.customer_id = ? AND ${visibility.sql}`,
        [otherId, ...visibility.params],
      );
      matches.push({
        customer,
        shared,
        ticketCount: tickets.length,
        channels: CHANNELS.filter((channel) => tickets.some((ticket) => ticket.channel === channel)),
        lastContactAt: Math.max(customer.createdAt, ...tickets.map((ticket) => ticket.last_message_at)),
      });
    }
    return matches;
  }

  async function listCustomerHistory(viewer: Viewer, customerId: string, page: CustomerHistoryQuery): Promise<CustomerHistoryPage | null> {
    if (!(await ex().get('SELECT 1 FROM customers WHERE id = ?', [customerId]))) return null;
    const keptId = await resolveMerged(customerId);
    // The kept customer and every customer merged into it (their tickets moved, but a ticket made under the old id meanwhile still counts).
    const ofCustomer = 't.customer_id IN (SELECT id FROM customers WHERE id = ? OR merged_into = ?)';
    if (viewer.role === 'agent') {
      // Holding or being offered one of the customer's tickets is what opens their history; seeing a queue is not.
      const scope = syncScopeClause(dialect, viewer, 't');
      const mine = await ex().get(`SELECT 1 FROM tickets t WHERE ${ofCustomer} AND ${scope.sql} LIMIT 1`, [keptId, keptId, ...scope.params]);
      if (!mine) return null;
    }
    const total = Number((await ex().get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM tickets t WHERE ${ofCustomer}`, [keptId, keptId]))!.n);
    const cursor = page.before ? ' AND (t.created_at < ? OR (t.created_at = ? AND t.id < ?))' : '';
    const cursorParams = page.before ? [page.before.createdAt, page.before.createdAt, page.before.id] : [];
    const rows = await ex().all<TicketRow>(
      `SELECT ${TICKET_COLUMNS_T} FROM tickets t WHERE ${ofCustomer}${cursor} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
      [keptId, keptId, ...cursorParams, page.limit + 1],
    );
    const tickets = rows.slice(0, page.limit).map(ticketFromRow);
    const messagesByTicket = new Map<string, { messages: Message[]; count: number }>();
    if (tickets.length > 0) {
      // Each ticket's newest messages, and how many it has, in one query for the page.
      const marks = tickets.map(() => '?').join(', ');
      const messageRows = await ex().all<MessageRow & { rn: number | string; n: number | string }>(
        `SELECT * FROM (
           SELECT m.*, ROW_NUMBER() OVER (PARTITION BY m.ticket_id ORDER BY m.created_at DESC, m.id DESC) AS rn,
                  COUNT(*) OVER (PARTITION BY m.ticket_id) AS n
           FROM messages m WHERE m.ticket_id IN (${marks})
         ) newest WHERE newest.rn <= ? ORDER BY newest.ticket_id, newest.created_at, newest.id`,
        [...tickets.map((ticket) => ticket.id), page.messagesPerTicket],
      );
      for (const row of messageRows) {
        let entry = messagesByTicket.get(row.ticket_id);
        if (!entry) messagesByTicket.set(row.ticket_id, (entry = { messages: [], count: Number(row.n) }));
        entry.messages.push(messageFromRow(row));
      }
    }
    // The page's satisfaction answers, one query: whoever may read the history reads them (issue 11).
    const answers = await csatRows.answersForTickets(tickets.map((ticket) => ticket.id));
    const entries: CustomerHistoryEntry[] = tickets.map((ticket) => ({
      ticket,
      messages: messagesByTicket.get(ticket.id)?.messages ?? [],
      messageCount: messagesByTicket.get(ticket.id)?.count ?? 0,
      mayOpen: canUserSeeTicket(viewer, ticket),
      csat: answers.get(ticket.id) ?? null,
    }));
    const last = tickets.at(-1);
    return { customerId: keptId, entries, next: rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : null, total };
  }

  // --- tickets -----------------------------------------------------------------------------
  async function getTicket(id: string): Promise<Ticket | null> {
    const row = await ex().get<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`, [id]);
    return row ? ticketFromRow(row) : null;
  }

  async function getTickets(ids: readonly string[]): Promise<Ticket[]> {
    const found: Ticket[] = [];
    for (let start = 0; start < ids.length; start += TICKETS_BY_ID_BATCH) {
      const list = inList(ids.slice(start, start + TICKETS_BY_ID_BATCH));
      const rows = await ex().all<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id IN ${list.sql}`, list.params);
      for (const row of rows) found.push(ticketFromRow(row));
    }
    return found;
  }

  /** The ticket, its row locked until the transaction ends (PostgreSQL): for read-decide-write. */
  async function getTicketForUpdate(id: string): Promise<Ticket | null> {
    const row = await ex().get<TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?${forUpdate}`, [id]);
    return row ? ticketFromRow(row) : null;
  }

  async function insertTicket(ticket: Ticket): Promise<void> {
    await ex().run(
      `INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${TICKET_COLUMNS.split(', ')
        .map(() => '?')
        .join(', ')})`,
      ticketParams(ticket),
    );
    const open = context.getStore();
    if (open) open.held.freshTickets.add(ticket.id);
    await ticketRollupChanged(ticket.id);
  }

  async function updateTicket(ticket: Ticket): Promise<void> {
    const [id, ...rest] = ticketParams(ticket);
    const assignments = TICKET_COLUMNS.split(', ')
      .slice(1)
      .map((c) => `${c} = ?`)
      .join(', ');
    // When an assigned ticket goes back to the queue (this write clears its assignee): its wait for the
    // unassigned alarm counts from then (alarms.md). SET reads the row as it was before the update.
    await ex().run(`UPDATE tickets SET ${assignments}, ${REQUEUED_AT_ASSIGNMENT} WHERE id = ?`, [...rest, ticket.assigneeId, ticket.updatedAt, id!]);
    await ticketRollupChanged(ticket.id);
  }

  async function insertMessage(message: Message): Promise<void> {
    await ex().run(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at,
         source, attachments_json, call_json, delivery_error, subject)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        message.id,
        message.ticketId,
        message.direction,
        message.channel,
        message.authorId,
        message.authorName,
        message.text,
        message.externalMessageId,
        message.deliveryStatus,
        message.createdAt,
        message.source,
        JSON.stringify(message.attachments),
        message.call === null ? null : JSON.stringify(message.call),
        message.deliveryError,
        message.subject ?? null,
      ],
    );
    // A customer message can end a ticket's first-contact resolution; replies count through the ticket's own columns.
    if (message.direction === 'inbound') await ticketRollupChanged(message.ticketId);
  }

  async function insertNote(note: Note): Promise<void> {
    await ex().run('INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      note.id,
      note.ticketId,
      note.authorId,
      note.authorName,
      note.text,
      note.createdAt,
    ]);
  }

  async function getTicketBundle(id: string): Promise<TicketBundle | null> {
    const ticket = await getTicket(id);
    if (!ticket) return null;
    const customer = await getCustomer(ticket.customerId);
    if (!customer) return null;
    const messages = (await ex().all<MessageRow>('SELECT * FROM messages WHERE ticket_id = ? ORDER BY created_at, id', [id])).map(messageFromRow);
    const notes = (await ex().all<NoteRow>('SELECT * FROM notes WHERE ticket_id = ? ORDER BY created_at, id', [id])).map(noteFromRow);
    return { ticket, customer, messages, notes };
  }

  async function requireBundle(id: string): Promise<TicketBundle> {
    const bundle = await getTicketBundle(id);
    if (!bundle) throw new Error(`ticket ${id} vanished inside its own transaction`);
    return bundle;
  }

  async function listTickets(viewer: Viewer, filter: TicketListFilter): Promise<TicketListPage> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const visibility = visibilityClause(viewer, 't');
    where.push(visibility.sql);
    params.push(...visibility.params);
    if (filter.status) {
      where.push('t.status = ?');
      params.push(filter.status);
    }
    if (filter.channel) {
      where.push('t.channel = ?');
      params.push(filter.channel);
    }
    let join = '';
    let customerColumns = '';
    if (filter.customer) {
      join = 'JOIN customers c ON c.id = t.customer_id';
      customerColumns = ', c.name AS customer_name, c.phone AS customer_phone, c.email AS customer_email';
      const like = `%${escapeLike(filter.customer)}%`;
      where.push("(c.id = ? OR c.name LIKE ? ESCAPE '\\' OR c.phone LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\')");
      params.push(filter.customer, like, like, like);
    }
    type ListRow = TicketRow & { customer_name?: string; customer_phone?: string | null; customer_email?: string | null };
    const read = (cursor: TicketListCursor | undefined, count: number): Promise<ListRow[]> =>
      ex().all<ListRow>(
        `SELECT ${TICKET_COLUMNS_T}${customerColumns} FROM tickets t ${join} WHERE ${[...where, ...(cursor ? ['(t.created_at < ? OR (t.created_at = ? AND t.id < ?))'] : [])].join(' AND ')} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
        [...params, ...(cursor ? [cursor.createdAt, cursor.createdAt, cursor.id] : []), count],
      );
    const term = filter.customer?.toLocaleLowerCase();
    if (term === undefined || piiViewOf(viewer.role) !== 'masked') {
      const rows = await read(filter.cursor, filter.limit + 1);
      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return { tickets: page.map(ticketFromRow), next: rows.length > filter.limit && last ? { createdAt: last.created_at, id: last.id } : null };
    }
    // An agent sees the customer masked (138****8000, z***@example.cn): matching the clear values
    // would tell them, one probe at a time, the digits and letters a reveal shows only audited.
    // So only what they are shown matches, and the page is made of those rows alone: read on
    // until a row beyond the page matched or none is left. A page cut after the rows READ (its
    // `next` there, kept or not) told by `next` alone whether more rows matched the clear value,
    // and named a dropped one: with two of a customer's tickets in view, `limit=1` answered
    // digit by digit (attack-8).
    const matches = (row: ListRow) =>
      row.customer_id === filter.customer ||
      [
        maskPiiInText(row.customer_name ?? ''),
        row.customer_phone ? maskPhone(row.customer_phone) : '',
        row.customer_email ? maskEmail(row.customer_email) : '',
      ].some((value) => value.toLocaleLowerCase().includes(term));
    const shown: ListRow[] = [];
    const batch = Math.max(filter.limit + 1, MASKED_SEARCH_BATCH);
    let cursor = filter.cursor;
    for (;;) {
      const rows = await read(cursor, batch);
      for (const row of rows) if (shown.length <= filter.limit && matches(row)) shown.push(row);
      const last = rows.at(-1);
      if (shown.length > filter.limit || rows.length < batch || !last) break;
      cursor = { createdAt: Number(last.created_at), id: last.id };
    }
    const page = shown.slice(0, filter.limit);
    const last = page.at(-1);
    return { tickets: page.map(ticketFromRow), next: shown.length > filter.limit && last ? { createdAt: last.created_at, id: last.id } : null };
  }

  async function bootstrapPage(viewer: Viewer, after: string | null, limit: number, knownTotal?: number): Promise<BootstrapPage> {
    const { maxSeq } = await changeLogBounds();
    const visibility = syncScopeClause(dialect, viewer, 't');
    // Counted once per walk (the caller passes the first page's count on): a COUNT over every
    // visible ticket on each of a 100,000-ticket bootstrap's 100 pages was 100 counts for a progress bar.
    const total = knownTotal ?? (await ex().get<{ n: number }>(`SELECT COUNT(*) AS n FROM tickets t WHERE ${visibility.sql}`, visibility.params))!.n;
    // Ticket and customer in one row; messages, notes and identities by the page's ids.
    const ticketRows = (
      await ex().allArrays(
        `SELECT ${TICKET_COLUMNS_T}, ${CUSTOMER_COLUMNS_C} FROM tickets t JOIN customers c ON c.id = t.customer_id
       WHERE t.id > ? AND ${visibility.sql} ORDER BY t.id LIMIT ?`,
        [after ?? '', ...visibility.params, limit + 1],
      )
    ).map(bootstrapTicketRow);
    const hasMore = ticketRows.length > limit;
    const pageRows = ticketRows.slice(0, limit);
    if (pageRows.length === 0) return { seq: maxSeq, total, bundles: [], next: null };
    // The ids read above, sent back in (IN lists of at most IN_LIST_MAX): the page's filter again
    // as a sub-select for each of the three reads walked the tickets three more times, and for
    // an agent (a scope few tickets match) that walk can pass over most of the table.
    const ticketIds = pageRows.map((row) => row.id);
    const customerIds = [...new Set(pageRows.map((row) => row.c_id))];
    const messagesByTicket = new Map<string, Message[]>();
    const notesByTicket = new Map<string, Note[]>();
    for (let start = 0; start < ticketIds.length; start += IN_LIST_MAX) {
      const list = inList(ticketIds.slice(start, start + IN_LIST_MAX));
      const messageRows = await ex().allArrays(
        `SELECT ${MESSAGE_COLUMNS.join(', ')} FROM messages WHERE ticket_id IN ${list.sql} ORDER BY ticket_id, created_at, id`,
        list.params,
      );
      for (const row of messageRows.map(bootstrapMessageRow)) {
        let messages = messagesByTicket.get(row.ticket_id);
        if (!messages) messagesByTicket.set(row.ticket_id, (messages = []));
        messages.push(messageFromRow(row));
      }
      for (const row of await ex().all<NoteRow>(`SELECT * FROM notes WHERE ticket_id IN ${list.sql} ORDER BY ticket_id, created_at, id`, list.params)) {
        let notes = notesByTicket.get(row.ticket_id);
        if (!notes) notesByTicket.set(row.ticket_id, (notes = []));
        notes.push(noteFromRow(row));
      }
    }
    const identitiesByCustomer = new Map<string, CustomerIdentity[]>();
    for (let start = 0; start < customerIds.length; start += IN_LIST_MAX) {
      const list = inList(customerIds.slice(start, start + IN_LIST_MAX));
      for (const row of await ex().all<CustomerIdentity & { customer_id: string }>(
        `SELECT kind, value, customer_id FROM customer_identities WHERE customer_id IN ${list.sql} ORDER BY customer_id, ${IDENTITY_ORDER}`,
        list.params,
      )) {
        let identities = identitiesByCustomer.get(row.customer_id);
        if (!identities) identitiesByCustomer.set(row.customer_id, (identities = []));
        // As identitiesOfCustomer: the first MAX_CUSTOMER_IDENTITIES in the panel's order.
        if (identities.length < MAX_CUSTOMER_IDENTITIES) identities.push({ kind: row.kind, value: row.value });
      }
    }
    const bundles: TicketBundle[] = [];
    for (const row of pageRows) {
      bundles.push({
        ticket: ticketFromRow(row),
        customer: customerFromPrefixedRow(row, identitiesByCustomer.get(row.c_id) ?? []),
        messages: messagesByTicket.get(row.id) ?? [],
        notes: notesByTicket.get(row.id) ?? [],
      });
    }
    return { seq: maxSeq, total, bundles, next: hasMore ? pageRows[pageRows.length - 1]!.id : null };
  }

  // --- routing -----------------------------------------------------------------------------
  /** Audits where a ticket went and why, in words (the ticket itself keeps the reason as facts). */
  async function recordRouting(ticket: Ticket, now: number, audit?: RoutingDecision['audit']): Promise<void> {
    if (audit === null) return;
    const assigneeId = ticket.assigneeId;
    const facts = audit ? audit.reason : ticket.assignmentReason;
    const agentName = audit ? audit.agentName : ticket.assigneeName;
    const reason = facts ? describeAssignmentReason(facts, agentName) : '';
    await ex().run(
      'INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, assignee_name, actor_name, reason, reason_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        ticket.id,
        now,
        audit?.decision ?? (assigneeId === null ? 'queued' : 'assigned'),
        audit ? audit.agentId : assigneeId,
        agentName,
        audit?.actorName ?? (facts?.code === 'assigned_by_lead' ? facts.byName : null),
        reason,
        facts ? JSON.stringify(facts) : null,
      ],
    );
    if (assigneeId !== null) await ex().run('UPDATE users SET last_assigned_at = ? WHERE id = ?', [now, assigneeId]);
  }

  function withAssignment(ticket: Ticket, decision: RoutingDecision, now: number): Ticket {
    // An assigned ticket is nobody's offer any more; the router may also hand back new routing facts (an offer).
    const routing = decision.routing ?? { ...ticket.routing, offer: decision.assignee ? null : ticket.routing.offer };
    const assignmentReason = decision.reason ?? ticket.assignmentReason;
    if (!decision.assignee) {
      return { ...ticket, assigneeId: null, assigneeName: null, assignedAt: null, assignmentReason, routing };
    }
    return {
      ...ticket,
      assigneeId: decision.assignee.id,
      assigneeName: decision.assignee.displayName,
      assignedAt: now,
      assignmentReason,
      routing,
      status: ticket.status === 'unassigned' ? 'in_progress' : ticket.status,
      updatedAt: now,
    };
  }

  async function listRoutingAudit(ticketId: string): Promise<RoutingAuditEntry[]> {
    const rows = await ex().all<{ id: number; ticket_id: string; at: number; decision: string; assignee_id: string | null; reason: string }>(
      'SELECT id, ticket_id, at, decision, assignee_id, reason FROM routing_audit WHERE ticket_id = ? ORDER BY id',
      [ticketId],
    );
    return rows.map((r) => ({
      id: r.id,
      ticketId: r.ticket_id,
      at: r.at,
      decision: r.decision === 'assigned' ? 'assigned' : 'queued',
      assigneeId: r.assignee_id,
      reason: r.reason,
    }));
  }

  function assignTicket(input: AssignTicketInput): Promise<Ticket> {
    return transaction(async () => {
      const before = await getTicketForUpdate(input.ticketId);
      if (!before) throw new Error(`no ticket ${input.ticketId}`);
      let after = withAssignment(before, { assignee: input.assignee, reason: input.reason }, input.now);
      if (!input.assignee && after.status !== 'unassigned' && isOpenStatus(after.status)) after = { ...after, status: 'unassigned' };
      after = { ...after, updatedAt: input.now };
      await updateTicket(after);
      await recordRouting(after, input.now);
      await appendTicketChange(before, after, { kind: 'ticket', ticket: after }, input.now);
      return after;
    });
  }

  // --- inbound -------------------------------------------------------------------------------
  /**
   * The off-hours auto-reply this contact earns (docs/technical/administration.md): when its
   * channel is outside its business hours, once per conversation (ticket) per off-hours period,
   * queued on the customer's own route so the claimed delivery path sends it exactly like an
   * agent's reply (one node sends it). Decided inside the ingest transaction with the ticket's
   * row locked (FOR UPDATE on PostgreSQL, one writer on SQLite), so two contacts of the same
   * conversation arriving on two nodes at once earn one. A call gets none; nor does a source
   * no written reply can leave through (the HTTP API).
   */
  async function offHoursAutoReply(ticket: Ticket, settings: ChannelSettings, contact: ChannelContact, now: number): Promise<Message | null> {
    const source = contact.source ?? 'api';
    if (ticket.channel === 'phone' || contact.call || !carriesWrittenReply(source) || settings.hours.autoReplyText === '') return null;
    if (settings.hours.alwaysOpen) return null;
    // The hours are read in the organisation's zone as it is now (an admin may have changed it a moment ago, on any node).
    const periodStart = offHoursPeriodStart(settings.hours, now, (await admin.getPolicies()).policies.timeZone);
    if (periodStart === null) return null;
    const already = await ex().get<{ one: number }>(
      `SELECT 1 AS one FROM messages WHERE ticket_id = ? AND direction = 'outbound' AND author_id IS NULL AND author_name = ? AND created_at >= ? LIMIT 1`,
      [ticket.id, AUTO_REPLY_AUTHOR_NAME, periodStart],
    );
    if (already) return null;
    const message: Message = {
      id: uuidv7(now),
      ticketId: ticket.id,
      direction: 'outbound',
      channel: ticket.channel,
      authorId: null,
      authorName: AUTO_REPLY_AUTHOR_NAME,
      text: settings.hours.autoReplyText,
      externalMessageId: null,
      deliveryStatus: 'queued',
      createdAt: now,
      attachments: [],
      source,
      call: null,
      deliveryError: null,
    };
    await insertMessage(message);
    return message;
  }

  function ingestInbound(contact: ChannelContact, options: IngestOptions): Promise<IngestOutcome> {
    return transaction(async (tx) => {
      const { now, router } = options;
      const externalId = contact.externalMessageId ?? null;
      if (externalId !== null) {
        // The same message delivered to two nodes at once is stored once.
        await lockKeys([`external:${contact.channel}:${externalId}`]);
        const seen = await ex().get<{ id: string; ticket_id: string }>('SELECT id, ticket_id FROM messages WHERE channel = ? AND external_message_id = ?', [
          contact.channel,
          externalId,
        ]);
        if (seen) {
          const ticket = (await getTicket(seen.ticket_id))!;
          return { ticketId: seen.ticket_id, messageId: seen.id, created: false, duplicate: true, ticket };
        }
      }
      // A channel switched off takes nothing new (a repeat of a stored message is still answered above). A call the
      // PBX already connected is recorded all the same: it happened, and dropping its record would lose it.
      const settings = await admin.channelSettings(contact.channel);
      if (!settings.enabled && !contact.call) throw new ChannelUnavailableError(contact.channel);
      // A channel's clock is believed only when plausible (the HTTP API refuses such a date before it gets here).
      const receivedAt = contact.receivedAt ? clampToReceipt(Date.parse(contact.receivedAt), now) : now;
      // A new customer writing without a thread always opens a ticket (below: nothing to join).
      const { customer, created: newCustomer } = await matchOrCreateCustomer(contact, now, !contact.threadTicketId);
      const messageId = uuidv7(now);
      const preview = previewOf(contact.text);
      // A channel's file is named by whoever sent it: stored only as attachmentSchema reads it, or its ticket would be unreadable to every workstation.
      const attachments: Attachment[] = (contact.attachments ?? []).map((file, index) => ({
        id: uuidv7(now),
        fileName: storableAttachmentName(file.fileName, `attachment-${String(index + 1)}`),
        contentType: storableContentType(file.contentType),
        size: file.data.length,
      }));
      const message = (ticketId: string): Message => ({
        id: messageId,
        ticketId,
        direction: 'inbound',
        channel: contact.channel,
        authorId: null,
        authorName: contact.authorName ?? customer.name,
        text: contact.text,
        externalMessageId: externalId,
        deliveryStatus: 'received',
        createdAt: receivedAt,
        attachments,
        source: contact.source ?? 'api',
        call: contact.call ?? null,
        deliveryError: null,
      });
      const storeMessage = async (stored: Message): Promise<void> => {
        await insertMessage(stored);
        for (const [i, attachment] of attachments.entries()) {
          await ex().run('INSERT INTO attachments (id, message_id, file_name, content_type, size, data) VALUES (?, ?, ?, ?, ?, ?)', [
            attachment.id,
            stored.id,
            attachment.fileName,
            attachment.contentType,
            attachment.size,
            contact.attachments![i]!.data,
          ]);
        }
        if (contact.rawSource) await ex().run('INSERT INTO message_sources (message_id, raw) VALUES (?, ?)', [stored.id, contact.rawSource]);
      };

      const threaded = contact.threadTicketId ? await getTicketForUpdate(contact.threadTicketId) : null;
      const openRow =
        // A customer created just now has no ticket to join.
        (threaded && threaded.status !== 'closed') || (contact.newConversation && !contact.threadTicketId) || newCustomer
          ? undefined
          : await ex().get<TicketRow>(
              `SELECT ${TICKET_COLUMNS} FROM tickets
               WHERE customer_id = ? AND channel = ? AND status IN ('unassigned', 'in_progress', 'awaiting_customer')
               ORDER BY created_at DESC, id DESC LIMIT 1${forUpdate}`,
              [customer.id, contact.channel],
            );
      const joinable = threaded && threaded.status !== 'closed' ? threaded : openRow ? ticketFromRow(openRow) : null;

      if (joinable) {
        const before = joinable;
        const joined = message(before.id);
        await storeMessage(joined);
        // The customer answering is what moves a waiting ticket on, and what reopens a completed one.
        const reopened = before.status === 'completed';
        let after: Ticket = {
          ...before,
          status: before.status === 'awaiting_customer' || reopened ? 'in_progress' : before.status,
          completedAt: reopened ? null : before.completedAt,
          firstResponseAt:
            before.firstResponseAt ?? (contact.firstResponseAt === undefined ? null : Math.min(now, Math.max(before.createdAt, contact.firstResponseAt))),
          followUpAt: contact.followUpAt === undefined ? before.followUpAt : Math.min(before.followUpAt ?? contact.followUpAt, contact.followUpAt),
          lastMessagePreview: preview,
          lastMessageAt: Math.max(before.lastMessageAt, receivedAt),
          updatedAt: now,
        };
        if (after.assigneeId === null && router) {
          const decision = await router.route(after, tx, { vipTier: customer.vipTier, newCustomer });
          after = withAssignment(after, decision, now);
          await recordRouting(after, now, decision.audit);
        }
        await updateTicket(after);
        await appendTicketChange(before, after, { kind: 'message', message: joined, ticket: after }, now);
        const autoReply = await offHoursAutoReply(after, settings, contact, now);
        if (autoReply) await appendTicketChange(after, after, { kind: 'message', message: autoReply, ticket: after }, now);
        return { ticketId: after.id, messageId, created: false, duplicate: false, ticket: after };
      }

      const day = await orgDayKey(now);
      const triage = triageContact(contact.subject, contact.text);
      const subject = contact.subject && contact.subject.length > 0 ? contact.subject : previewOf(contact.text, MAX_SUBJECT_LENGTH);
      let ticket: Ticket = {
        id: formatTicketId(day, await nextSequence('ticket', day)),
        customerId: customer.id,
        channel: contact.channel,
        type: triage.type,
        subject,
        priority: contact.priority ?? triage.priority,
        status: 'unassigned',
        assigneeId: null,
        assigneeName: null,
        assignmentReason: null,
        createdAt: now,
        updatedAt: now,
        assignedAt: null,
        // Created now by the contact: an answered call is answered at once.
        firstResponseAt: contact.firstResponseAt === undefined ? null : now,
        // The SLA of the policies as they are now (an admin may have changed them a moment ago, on any node).
        dueAt: policyDueAt((await admin.getPolicies()).policies, now, contact.priority ?? triage.priority, triage.type),
        completedAt: null,
        lastMessagePreview: preview,
        lastMessageAt: receivedAt,
        followUpAt: contact.followUpAt ?? null,
        // A call's text is the server's code, not the caller's words: it tells no language (any agent who takes calls).
        routing: {
          ...defaultTicketRouting(),
          group: groupForTicket(triage.type, `${subject}\n${contact.text}`),
          language: contact.call ? null : detectLanguage(contact.text),
        },
        subCategory: null,
        tags: [],
        result: null,
        handover: null,
      };
      const decision = router ? await router.route(ticket, tx, { vipTier: customer.vipTier, newCustomer }) : null;
      if (decision) ticket = withAssignment(ticket, decision, now);
      const first = message(ticket.id);
      await insertTicket(ticket);
      await storeMessage(first);
      if (decision) await recordRouting(ticket, now, decision.audit);
      // A brand-new ticket's bundle is known in full; no need to read it back.
      await appendTicketChange(null, ticket, { kind: 'ticket', ticket }, now, { ticket, customer, messages: [first], notes: [] });
      // Its own message change after the bundle: the delivery dispatcher wakes on message changes.
      const autoReply = await offHoursAutoReply(ticket, settings, contact, now);
      if (autoReply) await appendTicketChange(ticket, ticket, { kind: 'message', message: autoReply, ticket }, now);
      return { ticketId: ticket.id, messageId, created: true, duplicate: false, ticket };
    });
  }

  // --- channels ------------------------------------------------------------------------------
  function setDeliveryStatus(messageId: string, outcome: DeliveryOutcome, now: number): Promise<Message | null> {
    return transaction(async () => {
      const row = await ex().get<MessageRow>(`SELECT * FROM messages WHERE id = ? AND direction = 'outbound'${forUpdate}`, [messageId]);
      if (!row) return null;
      const before = messageFromRow(row);
      if (outcome.claimedBy !== undefined) {
        // A claimant's word about its own attempt: "sent" is true whatever the row says (the channel took it),
        // unless another node already recorded it sent; a failure or a wait speaks only while the reply is
        // still queued under this node's claim — its claim may have run out and another node sent it meanwhile.
        if (outcome.status === 'sent' ? before.deliveryStatus === 'sent' : before.deliveryStatus !== 'queued' || (row.claimed_by ?? null) !== outcome.claimedBy)
          return before;
      }
      const after: Message = {
        ...before,
        deliveryStatus: outcome.status,
        externalMessageId: outcome.externalMessageId ?? before.externalMessageId,
        deliveryError: outcome.status === 'sent' ? null : ((outcome.error ?? (outcome.status === 'failed' ? 'delivery failed' : null))?.slice(0, 500) ?? null),
      };
      await ex().run(
        'UPDATE messages SET delivery_status = ?, external_message_id = ?, delivery_error = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ?',
        [after.deliveryStatus, after.externalMessageId, after.deliveryError, messageId],
      );
      // A survey invitation's delivery is the survey's (sent counts towards the response rate).
      await csatRows.deliveryChanged(messageId, outcome.status, now);
      const ticket = (await getTicket(after.ticketId))!;
      await appendTicketChange(ticket, ticket, { kind: 'message', message: after, ticket }, now);
      return after;
    });
  }

  function bySourceSql(sources: readonly string[]): { sql: string; params: SqlValue[] } {
    if (sources.length === 0) return { sql: '0 = 1', params: [] };
    return {
      sql: sources.map(() => "(source = ? OR source LIKE CAST(? AS TEXT) || ':%')").join(' OR '),
      params: sources.flatMap((source) => [source, source]),
    };
  }

  async function deliveriesOf(rows: MessageRow[]): Promise<QueuedDelivery[]> {
    const out: QueuedDelivery[] = [];
    for (const row of rows) {
      const ticket = (await getTicket(row.ticket_id))!;
      out.push({ message: messageFromRow(row), ticket, customer: (await getCustomer(ticket.customerId))! });
    }
    return out;
  }

  async function queuedDeliveries(sources: readonly string[], limit: number, among: boolean): Promise<QueuedDelivery[]> {
    const bySource = bySourceSql(sources);
    const which = among ? `(${bySource.sql})` : `delivery_error IS NULL AND (source IS NULL OR NOT (${bySource.sql}))`;
    const rows = await ex().all<MessageRow>(
      `SELECT * FROM messages WHERE delivery_status = 'queued' AND direction = 'outbound' AND ${which} ORDER BY created_at, id LIMIT ?`,
      [...bySource.params, limit],
    );
    return deliveriesOf(rows);
  }

  function claimQueuedDeliveries(sources: readonly string[], limit: number, claim: DeliveryClaim): Promise<QueuedDelivery[]> {
    if (sources.length === 0) return Promise.resolve([]);
    return transaction(async () => {
      const bySource = bySourceSql(sources);
      // Rows another claimant is deciding on right now are skipped, not waited for: it will take them.
      const skipLocked = postgres ? ' FOR UPDATE SKIP LOCKED' : '';
      const ids = await ex().all<{ id: string }>(
        `SELECT id FROM messages
         WHERE delivery_status = 'queued' AND direction = 'outbound' AND (${bySource.sql})
           AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?)
         ORDER BY created_at, id LIMIT ?${skipLocked}`,
        [...bySource.params, claim.now, claim.by, limit],
      );
      const rows: MessageRow[] = [];
      for (const { id } of ids) {
        await ex().run('UPDATE messages SET claimed_by = ?, claimed_until = ? WHERE id = ?', [claim.by, claim.until, id]);
        rows.push((await ex().get<MessageRow>('SELECT * FROM messages WHERE id = ?', [id]))!);
      }
      return deliveriesOf(rows);
    });
  }

  async function renewDeliveryClaim(messageId: string, claim: DeliveryClaim): Promise<boolean> {
    const { changes } = await transaction(() =>
      ex().run("UPDATE messages SET claimed_until = ? WHERE id = ? AND delivery_status = 'queued' AND claimed_by = ? AND claimed_until > ?", [
        claim.until,
        messageId,
        claim.by,
        claim.now,
      ]),
    );
    return changes === 1;
  }

  async function nextForeignClaimEnd(sources: readonly string[], by: string): Promise<number | null> {
    if (sources.length === 0) return null;
    const bySource = bySourceSql(sources);
    const row = await ex().get<{ until: number | string | null }>(
      `SELECT MIN(COALESCE(claimed_until, 0)) AS until FROM messages
       WHERE delivery_status = 'queued' AND direction = 'outbound' AND (${bySource.sql}) AND (claimed_until IS NULL OR claimed_by <> ?)`,
      [...bySource.params, by],
    );
    return row?.until === null || row?.until === undefined ? null : Number(row.until);
  }

  async function listQueuedDeliveries(sources: readonly string[], limit: number): Promise<QueuedDelivery[]> {
    return sources.length === 0 ? [] : queuedDeliveries(sources, limit, true);
  }

  function listUndeliverable(sources: readonly string[], limit: number): Promise<QueuedDelivery[]> {
    return queuedDeliveries(sources, limit, false);
  }

  function putReplyUpload(userId: string, upload: ReplyUploadBytes, now: number): Promise<'stored' | 'same' | 'conflict' | 'over_quota'> {
    const sha256 = createHash('sha256').update(upload.data).digest('hex');
    return transaction(async () => {
      // The user's key too: two uploads at once on two nodes must not both fit under the quota.
      await lockKeys([`reply-upload:${upload.id}`, `reply-upload-quota:${userId}`]);
      if (await ex().get('SELECT 1 FROM attachments WHERE id = ?', [upload.id])) return 'conflict';
      const known = await ex().get<{ user_id: string; sha256: string }>('SELECT user_id, sha256 FROM reply_uploads WHERE id = ?', [upload.id]);
      if (known) return known.user_id === userId && known.sha256 === sha256 ? 'same' : 'conflict';
      const pending = await ex().get<{ bytes: number | string | null }>(REPLY_UPLOAD_QUOTA_SQL, [userId]);
      if (Number(pending?.bytes ?? 0) + upload.data.length > ATTACHMENT_LIMITS.maxPendingBytes) return 'over_quota';
      await ex().run('INSERT INTO reply_uploads (id, user_id, file_name, content_type, size, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        upload.id,
        userId,
        upload.fileName,
        upload.contentType,
        upload.data.length,
        sha256,
        upload.data,
        now,
      ]);
      return 'stored';
    });
  }

  async function removeStaleReplyUploads(before: number): Promise<number> {
    const stale = await ex().all<{ id: string }>(STALE_REPLY_UPLOADS_SQL, [before]);
    if (stale.length > 0) await ex().run('DELETE FROM reply_uploads WHERE created_at < ?', [before]);
    return stale.length;
  }

  /**
   * The files a reply names, as uploaded by its author (name, type and size as stored, never
   * as the client says); a refusal when one is missing or the stored ones break a limit.
   */
  async function claimReplyUploads(
    actor: User,
    ticketId: string,
    files: readonly Attachment[],
  ): Promise<{ ok: true; files: Attachment[] } | { ok: false; refusal: TicketRefusal }> {
    const stored: Attachment[] = [];
    for (const file of files) {
      const row = await ex().get<{ file_name: string; content_type: string; size: number | string }>(
        'SELECT file_name, content_type, size FROM reply_uploads WHERE id = ? AND user_id = ?',
        [file.id, actor.id],
      );
      if (!row) return { ok: false, refusal: { code: 'attachment_refused', ticketId, reason: 'attachment_unknown', fileName: file.fileName, limit: null } };
      stored.push({ id: file.id, fileName: row.file_name, contentType: row.content_type, size: Number(row.size) });
    }
    const refusal = checkReplyAttachments(stored);
    if (refusal)
      return { ok: false, refusal: { code: 'attachment_refused', ticketId, reason: refusal.code, fileName: refusal.fileName, limit: refusal.limit } };
    return { ok: true, files: stored };
  }

  async function getAttachment(id: string): Promise<StoredAttachment | null> {
    const row = await ex().get<{ id: string; message_id: string; file_name: string; content_type: string; size: number; data: Buffer; ticket_id: string }>(
      `SELECT a.id, a.message_id, a.file_name, a.content_type, a.size, a.data, m.ticket_id
       FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?`,
      [id],
    );
    if (!row) return null;
    return {
      attachment: { id: row.id, fileName: row.file_name, contentType: row.content_type, size: row.size },
      messageId: row.message_id,
      ticketId: row.ticket_id,
      data: row.data,
    };
  }

  async function getMessageSource(messageId: string): Promise<Buffer | null> {
    const row = await ex().get<{ raw: Buffer }>('SELECT raw FROM message_sources WHERE message_id = ?', [messageId]);
    return row?.raw ?? null;
  }

  async function findTicketByExternalMessageIds(channel: Channel, externalIds: readonly string[]): Promise<string | null> {
    for (const externalId of externalIds) {
      const row = await ex().get<{ ticket_id: string }>('SELECT ticket_id FROM messages WHERE channel = ? AND external_message_id = ?', [channel, externalId]);
      if (row) return row.ticket_id;
    }
    return null;
  }

  async function listTicketIdsByExternalIdPrefix(channels: readonly Channel[], prefix: string, limit: number): Promise<string[]> {
    if (channels.length === 0 || prefix.length === 0) return [];
    // A range on the (channel, external_message_id) index instead of LIKE, which SQLite would scan; in byte order on both backends.
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const bytewise = postgres ? ' COLLATE "C"' : '';
    const rows = await ex().all<{ ticket_id: string }>(
      `SELECT ticket_id, MAX(created_at) AS last FROM messages
       WHERE channel IN (${channels.map(() => '?').join(', ')}) AND external_message_id${bytewise} >= ? AND external_message_id${bytewise} < ?
       GROUP BY ticket_id ORDER BY last DESC, ticket_id DESC LIMIT ?`,
      [...channels, prefix, upper, limit],
    );
    return rows.map((row) => row.ticket_id);
  }

  // --- phone (CTI) ----------------------------------------------------------------------------
  async function findCustomerByPhone(phone: string): Promise<Customer | null> {
    const identity = identitiesOf({ phone }).find((candidate) => candidate.kind === 'phone');
    if (!identity) return null;
    const row = await ex().get<{ customer_id: string }>("SELECT customer_id FROM customer_identities WHERE kind = 'phone' AND value = ?", [identity.value]);
    return row ? getCustomer(await resolveMerged(row.customer_id)) : null;
  }

  async function listCustomerTickets(viewer: Viewer, customerId: string, limit: number): Promise<Ticket[]> {
    const visible = visibilityClause(viewer, 't');
    const rows = await ex().all<TicketRow>(
      `SELECT ${TICKET_COLUMNS_T} FROM tickets t WHERE t.customer_id = ? AND ${visible.sql} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
      [customerId, ...visible.params, limit],
    );
    return rows.map(ticketFromRow);
  }

  function updateCallMessage(messageId: string, call: CallInfo, text: string, now: number): Promise<Message | null> {
    return transaction(async () => {
      const row = await ex().get<MessageRow>(`SELECT * FROM messages WHERE id = ? AND call_json IS NOT NULL${forUpdate}`, [messageId]);
      if (!row) return null;
      const after: Message = { ...messageFromRow(row), call, text };
      await ex().run('UPDATE messages SET call_json = ?, text = ? WHERE id = ?', [JSON.stringify(call), text, messageId]);
      const before = (await getTicketForUpdate(after.ticketId))!;
      const newest = await ex().get<{ id: string }>('SELECT id FROM messages WHERE ticket_id = ? ORDER BY created_at DESC, id DESC LIMIT 1', [before.id]);
      const ticket: Ticket = { ...before, updatedAt: now, ...(newest?.id === messageId ? { lastMessagePreview: previewOf(text) } : {}) };
      await updateTicket(ticket);
      await appendTicketChange(before, ticket, { kind: 'message', message: after, ticket }, now);
      return after;
    });
  }

  // --- mutations -----------------------------------------------------------------------------
  // The decision is shared/ticketRules.ts (the core makes the same one offline); this store
  // reads the facts it needs and writes what it decided, with the change-log entry.

  function refuse(mutation: Mutation, refusal: TicketRefusal, ticket: Ticket | null): MutationResult {
    return { mutationId: mutation.mutationId, ok: false, code: rejectionCodeOf(refusal), reason: describeRefusal(refusal), refusal, ticket };
  }

  /** Whether the ticket was ever assigned to this user (routing keeps every assignment). */
  async function wasAssignedTo(ticketId: string, userId: string): Promise<boolean> {
    return (await ex().get('SELECT 1 FROM routing_audit WHERE ticket_id = ? AND assignee_id = ? LIMIT 1', [ticketId, userId])) !== undefined;
  }

  /** How a written reply on this ticket can reach its customer, from their inbound messages on every ticket of theirs. */
  async function reachOf(ticket: Ticket): Promise<CustomerReach> {
    const inbound = await ex().all<Pick<Message, 'ticketId' | 'direction' | 'source' | 'createdAt'>>(
      `SELECT m.ticket_id AS "ticketId", m.direction, m.source, m.created_at AS "createdAt" FROM messages m JOIN tickets t ON t.id = m.ticket_id
       WHERE t.customer_id = ? AND m.direction = 'inbound' AND m.source IS NOT NULL`,
      [ticket.customerId],
    );
    return customerReach(ticket.id, inbound, await getCustomer(ticket.customerId));
  }

  /** The stored time of a message or note of this ticket (what a mutation `follows`), or null when the ticket has none with that id. */
  async function entryTimeOn(ticketId: string, entryId: string): Promise<number | null> {
    const row = await ex().get<{ created_at: number }>(
      'SELECT created_at FROM messages WHERE id = ? AND ticket_id = ? UNION ALL SELECT created_at FROM notes WHERE id = ? AND ticket_id = ?',
      [entryId, ticketId, entryId, ticketId],
    );
    return row ? Number(row.created_at) : null;
  }

  /**
   * The time of the entry a mutation received at `now` follows, as a floor: never later than
   * `now`. Otherwise the floor (entry + 1 ms) climbed past the receipt, and each entry so dated was
   * the next one's floor: a client naming its own previous note in every mutation dated its writes
   * 1 ms further into the future each, without bound over repeated pushes, and the customer's next
   * message sorted before them (attack-8). So a mutation is dated at most 1 ms after its receipt.
   */
  async function followedEntryTime(ticketId: string, entryId: string, now: number): Promise<number | null> {
    const at = await entryTimeOn(ticketId, entryId);
    return at === null ? null : Math.min(at, now);
  }

  /** The named agent a transfer goes to, as the context's routing sees them, else from their user row. */
  async function transferTargetOf(mutation: Mutation, context: MutationContext | undefined): Promise<TransferAgentFacts | null | undefined> {
    if (mutation.kind !== 'transfer' || mutation.to.kind !== 'agent') return undefined;
    if (context?.transferTarget) return context.transferTarget(mutation.to.agentId);
    const user = await getUser(mutation.to.agentId);
    return user ? staticTransferFacts(user) : null;
  }

  /** The day part of a new id (GD/CUS + YYYYMMDD): the organisation's day at `now`, in the zone the policies name in this transaction. */
  async function orgDayKey(now: number): Promise<string> {
    return dayKey(now, (await admin.getPolicies()).policies.timeZone);
  }

  /** A ticket's SLA due time under the saved policies (admin), from its creation, priority and type. */
  async function dueByPolicy(ticket: Ticket): Promise<number> {
    return policyDueAt((await admin.getPolicies()).policies, ticket.createdAt, ticket.priority, ticket.type);
  }

  async function applyMutationInside(actor: User, mutation: Mutation, now: number, context?: MutationContext): Promise<MutationResult> {
    const before = await getTicketForUpdate(mutation.ticketId);
    if (!before) return refuse(mutation, { code: 'not_found', ticketId: mutation.ticketId }, null);
    const visible = canUserSeeTicket(actor, before);
    const transferTarget = visible ? await transferTargetOf(mutation, context) : undefined;
    const decision = decideMutation(before, mutation, actor, now, {
      wasAssignedToActor: visible || (await wasAssignedTo(before.id, actor.id)),
      reach: mutation.kind === 'reply' && visible ? await reachOf(before) : null,
      ...(transferTarget === undefined ? {} : { transferTarget }),
      followsAt: mutation.kind !== 'createTicket' && mutation.follows !== undefined ? await followedEntryTime(before.id, mutation.follows, now) : null,
    });
    if (!decision.ok) {
      const hidden = decision.refusal.code === 'not_found' || decision.refusal.code === 'reassigned';
      return refuse(mutation, decision.refusal, hidden ? null : before);
    }
    if (mutation.kind === 'requestEscalation') await fileEscalationRequest(actor, before, mutation.reason.trim(), now);
    if (!decision.changed) return { mutationId: mutation.mutationId, ok: true, seq: (await changeLogBounds()).maxSeq };
    const { message, note } = decision;
    // The rules' SLA table is the built-in one (the offline core has no policies); the server applies the saved policy.
    const after = mutation.kind === 'setPriority' ? { ...decision.ticket, dueAt: await dueByPolicy(decision.ticket) } : decision.ticket;
    if (message && (await ex().get('SELECT 1 FROM messages WHERE id = ?', [message.id]))) {
      return refuse(mutation, { code: 'duplicate_id', ticketId: before.id, id: message.id }, before);
    }
    if (note && (await ex().get('SELECT 1 FROM notes WHERE id = ?', [note.id]))) {
      return refuse(mutation, { code: 'duplicate_id', ticketId: before.id, id: note.id }, before);
    }
    let sent = message;
    if (message && message.attachments.length > 0) {
      const claimed = await claimReplyUploads(actor, before.id, message.attachments);
      if (!claimed.ok) return refuse(mutation, claimed.refusal, before);
      sent = { ...message, attachments: claimed.files };
    }
    if (sent) await insertMessage(sent);
    if (sent && sent.attachments.length > 0) {
      // The bytes move from the upload to the message in this transaction: sent once, served by any node.
      for (const file of sent.attachments) {
        await ex().run(
          'INSERT INTO attachments (id, message_id, file_name, content_type, size, data) SELECT id, ?, file_name, content_type, size, data FROM reply_uploads WHERE id = ?',
          [sent.id, file.id],
        );
        await ex().run('DELETE FROM reply_uploads WHERE id = ?', [file.id]);
      }
    }
    if (note) await insertNote(note);
    await updateTicket(after);
    if (mutation.kind === 'transfer' && after.assignmentReason?.code === 'transferred') {
      // The routing history keeps every transfer, its note included (in the reason's facts).
      await recordRouting(after, now, {
        decision: 'transferred',
        reason: after.assignmentReason,
        actorName: actor.displayName,
        agentId: after.assigneeId,
        agentName: after.assigneeName,
      });
    } else if (after.assigneeId !== before.assigneeId && after.assigneeId !== null) await recordRouting(after, now);
    const body: ChangeBody = sent
      ? { kind: 'message', message: sent, ticket: after }
      : note
        ? { kind: 'note', note, ticket: after }
        : { kind: 'ticket', ticket: after };
    let seq = await appendTicketChange(before, after, body, now);
    // Completed now: the customer is asked, in this same transaction (one survey per ticket).
    if (after.status === 'completed' && before.status !== 'completed' && (await csatRows.onCompleted(after, now))) seq = (await changeLogBounds()).maxSeq;
    return { mutationId: mutation.mutationId, ok: true, seq };
  }

  // --- tickets created by hand (shared/manualTicket.ts) --------------------------------------

  /** The GD ticket a user's provisional id became, if it reached this server. */
  function draftOf(userId: string, draftId: string): Promise<{ ticket_id: string; customer_id: string } | undefined> {
    return ex().get<{ ticket_id: string; customer_id: string }>('SELECT ticket_id, customer_id FROM ticket_drafts WHERE user_id = ? AND draft_id = ?', [
      userId,
      draftId,
    ]);
  }

  /**
   * Whether the creator may put a ticket on this existing customer: one they see now, one whose
   * ticket they once held, or one they made themselves on a ticket by hand (they typed what it
   * knows; their second ticket for the same caller names it once the first one is acknowledged,
   * even when the first went to a queue they do not see).
   */
  async function mayUseCustomer(actor: User, customerId: string): Promise<boolean> {
    if ((await ex().get('SELECT 1 FROM customers WHERE id = ?', [customerId])) === undefined) return false;
    if (await maySeeCustomer(actor, customerId)) return true;
    if ((await ex().get('SELECT 1 FROM ticket_drafts WHERE user_id = ? AND customer_id = ? LIMIT 1', [actor.id, customerId])) !== undefined) return true;
    return (
      (await ex().get('SELECT 1 FROM tickets t JOIN routing_audit r ON r.ticket_id = t.id WHERE t.customer_id = ? AND r.assignee_id = ? LIMIT 1', [
        customerId,
        actor.id,
      ])) !== undefined
    );
  }

  /**
   * Creates a ticket made by hand, once per (user, provisional id): the row in `ticket_drafts`
   * (its primary key decides between two nodes; the advisory lock makes the second wait and
   * read it) maps the provisional id to the GD id from then on. A new customer is created from
   * what the agent typed, as CLAIMS (it matches nobody; agents see it unverified).
   */
  async function createTicketInside(actor: User, mutation: CreateTicketMutation, now: number): Promise<MutationResult> {
    await lockKeys([`ticket-draft:${actor.id}:${mutation.ticketId}`]);
    const known = await draftOf(actor.id, mutation.ticketId);
    if (known) {
      return {
        mutationId: mutation.mutationId,
        ok: true,
        seq: (await changeLogBounds()).maxSeq,
        created: { ticketId: known.ticket_id, customerId: known.customer_id },
      };
    }
    const existingId = mutation.customer.kind === 'existing' ? await resolveMerged(mutation.customer.customerId) : null;
    const customerVisible = existingId === null || (await mayUseCustomer(actor, existingId));
    // Checked before a number is spent: a refused creation takes no GD id.
    const check = decideCreateTicket(mutation, { ticketId: mutation.ticketId, customerId: existingId ?? mutation.customer.customerId }, actor, now, {
      customerVisible,
    });
    if (!check.ok) return refuse(mutation, check.refusal, null);
    let customer: Customer;
    if (mutation.customer.kind === 'new') {
      const typed = mutation.customer;
      ({ customer } = await matchOrCreateCustomer(
        {
          channel: mutation.channel,
          customer: { name: typed.name.trim(), phone: typed.phone ?? undefined, email: typed.email ?? undefined },
          text: mutation.note,
          source: 'manual',
        },
        now,
      ));
    } else {
      customer = (await getCustomer(existingId!))!;
    }
    const day = await orgDayKey(now);
    const decision = decideCreateTicket(mutation, { ticketId: formatTicketId(day, await nextSequence('ticket', day)), customerId: customer.id }, actor, now, {
      customerVisible,
    });
    if (!decision.ok) return refuse(mutation, decision.refusal, null);
    const { note } = decision;
    const ticket = { ...decision.ticket, dueAt: await dueByPolicy(decision.ticket) };
    if (await ex().get('SELECT 1 FROM notes WHERE id = ?', [note.id]))
      return refuse(mutation, { code: 'duplicate_id', ticketId: mutation.ticketId, id: note.id }, null);
    await insertTicket(ticket);
    await insertNote(note);
    await ex().run('INSERT INTO ticket_drafts (user_id, draft_id, ticket_id, customer_id, created_at) VALUES (?, ?, ?, ?, ?)', [
      actor.id,
      mutation.ticketId,
      ticket.id,
      customer.id,
      now,
    ]);
    // The routing history starts with who made it (and `wasAssignedTo` knows its creator held it).
    await recordRouting(ticket, now);
    const seq = await appendTicketChange(null, ticket, { kind: 'ticket', ticket }, now, { ticket, customer, messages: [], notes: [note] });
    return { mutationId: mutation.mutationId, ok: true, seq, created: { ticketId: ticket.id, customerId: customer.id } };
  }

  /** A mutation naming a provisional id, translated to the GD ticket it became; null when this user never created it here. */
  async function withRealTicketId(actor: User, mutation: Exclude<Mutation, CreateTicketMutation>): Promise<Exclude<Mutation, CreateTicketMutation> | null> {
    if (!isProvisionalTicketId(mutation.ticketId)) return mutation;
    const draft = await draftOf(actor.id, mutation.ticketId);
    return draft ? { ...mutation, ticketId: draft.ticket_id } : null;
  }

  function applyMutation(actor: User, clientId: string, mutation: Mutation, now: number, context?: MutationContext): Promise<MutationResult> {
    return transaction(async () => {
      // The same mutation sent again to another node while the first is still running waits for it, then reads its result.
      await lockKeys([`mutation:${actor.id}:${clientId}:${mutation.mutationId}`]);
      const translated = mutation.kind === 'createTicket' ? mutation : await withRealTicketId(actor, mutation);
      // What the mutation is, on the ticket it acts on: a retry before and after the GD id was learnt reads the same.
      const fingerprint = mutationFingerprint(translated ?? mutation);
      // Keyed by the actor too: another user reusing this clientId and mutationId neither reads nor pre-empts this one.
      const stored = await ex().get<{ result: string; fingerprint: string | null }>(
        'SELECT result, fingerprint FROM applied_mutations WHERE user_id = ? AND client_id = ? AND mutation_id = ?',
        [actor.id, clientId, mutation.mutationId],
      );
      if (stored) {
        // Another mutation under a used id is not a retry: answering the stored result would call it applied.
        // A record from before fingerprints (NULL) answers as it always did (migration 034 says why).
        if (stored.fingerprint !== null && stored.fingerprint !== fingerprint) return await refuseReusedId(actor, mutation, translated);
        const result = JSON.parse(stored.result) as MutationResult;
        // A repeated refusal carries today's ticket, so the client reverts to what is true now.
        if (!result.ok && result.ticket) {
          const current = await getTicket(result.ticket.id);
          return { ...result, ticket: current && canUserSeeTicket(actor, current) ? current : null };
        }
        return result;
      }
      let result: MutationResult;
      if (mutation.kind === 'createTicket') result = await createTicketInside(actor, mutation, now);
      else {
        result =
          translated && translated.kind !== 'createTicket'
            ? await applyMutationInside(actor, translated, now, context)
            : refuse(mutation, { code: 'not_found', ticketId: mutation.ticketId }, null);
      }
      await ex().run('INSERT INTO applied_mutations (client_id, mutation_id, user_id, result, created_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?)', [
        clientId,
        mutation.mutationId,
        actor.id,
        JSON.stringify(result),
        now,
        fingerprint,
      ]);
      return result;
    });
  }

  /**
   * Refuses a mutation whose id another mutation already used, with the ticket as it is now
   * (null when the actor may not see it, or for a creation: its provisional ticket never was),
   * so the client drops its optimistic rows. Nothing is stored: the id stays the first one's.
   */
  async function refuseReusedId(actor: User, mutation: Mutation, translated: Mutation | null): Promise<MutationResult> {
    const refusal: TicketRefusal = { code: 'mutation_id_reused', ticketId: mutation.ticketId, id: mutation.mutationId };
    if (mutation.kind === 'createTicket' || translated === null) return refuse(mutation, refusal, null);
    const current = await getTicket(translated.ticketId);
    return refuse(mutation, refusal, current && canUserSeeTicket(actor, current) ? current : null);
  }

  // The parts share this store's executor of the moment, so their writes join its transactions.
  const routing = createRoutingStore({
    sql: ex,
    transaction: (fn) => transaction(() => fn()),
    getTicketForUpdate,
    getTicket,
    updateTicket,
    appendTicketChange,
    recordRouting,
    appendCustomerChange,
  });
  /** Inside the transaction that changed a user (an admin's edit, an extension): every node drops its copy of them on commit. */
  async function userChanged(userId: string): Promise<void> {
    const open = context.getStore();
    if (!open) throw new Error("userChanged belongs inside the change's transaction");
    open.tx.afterCommit(() => {
      for (const listener of userListeners) {
        try {
          listener(userId);
        } catch (error) {
          log(`user change listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
    });
    // The other nodes hear it on commit (and this one again: harmless, it only drops a copy).
    if (options.announceCommits) await announceUserChanged(ex(), userId);
  }
  const cti = createCtiCallStore({ sql: ex, transaction: (fn) => transaction(() => fn()), userChanged, lockKeys });
  const piiAudit = createPiiAuditStore({ sql: ex });
  // A reveal is recorded in a transaction of its own when none is open (its INSERT … RETURNING is a read on SQLite's reader otherwise).
  const pii: PiiAuditStore = { ...piiAudit, recordReveal: (record) => transaction(() => piiAudit.recordReveal(record)) };
  const queue = createQueueViewStore({ sql: ex, getTicket, getCustomer });
  const scripts = createScriptStore({ sql: ex, dialect, transaction: (fn) => transaction(() => fn()) });
  const knowledge = createKnowledgeStore({ sql: ex, dialect, transaction: (fn) => transaction(() => fn()) });
  const admin = createAdminStore({
    sql: ex,
    transaction: (fn) => transaction(() => fn()),
    forUpdate,
    documents: () => (postgres ? null : (context.getStore()?.held.documents ?? null)),
    userChanged,
    async customerChanged(customerId, now) {
      await appendCustomerChange(customerId, now);
      // Routing ranks a waiting ticket with the tier it read when the ticket last changed: each open one is announced again.
      const open = await ex().all<TicketRow>(
        `SELECT ${TICKET_COLUMNS} FROM tickets WHERE customer_id = ? AND status IN ('unassigned', 'in_progress', 'awaiting_customer') ORDER BY id`,
        [customerId],
      );
      for (const ticket of open.map(ticketFromRow)) await appendTicketChange(ticket, ticket, { kind: 'ticket', ticket }, now);
    },
  });
  const reportCredentials = createReportCredentialStore({
    sql: ex,
    transaction: (fn) => transaction(() => fn()),
    recordAudit: (...args) => admin.recordAudit(...args),
  });
  const alertRows = createAlertStore({ sql: ex, forUpdate });
  const raisedListeners = new Set<(alarm: Alarm) => void>();

  /**
   * An escalation request that came through the outbox (made offline, perhaps): filed unless
   * the ticket is closed, already tier 2, or has a request waiting (then the agent's wish is
   * already with the leads, and the mutation succeeds as a no-op). Announced after the commit.
   */
  async function fileEscalationRequest(actor: User, ticket: Ticket, reason: string, now: number): Promise<void> {
    if (ticket.status === 'completed' || ticket.status === 'closed' || ticket.routing.requiredTier === 2) return;
    const alarm = await alertRows.fileEscalationRequest(actor, ticket, reason, now);
    const open = context.getStore();
    if (!alarm || !open) return;
    open.tx.afterCommit(() => {
      for (const listener of raisedListeners) listener(alarm);
    });
  }
  // Each write in a transaction of its own when none is open (INSERT … RETURNING must reach SQLite's writer).
  const alerts: ServerStore['alerts'] = {
    ...alertRows,
    raise: (candidate, at) => transaction(() => alertRows.raise(candidate, at)),
    evaluateBacklog: (channel, at) => transaction(() => alertRows.evaluateBacklog(channel, at)),
    acknowledge: (id, by, at) => transaction(() => alertRows.acknowledge(id, by, at)),
    decide: (id, by, outcome, reason, at) => transaction(() => alertRows.decide(id, by, outcome, reason, at)),
    setThreshold: (channel, threshold, by, at) => transaction(() => alertRows.setThreshold(channel, threshold, by, at)),
    fileEscalationRequest: (requester, ticket, reason, at) => transaction(() => alertRows.fileEscalationRequest(requester, ticket, reason, at)),
    onDidRaise(listener) {
      raisedListeners.add(listener);
      return () => raisedListeners.delete(listener);
    },
  };

  const csatRows = createCsatStore({
    sql: ex,
    forUpdate,
    nextSequence,
    getTicketForUpdate,
    updateTicket,
    insertMessage,
    insertNote,
    ticketRollupChanged,
    appendTicketChange: (before, after, body, now) => appendTicketChange(before, after, body, now),
    raiseAlarm: (candidate, at) => alertRows.raise(candidate, at),
  });
  const csat: ServerStore['csat'] = {
    forTicket: (ticketId) => csatRows.forTicket(ticketId),
    answersForTickets: (ticketIds) => csatRows.answersForTickets(ticketIds),
    check: (token, now) => csatRows.check(token, now),
    mintToken: (messageId, now) => transaction(() => csatRows.mintToken(messageId, now)),
    answer: (token, answer, now) =>
      transaction(async (tx) => {
        const outcome = await csatRows.answer(token, answer, now);
        const alarm = outcome.ok ? outcome.alarm : null;
        if (alarm)
          tx.afterCommit(() => {
            for (const listener of raisedListeners) listener(alarm);
          });
        return outcome;
      }),
  };

  // --- the object ---------------------------------------------------------------------------
  let closed: Promise<void> | null = null;
  return {
    dialect,
    filePath: options.filePath,
    countUsers: async () => (await ex().get<{ n: number }>('SELECT COUNT(*) AS n FROM users'))!.n,
    getUser,
    getUserByUsername: async (username) => {
      const row = await ex().get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
      return row ? userFromRow(row) : null;
    },
    listUsers,
    getCredentials: async (username) => {
      const row = await ex().get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
      return row ? { user: userFromRow(row), passwordHash: row.password_hash, active: row.deactivated_at === null } : null;
    },
    isSignInDevice: async (username, clientId) =>
      (await ex().get('SELECT 1 AS known FROM sign_in_devices d JOIN users u ON u.id = d.user_id WHERE u.username = ? AND d.client_id = ?', [
        username,
        clientId,
      ])) !== undefined,
    lookupToken,
    getCustomer,
    getTicket,
    getTickets,
    getTicketBundle,
    listTickets,
    changeLogBounds,
    committedChangesAfter,
    pullChanges,
    bootstrapPage,
    listRoutingAudit,
    findCustomerByPhone,
    listCustomerTickets,
    listCustomerMatches,
    listCustomerHistory,
    createUser,
    issueUserToken,
    bindTokenToClient,
    revokeUserToken,
    createIntegrationToken,
    ingestInbound,
    setDeliveryStatus,
    listQueuedDeliveries,
    listUndeliverable,
    nextForeignClaimEnd,
    claimQueuedDeliveries,
    renewDeliveryClaim,
    getAttachment,
    putReplyUpload,
    removeStaleReplyUploads,
    getMessageSource,
    findTicketByExternalMessageIds,
    listTicketIdsByExternalIdPrefix,
    updateCallMessage,
    applyMutation,
    assignTicket,
    mergeCustomers,
    repairUnreadableRows,
    pruneChangesBefore,
    pruneChangesWrittenBefore,
    removeAppliedMutationsBefore,
    removeExpiredUserTokens,
    removeExpiredCsatTokens,
    removeTicketDraftsBefore,
    runAlone,
    cti,
    pii,
    queue,
    routing,
    scripts,
    knowledge,
    admin,
    reportCredentials,
    alerts,
    csat,
    sql: {
      dialect,
      all: (text, params) => ex().all(text, params),
      allArrays: (text, params) => ex().allArrays(text, params),
      get: (text, params) => ex().get(text, params),
      run: () => Promise.reject(new Error('store.sql is read-only: write through the store')),
    },
    withTransaction: transaction,
    async lockRoutingTurn() {
      const open = context.getStore();
      if (!open) throw new Error('lockRoutingTurn outside a transaction');
      // Across nodes first (a wait PostgreSQL sees, so a deadlock with row locks is one it breaks), then in this process.
      if (postgres) await ex().get('SELECT pg_advisory_xact_lock(?)', [ROUTING_TURN_LOCK_KEY]);
      open.turn.release ??= await routingTurns();
    },
    async inRoutingTurn(fn) {
      if (context.getStore()) throw new Error('inRoutingTurn inside a transaction: use lockRoutingTurn');
      const release = await routingTurns();
      try {
        return fn();
      } finally {
        release();
      }
    },
    onDidCommitChanges(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDidChangeUser(listener) {
      userListeners.add(listener);
      return () => userListeners.delete(listener);
    },
    close() {
      closed ??= (async () => {
        listeners.clear();
        userListeners.clear();
        await db.close();
      })();
      return closed;
    },
  };
}
