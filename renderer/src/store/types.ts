/**
 * The shape of the one renderer store: each slice's state and named actions. Components
 * read state through selectors and change it only by calling these actions.
 */
import type { Channel, Priority, TicketStatus, User } from '../../../shared/domain.js';
import type { ChannelCounts } from '../../../shared/httpApi.js';
import type {
  AttentionContent,
  AttentionItem,
  CacheReset,
  ConnectionState,
  CoreProcessState,
  InboxAssignee,
  InboxRow,
  InboxSlaFilter,
  InboxSort,
  InboxStatusFilter,
  InboxView,
  RpcErrorShape,
  TicketDetail,
} from '../../../shared/rpc.js';
import type { Language } from '../i18n.js';
import type { CallSlice } from './callSlice.js';
import type { ChatSlice } from './chatSlice.js';
import type { CollisionSlice } from './collisionSlice.js';
import type { AttachmentSlice } from './attachmentSlice.js';
import type { CustomerSlice } from './customerSlice.js';
import type { FieldsSlice } from './fieldsSlice.js';
import type { ManualSlice } from './manualSlice.js';
import type { PiiSlice } from './piiSlice.js';
import type { QueueSlice } from './queueSlice.js';
import type { ReportSlice } from './reportSlice.js';
import type { AdminSlice } from './adminSlice.js';
import type { BoardSlice } from './boardSlice.js';
import type { ScriptSlice } from './scriptSlice.js';
import type { KnowledgeSlice } from './knowledgeSlice.js';
import type { AlarmSlice } from './alarmSlice.js';
import type { StatusAfterReply } from './ticketPredictions.js';
import type { NotificationSlice } from './notificationSlice.js';
import type { RoutingSlice } from './routingSlice.js';

/** A failed call as the UI shows it. */
export type UiError = RpcErrorShape;

/** Who is signed in, and the sign-in form's progress. */
export interface SessionSlice {
  user: User | null;
  /** False until the core has told us whether a session already exists. */
  sessionChecked: boolean;
  signingIn: boolean;
  signInError: UiError | null;
  /** The last sign-in had to set the local cache aside (the password changed on the server); shown until dismissed. */
  cacheReset: CacheReset | null;
  /** The organisation's time zone (IANA) every date and time is shown in (i18n.ts formatters; the core's session and `organisation` event). */
  orgTimeZone: string;
  applyOrgTimeZone: (timeZone: string) => void;
  loadSession: () => Promise<void>;
  signIn: (username: string, password: string) => Promise<boolean>;
  signOut: () => Promise<void>;
  dismissCacheReset: () => void;
}

/**
 * Browser mode's link to the workstation: `missing_key` when the page was opened without
 * the launch link's key, `refused` when the workstation did not accept it (it restarted
 * with a new key). Electron is always `ok`.
 */
export type HostLink = 'ok' | 'missing_key' | 'refused' | 'seats_full';

/** The core's link to the server, as pushed by the `connection` event, and the page's link to the core. */
export interface ConnectionSlice {
  connection: ConnectionState;
  /** Desktop app: the core's process stopped unexpectedly and is restarting, or failed for good; null while it runs. */
  coreProcess: CoreProcessState | null;
  hostLink: HostLink;
  /** A "retry now" is on its way to the core. */
  retryingConnection: boolean;
  /**
   * The server's time now, as the core knows it (`connection.serverClockOffsetMs`): what the
   * rules and countdowns compare the server's times (due, expiry, wrap-up) with.
   */
  serverNow: () => number;
  applyConnection: (connection: ConnectionState) => void;
  applyCoreProcess: (state: CoreProcessState) => void;
  setHostLink: (hostLink: HostLink) => void;
  /**
   * Asks the core to reach the server now instead of at the end of its backoff (the agent
   * pressed "retry now", the window got focus back, or the network returned). True when
   * the core started an attempt; does nothing while online or signed out.
   */
  retryConnection: () => Promise<boolean>;
}

export interface InboxFilters {
  /** Mine / unassigned (that I could take) / all I may see. */
  view: InboxView;
  channel: Channel | null;
  /** null: every status; `open` (the default): completed and closed left out. */
  status: InboxStatusFilter | null;
  priority: Priority | null;
  sla: InboxSlaFilter | null;
  /** Leads: only the tickets one agent holds. */
  assigneeId: string | null;
  /** Only escalated tickets (to tier 2, or a request waiting for a lead). */
  escalated: boolean;
  sort: InboxSort;
  query: string;
}

