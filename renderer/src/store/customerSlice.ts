/**
 * One customer across channels, in the renderer: the merge dialog's search, choice and
 * confirmation (the merge itself needs the server; the search runs on the local cache),
 * the server's "possibly the same customer" suggestions for the open ticket's customer, the
 * customer's whole history (read-only, paged; from the cache as of its fetch when offline),
 * and downloading a message's attachment.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { Attachment, Customer } from '../../../shared/domain.js';
import type { CustomerHistoryView, CustomerMatch, CustomerSearchHit } from '../../../shared/customers.js';
import { CSAT_AUTHOR_ID } from '../../../shared/csat.js';
import type { FileDownload, TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** What the last merge did, for the panel to say so. */
export interface MergeNotice {
  ticketsMoved: number;
  name: string;
  customerId: string;
}

export interface CustomerSlice {
  mergeOpen: boolean;
  mergeQuery: string;
  mergeHits: CustomerSearchHit[];
  mergeSearching: boolean;
  /** The other customer chosen in the dialog; the confirmation step shows when set. */
  mergeCandidate: CustomerSearchHit | null;
  /** False: the open ticket's customer is kept and the candidate merged into it; true: the other way round. */
  mergeSwapped: boolean;
  merging: boolean;
  mergeError: UiError | null;
  mergeNotice: MergeNotice | null;
  downloadingAttachmentId: string | null;
  /** The last download that failed: the file (its size, for the offline message) and why. */
  attachmentError: { fileName: string; size: number; error: UiError } | null;
  /** Customers possibly the same as `customerMatchesFor` (shared identities one side only claimed); empty offline. */
  customerMatches: CustomerMatch[];
  customerMatchesFor: string | null;
  /** Asks the server (online only) for the customers possibly the same as this one. */
  loadCustomerMatches: (customerId: string) => Promise<void>;
  /** The pages of `customerHistoryFor`'s history loaded so far, joined (newest first); null before the first answer. */
  customerHistory: CustomerHistoryView | null;
  customerHistoryFor: string | null;
  customerHistoryLoading: boolean;
  customerHistoryError: UiError | null;
  /**
   * The server shows a customer's history only to whoever holds or is offered one of their
   * tickets (leads: always), and this agent holds none: a queued ticket opened from the queue
   * view, or an offer that ended. Not an error: the panel says the history comes with the ticket.
   */
  customerHistoryNotYours: boolean;
  /** Loads the newest page of the customer's history (again), from the server or, offline, the cache. */
  loadCustomerHistory: (customerId: string) => Promise<void>;
  /** Appends the next (older) page. */
  loadMoreCustomerHistory: () => Promise<void>;
  /** Opens the merge confirmation with this suggestion chosen, keeping the older record (the one the agents know); swappable. */
  mergeWithMatch: (match: CustomerMatch) => void;
  openMerge: () => void;
  closeMerge: () => void;
  setMergeQuery: (query: string) => Promise<void>;
  chooseMergeCandidate: (hit: CustomerSearchHit | null) => void;
  swapMerge: () => void;
  /** Merges as chosen; true when the server did it. */
  confirmMerge: () => Promise<boolean>;
  dismissMergeNotice: () => void;
  /** The attachment's bytes for the caller to save; null when it failed (see `attachmentError`). */
  downloadAttachment: (attachment: Attachment) => Promise<FileDownload | null>;
  dismissAttachmentError: () => void;
}

/** What decides a customer's suggestions: a refetch only when one of these changed. */
export function customerMatchKey(customer: Customer): string {
  return [customer.id, customer.phone, customer.email, customer.socialId, ...customer.identities.map((identity) => `${identity.kind}:${identity.value}`)].join(
    '|',
  );
}

/**
 * Back online (appStore's `onBackOnline`): the open ticket's customer is asked about again —
 * "possibly the same customer" and the whole history (newer than the cache).
 */
export function reloadCustomerWhenBackOnline(state: AppState): void {
  const customer = state.detail?.customer;
  if (!state.user || !customer) return;
  void state.loadCustomerMatches(customer.id);
  void state.loadCustomerHistory(customer.id);
}

