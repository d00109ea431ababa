/**
 * The per-user local cache (`<dataDir>/users/<userId>.sqlite`): the one module that holds
 * SQL. Callers see two typed halves, Signal Desktop style: a `CacheReader` for queries and
 * a `CacheWriter` whose every method is one transaction. better-sqlite3 is synchronous,
 * so a transaction can never interleave with another piece of the core. The file is
 * encrypted (AEGIS-256, through better-sqlite3-multiple-ciphers) with the user's
 * cache key; see docs/technical/core.md (Cache encryption).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';
import {
  CHANNELS,
  TICKET_STATUSES,
  isOpenStatus,
  canUserSeeTicket,
  isInSyncScope,
  defaultTicketRouting,
  type AssignmentReason,
  type Channel,
  type Customer,
  type Message,
  type Priority,
  type Ticket,
  type TicketBundle,
  type TicketRouting,
  type Handover,
  type TicketStatus,
  type User,
} from '../../../shared/domain.js';
import { ticketDepartureOf, type TicketDeparture } from '../../../shared/ticketDeparture.js';
import type { CustomerSearchHit } from '../../../shared/customers.js';
import { maskCustomer, maskPiiInText, maskPreview, maskTicket, piiViewOf, type PiiView } from '../../../shared/masking.js';
import { isProvisionalCustomerId, isProvisionalTicketId, type CreateTicketMutation } from '../../../shared/manualTicket.js';
import {
  CUSTOMER_MESSAGE_PREVIEW_LENGTH,
  INBOX_WINDOW_MAX,
  attentionContentSchema,
  type AttentionContent,
  type CustomerMessageArrival,
  type Draft,
  type InboxAssignee,
  type InboxCounts,
  type InboxResult,
  type InboxRows,
  type InboxRow,
  type InboxSlaFilter,
  type InboxSort,
  type InboxStatusFilter,
  type InboxView,
  type InboxIds,
  type InboxWindow,
  type PendingMessage,
  type PendingNote,
  type TicketDetail,
} from '../../../shared/rpc.js';
import { mutationSchema, type BootstrapPage, type Change, type Mutation, type MutationResult, type UnreadableChange } from '../../../shared/sync.js';
import {
  customerReach,
  decideCreateTicket,
  decideMutation,
  ticketRefusalSchema,
  type MutationDecision,
  type MutationFacts,
  type MutationEffect,
  type TicketRefusal,
} from '../../../shared/ticketRules.js';
import { prepareSqliteFile } from '../privateFiles.js';
import { migrateCache } from './migrate.js';
import { createKnowledgeCache, type KnowledgeCacheReader, type KnowledgeCacheWriter } from './knowledgeCache.js';
import { createScriptCache, type ScriptCacheReader, type ScriptCacheWriter } from './scriptCache.js';
import { createHistoryCache, type HistoryCacheReader, type HistoryCacheWriter } from './historyCache.js';
import { createAttachmentCache, type AttachmentCacheReader, type AttachmentCacheWriter } from './attachmentCache.js';
import { CLEAR_SEARCH_SQL, INDEX_MESSAGE_RANGE_SQL, INDEX_TICKET_RANGE_SQL, SEARCH_WALK_DONE } from './migrations/023-search-walk.js';
import { isBigramTerm } from './searchBigrams.js';
import { callSearchForms } from '../../../shared/cti.js';
import { createBoundedMap } from '../../../shared/boundedMap.js';

/** Where the sync client stands, persisted with the data it describes. */
export interface SyncState {
  /** Seq of the newest change applied (0: none). */
  lastSeq: number;
  /** A full bootstrap has completed since the last must-refetch. */
  bootstrapped: boolean;
  /** Ticket id the next bootstrap page continues after. */
  bootstrapAfter: string | null;
  /** Server seq read by the first page of the running bootstrap; null when none runs. */
  bootstrapSeq: number | null;
  generation: number;
}

/** One queued local mutation. */
export interface OutboxEntry {
  seq: number;
  mutation: Mutation;
}

/** A local change the server refused, or a change from the server this build could not read, kept for the agent to look at. */
interface AttentionRow {
  id: number;
  ticket_id: string | null;
  mutation_id: string | null;
  kind: string;
  code: string;
  reason: string;
  refusal_json: string | null;
  change_seq: number | null;
  at: number;
  content_json: string | null;
}

/**
 * The lookup of the newest needs-attention row of one refused mutation; cache migration 020's
 * partial index `attention_by_mutation` serves it. Apart from the columns read, so the test of
 * 020 runs this very lookup on a cache from before later columns (024's `content_json`).
 */
export const REFUSAL_LOOKUP = 'FROM attention WHERE mutation_id = ? ORDER BY id DESC LIMIT 1';
export const REFUSAL_SQL = `SELECT id, ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, content_json ${REFUSAL_LOOKUP}`;

function attentionFromRow(row: AttentionRow): AttentionEntry {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    mutationId: row.mutation_id,
    kind: row.kind,
    code: row.code,
    reason: row.reason,
    // Written by this module from a parsed refusal; read leniently all the same (a newer build's code reads as none).
    refusal: row.refusal_json === null ? null : (ticketRefusalSchema.safeParse(JSON.parse(row.refusal_json)).data ?? null),
    changeSeq: row.change_seq,
    at: row.at,
    // Written by this module from the outbox's mutation; read leniently all the same.
    content: row.content_json === null ? null : (attentionContentSchema.safeParse(JSON.parse(row.content_json)).data ?? null),
  };
}

/** The names of `M`'s fields that hold a string. */
type StringField<M> = { [K in keyof M]-?: NonNullable<M[K]> extends string ? K : never }[keyof M] & string;
/** The names of `M`'s fields that hold a list of files. */
type FilesField<M> = { [K in keyof M]-?: NonNullable<M[K]> extends ReadonlyArray<{ fileName: string }> ? K : never }[keyof M] & string;

/** Where a mutation of one kind holds what the agent wrote. */
interface ContentFields<M> {
  /** The text; blank is nothing written. */
  text: StringField<M>;
  subject?: StringField<M>;
  /** Files whose names are kept (not their bytes). */
  files?: FilesField<M>;
}

/**
 * Where each mutation kind holds what the agent wrote; null for a kind that carries no text (a
 * status, a priority…). The one list both readers use: `attentionContentOf` (a parsed mutation)
 * and `salvagedContent` (the raw JSON of an outbox row this version cannot parse), so a refused
 * change and an unsendable one keep the same words. Every kind must be listed: a new kind says here
 * whether it carries text.
 */
const CONTENT_FIELDS = {
  reply: { text: 'text', subject: 'subject', files: 'attachments' },
  note: { text: 'text' },
  setStatus: null,
  setPriority: null,
  requestEscalation: { text: 'reason' },
  setFollowUp: null,
  setFields: null,
  transfer: { text: 'note' },
  createTicket: { text: 'note', subject: 'subject' },
} as const satisfies { readonly [K in Mutation['kind']]: ContentFields<Extract<Mutation, { kind: K }>> | null };

/** Where to look, per part of the content, in the order given: the first usable value counts. */
interface ContentPlaces {
  text: readonly string[];
  subject: readonly string[];
  files: readonly string[];
}

const listedFields: ReadonlyArray<[kind: string, fields: { text: string; subject?: string; files?: string } | null]> = Object.entries(CONTENT_FIELDS);

/** Per kind of this version: its one field for each part, or null (no text). */
const PLACES_BY_KIND = new Map<string, ContentPlaces | null>(
  listedFields.map(([kind, fields]) => [
    kind,
    fields && { text: [fields.text], subject: fields.subject === undefined ? [] : [fields.subject], files: fields.files === undefined ? [] : [fields.files] },
  ]),
);

/** A row of a kind this version does not know (a newer version's): every field the list names, in its order. */
const ANY_KIND_PLACES: ContentPlaces = {
  text: [...new Set([...PLACES_BY_KIND.values()].flatMap((places) => places?.text ?? []))],
  subject: [...new Set([...PLACES_BY_KIND.values()].flatMap((places) => places?.subject ?? []))],
  files: [...new Set([...PLACES_BY_KIND.values()].flatMap((places) => places?.files ?? []))],
};

function placesOf(kind: string): ContentPlaces | null {
  const places = PLACES_BY_KIND.get(kind);
  return places === undefined ? ANY_KIND_PLACES : places;
}

/**
 * The content at `places` of a mutation's fields, read leniently (a field of another type counts
 * as absent, a file without a name is passed over); null when no text, or when what is there does
 * not fit `attentionContentSchema`.
 */
function contentAt(places: ContentPlaces | null, record: unknown): AttentionContent | null {
  if (places === null || typeof record !== 'object' || record === null) return null;
  const fieldsOf = record as Record<string, unknown>;
  const text = places.text.map((field) => fieldsOf[field]).find((value) => typeof value === 'string' && value.trim() !== '');
  if (typeof text !== 'string') return null;
  const subject = places.subject.map((field) => fieldsOf[field]).find((value) => typeof value === 'string');
  const files = places.files.map((field) => fieldsOf[field]).find((value) => Array.isArray(value)) as unknown[] | undefined;
  const fileNames = (files ?? []).flatMap((file) =>
    typeof file === 'object' && file !== null && typeof (file as { fileName?: unknown }).fileName === 'string' ? [(file as { fileName: string }).fileName] : [],
  );
  const parsed = attentionContentSchema.safeParse({
    text,
    ...(subject !== undefined ? { subject } : {}),
    ...(fileNames.length > 0 ? { fileNames } : {}),
  });
  return parsed.success ? parsed.data : null;
}

/**
 * What the agent wrote in a mutation, to keep with its refusal: the text they would lose
 * otherwise (the optimistic row is dropped when the server refuses). Null for a mutation that
 * carried no text (a status, a priority, a transfer without a note…). Attachments keep their
 * names only (their bytes were uploaded to the server, and a refused reply's upload is not theirs
 * to send again).
 */
export function attentionContentOf(mutation: Mutation): AttentionContent | null {
  return contentAt(placesOf(mutation.kind), mutation);
}

/**
 * What an outbox row this version cannot read still says in words (`raw`: its body's JSON, or
 * null), kept for the agent as a refused change's text is: read at its kind's fields as
 * `attentionContentOf` reads them, leniently; a kind this version does not know is looked for at
 * every kind's fields.
 */
export function salvagedContent(kind: string, raw: unknown): AttentionContent | null {
  return contentAt(placesOf(kind), raw);
}

export interface AttentionEntry {
  id: number;
  /** Null for an unreadable change that named no ticket. */
  ticketId: string | null;
  /** Null for an unreadable change (it was no local change). */
  mutationId: string | null;
  /** The refused mutation's kind, or 'change' for an unreadable change. */
  kind: string;
  /** The coarse code (`forbidden`…), `unreadable_change` or `unsendable_change`. */
  code: string;
  /** English, for logs and for rows from before refusals had facts. */
  reason: string;
  /** Why, as facts the UI localises; null for rows without them. */
  refusal: TicketRefusal | null;
  /** The seq of an unreadable change; null otherwise. */
  changeSeq: number | null;
  at: number;
  /** What the agent wrote in the refused mutation (`attentionContentOf`); null when nothing, or once dismissed. */
  content: AttentionContent | null;
}

/** The code an unreadable change is listed under. */
export const UNREADABLE_CHANGE_CODE = 'unreadable_change';
/** An outbox row this version cannot read, taken out so the rest can be sent (`dropUnreadableOutbox`). */
export const UNSENDABLE_CHANGE_CODE = 'unsendable_change';

/** Statements built per call (inbox filters, changed-column updates) kept per cache; more push out the least recently prepared. */
const CACHED_STATEMENTS_KEPT = 200;

/** The inbox filter and window as the renderer sends them; what is left out means "any" (view `all`, newest activity first, the first window). */
export interface InboxFilter {
  channel: Channel | null;
  /** null: any status; `open`: those that still need work. */
  status: InboxStatusFilter | null;
  query: string;
  view?: InboxView;
  sort?: InboxSort;
  priority?: Priority | null;
  sla?: InboxSlaFilter | null;
  assigneeId?: string | null;
  /** Only escalated tickets (see `escalatedClause`). */
  escalated?: boolean;
  offset?: number;
  limit?: number;
}

/** Whose inbox it is, and the time SLA states are judged at. */
export interface InboxViewer {
  userId: string;
  /**
   * Only what they hold or are offered (agents): queued tickets fetched for the queue view
   * are cached, not theirs. Leads and admins see every cached ticket.
   */
  heldOnly: boolean;
  now: number;
  /**
   * Tickets with an escalation request waiting for a lead (the alarms the core last heard):
   * the request lives on the server beside the ticket, which is unchanged until a lead approves.
   */
  escalationRequests?: readonly string[];
}

/** The result of recording a mutation: the optimistic rows, or why nothing was written (the shared rules' refusal). */
export type RecordOutcome = { ok: true; effect: MutationEffect } | { ok: false; refusal: TicketRefusal };

/** Facts the workstation knows beyond its cache, for the local decision (the server decides with its own). */
export type MutationHints = Pick<MutationFacts, 'transferTarget'>;

/** The entry a mutation follows and its cached time, when the writer has just read both (followingNewest). */
interface FollowedEntry {
  id: string;
  createdAt: number;
}

/** What applying push acks changed. */
export interface PushOutcome {
  ticketIds: string[];
  /** Tickets made by hand that the server numbered in these acks: provisional id → GD id. */
  renamed: Array<{ from: string; to: string }>;
  attention: Array<{ ticketId: string; reason: string; refusal: TicketRefusal | null }>;
}

/** Read side of the cache. */
export interface CacheReader extends ScriptCacheReader, HistoryCacheReader, KnowledgeCacheReader, AttachmentCacheReader {
  syncState(): SyncState;
  /** The server clock's offset last measured (server − local, ms; sync/serverClock.ts), or null when never measured. */
  serverClockOffset(): number | null;
  /** How far the search indexes' walk after a bootstrap has come, in tickets; null when search is indexed. */
  searchIndexProgress(): SearchIndexProgress | null;
  ticket(ticketId: string): Ticket | null;
  ticketDetail(ticketId: string): TicketDetail | null;
  /** Where a ticket the agent held went when a change took it out of this cache (this session's newest 200), or null. */
  ticketDeparture(ticketId: string): TicketDeparture | null;
  /**
   * One window of the inbox over every cached ticket the viewer may see, with the counts
   * (what matches, what exists, per channel, status and view, unread). Without a viewer:
   * every cached ticket, view `mine` empty, SLA judged now.
   */
  inbox(filter: InboxFilter, viewer?: InboxViewer | null): InboxResult;
  /** The window of `inbox` alone, with how many match: what scrolling needs. */
  inboxWindow(filter: InboxFilter, viewer?: InboxViewer | null): InboxWindow;
  /** The window of `inbox` with no count at all (whether more rows follow): the first screen of a search, before its counts. */
  inboxRows(filter: InboxFilter, viewer?: InboxViewer | null): InboxRows;
  /** The counts of `inbox` alone (`total` included): asked for after the first screen of rows. */
  inboxCounts(filter: InboxFilter, viewer?: InboxViewer | null): InboxCounts;
  /** The ids of the first `limit` tickets the filter selects in the list's order, and how many it selects ("select all N matching"). */
  inboxIds(filter: InboxFilter, viewer: InboxViewer | null, limit: number): InboxIds;
  outbox(limit: number): OutboxEntry[];
  outboxCount(): number;
  /**
   * Refusals the agent has not dismissed, newest first: those older than `before` (an id), at
   * most `limit` (all when not given: tests and tools; the window asks a page at a time).
   */
  attention(page?: { before?: number; limit?: number }): AttentionEntry[];
  /** One refusal not dismissed, by id; null when unknown or dismissed. */
  attentionItem(id: number): AttentionEntry | null;
  attentionCount(): number;
  draft(draftId: string): Draft | null;
  /** A cached message by id, pending or confirmed; null when this cache has none. */
  message(messageId: string): PendingMessage | null;
  /** A cached note by id, pending or confirmed; null when this cache has none. */
  note(noteId: string): PendingNote | null;
  /**
   * Whether an action id names anything here already: a note, a message, a draft or a
   * refusal (what `note`, `message`, `draft` and `refusal` would find), in one statement. A
   * new action's id (nearly every call) costs one look-up instead of four.
   */
  actionIdInUse(actionId: string): boolean;
  /** The server's refusal of a mutation (dismissed or not); null when it was not refused. */
  refusal(mutationId: string): AttentionEntry | null;
  /**
   * Customers with tickets in this cache whose name, id, phone, email or any identity contains
   * the query (a phone also matches typed with spaces, dashes or +86), newest contact first.
   */
  searchCustomers(query: string, excludeId: string | null, limit: number): CustomerSearchHit[];
  /** The description of an attachment on a cached message; null when no cached message has it. */
  attachment(attachmentId: string): Message['attachments'][number] | null;
  /** The id a ticket goes by now: the GD id a provisional id became (shared/manualTicket.ts), else the id itself. */
  currentTicketId(ticketId: string): string;
  /**
   * The new customer a queued ticket creation makes under this provisional customer id, as typed;
   * null when no queued creation makes it (sent and renamed, or refused).
   */
  queuedNewCustomer(customerId: string): Extract<CreateTicketMutation['customer'], { kind: 'new' }> | null;
}