/** The one inbox across channels: filters, the window of rows they select, the counts, and the keyboard selection. */
export interface InboxSlice {
  filters: InboxFilters;
  /** The loaded window of the list; the row at index i of the whole list is `rows[i - rowsOffset]`. */
  rows: InboxRow[];
  rowsOffset: number;
  /** Tickets matching the view and filters: the list's length. */
  total: number;
  /** More tickets match than `total` says yet: the first screen of a new search is shown, its counts are on their way. */
  totalPending: boolean;
  /** Tickets the user may see in the cache, whatever the view and filters. */
  exists: number;
  /** Tickets with a customer message the agent has not opened (shown in the window title). */
  unreadCount: number;
  channelCounts: ChannelCounts;
  statusCounts: Record<TicketStatus, number>;
  viewCounts: Record<InboxView, number>;
  assignees: InboxAssignee[];
  /** Index into the whole list of the keyboard selection; -1 when there are no rows. */
  selectedIndex: number;
  inboxLoaded: boolean;
  inboxError: UiError | null;
  /** Loads the shown window again, with the counts. */
  loadInbox: () => Promise<void>;
  /** A ticket the inbox opened by itself is gone (ticketSlice): lists again and opens the top ticket, never `gone` again. */
  openTopTicket: (gone: string) => Promise<void>;
  /** The list shows rows `start` to `end` (exclusive): loads the window around them when it does not hold them. */
  showRange: (start: number, end: number) => void;
  setInboxView: (view: InboxView) => void;
  setChannelFilter: (channel: Channel | null) => void;
  setStatusFilter: (status: InboxStatusFilter | null) => void;
  setPriorityFilter: (priority: Priority | null) => void;
  setSlaFilter: (sla: InboxSlaFilter | null) => void;
  setAssigneeFilter: (assigneeId: string | null) => void;
  setEscalatedFilter: (escalated: boolean) => void;
  setSort: (sort: InboxSort) => void;
  setQuery: (query: string) => void;
  moveSelection: (delta: number) => void;
  selectIndex: (index: number) => void;
  /** Opens the ticket under the keyboard selection. */
  openSelected: () => void;
}

/** A send the agent may retry: the id it goes with, and what it sends (other text, route, subject or files is another action). */
export interface RetryAction {
  actionId: string;
  text: string;
  via?: string;
  subject?: string;
  /** The ids of the uploaded files it sends, in order; empty for a note or a reply without files. */
  fileIds: string[];
}

