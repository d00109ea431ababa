/**
 * The queue view: agents are sent only the tickets they hold or are offered, so the queues of
 * their channels come from the core as a summary (the `queueSummary` event, always shown) and
 * as a list of the waiting tickets fetched from the server when the view opens or is
 * refreshed. Opening a waiting ticket fetches it into the cache first (`ticket.fetch`); taking
 * it then works like on any cached ticket. Offline the list is not available.
 */
import type { StateCreator } from 'zustand/vanilla';
import { MAX_QUEUE_QUERY_LENGTH, type QueueCursor, type QueuedTicket } from '../../../shared/queue.js';
import type { QueueSummaryState, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** How many waiting tickets one listing asks for. */
export const QUEUE_PAGE_SIZE = 50;

export type InboxMode = 'mine' | 'queue';

export interface QueueSlice {
  /** The inbox column shows the agent's own tickets, or the queue's waiting tickets. */
  inboxMode: InboxMode;
  queueSummary: QueueSummaryState;
  queueRows: QueuedTicket[];
  queueNext: QueueCursor | null;
  queueLoading: boolean;
  /** A listing has answered (rows may still be empty). */
  queueLoaded: boolean;
  queueError: UiError | null;
  /** The summary's time when the list was loaded: a newer summary means the list may be out of date. */
  queueListedAt: number | null;
  /** The search the rows answer ('' = none): the rows mark its terms (issue 12). */
  queueQuery: string;
  /** The waiting ticket being fetched to be opened. */
  openingQueued: string | null;
  setInboxMode: (mode: InboxMode) => void;
  applyQueueSummary: (summary: QueueSummaryState) => void;
  loadQueueSummary: () => Promise<void>;
  /** Loads the first page again, or (`more`) the next one. */
  loadQueue: (more?: boolean) => Promise<void>;
  openQueued: (ticketId: string) => Promise<void>;
}

/** The search a queue listing sends for the inbox's search text ('' = none), within the server's bound. */
export function queueSearchOf(query: string): string {
  return query.trim().slice(0, MAX_QUEUE_QUERY_LENGTH);
}

/** Whether the agent's queue is listed or searched now: the queue view is shown, or a search is typed (it reaches the queue too). */
export function queueWanted(state: Pick<AppState, 'user' | 'inboxMode' | 'filters'>): boolean {
  return state.user?.role === 'agent' && (state.inboxMode === 'queue' || state.filters.query.trim() !== '');
}

/** Back online (appStore's `onBackOnline`): the queue view, or a search's queued matches, are fetched again. */
export function reloadQueueWhenBackOnline(state: AppState): void {
  if (queueWanted(state)) void state.loadQueue();
}

export function createQueueSlice(api: WorkstationApi): StateCreator<AppState, [], [], QueueSlice> {
  // Only the newest listing is applied, so a refresh never shows an older answer.
  let latestList = 0;

  return (set, get) => ({
    inboxMode: 'mine',
    queueSummary: { at: null, entries: [] },
    queueRows: [],
    queueNext: null,
    queueLoading: false,
    queueLoaded: false,
    queueError: null,
    queueListedAt: null,
    queueQuery: '',
    openingQueued: null,

    setInboxMode(mode) {
      set({ inboxMode: mode });
      if (mode === 'queue') void get().loadQueue();
    },

    applyQueueSummary(summary) {
      set({ queueSummary: summary });
    },

    async loadQueueSummary() {
      if (!get().user) return;
      try {
        set({ queueSummary: await api.invoke('queue.summary', {}) });
      } catch {
        // The next pushed summary fills it in.
      }
    },

    async loadQueue(more = false) {
      if (!get().user) return;
      const request = ++latestList;
      const after = more ? get().queueNext : null;
      // The inbox's search reaches the queue too: the server searches the queued tickets the agent could take.
      const query = more ? get().queueQuery : queueSearchOf(get().filters.query);
      set({ queueLoading: true, queueError: null });
      try {
        const result = await api.invoke('queue.list', { limit: QUEUE_PAGE_SIZE, ...(after ? { after } : {}), ...(query ? { query } : {}) });
        if (request !== latestList || !get().user) return;
        set({
          queueRows: after ? [...get().queueRows, ...result.rows] : result.rows,
          queueNext: result.next,
          queueLoading: false,
          queueLoaded: true,
          queueQuery: query,
          queueListedAt: after ? get().queueListedAt : get().queueSummary.at,
        });
      } catch (error) {
        if (request !== latestList) return;
        set({ queueLoading: false, queueLoaded: true, queueError: toUiError(error), ...(after ? {} : { queueRows: [], queueNext: null, queueQuery: query }) });
      }
    },

    async openQueued(ticketId) {
      set({ openingQueued: ticketId, queueError: null });
      try {
        await api.invoke('ticket.fetch', { ticketId });
      } catch (error) {
        set({ openingQueued: null, queueError: toUiError(error) });
        return;
      }
      set({ openingQueued: null });
      await get().openTicket(ticketId);
    },
  });
}