/** Write side of the cache; each method is one transaction. */
export interface CacheWriter extends ScriptCacheWriter, HistoryCacheWriter, KnowledgeCacheWriter, AttachmentCacheWriter {
  /**
   * Makes sure the cached content was fetched in this view of personal data (agents: masked,
   * leads: clear). When it was not — a cache from before masking, or the user's role changed —
   * every cached customer, ticket, message and note is dropped and the next connect bootstraps
   * again; the outbox, drafts and needs-attention list stay. Returns whether anything was dropped.
   */
  adoptPiiView(view: PiiView): boolean;
  /** Keeps the server clock's offset (sync/serverClock.ts) for the next session, offline too. */
  setServerClockOffset(offsetMs: number): void;
  /** Starts a bootstrap from the first page in a new generation (the outbox is kept). */
  beginBootstrap(): void;
  /**
   * Indexes the next `tickets` tickets (and twice as many messages) of the search walk that
   * follows a bootstrap, in one transaction; null once search is indexed. Does nothing while a
   * bootstrap runs (its last page starts the walk).
   */
  indexSearchChunk(tickets: number): SearchIndexProgress | null;
  /**
   * Stores one bootstrap page; on the last page sweeps what the new snapshot no longer holds.
   * Bundles the client could not read are listed as needing attention. Returns the touched ticket ids.
   */
  applyBootstrapPage(page: BootstrapPage, viewer: User, unreadable?: readonly UnreadableChange[]): string[];
  /**
   * Applies changes in order and records `upTo` as the last seq; the changes the client could
   * not read are skipped and listed as needing attention in the same transaction, so sync goes on.
   * Returns the touched ticket ids.
   */
  applyChanges(changes: readonly Change[], upTo: number, viewer: User, unreadable?: readonly UnreadableChange[]): string[];
  /**
   * The customer messages the last `applyChanges` / `applyBootstrapPage` stored for the first
   * time on tickets the viewer holds (none from a first bootstrap of an empty cache), and
   * forgets them: the window's notifications of new customer messages.
   */
  takeCustomerArrivals(): CustomerMessageArrival[];
  /** Forgets the sync position so the next connect bootstraps again; keeps the outbox. */
  requireRefetch(): void;
  /**
   * Stores the bundle that came with a routing offer, so the agent can open the ticket at
   * once; a cached copy at least as new wins (the sync log stays the authority). Returns
   * whether anything was written.
   */
  storeOfferedBundle(bundle: TicketBundle, viewer: User): boolean;
  /**
   * Stores a bundle fetched on demand (a queued ticket opened from the queue view) when the
   * viewer may open it, although it is outside what the server sends them: no change will
   * keep it current, so `dropFetched` removes it at the next queue refresh or catch-up. A
   * cached ticket at least as new wins (its customer is always refreshed). Returns false when
   * the viewer may not open it (nothing written).
   */
  storeFetchedBundle(bundle: TicketBundle, viewer: User): boolean;
  /**
   * Drops cached tickets outside the viewer's sync scope (fetched ones), and those the last
   * bootstrap left out (kept for a draft then), that have no local change or draft waiting and
   * are not in `keep`. Returns the dropped ticket ids.
   */
  dropFetched(viewer: User, keep?: readonly string[]): string[];
  /** Validates a mutation against the cached ticket, then writes its optimistic rows and the outbox row together. */
  /** `hints`: what the workstation knows of a transfer's target (the dialog's list); without it the server alone checks the target. */
  recordMutation(mutation: Mutation, viewer: User, hints?: MutationHints): RecordOutcome;
  /**
   * `recordMutation` for an action whose id (the mutation's) should be new: null, and nothing
   * written, when `actionIdInUse` finds it already; the caller then says what the earlier call
   * made of it. The look-up is the write transaction's own first read, not a read transaction
   * of its own before it.
   */
  recordNewAction(mutation: Mutation, viewer: User): RecordOutcome | null;
  /**
   * A ticket made by hand: decided by the shared rules (decideCreateTicket) under its
   * provisional ids, then the ticket, its first note, a new customer and the outbox row written
   * together. An existing customer must be in this cache.
   */
  createTicket(mutation: CreateTicketMutation, viewer: User): { ok: true; ticket: Ticket } | { ok: false; refusal: TicketRefusal };
  /**
   * Applies the server's per-mutation acks: clears pending flags, or reverts refused mutations;
   * a created ticket is renamed from its provisional id to its GD id (rows, notes, drafts,
   * queued outbox entries), and `renamed` lists it.
   */
  applyPushResults(results: readonly MutationResult[], viewer: User, at: number): PushOutcome;
  /**
   * Takes out of the outbox the rows it cannot read (a schema an update tightened, a row an
   * earlier version wrote wrongly): one of them made every push fail, so nothing behind it was
   * ever sent. Each is reverted like a refusal (its pending note or message, a provisional
   * ticket it made) and listed in "needs attention" with the reason.
   */
  dropUnreadableOutbox(viewer: User, at: number): PushOutcome;
  /**
   * Keeps a reply written offline as a draft, answered as kept (a provisional ticket id resolved to
   * the GD id it became); refused when the ticket is not cached or no written reply can reach its customer.
   */
  saveDraft(draft: Draft, viewer: User): { ok: true; draft: Draft } | { ok: false; refusal: TicketRefusal };
  /** Turns a draft into a reply mutation (optimistic rows + outbox row) and deletes the draft, in one transaction; null when there is no such draft. */
  sendDraft(draftId: string, toMutation: (draft: Draft) => Mutation, viewer: User): RecordOutcome | null;
  /** Deletes a draft; false when there was none. */
  discardDraft(draftId: string): boolean;
  /** Takes a refusal off the needs-attention list (kept in the table); false when unknown or already dismissed. */
  dismissAttention(id: number): boolean;
  /**
   * Drops bookkeeping nobody needs any more, run when a session opens the cache: dismissed
   * needs-attention rows older than `DISMISSED_ATTENTION_KEPT_MS` (and the oldest beyond
   * `DISMISSED_ATTENTION_KEPT_MAX`), and renames of provisional ticket ids older than
   * `TICKET_RENAMES_KEPT_MS` that no outbox entry, draft or attention row still names.
   * An undismissed row is never dropped. Returns how many rows went.
   */
  pruneBookkeeping(now: number): { attention: number; renames: number };
  /**
   * The agent has seen the ticket: its unread marker goes. False when it had none. Committed
   * without an fsync of its own (opening a ticket must not wait for the disk): a power cut
   * right after may bring the marker back, and the next durable write makes it durable too.
   */
  markRead(ticketId: string): boolean;
}

/** An open cache file. */
export interface Cache {
  readonly file: string;
  readonly reader: CacheReader;
  readonly writer: CacheWriter;
  /**
   * WAL frames not yet copied into the database file (the `-shm` index's last frame less the
   * checkpoint's backfill), 0 when it cannot be read: what the next checkpoint would copy.
   */
  walFramesUncopied(): number;
  /**
   * Copies the WAL into the database without waiting for readers (PASSIVE). The core runs it
   * between calls (`walCheckpointer.ts`), so the commit that crosses SQLite's own threshold
   * (1,000 pages, kept as the backstop) rarely has one to do inside the agent's write.
   */
  checkpoint(): void;
  close(): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Departures kept (noteDeparture): far more than an agent has open at once. */
const MAX_DEPARTURES = 200;
/**
 * A dismissed refusal is only kept so a retried action stays refused (`reader.refusal`) and
 * for a look back; a retry comes within seconds or minutes, so a month is ample.
 */
export const DISMISSED_ATTENTION_KEPT_MS = 30 * DAY_MS;
/** At most this many dismissed rows stay whatever their age, so a burst of refusals cannot grow the table without end. */
export const DISMISSED_ATTENTION_KEPT_MAX = 1_000;
/**
 * A provisional id's GD id is looked up when a pane still shows the provisional number or
 * an action made offline is retried (`currentTicketId`); after a month neither happens.
 */
export const TICKET_RENAMES_KEPT_MS = 30 * DAY_MS;

/** The search walk after a bootstrap (migration 023): tickets indexed of those cached (by rid, so approximate while rows change). */
export interface SearchIndexProgress {
  done: number;
  total: number;
}

/** Drops every cached customer, ticket, message, note and customer history and the sync position; keeps outbox, drafts and attention. */
const PURGE_CONTENT_SQL = `
  ${CLEAR_SEARCH_SQL}
  DELETE FROM messages;
  DELETE FROM notes;
  DELETE FROM tickets;
  DELETE FROM customers;
  DELETE FROM ticket_unread;
  DELETE FROM customer_history;
  DELETE FROM customer_history_state;
  DELETE FROM attachment_bytes;
  -- A lead's cache holds draft articles an agent may not read: a change of role drops them too.
  DELETE FROM kb_articles;
  INSERT INTO kb_fts (kb_fts) VALUES ('rebuild');
  UPDATE kb_state SET fetched_at = NULL WHERE id = 1;
  UPDATE sync_state SET last_seq = 0, bootstrapped = 0, bootstrap_after = NULL, bootstrap_seq = NULL, search_live = 1,
    search_tickets_upto = ${SEARCH_WALK_DONE}, search_messages_upto = ${SEARCH_WALK_DONE} WHERE id = 1;
`;

/** A fragment of a WHERE clause with its positional parameters, in order. */
interface Clause {
  sql: string;
  params: SqlValue[];
}

const OPEN_STATUS_SQL = `t.status IN (${TICKET_STATUSES.filter(isOpenStatus)
  .map((status) => `'${status}'`)
  .join(', ')})`;

/**
 * shared/sla.ts's `slaCountdown` in SQL, for open tickets: at risk in the last quarter of the
 * SLA window or the last 30 minutes, whichever is longer. Parameters: now, now.
 */
const AT_RISK_SQL = 't.due_at - ? <= max((t.due_at - t.created_at) / 4.0, 1800000)';

function slaClause(sla: InboxSlaFilter, now: number): Clause {
  switch (sla) {
    case 'breached':
      return { sql: `${OPEN_STATUS_SQL} AND t.due_at < ?`, params: [now] };
    case 'at_risk':
      return { sql: `${OPEN_STATUS_SQL} AND t.due_at >= ? AND ${AT_RISK_SQL}`, params: [now, now] };
    case 'ok':
      return { sql: `${OPEN_STATUS_SQL} AND t.due_at >= ? AND NOT (${AT_RISK_SQL})`, params: [now, now] };
  }
}

/**
 * Escalated tickets: escalated to tier 2 (an approved request, or one from before approval
 * existed, leaves `routing.escalation` and the tier), a request waiting for a lead, or one
 * made offline and still in the outbox.
 */
function escalatedClause(requests: readonly string[]): Clause {
  return {
    sql: `(json_extract(t.routing, '$.requiredTier') = 2 OR json_extract(t.routing, '$.escalation') IS NOT NULL
      OR t.id IN (SELECT value FROM json_each(?))
      OR EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.kind = 'requestEscalation'))`,
    params: [JSON.stringify(requests)],
  };
}

/** Breached first, then at risk, then the other open tickets, then completed and closed ones, each soonest due first. */
function orderClause(sort: InboxSort, now: number): Clause {
  switch (sort) {
    case 'activity':
      return { sql: 't.last_message_at DESC, t.id DESC', params: [] };
    case 'priority':
      return { sql: "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, t.last_message_at DESC, t.id DESC", params: [] };
    case 'sla':
      return {
        sql: `CASE WHEN NOT ${OPEN_STATUS_SQL} THEN 3 WHEN t.due_at < ? THEN 0 WHEN ${AT_RISK_SQL} THEN 1 ELSE 2 END, t.due_at, t.id`,
        params: [now, now],
      };
  }
}

function whereOf(clauses: ReadonlyArray<Clause | null>): Clause {
  const present = clauses.filter((clause): clause is Clause => clause !== null && clause.sql !== '');
  if (present.length === 0) return { sql: '', params: [] };
  return { sql: `WHERE ${present.map((clause) => `(${clause.sql})`).join(' AND ')}`, params: present.flatMap((clause) => clause.params) };
}

interface TicketRow {
  id: string;
  customer_id: string;
  channel: Channel;
  type: Ticket['type'];
  subject: string;
  priority: Ticket['priority'];
  status: TicketStatus;
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
  direction: Message['direction'];
  channel: Channel;
  author_id: string | null;
  author_name: string;
  text: string;
  external_message_id: string | null;
  delivery_status: Message['deliveryStatus'];
  created_at: number;
  pending: number;
  attachments_json: string;
  source: string | null;
  call_json: string | null;
  delivery_error: string | null;
  /** An email reply's own subject (cache migration 017); NULL = the default. */
  subject: string | null;
}

interface NoteRow {
  id: string;
  ticket_id: string;
  author_id: string;
  author_name: string;
  text: string;
  created_at: number;
  pending: number;
}

interface DraftRow {
  id: string;
  ticket_id: string;
  text: string;
  created_at: number;
  subject: string | null;
}

function draftFromRow(row: DraftRow): Draft {
  return { id: row.id, ticketId: row.ticket_id, text: row.text, createdAt: row.created_at, ...(row.subject !== null ? { subject: row.subject } : {}) };
}

interface CustomerRow {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  social_id: string | null;
  vip_tier: number;
  created_at: number;
  identities_json: string;
}

function ticketFromRow(row: TicketRow): Ticket {
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel,
    type: row.type,
    subject: row.subject,
    priority: row.priority,
    status: row.status,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_name,
    // Stored by ticketValues (or ticketParams) from a validated ticket, so it is read back as it was stored.
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
    // Stored from a validated ticket; NULL (rows from before routing) means the defaults.
    routing: row.routing === null ? defaultTicketRouting() : (JSON.parse(row.routing) as TicketRouting),
    subCategory: row.sub_category,
    tags: JSON.parse(row.tags_json) as string[],
    result: row.result,
    handover: row.handover_json === null ? null : (JSON.parse(row.handover_json) as Handover),
  };
}

type SqlValue = string | number | null;

/**
 * A ticket as the positional parameters of `upsertTicket`, in its column order. Positional,
 * not named: binding by name looks each parameter up on the object (about 1.5 µs a row),
 * which a 100,000-ticket bootstrap pays once per row of each table.
 */
function ticketValues(ticket: Ticket): SqlValue[] {
  return [
    ticket.id,
    ticket.customerId,
    ticket.channel,
    ticket.type,
    ticket.subject,
    ticket.priority,
    ticket.status,
    ticket.assigneeId,
    ticket.assigneeName,
    ticket.assignmentReason === null ? null : JSON.stringify(ticket.assignmentReason),
    ticket.createdAt,
    ticket.updatedAt,
    ticket.assignedAt,
    ticket.firstResponseAt,
    ticket.dueAt,
    ticket.completedAt,
    ticket.lastMessagePreview,
    ticket.lastMessageAt,
    ticket.followUpAt,
    JSON.stringify(ticket.routing),
    ticket.subCategory,
    JSON.stringify(ticket.tags),
    ticket.result,
    ticket.handover === null ? null : JSON.stringify(ticket.handover),
  ];
}