/** The open ticket, its drafts and the actions on it. */
export interface TicketSlice {
  openTicketId: string | null;
  detail: TicketDetail | null;
  ticketLoading: boolean;
  /** Why the open ticket could not be loaded (e.g. it left the agent's view). */
  ticketError: UiError | null;
  /** Why the last reply / note / status / priority / follow-up / draft action failed; typed text is kept. */
  actionError: UiError | null;
  /** Unsent text per ticket, so switching tickets or a failed send never loses it. */
  replyDrafts: Record<string, string>;
  /** The way out the agent picked per ticket (a source from `replyRoutes`); absent = the customer's newest. */
  replyVia: Record<string, string>;
  /** The email subject the agent wrote (or an email script filled) per ticket; absent = the server's default `Re: … [GD…]`. */
  replySubjects: Record<string, string>;
  noteDrafts: Record<string, string>;
  sendingReply: boolean;
  addingNote: boolean;
  settingStatus: boolean;
  settingPriority: boolean;
  settingFollowUp: boolean;
  /** The offline draft being sent or discarded, so its buttons can say so. */
  draftBusyId: string | null;
  /**
   * Per `reply:<ticketId>` / `note:<ticketId>`: the action of a send not yet known to have
   * succeeded. Sending the same text again reuses its id, so the core does it once.
   */
  retryActions: Record<string, RetryAction>;
  /**
   * "Send and set status": the reply went (or was kept as a draft: `error` null) but the status
   * was not set, and why; shown beside the composer until dismissed or the next such send.
   */
  statusAfterReplyProblem: { ticketId: string; status: StatusAfterReply; error: UiError | null } | null;
  /**
   * Shows a ticket. `automatic`: nobody chose it (the inbox's top ticket as it fills); gone before
   * it is read, or while it was not the agent's (an offer), it closes quietly and the next top
   * ticket opens, instead of saying it is no longer available.
   */
  openTicket: (ticketId: string, options?: { automatic?: boolean }) => Promise<void>;
  closeTicket: () => void;
  reloadTicket: () => Promise<void>;
  setReplyDraft: (text: string) => void;
  /** Picks the way the open ticket's reply leaves; null = the customer's newest. */
  setReplyVia: (source: string | null) => void;
  /** The open ticket's email subject; null (or blank) = the default. */
  setReplySubject: (subject: string | null) => void;
  setNoteDraft: (text: string) => void;
  /**
   * Sends the reply, or (offline) keeps it as a draft in the core; true when the core accepted it
   * either way. `thenStatus`: the status change queued right after the reply ("send and set status").
   */
  sendReply: (thenStatus?: StatusAfterReply) => Promise<boolean>;
  /** Takes the open queued ticket (领取): the same status change as the `t` key; false when the rules would refuse it. */
  takeTicket: () => Promise<boolean>;
  dismissStatusAfterReplyProblem: () => void;
  addNote: () => Promise<boolean>;
  setStatus: (status: TicketStatus) => Promise<boolean>;
  setPriority: (priority: Priority) => Promise<boolean>;
  /** `null` clears the reminder. */
  setFollowUp: (followUpAt: number | null) => Promise<boolean>;
  /** Sends a draft written offline; the agent has confirmed it (only possible online). */
  sendDraft: (draftId: string) => Promise<boolean>;
  discardDraft: (draftId: string) => Promise<boolean>;
  dismissActionError: () => void;
}

/** The UI language. */
export interface UiSlice {
  language: Language;
  setLanguage: (language: Language) => void;
  /** The keyboard shortcut sheet (`?`) is open. */
  shortcutsOpen: boolean;
  setShortcutsOpen: (open: boolean) => void;
}

/**
 * The "needs attention" list: local changes the server refused (the core reverted them and
 * keeps them until the agent dismisses them). The count comes with the connection state.
 */
export interface AttentionSlice {
  attentionOpen: boolean;
  /** The pages loaded so far, newest first; each item's text is a preview (`attentionText` has all of it). */
  attentionItems: AttentionItem[];
  /** Items waiting in all, loaded or not. */
  attentionTotal: number;
  /** `before` of the next page; null when every item is loaded. */
  attentionNext: number | null;
  attentionLoading: boolean;
  attentionError: UiError | null;
  openAttention: () => Promise<void>;
  closeAttention: () => void;
  /** Reloads what is shown (the first page, or as many as the agent had loaded): calls while one runs make one more after it. */
  loadAttention: () => Promise<void>;
  /** The next older page, after those shown. */
  loadMoreAttention: () => Promise<void>;
  /** The whole kept text of an item (the preview when it is all of it); null when it has none or it is gone. */
  attentionText: (id: number) => Promise<AttentionContent | null>;
  /** Dismisses the item; the core deletes the text it kept with it. */
  dismissAttentionItem: (id: number) => Promise<void>;
  /**
   * Opens the item's ticket and puts its kept text back into the reply (a refused reply, with
   * its subject) or the note composer, after what is there; closes the list. False when there is
   * no text or the ticket is no longer the agent's to write in (it can still be copied).
   */
  restoreAttentionText: (id: number) => Promise<boolean>;
}

export type AppState = SessionSlice &
  AlarmSlice &
  NotificationSlice &
  ConnectionSlice &
  InboxSlice &
  TicketSlice &
  UiSlice &
  AttentionSlice &
  RoutingSlice &
  ChatSlice &
  CollisionSlice &
  AttachmentSlice &
  CustomerSlice &
  CallSlice &
  PiiSlice &
  QueueSlice &
  ReportSlice &
  AdminSlice &
  BoardSlice &
  ScriptSlice &
  KnowledgeSlice &
  FieldsSlice &
  ManualSlice;