/** How many satisfaction answers (their notes) the open ticket shows: one more means the history has a new score to show. */
export function csatNotesOf(detail: Pick<TicketDetail, 'notes'> | null): number {
  return detail ? detail.notes.filter((note) => note.authorId === CSAT_AUTHOR_ID).length : 0;
}

/** Who holds the open ticket or is offered it: what decides whether the server shows its customer's history to an agent. */
function historyHolderOf(detail: Pick<TicketDetail, 'ticket'> | null): string {
  return detail ? `${detail.ticket.assigneeId ?? ''}|${detail.ticket.routing.offer?.agentId ?? ''}` : '';
}

/**
 * Whether the open ticket (same customer) changed hands so that the server may now answer its
 * customer's history otherwise: taken, offered, or lost. A ticket taken here is the agent's
 * locally before the server has it, so a history refused meanwhile is asked again once the
 * take is acknowledged (the ticket no longer pending).
 */
export function historyAccessChanged(state: AppState, previous: AppState): boolean {
  if (!state.detail || state.detail.customer.id !== previous.detail?.customer.id) return false;
  if (historyHolderOf(state.detail) !== historyHolderOf(previous.detail)) return true;
  return state.customerHistoryNotYours && previous.detail.pending && !state.detail.pending;
}

export function createCustomerSlice(api: WorkstationApi): StateCreator<AppState, [], [], CustomerSlice> {
  // Only the newest search's answer is shown, so fast typing never shows stale customers.
  let latestSearch = 0;
  let latestMatches = 0;
  let latestHistory = 0;

  return (set, get) => ({
    mergeOpen: false,
    mergeQuery: '',
    mergeHits: [],
    mergeSearching: false,
    mergeCandidate: null,
    mergeSwapped: false,
    merging: false,
    mergeError: null,
    mergeNotice: null,
    downloadingAttachmentId: null,
    attachmentError: null,
    customerMatches: [],
    customerMatchesFor: null,
    customerHistory: null,
    customerHistoryFor: null,
    customerHistoryLoading: false,
    customerHistoryError: null,
    customerHistoryNotYours: false,

    async loadCustomerHistory(customerId) {
      const request = ++latestHistory;
      // Another customer's pages never show under this one, even for a moment.
      if (get().customerHistoryFor !== customerId) set({ customerHistory: null, customerHistoryFor: customerId, customerHistoryNotYours: false });
      set({ customerHistoryLoading: true, customerHistoryError: null });
      try {
        const page = await api.invoke('customer.history', { customerId });
        if (request === latestHistory) set({ customerHistory: page, customerHistoryLoading: false, customerHistoryNotYours: false });
      } catch (error) {
        if (request !== latestHistory) return;
        const ui = toUiError(error);
        // The customer of an open ticket exists, so the server's "not found" (it answers unknown and
        // not-yours alike) means not yours: what this agent may see is the tickets the workstation holds.
        if (ui.code === 'not_found') set({ customerHistory: null, customerHistoryLoading: false, customerHistoryNotYours: true });
        else set({ customerHistoryLoading: false, customerHistoryError: ui });
      }
    },

    async loadMoreCustomerHistory() {
      const shown = get().customerHistory;
      const customerId = get().customerHistoryFor;
      if (!shown?.next || !customerId || get().customerHistoryLoading) return;
      const request = ++latestHistory;
      set({ customerHistoryLoading: true, customerHistoryError: null });
      try {
        const page = await api.invoke('customer.history', { customerId, before: shown.next });
        if (request !== latestHistory) return;
        const known = new Set(shown.entries.map((entry) => entry.ticket.id));
        set({
          customerHistory: { ...page, entries: [...shown.entries, ...page.entries.filter((entry) => !known.has(entry.ticket.id))] },
          customerHistoryLoading: false,
        });
      } catch (error) {
        if (request === latestHistory) set({ customerHistoryLoading: false, customerHistoryError: toUiError(error) });
      }
    },

    async loadCustomerMatches(customerId) {
      const request = ++latestMatches;
      if (get().customerMatchesFor !== customerId) set({ customerMatches: [], customerMatchesFor: customerId });
      if (get().connection.status !== 'online') return;
      try {
        const { matches } = await api.invoke('customer.matches', { customerId });
        if (request === latestMatches) set({ customerMatches: matches, customerMatchesFor: customerId });
      } catch {
        // Offline, or the server did not answer: suggestions are a help, never in the way; the next change asks again.
        if (request === latestMatches) set({ customerMatches: [] });
      }
    },

    mergeWithMatch(match) {
      latestSearch++;
      // Every identity and claim moves either way; the kept record's name and id stay, so keep the established one.
      const current = get().detail?.customer;
      const keepTheirs = current !== undefined && match.customer.createdAt < current.createdAt;
      set({
        mergeOpen: true,
        mergeQuery: '',
        mergeHits: [],
        mergeSearching: false,
        mergeCandidate: { customer: match.customer, ticketCount: match.ticketCount, channels: match.channels, lastContactAt: match.lastContactAt },
        mergeSwapped: keepTheirs,
        mergeError: null,
        mergeNotice: null,
      });
    },

    openMerge() {
      latestSearch++;
      set({
        mergeOpen: true,
        mergeQuery: '',
        mergeHits: [],
        mergeSearching: false,
        mergeCandidate: null,
        mergeSwapped: false,
        mergeError: null,
        mergeNotice: null,
      });
    },

    closeMerge() {
      latestSearch++;
      if (get().merging) return;
      set({ mergeOpen: false, mergeCandidate: null, mergeError: null, mergeSearching: false });
    },

    async setMergeQuery(query) {
      const request = ++latestSearch;
      set({ mergeQuery: query, mergeError: null });
      const customerId = get().detail?.customer.id;
      if (query.trim() === '' || !customerId) {
        set({ mergeHits: [], mergeSearching: false });
        return;
      }
      set({ mergeSearching: true });
      try {
        const hits = await api.invoke('customer.search', { query: query.slice(0, 200), excludeId: customerId });
        if (request === latestSearch) set({ mergeHits: hits, mergeSearching: false });
      } catch (error) {
        if (request === latestSearch) set({ mergeHits: [], mergeSearching: false, mergeError: toUiError(error) });
      }
    },

    chooseMergeCandidate(hit) {
      set({ mergeCandidate: hit, mergeSwapped: false, mergeError: null });
    },

    swapMerge() {
      set({ mergeSwapped: !get().mergeSwapped });
    },

    async confirmMerge() {
      const current = get().detail?.customer;
      const candidate = get().mergeCandidate;
      if (!current || !candidate || get().merging) return false;
      const [keep, merged] = get().mergeSwapped ? [candidate.customer, current] : [current, candidate.customer];
      set({ merging: true, mergeError: null });
      try {
        const result = await api.invoke('customer.merge', { keepId: keep.id, mergeId: merged.id });
        set({
          merging: false,
          mergeOpen: false,
          mergeCandidate: null,
          mergeNotice: { ticketsMoved: result.ticketIds.length, name: result.customer.name || result.customer.id, customerId: result.customer.id },
        });
        void get().reloadTicket();
        void get().loadInbox();
        return true;
      } catch (error) {
        set({ merging: false, mergeError: toUiError(error) });
        return false;
      }
    },

    dismissMergeNotice() {
      set({ mergeNotice: null });
    },

    async downloadAttachment(attachment) {
      if (get().downloadingAttachmentId) return null;
      set({ downloadingAttachmentId: attachment.id, attachmentError: null });
      try {
        const download = await api.invoke('attachment.download', { attachmentId: attachment.id });
        set({ downloadingAttachmentId: null });
        return download;
      } catch (error) {
        set({ downloadingAttachmentId: null, attachmentError: { fileName: attachment.fileName, size: attachment.size, error: toUiError(error) } });
        return null;
      }
    },

    dismissAttachmentError() {
      set({ attachmentError: null });
    },
  });
}