/** A ticket as named statement parameters: the structured assignment reason and routing are stored as JSON. */
function ticketParams(ticket: Ticket): Omit<Ticket, 'assignmentReason' | 'routing' | 'tags' | 'handover'> & {
  assignmentReason: string | null;
  routing: string;
  tags: string;
  handover: string | null;
} {
  return {
    ...ticket,
    assignmentReason: ticket.assignmentReason === null ? null : JSON.stringify(ticket.assignmentReason),
    routing: JSON.stringify(ticket.routing),
    tags: JSON.stringify(ticket.tags),
    handover: ticket.handover === null ? null : JSON.stringify(ticket.handover),
  };
}

/**
 * The columns a local effect may change, with their values for `ticket`. A local effect never
 * changes what the search index holds (id, subject, customer), so it leaves the FTS triggers alone.
 */
function ticketStateColumns(ticket: Ticket): Array<[keyof TicketRow, SqlValue]> {
  const params = ticketParams(ticket);
  return [
    ['channel', params.channel],
    ['type', params.type],
    ['priority', params.priority],
    ['status', params.status],
    ['assignee_id', params.assigneeId],
    ['assignee_name', params.assigneeName],
    ['assignment_reason', params.assignmentReason],
    ['created_at', params.createdAt],
    ['updated_at', params.updatedAt],
    ['assigned_at', params.assignedAt],
    ['first_response_at', params.firstResponseAt],
    ['due_at', params.dueAt],
    ['completed_at', params.completedAt],
    ['last_message_preview', params.lastMessagePreview],
    ['last_message_at', params.lastMessageAt],
    ['follow_up_at', params.followUpAt],
    ['routing', params.routing],
    ['sub_category', params.subCategory],
    ['tags_json', params.tags],
    ['result', params.result],
    ['handover_json', params.handover],
  ];
}

function messageFromRow(row: MessageRow): PendingMessage {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    direction: row.direction,
    channel: row.channel,
    authorId: row.author_id,
    authorName: row.author_name,
    text: row.text,
    externalMessageId: row.external_message_id,
    deliveryStatus: row.delivery_status,
    createdAt: row.created_at,
    attachments: JSON.parse(row.attachments_json) as Message['attachments'],
    source: row.source,
    call: row.call_json === null ? null : (JSON.parse(row.call_json) as Message['call']),
    deliveryError: row.delivery_error,
    ...(row.subject !== null ? { subject: row.subject } : {}),
    pending: row.pending === 1,
  };
}

/** A server message as the positional parameters of `upsertMessage`, in its column order (see `ticketValues`). */
function messageValues(message: Message): SqlValue[] {
  return [
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
    JSON.stringify(message.attachments),
    message.source,
    message.call === null ? null : JSON.stringify(message.call),
    message.deliveryError,
    message.subject ?? null,
  ];
}

function messageParams(
  message: Message,
): Omit<Message, 'attachments' | 'call' | 'subject'> & { attachments: string; call: string | null; subject: string | null } {
  return {
    ...message,
    attachments: JSON.stringify(message.attachments),
    call: message.call === null ? null : JSON.stringify(message.call),
    subject: message.subject ?? null,
  };
}

function noteFromRow(row: NoteRow): PendingNote {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    authorId: row.author_id,
    authorName: row.author_name,
    text: row.text,
    createdAt: row.created_at,
    pending: row.pending === 1,
  };
}

function customerFromRow(row: CustomerRow): Customer {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    socialId: row.social_id,
    vipTier: row.vip_tier,
    createdAt: row.created_at,
    // Stored by customerValues from a validated customer.
    identities: JSON.parse(row.identities_json) as Customer['identities'],
  };
}

/** A customer as the positional parameters of `upsertCustomer`, in its column order (see `ticketValues`). */
function customerValues(customer: Customer): SqlValue[] {
  return [
    customer.id,
    customer.name,
    customer.phone,
    customer.email,
    customer.socialId,
    customer.vipTier,
    customer.createdAt,
    JSON.stringify(customer.identities),
  ];
}

const TICKET_COLUMNS = `t.id, t.customer_id, t.channel, t.type, t.subject, t.priority, t.status, t.assignee_id, t.assignee_name,
  t.assignment_reason, t.created_at, t.updated_at, t.assigned_at, t.first_response_at, t.due_at, t.completed_at,
  t.last_message_preview, t.last_message_at, t.follow_up_at, t.routing, t.sub_category, t.tags_json, t.result, t.handover_json`;

/**
 * How many walked tickets' cost one hit costs when a window starts from the hits (the hit's
 * table rows read and sorted, against an index entry tested): see `windowPlan`.
 */
const HIT_ROW_COST = 4;

/** A query term of at least this many characters uses the trigram index; a 2-character CJK term uses the bigram index (migration 018); others fall back to LIKE. */
export const MIN_FTS_TERM_LENGTH = 3;

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function ftsPhrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/**
 * The forms a search term may take in the cache: itself, and — when it is a phone number,
 * e-mail address, ID or card number — its masked form, which is all an agent's cache holds
 * (13800138000 finds 138****8000; a last-4 or prefix search finds it as it always did); and
 * when it is a word the screens say calls in ("通话"), those calls' stored code (`callSearchForms`:
 * a call's text is `call_answered(192): Call 3:12`, shown "通话 3分12秒").
 */
function searchForms(term: string): string[] {
  const forms = [term, maskPiiInText(term), ...callSearchForms(term)];
  // "138-0013-8000" is stored (and masked) without the separators.
  if (/^[+\d\s()-]+$/.test(term)) {
    const digits = term.replace(/[^\d]/g, '').replace(/^(?:0086|86)(?=1\d{10}$)/, '');
    const masked = maskPiiInText(digits);
    if (masked !== digits) forms.push(masked);
  }
  return [...new Set(forms)];
}

/** The WHERE fragment of a search; `readsCustomers`: it names `c` (the LIKE fallback), so the customers table must be joined. */
interface SearchClause {
  sql: string;
  params: string[];
  readsCustomers: boolean;
  /**
   * At most how many tickets match, from the indexes' own counts (`countLookup` counts one
   * index lookup's rows); Infinity when a term is looked for with LIKE (no index knows).
   */
  hitBound: (countLookup: (lookup: IndexLookup) => number) => number;
}

/** One MATCH of a search index: its rows are tickets (ticket_fts, ticket_bigrams) or messages (message_fts). */
export interface IndexLookup {
  index: 'ticket_fts' | 'message_fts' | 'ticket_bigrams';
  phrase: string;
}

/**
 * How a search joins the inbox's walk of the tickets (each form finds the same tickets):
 * - `scan`: every matching ticket is visited (the counts). The inbox index is read in full and
 *   each ticket is tested against the hits, put in a set once; a message hit is turned into
 *   its ticket's id through the message's row.
 * - `walk`: the first window of a search with many hits. The inbox index is read in the
 *   list's order and stops when the window is full, so only the tickets before it are tested;
 *   a message hit is tested through the ticket's own entries of `messages_by_ticket`, so no
 *   message row is read (a common word has tens of thousands of hits: their rows were the cost).
 * - `hits`: a window of a search with few hits: from the hits to their tickets' rows, then sorted,
 *   instead of walking the whole index to find a handful of tickets.
 */
export type SearchPlan = 'scan' | 'walk' | 'hits';

/**
 * Builds the WHERE fragment for the search terms: every term must match somewhere (in one
 * of its forms, see `searchForms`). While a bootstrap has the indexes switched off
 * (`indexed` false) every term uses LIKE: slower, but never missing what is already in the cache.
 */
function searchClause(query: string, indexed: boolean, plan: SearchPlan): SearchClause {
  const terms = query
    .trim()
    .split(/\s+/u)
    .filter((term) => term.length > 0);
  const clause = termsClause(terms, indexed, plan);
  // A number typed with spaces ("+86 138 0013 8000") is also looked for as one term, so its masked form is found.
  const joined = terms.join('');
  if (terms.length > 1 && /^[+\d()-]+$/.test(joined) && joined.replace(/\D/g, '').length >= 7) {
    const whole = termsClause([joined], indexed, plan);
    return {
      sql: `(${whole.sql} OR ${clause.sql})`,
      params: [...whole.params, ...clause.params],
      readsCustomers: whole.readsCustomers || clause.readsCustomers,
      hitBound: (countLookup) => whole.hitBound(countLookup) + clause.hitBound(countLookup),
    };
  }
  return clause;
}

/** The SQL of one indexed form under a plan, and the index lookups it makes. */
function indexedForm(form: string, plan: SearchPlan): { sql: string; params: string[]; lookups: IndexLookup[] } | null {
  const phrase = ftsPhrase(form);
  if ([...form].length >= MIN_FTS_TERM_LENGTH) {
    const lookups: IndexLookup[] = [
      { index: 'ticket_fts', phrase },
      { index: 'message_fts', phrase },
    ];
    switch (plan) {
      case 'scan':
        // `+`: filters on the inbox's covering index, as below, rather than a ticket row read per hit.
        return {
          sql: `+t.rid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)
          OR +t.id IN (SELECT m.ticket_id FROM message_fts JOIN messages m ON m.rid = message_fts.rowid WHERE message_fts MATCH ?)`,
          params: [phrase, phrase],
          lookups,
        };
      case 'walk':
        // The message hits' rowids are put in a set once; each ticket walked is tested through its entries of `messages_by_ticket` (they hold the rowid).
        return {
          sql: `+t.rid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)
          OR EXISTS (SELECT 1 FROM messages m INDEXED BY messages_by_ticket WHERE m.ticket_id = t.id
            AND m.rid IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?))`,
          params: [phrase, phrase],
          lookups,
        };
      case 'hits':
        return {
          sql: `t.rid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)
          OR t.rid IN (SELECT h.rid FROM message_fts JOIN messages m ON m.rid = message_fts.rowid JOIN tickets h ON h.id = m.ticket_id
            WHERE message_fts MATCH ?)`,
          params: [phrase, phrase],
          lookups,
        };
    }
  }
  if (isBigramTerm(form)) {
    // `+t.rid`: a filter on the inbox's covering index, not a lookup of each hit's table row (tens of thousands for a common word).
    return {
      sql: `${plan === 'hits' ? '' : '+'}t.rid IN (SELECT rowid FROM ticket_bigrams WHERE ticket_bigrams MATCH ?)`,
      params: [phrase],
      lookups: [{ index: 'ticket_bigrams', phrase }],
    };
  }
  return null;
}

function termsClause(terms: readonly string[], indexed: boolean, plan: SearchPlan): SearchClause {
  const parts: string[] = [];
  const params: string[] = [];
  let readsCustomers = false;
  // Per term, the lookups of its forms; null: a form of it is looked for with LIKE.
  const termLookups: Array<IndexLookup[] | null> = [];
  for (const term of terms) {
    const alternatives: string[] = [];
    let lookups: IndexLookup[] | null = [];
    for (const form of searchForms(term)) {
      const fromIndex = indexed ? indexedForm(form, plan) : null;
      if (fromIndex) {
        alternatives.push(fromIndex.sql);
        params.push(...fromIndex.params);
        lookups?.push(...fromIndex.lookups);
      } else {
        alternatives.push(`t.id LIKE ? ESCAPE '\\' OR t.subject LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\'
          OR c.phone LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\'
          OR EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.text LIKE ? ESCAPE '\\')`);
        readsCustomers = true;
        lookups = null;
        const pattern = likePattern(form);
        params.push(pattern, pattern, pattern, pattern, pattern, pattern);
      }
    }
    termLookups.push(lookups);
    parts.push(`(${alternatives.join(' OR ')})`);
  }
  return {
    sql: parts.join(' AND '),
    params,
    readsCustomers,
    // Every term must match: no more tickets than the term with the fewest index rows (a message hit is at most one ticket).
    hitBound: (countLookup) =>
      Math.min(...termLookups.map((lookups) => (lookups === null ? Infinity : lookups.reduce((sum, lookup) => sum + countLookup(lookup), 0)))),
  };
}

/** A cache key is 256 random bits (raw: no passphrase stretching on open; see cacheKeys.ts). */
export const CACHE_KEY_BYTES = 32;

/**
 * AEGIS-256 per page (SQLite3 Multiple Ciphers' `aegis`, its default variant): authenticated
 * like ChaCha20-Poly1305, so a changed page fails its tag and is refused, and run on the CPU's
 * AES instructions, so a local write's pages cost about a tenth of what ChaCha20 took
 * (benchmarks.md, "The cache's cipher"). The SQLite3 Multiple Ciphers shell opens a cache with
 * its key when one must be recovered (`PRAGMA cipher = 'aegis'` first).
 */
const CACHE_CIPHER = 'aegis';

/** Ciphers of caches written by earlier versions: such a cache is re-encrypted with `CACHE_CIPHER` when it is opened. */
const EARLIER_CACHE_CIPHERS = ['chacha20'] as const;

