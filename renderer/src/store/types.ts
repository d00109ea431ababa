/**
 * The shape of the one renderer store: each slice's state and named actions. Components
 * read state through selectors and change it only by calling these actions.
 */
import type { Channel, TicketStatus, User } from '../../../shared/domain.js';
import type { ChannelCounts } from '../../../shared/httpApi.js';
import type { ConnectionState, InboxRow, RpcErrorShape, TicketDetail } from '../../../shared/rpc.js';
import type { Language } from '../i18n.js';

/** A failed call as the UI shows it. */
export type UiError = RpcErrorShape;

/** Who is signed in, and the sign-in form's progress. */
export interface SessionSlice {
  user: User | null;
  /** False until the core has told us whether a session already exists. */
  sessionChecked: boolean;
  signingIn: boolean;
  signInError: UiError | null;
  loadSession(): Promise<void>;
  signIn(username: string, password: string): Promise<boolean>;
  signOut(): Promise<void>;
}

/** The core's link to the server, as pushed by the `connection` event. */
export interface ConnectionSlice {
  connection: ConnectionState;
  applyConnection(connection: ConnectionState): void;
}

export interface InboxFilters {
  channel: Channel | null;
  status: TicketStatus | null;
  query: string;
}

/** The one inbox across channels: filters, the rows they select, and the keyboard selection. */
export interface InboxSlice {
  filters: InboxFilters;
  rows: InboxRow[];
  channelCounts: ChannelCounts;
  statusCounts: Record<TicketStatus, number>;
  /** Index into `rows` of the keyboard selection; -1 when there are no rows. */
  selectedIndex: number;
  inboxLoaded: boolean;
  inboxError: UiError | null;
  loadInbox(): Promise<void>;
  setChannelFilter(channel: Channel | null): void;
  setStatusFilter(status: TicketStatus | null): void;
  setQuery(query: string): void;
  moveSelection(delta: number): void;
  selectIndex(index: number): void;
  /** Opens the ticket under the keyboard selection. */
  openSelected(): void;
}

/** The open ticket, its drafts and the actions on it. */
export interface TicketSlice {
  openTicketId: string | null;
  detail: TicketDetail | null;
  ticketLoading: boolean;
  /** Why the open ticket could not be loaded (e.g. it left the agent's view). */
  ticketError: UiError | null;
  /** Why the last reply / note / status change failed; the drafts are kept. */
  actionError: UiError | null;
  /** Unsent text per ticket, so switching tickets or a failed send never loses it. */
  replyDrafts: Record<string, string>;
  noteDrafts: Record<string, string>;
  sendingReply: boolean;
  addingNote: boolean;
  settingStatus: boolean;
  openTicket(ticketId: string): Promise<void>;
  closeTicket(): void;
  reloadTicket(): Promise<void>;
  setReplyDraft(text: string): void;
  setNoteDraft(text: string): void;
  sendReply(): Promise<boolean>;
  addNote(): Promise<boolean>;
  setStatus(status: TicketStatus): Promise<boolean>;
  dismissActionError(): void;
}

export interface AttentionItem {
  id: number;
  ticketId: string;
  reason: string;
  at: number;
}

/** Language and the banner of refused changes. */
export interface UiSlice {
  language: Language;
  attention: AttentionItem[];
  setLanguage(language: Language): void;
  addAttention(ticketId: string, reason: string): void;
  dismissAttention(): void;
}

export type AppState = SessionSlice & ConnectionSlice & InboxSlice & TicketSlice & UiSlice;