const PLAINTEXT_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Whether the file is an unencrypted SQLite database (written by a version before encryption). */
export function isPlaintextDatabase(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(PLAINTEXT_HEADER.length);
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(PLAINTEXT_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** Sets the cipher and raw key on a freshly opened connection, before anything is read. */
export function applyCacheKey(db: Database.Database, key: Buffer, cipher: string = CACHE_CIPHER): void {
  if (key.length !== CACHE_KEY_BYTES) throw new Error(`A cache key has ${String(CACHE_KEY_BYTES)} bytes, not ${String(key.length)}.`);
  db.pragma(`cipher = '${cipher}'`);
  db.pragma(`key = "x'${key.toString('hex')}'"`);
}

/** SQLite's answer to a wrong key (or a file that is no database at all). */
export function isWrongKeyError(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === 'SQLITE_NOTADB';
}

/** Whether `key` with `cipher` reads the file (a wrong key, a wrong cipher or no database at all do not). */
function opensWith(file: string, key: Buffer, cipher: string): boolean {
  const db = new Database(file);
  try {
    applyCacheKey(db, key, cipher);
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return true;
  } catch (error) {
    if (isWrongKeyError(error)) return false;
    throw error;
  } finally {
    db.close();
  }
}

/**
 * Re-encrypts, with `CACHE_CIPHER` and `key`, a cache written in the clear (`from: null`, a
 * version before encryption) or with an earlier cipher. The copy is re-encrypted and then
 * renamed over the original, so a crash at any point leaves either the whole original (done
 * again on the next open) or the whole new file: the outbox, drafts and attention items are
 * never half-converted. SQLite cannot rekey in WAL mode, so the original is checkpointed into
 * one file first.
 */
function reencryptCache(file: string, key: Buffer, from: { cipher: string } | null): void {
  const original = new Database(file);
  try {
    if (from) applyCacheKey(original, key, from.cipher);
    // The copy below must hold everything: a WAL left beside the original would not go with it.
    const journal = original.pragma('journal_mode = DELETE', { simple: true });
    if (journal !== 'delete') throw new Error(`The cache ${file} could not leave its WAL before re-encryption (journal "${String(journal)}").`);
  } finally {
    original.close();
  }
  const temp = `${file}.encrypting`;
  rmSync(temp, { force: true });
  rmSync(`${temp}-journal`, { force: true });
  copyFileSync(file, temp);
  const copy = new Database(temp);
  try {
    if (from) applyCacheKey(copy, key, from.cipher);
    copy.pragma(`cipher = '${CACHE_CIPHER}'`);
    copy.pragma(`rekey = "x'${key.toString('hex')}'"`);
  } finally {
    copy.close();
  }
  const fd = openSync(temp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** A cache this key opens only with an earlier cipher is re-encrypted with `CACHE_CIPHER`; a new, current or unreadable file is left as it is. */
function reencryptIfEarlierCipher(file: string, key: Buffer): void {
  if (!existsSync(file) || statSync(file).size === 0 || opensWith(file, key, CACHE_CIPHER)) return;
  const earlier = EARLIER_CACHE_CIPHERS.find((cipher) => opensWith(file, key, cipher));
  if (earlier) reencryptCache(file, key, { cipher: earlier });
}

/**
 * Opens (creating and migrating if needed) the cache file, encrypted with `key`; a cache
 * written without encryption, or with an earlier cipher, is re-encrypted first. A wrong key throws (see `isWrongKeyError`).
 * `key: null` opens it unencrypted: only the benchmarks do that, to measure what encryption costs.
 */
export function openCache(file: string, key: Buffer | null): Cache {
  prepareSqliteFile(file);
  if (key && isPlaintextDatabase(file)) reencryptCache(file, key, null);
  else if (key) reencryptIfEarlierCipher(file, key);
  const db = new Database(file);
  try {
    if (key) applyCacheKey(db, key);
    // withoutOwnSync relies on WAL (NORMAL in a rollback journal could tear the file on a power cut): refuse to run without it.
    const journal = db.pragma('journal_mode = WAL', { simple: true });
    if (journal !== 'wal') throw new Error(`The cache needs SQLite's WAL journal, and ${file} got "${String(journal)}".`);
    // The outbox is the only copy of the agent's unsent work: fsync every commit.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // Deleted rows are overwritten, not just unlinked: a ticket that left the user's view, or
    // content dropped because it was cached clear (migration 009), does not linger in free pages.
    db.pragma('secure_delete = ON');
    migrateCache(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const stmt = {
    syncState: db.prepare<[], { last_seq: number; bootstrapped: number; bootstrap_after: string | null; bootstrap_seq: number | null; generation: number }>(
      'SELECT last_seq, bootstrapped, bootstrap_after, bootstrap_seq, generation FROM sync_state WHERE id = 1',
    ),
    beginBootstrap: db.prepare(
      `UPDATE sync_state SET bootstrapped = 0, bootstrap_after = NULL, bootstrap_seq = NULL, generation = generation + 1,
         search_live = 0, search_tickets_upto = 0, search_messages_upto = 0 WHERE id = 1`,
    ),
    bootstrapProgress: db.prepare<[string | null, number]>(
      'UPDATE sync_state SET bootstrap_after = ?, bootstrap_seq = coalesce(bootstrap_seq, ?) WHERE id = 1',
    ),
    finishBootstrap: db.prepare('UPDATE sync_state SET bootstrapped = 1, last_seq = bootstrap_seq, bootstrap_after = NULL, bootstrap_seq = NULL WHERE id = 1'),
    requireRefetch: db.prepare('UPDATE sync_state SET bootstrapped = 0, bootstrap_after = NULL, bootstrap_seq = NULL WHERE id = 1'),
    setLastSeq: db.prepare<[number]>('UPDATE sync_state SET last_seq = ? WHERE id = 1'),
    clockOffset: db.prepare<[], { clock_offset_ms: number | null }>('SELECT clock_offset_ms FROM sync_state WHERE id = 1'),
    setClockOffset: db.prepare<[number]>('UPDATE sync_state SET clock_offset_ms = ? WHERE id = 1'),
    searchLive: db.prepare<[], { search_live: number }>('SELECT search_live FROM sync_state WHERE id = 1'),
    searchWalk: db.prepare<[], { search_live: number; bootstrapped: number; tickets_upto: number; messages_upto: number }>(
      'SELECT search_live, bootstrapped, search_tickets_upto AS tickets_upto, search_messages_upto AS messages_upto FROM sync_state WHERE id = 1',
    ),
    nthTicketRidAfter: db.prepare<[number, number], { rid: number }>('SELECT rid FROM tickets WHERE rid > ? ORDER BY rid LIMIT 1 OFFSET ?'),
    lastTicketRid: db.prepare<[], { rid: number | null }>('SELECT max(rid) AS rid FROM tickets'),
    nthMessageRidAfter: db.prepare<[number, number], { rid: number }>('SELECT rid FROM messages WHERE rid > ? ORDER BY rid LIMIT 1 OFFSET ?'),
    lastMessageRid: db.prepare<[], { rid: number | null }>('SELECT max(rid) AS rid FROM messages'),
    indexTicketText: db.prepare<[number, number]>(INDEX_TICKET_RANGE_SQL[0]),
    indexTicketPairs: db.prepare<[number, number]>(INDEX_TICKET_RANGE_SQL[1]),
    indexMessages: db.prepare<[number, number]>(INDEX_MESSAGE_RANGE_SQL),
    setSearchTicketsUpto: db.prepare<[number | bigint]>('UPDATE sync_state SET search_tickets_upto = ? WHERE id = 1'),
    setSearchMessagesUpto: db.prepare<[number | bigint]>('UPDATE sync_state SET search_messages_upto = ? WHERE id = 1'),
    searchIndexed: db.prepare('UPDATE sync_state SET search_live = 1 WHERE id = 1'),
    piiView: db.prepare<[], { pii_view: PiiView | null }>('SELECT pii_view FROM sync_state WHERE id = 1'),
    staleTicketIds: db.prepare<[], { id: string }>('SELECT id FROM tickets WHERE generation < (SELECT generation FROM sync_state WHERE id = 1)'),
    // Once a bootstrap is done, the rows it left out that are still here are those kept for a draft;
    // while one runs every row it has not rewritten yet is older, hence `bootstrapped`.
    ticketsLeftOutOfBootstrap: db.prepare<[], { id: string }>(
      'SELECT t.id FROM tickets t, sync_state s WHERE s.id = 1 AND s.bootstrapped = 1 AND t.generation < s.generation',
    ),
    isLeftOutOfBootstrap: db.prepare<[string], { id: string }>(
      'SELECT t.id FROM tickets t, sync_state s WHERE t.id = ? AND s.id = 1 AND s.bootstrapped = 1 AND t.generation < s.generation',
    ),

    ticket: db.prepare<[string], TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets t WHERE t.id = ?`),
    /** Parameters: `ticketValues`. */
    upsertTicket: db.prepare<[SqlValue[]]>(`
      INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, assignment_reason,
        created_at, updated_at, assigned_at, first_response_at, due_at, completed_at, last_message_preview, last_message_at, follow_up_at, routing,
        sub_category, tags_json, result, handover_json, generation)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT generation FROM sync_state WHERE id = 1))
      ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, channel = excluded.channel, type = excluded.type,
        subject = excluded.subject, priority = excluded.priority, status = excluded.status, assignee_id = excluded.assignee_id,
        assignee_name = excluded.assignee_name, assignment_reason = excluded.assignment_reason, created_at = excluded.created_at,
        updated_at = excluded.updated_at, assigned_at = excluded.assigned_at, first_response_at = excluded.first_response_at,
        due_at = excluded.due_at, completed_at = excluded.completed_at, last_message_preview = excluded.last_message_preview,
        last_message_at = excluded.last_message_at, follow_up_at = excluded.follow_up_at, routing = excluded.routing,
        sub_category = excluded.sub_category, tags_json = excluded.tags_json, result = excluded.result, handover_json = excluded.handover_json,
        generation = excluded.generation`),
    deleteTicket: db.prepare<[string]>('DELETE FROM tickets WHERE id = ?'),
    deleteTicketMessages: db.prepare<[string]>('DELETE FROM messages WHERE ticket_id = ?'),
    deleteTicketNotes: db.prepare<[string]>('DELETE FROM notes WHERE ticket_id = ?'),

    customer: db.prepare<[string], CustomerRow>('SELECT id, name, phone, email, social_id, vip_tier, created_at, identities_json FROM customers WHERE id = ?'),
    /** Parameters: `customerValues`. */
    upsertCustomer: db.prepare<[SqlValue[]]>(`
      INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at, identities_json)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, email = excluded.email,
        social_id = excluded.social_id, vip_tier = excluded.vip_tier, created_at = excluded.created_at, identities_json = excluded.identities_json`),
    customerTicketIds: db.prepare<[string], { id: string }>('SELECT id FROM tickets WHERE customer_id = ?'),
    attachment: db.prepare<[string], { attachment: string }>(
      "SELECT j.value AS attachment FROM messages m, json_each(m.attachments_json) j WHERE m.attachments_json <> '[]' AND json_extract(j.value, '$.id') = ? LIMIT 1",
    ),
    customerTickets: db.prepare<[string, string], TicketRow>(
      `SELECT ${TICKET_COLUMNS} FROM tickets t WHERE t.customer_id = ? AND t.id <> ? ORDER BY t.created_at DESC, t.id DESC`,
    ),

    /** A server snapshot of a message is authoritative: it is no longer pending. Parameters: `messageValues`. */
    upsertMessage: db.prepare<[SqlValue[]]>(`
      INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at,
        attachments_json, source, call_json, delivery_error, subject, pending)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
      ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, direction = excluded.direction, channel = excluded.channel,
        author_id = excluded.author_id, author_name = excluded.author_name, text = excluded.text,
        external_message_id = excluded.external_message_id, delivery_status = excluded.delivery_status,
        created_at = excluded.created_at, pending = 0, attachments_json = excluded.attachments_json, source = excluded.source,
        call_json = excluded.call_json, delivery_error = excluded.delivery_error, subject = excluded.subject`),
    insertPendingMessage: db.prepare(`
      INSERT OR IGNORE INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending,
        attachments_json, source, call_json, delivery_error, subject)
      VALUES (@id, @ticketId, @direction, @channel, @authorId, @authorName, @text, @externalMessageId, @deliveryStatus, @createdAt, 1,
        @attachments, @source, @call, @deliveryError, @subject)`),
    messages: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE ticket_id = ? ORDER BY created_at, rid'),
    message: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    confirmMessage: db.prepare<[string]>('UPDATE messages SET pending = 0 WHERE id = ?'),
    deletePendingMessage: db.prepare<[string]>('DELETE FROM messages WHERE id = ? AND pending = 1'),

    upsertNote: db.prepare(`
      INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending)
      VALUES (@id, @ticketId, @authorId, @authorName, @text, @createdAt, 0)
      ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, author_id = excluded.author_id,
        author_name = excluded.author_name, text = excluded.text, created_at = excluded.created_at, pending = 0`),
    insertPendingNote: db.prepare(`
      INSERT OR IGNORE INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending)
      VALUES (@id, @ticketId, @authorId, @authorName, @text, @createdAt, 1)`),
    notes: db.prepare<[string], NoteRow>('SELECT * FROM notes WHERE ticket_id = ? ORDER BY created_at, id'),
    // What a new mutation follows (shared/ticketRules.ts mutationTime): the ticket's newest message or note here, and its time.
    // Each side seeks its newest time in its by-ticket index, then the first entry at that time in
    // the index's order (a message before a note, then the lowest rid or id: the entry a sort of
    // all of them picked, which read and sorted every entry of the ticket on each local write).
    newestEntry: db.prepare<{ ticketId: string }, { id: string; created_at: number }>(
      `SELECT id, created_at FROM (
         SELECT * FROM (SELECT id, created_at, 0 AS side FROM messages
           WHERE ticket_id = @ticketId AND created_at = (SELECT max(created_at) FROM messages WHERE ticket_id = @ticketId) ORDER BY rid LIMIT 1)
         UNION ALL
         SELECT * FROM (SELECT id, created_at, 1 AS side FROM notes
           WHERE ticket_id = @ticketId AND created_at = (SELECT max(created_at) FROM notes WHERE ticket_id = @ticketId) ORDER BY id LIMIT 1)
       ) ORDER BY created_at DESC, side LIMIT 1`,
    ),
    entryTime: db.prepare<[string, string, string, string], { created_at: number }>(
      'SELECT created_at FROM messages WHERE id = ? AND ticket_id = ? UNION ALL SELECT created_at FROM notes WHERE id = ? AND ticket_id = ?',
    ),
    note: db.prepare<[string], NoteRow>('SELECT * FROM notes WHERE id = ?'),
    confirmNote: db.prepare<[string]>('UPDATE notes SET pending = 0 WHERE id = ?'),
    deletePendingNote: db.prepare<[string]>('DELETE FROM notes WHERE id = ? AND pending = 1'),

    appendOutbox: db.prepare<[string, string, string, string, number]>(
      'INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    outbox: db.prepare<[number], { seq: number; body: string }>('SELECT seq, body FROM outbox ORDER BY seq LIMIT ?'),
    outboxForTicket: db.prepare<[string], { seq: number; body: string }>('SELECT seq, body FROM outbox WHERE ticket_id = ? ORDER BY seq'),
    outboxRows: db.prepare<[], { mutation_id: string; ticket_id: string; kind: string; body: string }>(
      'SELECT mutation_id, ticket_id, kind, body FROM outbox ORDER BY seq',
    ),
    outboxCreations: db.prepare<[], { seq: number; ticket_id: string; body: string }>(
      "SELECT seq, ticket_id, body FROM outbox WHERE kind = 'createTicket' ORDER BY seq",
    ),
    outboxEntry: db.prepare<[string], { seq: number; body: string }>('SELECT seq, body FROM outbox WHERE mutation_id = ?'),
    outboxCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox'),
    ticketHasOutbox: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE ticket_id = ?'),
    ticketHasDraft: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM drafts WHERE ticket_id = ?'),
    notHeldTickets: db.prepare<[string], TicketRow>(`SELECT ${TICKET_COLUMNS} FROM tickets t WHERE t.assignee_id IS NULL OR t.assignee_id <> ?`),
    deleteOutbox: db.prepare<[string]>('DELETE FROM outbox WHERE mutation_id = ?'),

    insertAttention: db.prepare<[string | null, string | null, string, string, string, string | null, number | null, number, string | null]>(
      'INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, content_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    // A page walks the primary key down from `before` (-1: no limit; SQLite's own meaning).
    attention: db.prepare<[number, number], AttentionRow>(
      'SELECT id, ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, content_json FROM attention WHERE id < ? AND dismissed = 0 ORDER BY id DESC LIMIT ?',
    ),
    attentionItem: db.prepare<[number], AttentionRow>(
      'SELECT id, ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, content_json FROM attention WHERE id = ? AND dismissed = 0',
    ),
    /** Inbound messages of every cached ticket of a customer: the ways a reply can reach them. */
    customerInbound: db.prepare<[string], { ticketId: string; direction: 'inbound'; source: string; createdAt: number }>(
      `SELECT m.ticket_id AS ticketId, m.direction, m.source, m.created_at AS createdAt FROM messages m JOIN tickets t ON t.id = m.ticket_id
       WHERE t.customer_id = ? AND m.direction = 'inbound' AND m.source IS NOT NULL`,
    ),
    /** The same on the customer's other tickets: opening a ticket has its own messages read already. */
    customerInboundElsewhere: db.prepare<[string, string], { ticketId: string; direction: 'inbound'; source: string; createdAt: number }>(
      `SELECT m.ticket_id AS ticketId, m.direction, m.source, m.created_at AS createdAt FROM messages m JOIN tickets t ON t.id = m.ticket_id
       WHERE t.customer_id = ? AND t.id <> ? AND m.direction = 'inbound' AND m.source IS NOT NULL`,
    ),
    attentionCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM attention WHERE dismissed = 0'),
    // Each side by its key (the refusal by migration 020's `attention_by_mutation`, as REFUSAL_LOOKUP).
    actionIdInUse: db
      .prepare<[{ id: string }], number>(
        `SELECT EXISTS (SELECT 1 FROM notes WHERE id = @id) OR EXISTS (SELECT 1 FROM messages WHERE id = @id)
           OR EXISTS (SELECT 1 FROM drafts WHERE id = @id) OR EXISTS (SELECT 1 FROM attention WHERE mutation_id = @id)`,
      )
      .pluck(),
    refusal: db.prepare<[string], AttentionRow>(REFUSAL_SQL),
    // The text goes with the dismissal: the row stays (for `refusal()`) up to DISMISSED_ATTENTION_KEPT_*, what the agent wrote does not.
    dismissAttention: db.prepare<[number]>('UPDATE attention SET dismissed = 1, content_json = NULL WHERE id = ? AND dismissed = 0'),
    pruneDismissedBefore: db.prepare<[number]>('DELETE FROM attention WHERE dismissed = 1 AND at < ?'),
    pruneDismissedBeyond: db.prepare<[number]>(
      'DELETE FROM attention WHERE dismissed = 1 AND id NOT IN (SELECT id FROM attention WHERE dismissed = 1 ORDER BY id DESC LIMIT ?)',
    ),
    // The outbox, drafts and attention are renamed with the ticket (renameCreated); a row
    // written under the provisional id afterwards still needs the rename to find its ticket.
    pruneRenamesBefore: db.prepare<[number]>(`
      DELETE FROM ticket_renames WHERE renamed_at < ?
        AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.ticket_id = ticket_renames.provisional_id)
        AND NOT EXISTS (SELECT 1 FROM drafts WHERE drafts.ticket_id = ticket_renames.provisional_id)
        AND NOT EXISTS (SELECT 1 FROM attention WHERE attention.ticket_id = ticket_renames.provisional_id)`),

    insertDraft: db.prepare<[string, string, string, number, string | null]>(
      'INSERT INTO drafts (id, ticket_id, text, created_at, subject) VALUES (?, ?, ?, ?, ?)',
    ),
    draft: db.prepare<[string], DraftRow>('SELECT id, ticket_id, text, created_at, subject FROM drafts WHERE id = ?'),
    draftsForTicket: db.prepare<[string], DraftRow>('SELECT id, ticket_id, text, created_at, subject FROM drafts WHERE ticket_id = ? ORDER BY created_at, id'),
    deleteDraft: db.prepare<[string]>('DELETE FROM drafts WHERE id = ?'),

    messageExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM messages WHERE id = ?'),
    markUnread: db.prepare<[string, number]>('INSERT INTO ticket_unread (ticket_id, since) VALUES (?, ?) ON CONFLICT (ticket_id) DO NOTHING'),
    isUnread: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM ticket_unread WHERE ticket_id = ?'),
    deleteUnread: db.prepare<[string]>('DELETE FROM ticket_unread WHERE ticket_id = ?'),

    renamedTo: db.prepare<[string], { ticket_id: string }>('SELECT ticket_id FROM ticket_renames WHERE provisional_id = ?'),
    recordRename: db.prepare<[string, string, number]>(
      'INSERT INTO ticket_renames (provisional_id, ticket_id, renamed_at) VALUES (?, ?, ?) ON CONFLICT (provisional_id) DO NOTHING',
    ),
    renameTicketRow: db.prepare<[string, string]>('UPDATE tickets SET id = ? WHERE id = ?'),
    renameMessages: db.prepare<[string, string]>('UPDATE messages SET ticket_id = ? WHERE ticket_id = ?'),
    renameNotes: db.prepare<[string, string]>('UPDATE notes SET ticket_id = ? WHERE ticket_id = ?'),
    renameDrafts: db.prepare<[string, string]>('UPDATE drafts SET ticket_id = ? WHERE ticket_id = ?'),
    renameAttention: db.prepare<[string, string]>('UPDATE attention SET ticket_id = ? WHERE ticket_id = ?'),
    renameUnread: db.prepare<[string, string]>('UPDATE OR IGNORE ticket_unread SET ticket_id = ? WHERE ticket_id = ?'),
    rewriteOutbox: db.prepare<[string, string, number]>('UPDATE outbox SET ticket_id = ?, body = ? WHERE seq = ?'),
    renameCustomerRow: db.prepare<[string, string]>('UPDATE customers SET id = ? WHERE id = ?'),
    deleteCustomer: db.prepare<[string]>('DELETE FROM customers WHERE id = ?'),
    moveCustomerTickets: db.prepare<[string, string]>('UPDATE tickets SET customer_id = ? WHERE customer_id = ?'),
    customerInUse: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM tickets WHERE customer_id = ? LIMIT 1'),
    ticketCustomerId: db.prepare<[string], { customer_id: string }>('SELECT customer_id FROM tickets WHERE id = ?'),
    ticketIdBetween: db.prepare<[string, string], { found: number }>('SELECT 1 AS found FROM tickets WHERE id BETWEEN ? AND ? LIMIT 1'),
    walkGatedTriggers: db.prepare<[], { name: string; sql: string }>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (sql LIKE '%search_tickets_upto%' OR sql LIKE '%search_messages_upto%') ORDER BY name",
    ),
    deleteUnusedCustomer: db.prepare<[string, string]>('DELETE FROM customers WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tickets WHERE customer_id = ?)'),
  };

  // Bounded: one text per filter and sort combination the inbox was asked for.
  const inboxStatements = createBoundedMap<string, Database.Statement>(CACHED_STATEMENTS_KEPT);
  function inboxStatement(sql: string): Database.Statement {
    let statement = inboxStatements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      inboxStatements.set(sql, statement);
    }
    return statement;
  }

  function parseOutboxBody(body: string): Mutation {
    const raw: unknown = JSON.parse(body);
    const parsed = mutationSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const repaired = repairedCreation(raw);
    if (repaired) return repaired;
    throw parsed.error;
  }

  /** A queued creation's new customer as typed, read without repairs (parseOutboxBody repairs through this). */
  function queuedNewCustomerOf(customerId: string): Extract<CreateTicketMutation['customer'], { kind: 'new' }> | null {
    for (const entry of stmt.outboxCreations.all()) {
      const parsed = mutationSchema.safeParse(JSON.parse(entry.body));
      if (!parsed.success) continue;
      const mutation = parsed.data;
      if (mutation.kind === 'createTicket' && mutation.customer.kind === 'new' && mutation.customer.customerId === customerId) return mutation.customer;
    }
    return null;
  }

  /**
   * A creation an earlier version queued naming another queued creation's pending customer as an
   * existing one, which the push schema refuses (it stopped every push): read as the customer
   * typed while that creation is queued, else as the customer it became (its ticket's rename).
   */
  function repairedCreation(raw: unknown): Mutation | null {
    const row = raw as { kind?: unknown; customer?: { kind?: unknown; customerId?: unknown } } | null;
    const customerId = row?.customer?.customerId;
    if (row?.kind !== 'createTicket' || row.customer?.kind !== 'existing' || typeof customerId !== 'string' || !isProvisionalCustomerId(customerId))
      return null;
    const typed = queuedNewCustomerOf(customerId);
    // Provisional ids share their digits: CUS00000000<n> was made with GD00000000<n>.
    const renamed = typed ? null : stmt.renamedTo.get(`GD${customerId.slice(3)}`);
    const made = renamed ? readTicket(renamed.ticket_id) : null;
    const customer = typed ?? (made && !isProvisionalCustomerId(made.customerId) ? { kind: 'existing' as const, customerId: made.customerId } : null);
    if (!customer) return null;
    const parsed = mutationSchema.safeParse({ ...row, customer });
    return parsed.success ? parsed.data : null;
  }

  function readTicket(ticketId: string): Ticket | null {
    const row = stmt.ticket.get(ticketId);
    return row ? ticketFromRow(row) : null;
  }

  /** Filled while changes are stored, taken by the sync client after each batch (takeCustomerArrivals). */
  let customerArrivals: CustomerMessageArrival[] = [];

  function customerArrivalOf(message: Message): CustomerMessageArrival {
    return {
      messageId: message.id,
      ticketId: message.ticketId,
      channel: message.channel,
      authorName: message.authorName,
      preview: message.text.slice(0, CUSTOMER_MESSAGE_PREVIEW_LENGTH),
      createdAt: message.createdAt,
    };
  }

  /** Whether a reply drafted offline waits on the ticket (unsent work: the ticket stays cached with it). */
  function hasDraft(ticketId: string): boolean {
    return (stmt.ticketHasDraft.get(ticketId)?.n ?? 0) > 0;
  }

  /**
   * `customerId`: the customer a snapshot of the ticket names (stored just before, with its
   * bundle), when it may differ from the cached row's or no row was cached.
   */
  function deleteTicketEverywhere(ticketId: string, customerId: string | null = null): void {
    const cachedCustomerId = stmt.ticketCustomerId.get(ticketId)?.customer_id ?? null;
    // The ticket first: each message deleted after it finds no ticket whose 2-character row to rebuild (migration 018).
    stmt.deleteTicket.run(ticketId);
    stmt.deleteTicketMessages.run(ticketId);
    stmt.deleteTicketNotes.run(ticketId);
    stmt.deleteUnread.run(ticketId);
    // A customer is cached for the tickets held: one whose last ticket left goes with it, or every
    // offer that moved on and every queued ticket the queue view showed left a customer for good.
    for (const id of new Set([cachedCustomerId, customerId])) if (id !== null) stmt.deleteUnusedCustomer.run(id, id);
  }

  /**
   * Stores a server message; a customer message this cache did not hold yet marks its ticket
   * unread when `markUnread` (not while a first bootstrap fills an empty cache: nothing there is new to the agent).
   */
  function storeMessage(message: Message, markUnread: boolean, ticket: Ticket, viewer: User): void {
    if (markUnread && message.direction === 'inbound' && stmt.messageExists.get(message.id) === undefined) {
      stmt.markUnread.run(message.ticketId, message.createdAt);
      if (ticket.assigneeId === viewer.id) customerArrivals.push(customerArrivalOf(message));
    }
    stmt.upsertMessage.run(messageValues(message));
  }

  /**
   * Where tickets the agent held went, by id, as the change that took each away told it (its
   * assignee and assignment reason): for the pane still showing one, which says who has it now
   * (walk-8). In memory only and bounded: after a restart the pane says it is gone, as before.
   */
  const departures = new Map<string, TicketDeparture>();

  function noteDeparture(ticket: Ticket, viewer: User): void {
    if (stmt.ticket.get(ticket.id)?.assignee_id !== viewer.id) return;
    departures.delete(ticket.id);
    departures.set(ticket.id, ticketDepartureOf(ticket));
    if (departures.size > MAX_DEPARTURES) departures.delete(departures.keys().next().value!);
  }

  /**
   * Stores a server ticket snapshot, or drops the ticket when it has left what the server sends
   * the viewer (an agent: what they hold or are offered). Returns whether it is kept.
   */
  function storeTicket(ticket: Ticket, viewer: User, mayBeCached = true): boolean {
    if (!isInSyncScope(viewer, ticket)) {
      noteDeparture(ticket, viewer);
      // A reply drafted offline is unsent work (as in dropFetched): the ticket stays, as the server
      // has it now, so its pane shows the draft to copy or discard, and the next catch-up's
      // dropFetched takes it once the draft is gone. Dropped with it, the draft stayed in the
      // table for good, shown nowhere.
      if (hasDraft(ticket.id)) {
        upsertTicketOf(ticket, mayBeCached);
        return false;
      }
      deleteTicketEverywhere(ticket.id, ticket.customerId);
      return false;
    }
    upsertTicketOf(ticket, mayBeCached);
    return true;
  }

  /**
   * Writes a server snapshot of a ticket. One that names another customer than the cached row
   * (a merge moved it: the server sends the kept customer, then each moved ticket) leaves the
   * customer it named before, whose row goes once no cached ticket names them: the merged
   * customer's row (masked contact details of someone who no longer exists on the server) stayed for good otherwise.
   * `mayBeCached` false: the caller knows no row of this id is cached, so there is none to compare.
   */
  function upsertTicketOf(ticket: Ticket, mayBeCached = true): void {
    const before = mayBeCached ? (stmt.ticketCustomerId.get(ticket.id)?.customer_id ?? null) : null;
    stmt.upsertTicket.run(ticketValues(ticket));
    if (before !== null && before !== ticket.customerId) stmt.deleteUnusedCustomer.run(before, before);
  }

  function storeBundle(bundle: TicketBundle, viewer: User, markUnread: boolean, mayBeCached = true): void {
    stmt.upsertCustomer.run(customerValues(bundle.customer));
    if (!storeTicket(bundle.ticket, viewer, mayBeCached)) return;
    for (const message of bundle.messages) storeMessage(message, markUnread, bundle.ticket, viewer);
    for (const note of bundle.notes) stmt.upsertNote.run(note);
  }

  /** Stores one change; returns the tickets it touched (a customer's change touches every cached ticket of theirs). */
  function storeChange(change: Change, viewer: User): string[] {
    switch (change.kind) {
      case 'bundle':
        storeBundle(change.bundle, viewer, true);
        return [change.bundle.ticket.id];
      case 'ticket':
        storeTicket(change.ticket, viewer);
        return [change.ticket.id];
      case 'message':
        if (storeTicket(change.ticket, viewer)) storeMessage(change.message, true, change.ticket, viewer);
        return [change.ticket.id];
      case 'note':
        if (storeTicket(change.ticket, viewer)) stmt.upsertNote.run(change.note);
        return [change.ticket.id];
      case 'customer':
        stmt.upsertCustomer.run(customerValues(change.customer));
        return stmt.customerTicketIds.all(change.customer.id).map((row) => row.id);
    }
  }

  const ticketStateUpdates = createBoundedMap<string, Database.Statement>(CACHED_STATEMENTS_KEPT);
  /**
   * Writes the columns of the ticket's row whose value changes, and nothing when none does:
   * every index holding an updated column is rewritten even when its value stays the same, and
   * each page that touches is one more page to encrypt, write and fsync (a note changes
   * `updated_at` alone, so the inbox, activity and customer indexes are left as they were).
   */
  function updateTicketState(ticket: Ticket, stored: TicketRow | undefined): void {
    if (!stored) return;
    const changed = ticketStateColumns(ticket).filter(([column, value]) => stored[column] !== value);
    if (changed.length === 0) return;
    const columns = changed.map(([column]) => column);
    const sql = `UPDATE tickets SET ${columns.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`;
    let statement = ticketStateUpdates.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      ticketStateUpdates.set(sql, statement);
    }
    statement.run(...changed.map(([, value]) => value), ticket.id);
  }

  /**
   * Writes a local decision. For an agent the rows are masked like everything the server sends
   * them (shared/masking.ts): the cache never holds personal data in clear for an agent, not even
   * what they typed themselves; the outbox keeps the mutation as typed until it is acknowledged.
   */
  function writeEffect(effect: MutationEffect, viewer: User, stored: TicketRow | undefined): void {
    const masked = piiViewOf(viewer.role) === 'masked';
    let ticket = masked && effect.message ? { ...effect.ticket, lastMessagePreview: maskPreview(effect.ticket.lastMessagePreview) } : effect.ticket;
    // What the agent wrote into the result or a hand-over note is kept as the server will send it back (shared/masking.ts maskTicket).
    if (masked && (ticket.result !== null || ticket.handover !== null)) {
      ticket = {
        ...ticket,
        result: ticket.result === null ? null : maskPiiInText(ticket.result),
        handover: ticket.handover === null ? null : { ...ticket.handover, note: maskPiiInText(ticket.handover.note) },
      };
    }
    updateTicketState(ticket, stored);
    if (effect.message) {
      const { message } = effect;
      const shown = masked
        ? { ...message, text: maskPiiInText(message.text), ...(message.subject ? { subject: maskPiiInText(message.subject) } : {}) }
        : message;
      stmt.insertPendingMessage.run(messageParams(shown));
    }
    if (effect.note) stmt.insertPendingNote.run(masked ? { ...effect.note, text: maskPiiInText(effect.note.text) } : effect.note);
  }

  /** Re-applies the still-pending mutations of each ticket on top of the server's snapshot. */
  function rebase(ticketIds: Iterable<string>, viewer: User): void {
    // Usually nothing is pending: one count spares a lookup per ticket (1,000 per bootstrap page).
    if (outboxCount() === 0) return;
    for (const ticketId of ticketIds) {
      if ((stmt.ticketHasOutbox.get(ticketId)?.n ?? 0) === 0) continue;
      let ticket = readTicket(ticketId);
      if (!ticket) continue;
      for (const entry of stmt.outboxForTicket.all(ticketId)) {
        const outcome = decideLocally(ticket, parseOutboxBody(entry.body), viewer);
        // A mutation that no longer applies locally is left to the server, which will refuse and explain it.
        if (!outcome.ok) continue;
        writeEffect(outcome, viewer, stmt.ticket.get(ticketId));
        ticket = outcome.ticket;
      }
    }
  }

  function notCached(ticketId: string): TicketRefusal {
    return { code: 'not_found', ticketId };
  }

  function readCustomer(customerId: string): Customer | null {
    const row = stmt.customer.get(customerId);
    return row ? customerFromRow(row) : null;
  }

  /**
   * The shared rules (shared/ticketRules.ts) on the cached ticket, at the mutation's own time.
   * A cached ticket is one the agent had, so a hidden one reads as reassigned, as on the server.
   */
  function decideLocally(ticket: Ticket, mutation: Mutation, viewer: User, hints: MutationHints = {}, followed?: FollowedEntry): MutationDecision {
    const reach = mutation.kind === 'reply' ? customerReach(ticket.id, stmt.customerInbound.all(ticket.customerId), readCustomer(ticket.customerId)) : null;
    // The entry it follows as cached now (the server's copy once it came): the same floor the server applies.
    const follows = mutation.kind === 'createTicket' ? undefined : mutation.follows;
    const followsAt =
      follows === undefined
        ? null
        : followed?.id === follows
          ? followed.createdAt
          : (stmt.entryTime.get(follows, ticket.id, follows, ticket.id)?.created_at ?? null);
    return decideMutation(ticket, mutation, viewer, mutation.createdAt, { wasAssignedToActor: true, reach, ...hints, followsAt });
  }

  const markReadTransaction = db.transaction((ticketId: string) => stmt.deleteUnread.run(ticketId).changes > 0);

  /** A walk position at or past this has indexed every row (SEARCH_WALK_DONE reads back as a float). */
  const walkDone = (upto: number) => upto >= Number.MAX_SAFE_INTEGER;

  function searchIndexProgress(): SearchIndexProgress | null {
    const walk = stmt.searchWalk.get()!;
    if (walk.search_live === 1 || walk.bootstrapped === 0) return null;
    const total = stmt.lastTicketRid.get()!.rid ?? 0;
    return { done: walkDone(walk.tickets_upto) ? total : Math.min(walk.tickets_upto, total), total };
  }

  /**
   * Indexes the rows after `upto` up to the `limit`th (one chunk of a walk); when fewer are
   * left, all of them, and the walk is done: from then on the triggers cover every row.
   */
  function walkChunk(
    upto: number,
    limit: number,
    nth: Database.Statement<[number, number], { rid: number }>,
    last: Database.Statement<[], { rid: number | null }>,
    index: (after: number, through: number) => void,
    setUpto: Database.Statement<[number | bigint]>,
  ): boolean {
    if (walkDone(upto)) return true;
    const through = nth.get(upto, limit - 1)?.rid;
    if (through !== undefined) {
      index(upto, through);
      setUpto.run(through);
      return false;
    }
    const lastRid = last.get()!.rid;
    if (lastRid !== null && lastRid > upto) index(upto, lastRid);
    setUpto.run(BigInt(SEARCH_WALK_DONE));
    return true;
  }

  /** One chunk of the search walk (`CacheWriter.indexSearchChunk`). */
  const indexSearchChunkInside = db.transaction((tickets: number): SearchIndexProgress | null => {
    const walk = stmt.searchWalk.get()!;
    if (walk.search_live === 1) return null;
    if (walk.bootstrapped === 0) return searchIndexProgress();
    // A walk from nothing (after a bootstrap, or one a crash interrupted) starts from empty indexes.
    if (walk.tickets_upto === 0 && walk.messages_upto === 0) db.exec(CLEAR_SEARCH_SQL);
    const ticketsDone = walkChunk(
      walk.tickets_upto,
      tickets,
      stmt.nthTicketRidAfter,
      stmt.lastTicketRid,
      (after, through) => {
        stmt.indexTicketText.run(after, through);
        stmt.indexTicketPairs.run(after, through);
      },
      stmt.setSearchTicketsUpto,
    );
    const messagesDone = walkChunk(
      walk.messages_upto,
      tickets * 2,
      stmt.nthMessageRidAfter,
      stmt.lastMessageRid,
      (after, through) => {
        stmt.indexMessages.run(after, through);
      },
      stmt.setSearchMessagesUpto,
    );
    if (!ticketsDone || !messagesDone) return searchIndexProgress();
    stmt.searchIndexed.run();
    return null;
  });

  /**
   * Commits `write` without an fsync of its own (`synchronous = NORMAL` for it alone, then FULL
   * again): for local state whose loss in a power cut costs nothing that matters, such as a read
   * marker (the ticket shows unread again). In WAL mode that commit is appended to the WAL in
   * order and is made durable by the next FULL commit's fsync of the same file (or a
   * checkpoint), so it can never be kept while an earlier durable commit is lost, nor make a
   * later one (a note, a status change, the outbox) less durable: at worst the last
   * unsynced ones go. The pragma cannot change inside a transaction: a write nested in one
   * commits with it. Used for the read marker and the kept customer history (both on the way
   * a ticket opens), the search walk's chunks and the bootstrap pages (both rebuilt or fetched
   * again when lost), never for the outbox or anything the agent wrote.
   */
  function withoutOwnSync<T>(write: () => T): T {
    if (db.inTransaction) return write();
    db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      db.pragma('synchronous = FULL');
    }
  }

  /**
   * Whether a cached ticket's id lies between the page's first and last: false means none of
   * the page's tickets is cached. One range probe for the page; ticket ids are ASCII
   * (`ticketIdSchema`), so JavaScript's string order is the column's BINARY order.
   */
  function pageMayHoldCachedTickets(bundles: readonly TicketBundle[]): boolean {
    if (bundles.length === 0) return false;
    let first = bundles[0]!.ticket.id;
    let last = first;
    for (const { ticket } of bundles) {
      if (ticket.id < first) first = ticket.id;
      if (ticket.id > last) last = ticket.id;
    }
    return stmt.ticketIdBetween.get(first, last) !== undefined;
  }

  /**
   * Runs `store` (inside a page's transaction) without the search triggers when both walk
   * positions are 0, as they are from `beginBootstrap` until the walk's first chunk. Each of
   * those triggers (cache migration 023) is gated on a walk position (`new.rid <= upto`,
   * `upto > 0`), so at 0 none does anything; yet SQLite still enters every trigger's program and
   * runs its WHEN (a read of `sync_state`) for each row: six to eight per ticket, about 0.6 s of
   * CPU per 100,000 tickets (benchmarks.md, "Bootstrap: the search triggers set aside during a
   * page"). They are dropped at the start and created again from the schema's own text before
   * the transaction ends, so no commit ever holds the schema without them (a crash or an error
   * rolls both back). A trigger that mentions a walk position must keep that property: doing
   * nothing while both are 0.
   */
  function withoutWalkGatedTriggers<T>(store: () => T): T {
    const walk = stmt.searchWalk.get()!;
    if (walk.tickets_upto !== 0 || walk.messages_upto !== 0) return store();
    const triggers = stmt.walkGatedTriggers.all();
    for (const { name } of triggers) db.exec(`DROP TRIGGER "${name}"`);
    const result = store();
    for (const { sql } of triggers) db.exec(sql);
    return result;
  }

  const applyBootstrapPageInside = db.transaction((page: BootstrapPage, viewer: User, unreadable: readonly UnreadableChange[] = []) =>
    withoutWalkGatedTriggers(() => storeBootstrapPage(page, viewer, unreadable)),
  );

  function storeBootstrapPage(page: BootstrapPage, viewer: User, unreadable: readonly UnreadableChange[]): string[] {
    const touched = new Set<string>();
    customerArrivals = [];
    recordUnreadable(unreadable);
    // A bootstrap again over a cache that was in sync (a must-refetch) brings what came meanwhile: that is new to the agent.
    const markUnread = stmt.syncState.get()!.last_seq > 0;
    // A page none of whose tickets is cached (every page of a first bootstrap) spares a lookup per ticket.
    const mayBeCached = pageMayHoldCachedTickets(page.bundles);
    for (const bundle of page.bundles) {
      storeBundle(bundle, viewer, markUnread, mayBeCached);
      touched.add(bundle.ticket.id);
    }
    stmt.bootstrapProgress.run(page.next, page.seq);
    if (page.next === null) {
      for (const { id } of stmt.staleTicketIds.all()) {
        // Kept with its draft, as storeTicket keeps one (dropFetched takes it once the draft is gone).
        if (hasDraft(id)) continue;
        deleteTicketEverywhere(id);
        touched.add(id);
      }
      // Search is indexed afterwards, a chunk at a time (`indexSearchChunk`, migration 023), not in this transaction.
      stmt.finishBootstrap.run();
    }
    rebase(touched, viewer);
    return [...touched];
  }

  /**
   * The outbox's row count, kept by the two statements that add and delete its rows: counting
   * the table on every local write (the connection state shows it) cost more the longer an
   * outage queued work. null: count again (at open, and after a rollback of a transaction that
   * may have changed the outbox).
   */
  let outboxRows: number | null = null;

  function outboxCount(): number {
    outboxRows ??= stmt.outboxCount.get()!.n;
    return outboxRows;
  }

  /**
   * The needs-attention count the connection state shows after every local write: a
   * `count(*)` that scans the table (refusals pile up over a long outage) cost each note and
   * status change its own statement. Kept here, and dropped by every statement that adds or
   * dismisses a row; counted again on the next read outside a transaction (one inside may
   * still roll back, and a count taken there would outlive it).
   */
  let attentionRows: number | null = null;

  function attentionCount(): number {
    if (attentionRows !== null) return attentionRows;
    const counted = stmt.attentionCount.get()?.n ?? 0;
    if (!db.inTransaction) attentionRows = counted;
    return counted;
  }

  function insertAttention(...row: Parameters<typeof stmt.insertAttention.run>): void {
    attentionRows = null;
    stmt.insertAttention.run(...row);
  }

  function actionIdInUse(actionId: string): boolean {
    return stmt.actionIdInUse.get({ id: actionId }) === 1;
  }

  function appendOutbox(mutation: Mutation): void {
    stmt.appendOutbox.run(mutation.mutationId, mutation.ticketId, mutation.kind, JSON.stringify(mutation), mutation.createdAt);
    if (outboxRows !== null) outboxRows += 1;
  }

  function deleteOutbox(mutationId: string): void {
    const { changes } = stmt.deleteOutbox.run(mutationId);
    if (outboxRows !== null) outboxRows -= changes;
  }

  /** A writer transaction that may add or delete outbox rows: when it rolls back, the kept count is dropped and counted again. */
  function outboxTransaction<Args extends unknown[], Result>(fn: (...args: Args) => Result): (...args: Args) => Result {
    const inTransaction = db.transaction(fn);
    return (...args) => {
      try {
        return inTransaction(...args);
      } catch (error) {
        outboxRows = null;
        throw error;
      }
    };
  }

  function recordMutationInside(given: Mutation, viewer: User, hints?: MutationHints): RecordOutcome {
    // A pane still showing a ticket's pending number acts on the GD ticket it became.
    const { mutation, followed } =
      given.kind === 'createTicket' ? { mutation: given, followed: undefined } : followingNewest({ ...given, ticketId: currentTicketId(given.ticketId) });
    const reused = reusedMutationId(mutation);
    if (reused) return { ok: false, refusal: reused };
    const stored = stmt.ticket.get(mutation.ticketId);
    if (!stored) return { ok: false, refusal: notCached(mutation.ticketId) };
    const outcome = decideLocally(ticketFromRow(stored), mutation, viewer, hints, followed);
    if (!outcome.ok) return { ok: false, refusal: outcome.refusal };
    // The row as read is what the effect is compared with: only what changes is written.
    writeEffect(outcome, viewer, stored);
    appendOutbox(mutation);
    return { ok: true, effect: outcome };
  }

  /**
   * The mutation naming what the agent saw last on its ticket (the newest cached message or
   * note, theirs still pending included): neither side dates it before that entry, whatever
   * the clocks say (shared/ticketRules.ts `mutationTime`).
   */
  function followingNewest<M extends Exclude<Mutation, CreateTicketMutation>>(mutation: M): { mutation: M; followed?: FollowedEntry } {
    if (mutation.follows !== undefined) return { mutation };
    const newest = stmt.newestEntry.get({ ticketId: mutation.ticketId });
    // Its time goes along: decideLocally would otherwise look the same entry up again.
    return newest ? { mutation: { ...mutation, follows: newest.id }, followed: { id: newest.id, createdAt: newest.created_at } } : { mutation };
  }

  /**
   * A mutation id still queued for another mutation: the server would answer the first one's
   * result for both (or refuse the second), and the outbox keeps one row per id, so the second
   * is refused here, with the same refusal the server gives.
   */
  function reusedMutationId(mutation: Mutation): TicketRefusal | null {
    return stmt.outboxEntry.get(mutation.mutationId) ? { code: 'mutation_id_reused', ticketId: mutation.ticketId, id: mutation.mutationId } : null;
  }

  function currentTicketId(ticketId: string): string {
    return isProvisionalTicketId(ticketId) ? (stmt.renamedTo.get(ticketId)?.ticket_id ?? ticketId) : ticketId;
  }

  /**
   * A ticket made by hand got its GD id (and its customer theirs): every row that names the
   * provisional ids names the real ones from now on, the queued outbox entries included. The
   * server's copy may already be cached (its change can arrive before the ack): then the
   * provisional row goes and the notes join the server's row (same ids). A queued ticket the
   * agent does not hold leaves the cache with nothing pending, like any fetched ticket.
   */
  function renameCreated(from: string, to: string, customerFrom: string | null, customerTo: string, viewer: User, at: number): void {
    if (customerFrom !== null && customerFrom !== customerTo) {
      if (stmt.customer.get(customerTo)) stmt.deleteCustomer.run(customerFrom);
      else stmt.renameCustomerRow.run(customerTo, customerFrom);
      stmt.moveCustomerTickets.run(customerTo, customerFrom);
    }
    stmt.renameMessages.run(to, from);
    stmt.renameNotes.run(to, from);
    stmt.renameDrafts.run(to, from);
    stmt.renameAttention.run(to, from);
    stmt.renameUnread.run(to, from);
    stmt.deleteUnread.run(from);
    if (readTicket(to)) stmt.deleteTicket.run(from);
    else stmt.renameTicketRow.run(to, from);
    for (const entry of stmt.outboxForTicket.all(from)) {
      const mutation = parseOutboxBody(entry.body);
      stmt.rewriteOutbox.run(to, JSON.stringify({ ...mutation, ticketId: to }), entry.seq);
    }
    // Another ticket made offline for the same new customer (ticket.create in index.ts) carries
    // the customer as typed, so it is never sent before this ack (syncClient holds it back):
    // from now on it names the customer the server made.
    // Read as stored, not parsed: a row an earlier version wrote naming the pending id as an
    // existing customer does not parse, and this ack is what makes it readable.
    if (customerFrom !== null) {
      for (const entry of stmt.outboxCreations.all()) {
        const raw = JSON.parse(entry.body) as { customer?: { customerId?: unknown } };
        if (raw.customer?.customerId !== customerFrom) continue;
        stmt.rewriteOutbox.run(entry.ticket_id, JSON.stringify({ ...raw, customer: { kind: 'existing', customerId: customerTo } }), entry.seq);
      }
    }
    stmt.recordRename.run(from, to, at);
    const ticket = readTicket(to);
    if (ticket && !isInSyncScope(viewer, ticket) && (stmt.ticketHasOutbox.get(to)?.n ?? 0) === 0) deleteTicketEverywhere(to);
  }

  /** Lists changes this build could not read, so the agent knows a ticket may be out of date. */
  function recordUnreadable(unreadable: readonly UnreadableChange[]): void {
    for (const item of unreadable) {
      insertAttention(item.ticketId, null, 'change', UNREADABLE_CHANGE_CODE, item.issue.slice(0, 500), null, item.seq, item.at, null);
    }
  }

  /** The SQL pieces of an inbox request: who may see what, the view, each filter, the order; `plan`: how the search joins (see SearchPlan). */
  function inboxQuery(filter: InboxFilter, viewer: InboxViewer | null, plan: SearchPlan) {
    const now = viewer?.now ?? Date.now();
    const view = filter.view ?? 'all';
    const search = searchClause(filter.query, stmt.searchLive.get()!.search_live === 1, plan);
    const scope: Clause | null = viewer?.heldOnly
      ? { sql: "t.assignee_id = ? OR (t.assignee_id IS NULL AND json_extract(t.routing, '$.offer.agentId') = ?)", params: [viewer.userId, viewer.userId] }
      : null;
    const viewCond: Clause | null =
      view === 'mine'
        ? { sql: 't.assignee_id = ?', params: [viewer?.userId ?? null] }
        : view === 'unassigned'
          ? { sql: 't.assignee_id IS NULL', params: [] }
          : null;
    const status = filter.status ?? null;
    const searchCond: Clause | null = search.sql ? { sql: search.sql, params: search.params } : null;
    return {
      scope,
      viewCond,
      channelCond: filter.channel ? { sql: 't.channel = ?', params: [filter.channel] } : null,
      statusCond: status === null ? null : status === 'open' ? { sql: OPEN_STATUS_SQL, params: [] } : { sql: 't.status = ?', params: [status] },
      priorityCond: filter.priority ? { sql: 't.priority = ?', params: [filter.priority] } : null,
      slaCond: filter.sla ? slaClause(filter.sla, now) : null,
      assigneeCond: filter.assigneeId ? { sql: 't.assignee_id = ?', params: [filter.assigneeId] } : null,
      escalatedCond: filter.escalated ? escalatedClause(viewer?.escalationRequests ?? []) : null,
      searchCond,
      hitBound: search.hitBound,
      // The customers table is joined only for a search that scans names with LIKE: everything else reads the `tickets_inbox` index alone (migration 011).
      from: search.readsCustomers ? 'FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id' : 'FROM tickets t',
      order: orderClause(filter.sort ?? 'activity', now),
    } satisfies Record<string, Clause | string | null | SearchClause['hitBound']>;
  }

  const lookupCounts: Record<IndexLookup['index'], Database.Statement> = {
    ticket_fts: db.prepare('SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH ?').pluck(),
    message_fts: db.prepare('SELECT count(*) FROM message_fts WHERE message_fts MATCH ?').pluck(),
    ticket_bigrams: db.prepare('SELECT count(*) FROM ticket_bigrams WHERE ticket_bigrams MATCH ?').pluck(),
  };
  // Nearly the number of tickets (rids are never reused while rows are added): what the walk may read, at no cost.
  const largestTicketRid = db.prepare('SELECT coalesce(max(rid), 0) FROM tickets').pluck();

  /**
   * Which plan finds a window of a search sooner. Walking the list's order tests about
   * (offset + limit) × tickets / hits tickets before the window is full; starting from the
   * hits reads each hit's rows (several times a walked ticket's cost) and sorts them. The
   * indexes' counts are a bound (a message hit is at most one ticket), read in well under a
   * millisecond; the walk wins unless the hits are few.
   */
  function windowPlan(filter: InboxFilter, viewer: InboxViewer | null, offset: number, limit: number): SearchPlan {
    if (filter.query.trim() === '') return 'walk';
    const bound = inboxQuery(filter, viewer, 'walk').hitBound((lookup) => lookupCounts[lookup.index].get(lookup.phrase) as number);
    if (!Number.isFinite(bound)) return 'walk';
    const tickets = largestTicketRid.get() as number;
    return bound * bound * HIT_ROW_COST < (offset + limit) * tickets ? 'hits' : 'walk';
  }

  /** The rids of a window of the inbox in its order: the first `limit` after `offset`. */
  function windowRids(filter: InboxFilter, viewer: InboxViewer | null, offset: number, limit: number): number[] {
    const q = inboxQuery(filter, viewer, windowPlan(filter, viewer, offset, limit));
    const matching = whereOf([q.scope, q.viewCond, q.channelCond, q.statusCond, q.priorityCond, q.slaCond, q.assigneeCond, q.escalatedCond, q.searchCond]);
    return inboxStatement(`SELECT t.rid ${q.from} ${matching.sql} ORDER BY ${q.order.sql} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...matching.params, ...q.order.params, limit, offset) as number[];
  }

  /** The rows of these tickets in this order, with what the list marks on each: one statement for the whole window. */
  function inboxRowsOf(rids: readonly number[]): InboxRow[] {
    if (rids.length === 0) return [];
    const position = new Map(rids.map((rid, index) => [rid, index]));
    const rows = inboxStatement(`SELECT t.rid, ${TICKET_COLUMNS}, c.name AS customer_name,
        EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id) AS pending,
        EXISTS (SELECT 1 FROM drafts d WHERE d.ticket_id = t.id) AS has_draft,
        EXISTS (SELECT 1 FROM ticket_unread u WHERE u.ticket_id = t.id) AS unread
      FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.rid IN (SELECT value FROM json_each(?))`).all(JSON.stringify(rids)) as Array<
      TicketRow & { rid: number; customer_name: string | null; pending: number; has_draft: number; unread: number }
    >;
    rows.sort((a, b) => position.get(a.rid)! - position.get(b.rid)!);
    return rows.map((row): InboxRow => ({
      ...ticketFromRow(row),
      customerName: row.customer_name ?? '',
      pending: row.pending === 1,
      hasDraft: row.has_draft === 1,
      unread: row.unread === 1,
    }));
  }

  /** One window of the inbox in its order, and how many tickets match (counted over every hit). */
  function inboxWindow(filter: InboxFilter, viewer: InboxViewer | null = null): InboxWindow {
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? INBOX_WINDOW_MAX;
    const rids = windowRids(filter, viewer, offset, limit);
    const q = inboxQuery(filter, viewer, 'scan');
    const matching = whereOf([q.scope, q.viewCond, q.channelCond, q.statusCond, q.priorityCond, q.slaCond, q.assigneeCond, q.escalatedCond, q.searchCond]);
    const total = inboxStatement(`SELECT count(*) ${q.from} ${matching.sql}`)
      .pluck()
      .get(...matching.params) as number;
    return { rows: inboxRowsOf(rids), offset, total };
  }

  /** One window without any count: one row more is read to tell whether the list goes on. */
  function inboxRows(filter: InboxFilter, viewer: InboxViewer | null = null): InboxRows {
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? INBOX_WINDOW_MAX;
    const rids = windowRids(filter, viewer, offset, limit + 1);
    return { rows: inboxRowsOf(rids.slice(0, limit)), offset, more: rids.length > limit };
  }

  /** Every count of the inbox for a filter (the window and its order ignored). */
  function inboxCounts(filter: InboxFilter, viewer: InboxViewer | null = null): InboxCounts {
    const { scope, viewCond, statusCond, priorityCond, slaCond, assigneeCond, escalatedCond, searchCond, from } = inboxQuery(filter, viewer, 'scan');
    // One pass for the per-channel and per-status counts (each ignores its own filter) and the total.
    const common = whereOf([scope, viewCond, priorityCond, slaCond, assigneeCond, escalatedCond, searchCond]);
    const groups = inboxStatement(`SELECT t.channel AS channel, t.status AS status, count(*) AS n ${from} ${common.sql} GROUP BY t.channel, t.status`).all(
      ...common.params,
    ) as Array<{ channel: Channel; status: TicketStatus; n: number }>;
    const status = filter.status ?? null;
    const statusSelected = (s: TicketStatus) => status === null || (status === 'open' ? isOpenStatus(s) : s === status);
    const channelSelected = (c: Channel) => filter.channel === null || filter.channel === c;
    const channelCounts = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as InboxCounts['channelCounts'];
    const statusCounts = Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as InboxCounts['statusCounts'];
    let total = 0;
    for (const group of groups) {
      if (statusSelected(group.status) && group.channel in channelCounts) channelCounts[group.channel] += group.n;
      if (channelSelected(group.channel) && group.status in statusCounts) statusCounts[group.status] += group.n;
      if (statusSelected(group.status) && channelSelected(group.channel)) total += group.n;
    }
    const { views, unreadCount, assignees } = queryFreeCounts(scope, viewCond, statusCond, viewer);
    return {
      total,
      exists: views.exists_,
      channelCounts,
      statusCounts,
      viewCounts: { mine: views.mine, unassigned: views.unassigned, all: views.all_ },
      assignees: assignees.map((row): InboxAssignee => ({ id: row.id, name: row.name ?? row.id, count: row.n })),
      unreadCount,
    };
  }

  /**
   * What `inbox` counts whatever the query and the other filters say (the views, the unread
   * count, who holds the view's tickets): the same for every keystroke in the search box, and
   * at 100,000 tickets several scans of the inbox index, so it is read again only after a write.
   * `total_changes()` counts every row this connection (the cache's only writer) has inserted,
   * updated or deleted, triggers included; a rolled-back write only costs a fresh read.
   */
  let lastQueryFreeCounts: { key: string; value: ReturnType<typeof readQueryFreeCounts> } | null = null;
  const totalChanges = db.prepare('SELECT total_changes()').pluck();

  function queryFreeCounts(scope: Clause | null, viewCond: Clause | null, statusCond: Clause | null, viewer: InboxViewer | null) {
    const key = JSON.stringify([totalChanges.get(), scope, viewCond, statusCond, viewer?.userId ?? null]);
    if (lastQueryFreeCounts?.key !== key) lastQueryFreeCounts = { key, value: readQueryFreeCounts(scope, viewCond, statusCond, viewer) };
    return lastQueryFreeCounts.value;
  }

  function readQueryFreeCounts(scope: Clause | null, viewCond: Clause | null, statusCond: Clause | null, viewer: InboxViewer | null) {
    const inScope = whereOf([scope]);
    const views = inboxStatement(
      `SELECT coalesce(sum(${OPEN_STATUS_SQL}), 0) AS all_, coalesce(sum(${OPEN_STATUS_SQL} AND t.assignee_id = ?), 0) AS mine,
        coalesce(sum(${OPEN_STATUS_SQL} AND t.assignee_id IS NULL), 0) AS unassigned, count(*) AS exists_ FROM tickets t ${inScope.sql}`,
    ).get(viewer?.userId ?? null, ...inScope.params) as { all_: number; mine: number; unassigned: number; exists_: number };
    const unreadCount = inboxStatement(`SELECT count(*) FROM ticket_unread u JOIN tickets t ON t.id = u.ticket_id ${inScope.sql}`)
      .pluck()
      .get(...inScope.params) as number;
    const byAssignee = whereOf([scope, viewCond, statusCond, { sql: 't.assignee_id IS NOT NULL', params: [] }]);
    const assignees = inboxStatement(
      `SELECT g.id, (SELECT n.assignee_name FROM tickets n WHERE n.assignee_id = g.id LIMIT 1) AS name, g.n
        FROM (SELECT t.assignee_id AS id, count(*) AS n FROM tickets t ${byAssignee.sql} GROUP BY t.assignee_id) g
        ORDER BY g.n DESC, g.id LIMIT 200`,
    ).all(...byAssignee.params) as Array<{ id: string; name: string | null; n: number }>;
    return { views, unreadCount, assignees };
  }

  // The scripts libraries live in their own module (scriptCache.ts); the cache hands them out with the rest.
  const scriptCache = createScriptCache(db);
  // So does the customer history kept for offline reading (historyCache.ts).
  const historyCache = createHistoryCache(db);
  // And the knowledge base with its search (knowledgeCache.ts).
  const knowledgeCache = createKnowledgeCache(db);
  // And the attachment bytes kept for the tickets the user holds (attachmentCache.ts).
  const attachmentCache = createAttachmentCache(db);
  const reader: CacheReader = {
    ...scriptCache.reader,
    ...historyCache.reader,
    ...attachmentCache.reader,
    ...knowledgeCache.reader,
    serverClockOffset: () => stmt.clockOffset.get()?.clock_offset_ms ?? null,
    syncState() {
      const row = stmt.syncState.get();
      if (!row) throw new Error('The cache has no sync_state row.');
      return {
        lastSeq: row.last_seq,
        bootstrapped: row.bootstrapped === 1,
        bootstrapAfter: row.bootstrap_after,
        bootstrapSeq: row.bootstrap_seq,
        generation: row.generation,
      };
    },
    searchIndexProgress,
    ticket: readTicket,
    ticketDeparture: (ticketId) => (readTicket(ticketId) ? null : (departures.get(ticketId) ?? null)),
    ticketDetail(requested) {
      const ticketId = currentTicketId(requested);
      const ticket = readTicket(ticketId);
      if (!ticket) return null;
      const customerRow = stmt.customer.get(ticket.customerId);
      const customer: Customer = customerRow
        ? customerFromRow(customerRow)
        : { id: ticket.customerId, name: '', phone: null, email: null, socialId: null, vipTier: 0, createdAt: ticket.createdAt, identities: [] };
      const messages = stmt.messages.all(ticketId).map(messageFromRow);
      // Reading this ticket's messages a second time for the reach was as long as reading them the first time.
      const inbound = [
        ...messages.filter((m) => m.direction === 'inbound' && m.source !== null),
        ...stmt.customerInboundElsewhere.all(ticket.customerId, ticketId),
      ];
      return {
        ticket,
        customer,
        messages,
        notes: stmt.notes.all(ticketId).map(noteFromRow),
        customerTickets: stmt.customerTickets.all(ticket.customerId, ticketId).map(ticketFromRow),
        pending: (stmt.ticketHasOutbox.get(ticketId)?.n ?? 0) > 0,
        drafts: stmt.draftsForTicket.all(ticketId).map(draftFromRow),
        reach: customerReach(ticketId, inbound, customerRow ? customer : null),
        unread: stmt.isUnread.get(ticketId) !== undefined,
        keptAttachmentIds: messages.some((m) => m.attachments.length > 0) ? attachmentCache.reader.keptAttachmentIds(ticketId) : [],
        leftOutOfDownload: stmt.isLeftOutOfBootstrap.get(ticketId) !== undefined,
      };
    },
    inboxWindow: (filter, viewer = null) => inboxWindow(filter, viewer),
    inboxRows: (filter, viewer = null) => inboxRows(filter, viewer),
    inboxCounts: (filter, viewer = null) => inboxCounts(filter, viewer),
    inboxIds(filter, viewer, limit) {
      const { rows, total } = inboxWindow({ ...filter, offset: 0, limit }, viewer);
      return { ids: rows.map((row) => row.id), total };
    },
    inbox(filter, viewer = null) {
      const offset = filter.offset ?? 0;
      const rows = inboxRowsOf(windowRids(filter, viewer, offset, filter.limit ?? INBOX_WINDOW_MAX));
      return { rows, offset, ...inboxCounts(filter, viewer) };
    },
    outbox(limit) {
      return stmt.outbox.all(limit).map((row) => ({ seq: row.seq, mutation: parseOutboxBody(row.body) }));
    },
    queuedNewCustomer: queuedNewCustomerOf,
    outboxCount,
    attention(page = {}) {
      return stmt.attention.all(page.before ?? Number.MAX_SAFE_INTEGER, page.limit ?? -1).map(attentionFromRow);
    },
    attentionItem(id) {
      const row = stmt.attentionItem.get(id);
      return row ? attentionFromRow(row) : null;
    },
    attentionCount,
    draft(draftId) {
      const row = stmt.draft.get(draftId);
      return row ? draftFromRow(row) : null;
    },
    message(messageId) {
      const row = stmt.message.get(messageId);
      return row ? messageFromRow(row) : null;
    },
    note(noteId) {
      const row = stmt.note.get(noteId);
      return row ? noteFromRow(row) : null;
    },
    actionIdInUse,
    refusal(mutationId) {
      const row = stmt.refusal.get(mutationId);
      return row ? attentionFromRow(row) : null;
    },
    attachment(attachmentId) {
      const row = stmt.attachment.get(attachmentId);
      // Stored by messageParams from a validated message.
      return row ? (JSON.parse(row.attachment) as Message['attachments'][number]) : null;
    },
    currentTicketId,
    searchCustomers(query, excludeId, limit) {
      const trimmed = query.trim();
      if (trimmed.length === 0) return [];
      // "138 0013 8000" and "+86 138-0013-8000" find the stored +8613800138000 too.
      const digits = /^[+\d\s()-]+$/.test(trimmed) ? trimmed.replace(/[^\d]/g, '').replace(/^(?:0086|86)(?=1\d{10}$)/, '') : '';
      // An agent's cache holds contact details masked: a full number or address is looked up in its masked form too.
      const forms = new Set([trimmed, maskPiiInText(trimmed), ...(digits.length >= 3 ? [digits, maskPiiInText(digits)] : [])]);
      const patterns = [...forms].map(likePattern);
      const matchOne = `(c.id LIKE ? ESCAPE '\\' OR c.name LIKE ? ESCAPE '\\' OR c.phone LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\'
        OR c.social_id LIKE ? ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM json_each(c.identities_json) j WHERE json_extract(j.value, '$.value') LIKE ? ESCAPE '\\'))`;
      const sql = `SELECT c.id, c.name, c.phone, c.email, c.social_id, c.vip_tier, c.created_at, c.identities_json,
          count(t.id) AS ticket_count, group_concat(DISTINCT t.channel) AS channels, max(t.last_message_at) AS last_contact_at
        FROM customers c JOIN tickets t ON t.customer_id = c.id
        WHERE c.id <> ? AND (${patterns.map(() => matchOne).join(' OR ')})
        GROUP BY c.id ORDER BY last_contact_at DESC, c.id LIMIT ?`;
      const rows = inboxStatement(sql).all(excludeId ?? '', ...patterns.flatMap((pattern) => Array<string>(6).fill(pattern)), limit) as Array<
        CustomerRow & { ticket_count: number; channels: string; last_contact_at: number }
      >;
      return rows.map((row) => ({
        customer: customerFromRow(row),
        ticketCount: row.ticket_count,
        channels: CHANNELS.filter((channel) => row.channels.split(',').includes(channel)),
        lastContactAt: row.last_contact_at,
      }));
    },
  };

  const purgeContent = db.transaction((view: PiiView) => {
    db.exec(PURGE_CONTENT_SQL);
    db.prepare('UPDATE sync_state SET pii_view = ? WHERE id = 1').run(view);
  });

  const writer: CacheWriter = {
    ...scriptCache.writer,
    ...knowledgeCache.writer,
    // A copy of what the server answered, kept for reading offline, fetched as a ticket opens:
    // a power cut may lose the newest page (the server has it), so the open does not wait for an fsync.
    keepCustomerHistory: (customerId, request, page, fetchedAt) =>
      withoutOwnSync(() => historyCache.writer.keepCustomerHistory(customerId, request, page, fetchedAt)),
    // Kept attachment bytes are copies of what the server has: like the history, a power cut may lose the newest (it is fetched again).
    keepAttachmentBytes: (userId, attachment, options) => withoutOwnSync(() => attachmentCache.writer.keepAttachmentBytes(userId, attachment, options)),
    touchKeptAttachment: (attachmentId, now) => withoutOwnSync(() => attachmentCache.writer.touchKeptAttachment(attachmentId, now)),
    pruneKeptAttachments: (userId, budgetBytes) => withoutOwnSync(() => attachmentCache.writer.pruneKeptAttachments(userId, budgetBytes)),
    adoptPiiView(view) {
      const before = stmt.piiView.get()?.pii_view ?? null;
      if (before === view) return false;
      purgeContent(view);
      // The WAL still holds the dropped pages; truncating it leaves them nowhere in the files.
      if (before !== null) db.pragma('wal_checkpoint(TRUNCATE)');
      return true;
    },
    // Measured again at every connect: a power cut may lose the newest value, the one before stays.
    setServerClockOffset: (offsetMs) => withoutOwnSync(() => stmt.setClockOffset.run(offsetMs)),
    beginBootstrap: db.transaction(() => {
      stmt.beginBootstrap.run();
    }),
    // The indexes can be rebuilt from the rows: a power cut may lose the newest chunk, never tear it from its position.
    indexSearchChunk: (tickets) => withoutOwnSync(() => indexSearchChunkInside(tickets)),
    // A page lost in a power cut is fetched again: its rows and the resume point (`bootstrapProgress`) commit together.
    applyBootstrapPage: (page, viewer, unreadable) => withoutOwnSync(() => applyBootstrapPageInside(page, viewer, unreadable)),
    applyChanges: db.transaction((changes: readonly Change[], upTo: number, viewer: User, unreadable: readonly UnreadableChange[] = []) => {
      const touched = new Set<string>();
      customerArrivals = [];
      recordUnreadable(unreadable);
      for (const change of changes) {
        for (const ticketId of storeChange(change, viewer)) touched.add(ticketId);
      }
      stmt.setLastSeq.run(upTo);
      rebase(touched, viewer);
      return [...touched];
    }),
    takeCustomerArrivals() {
      const taken = customerArrivals;
      customerArrivals = [];
      return taken;
    },
    requireRefetch: db.transaction(() => {
      stmt.requireRefetch.run();
    }),
    storeFetchedBundle: db.transaction((bundle: TicketBundle, viewer: User) => {
      if (!canUserSeeTicket(viewer, bundle.ticket)) return false;
      // The customer as the server has it now (a merge changes them without touching this ticket).
      stmt.upsertCustomer.run(customerValues(bundle.customer));
      const cached = readTicket(bundle.ticket.id);
      // Only a ticket sync keeps current can hold a newer server copy than this answer. A fetched
      // queued ticket gets no changes: its `updatedAt` is the server's from the last fetch, or the
      // workstation's own clock after a local write (classifying it does not take it), which may
      // run ahead of the server's, so comparing would keep a stale copy (review-7, clock skew).
      if (cached && isInSyncScope(viewer, cached) && cached.updatedAt >= bundle.ticket.updatedAt) return true;
      upsertTicketOf(bundle.ticket);
      for (const message of bundle.messages) stmt.upsertMessage.run(messageValues(message));
      for (const note of bundle.notes) stmt.upsertNote.run(note);
      rebase([bundle.ticket.id], viewer);
      return true;
    }),
    dropFetched: db.transaction((viewer: User, keep: readonly string[] = []) => {
      const kept = new Set(keep);
      // A reply drafted offline is unsent work like an outbox row: its ticket stays, so the pane still shows it for the agent to confirm.
      const holdsUnsentWork = (ticketId: string) => (stmt.ticketHasOutbox.get(ticketId)?.n ?? 0) > 0 || hasDraft(ticketId);
      // A ticket the last bootstrap left out but kept for its draft is no longer this user's, though
      // its row still says so (no change about it comes any more): judged by the row, an agent's
      // stayed for good once its draft was discarded, shown in the inbox as still theirs.
      const dropped = stmt.ticketsLeftOutOfBootstrap
        .all()
        .map(({ id }) => id)
        .filter((id) => !kept.has(id) && !holdsUnsentWork(id));
      for (const id of dropped) deleteTicketEverywhere(id);
      if (viewer.role !== 'agent') return dropped;
      for (const row of stmt.notHeldTickets.all(viewer.id)) {
        const ticket = ticketFromRow(row);
        if (kept.has(ticket.id) || isInSyncScope(viewer, ticket) || holdsUnsentWork(ticket.id)) continue;
        deleteTicketEverywhere(ticket.id);
        dropped.push(ticket.id);
      }
      return dropped;
    }),
    storeOfferedBundle: db.transaction((bundle: TicketBundle, viewer: User) => {
      const cached = readTicket(bundle.ticket.id);
      if (cached && cached.updatedAt >= bundle.ticket.updatedAt) return false;
      storeBundle(bundle, viewer, true);
      rebase([bundle.ticket.id], viewer);
      return true;
    }),
    recordMutation: outboxTransaction(recordMutationInside),
    recordNewAction: outboxTransaction((mutation: Mutation, viewer: User): RecordOutcome | null =>
      actionIdInUse(mutation.mutationId) ? null : recordMutationInside(mutation, viewer),
    ),
    saveDraft: db.transaction((given: Draft, viewer: User): { ok: true; draft: Draft } | { ok: false; refusal: TicketRefusal } => {
      // A pane still showing a ticket's pending number keeps the draft for the GD ticket it became.
      const draft = { ...given, ticketId: currentTicketId(given.ticketId) };
      const ticket = readTicket(draft.ticketId);
      if (!ticket) return { ok: false, refusal: notCached(draft.ticketId) };
      // A draft is a reply waiting to be confirmed: one that could never reach the customer is refused now, not when sent.
      const asReply = decideLocally(
        ticket,
        {
          mutationId: draft.id,
          kind: 'reply',
          ticketId: draft.ticketId,
          messageId: draft.id,
          text: draft.text,
          createdAt: draft.createdAt,
          ...(draft.subject !== undefined ? { subject: draft.subject } : {}),
        },
        viewer,
      );
      if (!asReply.ok && asReply.refusal.code === 'no_reply_route') return { ok: false, refusal: asReply.refusal };
      stmt.insertDraft.run(draft.id, draft.ticketId, draft.text, draft.createdAt, draft.subject ?? null);
      return { ok: true as const, draft };
    }),
    sendDraft: outboxTransaction((draftId: string, toMutation: (draft: Draft) => Mutation, viewer: User): RecordOutcome | null => {
      const row = stmt.draft.get(draftId);
      if (!row) return null;
      const outcome = recordMutationInside(toMutation(draftFromRow(row)), viewer);
      // The draft goes only together with its outbox row: never both, never neither.
      if (outcome.ok) stmt.deleteDraft.run(draftId);
      return outcome;
    }),
    discardDraft: db.transaction((draftId: string) => stmt.deleteDraft.run(draftId).changes > 0),
    dismissAttention: db.transaction((id: number) => {
      attentionRows = null;
      return stmt.dismissAttention.run(id).changes > 0;
    }),
    pruneBookkeeping: db.transaction((now: number) => {
      // Only dismissed rows go, which the count leaves out; dropped all the same, so no statement on this table can leave it stale.
      attentionRows = null;
      const attention =
        stmt.pruneDismissedBefore.run(now - DISMISSED_ATTENTION_KEPT_MS).changes + stmt.pruneDismissedBeyond.run(DISMISSED_ATTENTION_KEPT_MAX).changes;
      // After the attention rows: one that went may have been the last to name a provisional id.
      const renames = stmt.pruneRenamesBefore.run(now - TICKET_RENAMES_KEPT_MS).changes;
      return { attention, renames };
    }),
    markRead: (ticketId: string) => withoutOwnSync(() => markReadTransaction(ticketId)),
    createTicket: outboxTransaction((mutation: CreateTicketMutation, viewer: User): { ok: true; ticket: Ticket } | { ok: false; refusal: TicketRefusal } => {
      const reused = reusedMutationId(mutation);
      if (reused) return { ok: false, refusal: reused };
      const existing = mutation.customer.kind === 'existing' ? readCustomer(mutation.customer.customerId) : null;
      const customerId = mutation.customer.customerId;
      const decision = decideCreateTicket(mutation, { ticketId: mutation.ticketId, customerId }, viewer, mutation.createdAt, {
        customerVisible: mutation.customer.kind === 'new' || existing !== null,
      });
      if (!decision.ok) return decision;
      const masked = piiViewOf(viewer.role) === 'masked';
      if (mutation.customer.kind === 'new') {
        const typed = mutation.customer;
        const customer: Customer = {
          id: typed.customerId,
          name: typed.name.trim(),
          phone: typed.phone?.trim() ?? null,
          email: typed.email?.trim() ?? null,
          socialId: null,
          vipTier: 0,
          createdAt: decision.ticket.createdAt,
          identities: [],
        };
        // An agent's cache holds contact details masked, even those they typed (as the server will send them back).
        stmt.upsertCustomer.run(customerValues(masked ? maskCustomer(customer) : customer));
      }
      stmt.upsertTicket.run(ticketValues(masked ? maskTicket(decision.ticket) : decision.ticket));
      stmt.insertPendingNote.run(masked ? { ...decision.note, text: maskPiiInText(decision.note.text) } : decision.note);
      appendOutbox(mutation);
      return { ok: true as const, ticket: decision.ticket };
    }),
    dropUnreadableOutbox: outboxTransaction((viewer: User, at: number): PushOutcome => {
      const touched = new Set<string>();
      const attention: PushOutcome['attention'] = [];
      for (const row of stmt.outboxRows.all()) {
        let issue: string;
        try {
          parseOutboxBody(row.body);
          continue;
        } catch (error) {
          issue = error instanceof Error ? error.message : String(error);
        }
        let raw: Record<string, unknown> | null = null;
        try {
          raw = JSON.parse(row.body) as Record<string, unknown> | null;
        } catch {
          raw = null;
        }
        deleteOutbox(row.mutation_id);
        if (typeof raw?.noteId === 'string') stmt.deletePendingNote.run(raw.noteId);
        if (typeof raw?.messageId === 'string') stmt.deletePendingMessage.run(raw.messageId);
        // A ticket made by hand that can never be sent goes, as when the server refuses it.
        if (row.kind === 'createTicket') deleteTicketEverywhere(row.ticket_id);
        else touched.add(row.ticket_id);
        const reason = `This change could not be sent: this version cannot read it (${issue.slice(0, 300)})`;
        const content = salvagedContent(row.kind, raw);
        insertAttention(
          row.ticket_id,
          row.mutation_id,
          row.kind,
          UNSENDABLE_CHANGE_CODE,
          reason,
          null,
          null,
          at,
          content === null ? null : JSON.stringify(content),
        );
        attention.push({ ticketId: row.ticket_id, reason, refusal: null });
      }
      rebase(touched, viewer);
      return { ticketIds: [...touched], attention, renamed: [] };
    }),
    applyPushResults: outboxTransaction((results: readonly MutationResult[], viewer: User, at: number): PushOutcome => {
      const touched = new Set<string>();
      const attention: PushOutcome['attention'] = [];
      const renamed: PushOutcome['renamed'] = [];
      for (const result of results) {
        const entry = stmt.outboxEntry.get(result.mutationId);
        if (!entry) continue;
        const mutation = parseOutboxBody(entry.body);
        deleteOutbox(mutation.mutationId);
        touched.add(mutation.ticketId);
        if (result.ok) {
          if (mutation.kind === 'reply') stmt.confirmMessage.run(mutation.messageId);
          if (mutation.kind === 'note') stmt.confirmNote.run(mutation.noteId);
          if (mutation.kind === 'createTicket' && result.created) {
            stmt.confirmNote.run(mutation.noteId);
            const customerFrom = mutation.customer.kind === 'new' ? mutation.customer.customerId : null;
            renameCreated(mutation.ticketId, result.created.ticketId, customerFrom, result.created.customerId, viewer, at);
            renamed.push({ from: mutation.ticketId, to: result.created.ticketId });
            touched.delete(mutation.ticketId);
            touched.add(result.created.ticketId);
          }
          continue;
        }
        if (mutation.kind === 'reply') stmt.deletePendingMessage.run(mutation.messageId);
        if (mutation.kind === 'note') stmt.deletePendingNote.run(mutation.noteId);
        if (mutation.kind === 'createTicket') {
          // Never created: the provisional ticket and a customer made with it go; the refusal says why.
          stmt.deletePendingNote.run(mutation.noteId);
          deleteTicketEverywhere(mutation.ticketId);
          if (mutation.customer.kind === 'new' && stmt.customerInUse.get(mutation.customer.customerId) === undefined) {
            stmt.deleteCustomer.run(mutation.customer.customerId);
          }
        } else if (result.ticket) storeTicket(result.ticket, viewer);
        else deleteTicketEverywhere(mutation.ticketId);
        const refusal = result.refusal ?? null;
        const content = attentionContentOf(mutation);
        insertAttention(
          mutation.ticketId,
          mutation.mutationId,
          mutation.kind,
          result.code,
          result.reason,
          refusal === null ? null : JSON.stringify(refusal),
          null,
          at,
          content === null ? null : JSON.stringify(content),
        );
        attention.push({ ticketId: mutation.ticketId, reason: result.reason, refusal });
      }
      rebase(touched, viewer);
      return { ticketIds: [...touched, ...renamed.map((rename) => rename.from)], attention, renamed };
    }),
  };

  // The wal-index header (sqlite's wal.c): mxFrame at byte 16 of the first copy of WalIndexHdr,
  // nBackfill at byte 96 (WalCkptInfo), in the machine's byte order.
  const shmHeader = Buffer.alloc(100);
  const readShmWord = endianness() === 'LE' ? (at: number) => shmHeader.readUInt32LE(at) : (at: number) => shmHeader.readUInt32BE(at);
  let shmFd: number | null = null;

  return {
    file,
    reader,
    writer,
    walFramesUncopied() {
      if (!db.open) return 0;
      try {
        shmFd ??= openSync(`${file}-shm`, 'r');
        if (readSync(shmFd, shmHeader, 0, shmHeader.length, 0) < shmHeader.length) return 0;
        return Math.max(0, readShmWord(16) - readShmWord(96));
      } catch {
        return 0;
      }
    },
    checkpoint() {
      db.pragma('wal_checkpoint(PASSIVE)');
    },
    close() {
      if (shmFd !== null) closeSync(shmFd);
      shmFd = null;
      if (db.open) db.close();
    },
  };
}
