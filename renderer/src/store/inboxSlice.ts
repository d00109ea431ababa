/**
 * The inbox over every cached ticket. The core answers windows (`inbox.list` with the
 * counts, `inbox.window` without them while scrolling; when a filter or the search changes,
 * `inbox.rows`, the first screen alone, then `inbox.counts`); the store keeps one window of rows
 * (`rows`, starting at `rowsOffset`) and the list's length (`total`), so a virtualised list
 * can show 100,000 tickets while holding a few hundred. The keyboard selection is an index
 * into the whole list; moving it past the window loads the window around it.
 */
import type { StateCreator } from 'zustand/vanilla';
import { CHANNELS, TICKET_STATUSES, type TicketStatus } from '../../../shared/domain.js';
import type { ChannelCounts } from '../../../shared/httpApi.js';
import {
  INBOX_FIRST_WINDOW_ROWS,
  type InboxResult,
  type InboxRow,
  type InboxView,
  type InboxWindow,
  type RpcResults,
  type WorkstationApi,
} from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, InboxFilters, InboxSlice } from './types.js';

/** Rows one window asks for: many screens' worth, far below what the core allows. */
export const INBOX_WINDOW_ROWS = 200;
/** A window is loaded starting this many rows above what must be shown, so scrolling back a little needs no request. */
const WINDOW_LEAD_ROWS = 50;

/** Open tickets of every channel, newest activity first: completed and closed ones are out of the default views. */
export const DEFAULT_INBOX_FILTERS: InboxFilters = {
  view: 'all',
  channel: null,
  status: 'open',
  priority: null,
  sla: null,
  assigneeId: null,
  escalated: false,
  sort: 'activity',
  query: '',
};

function zeroChannelCounts(): ChannelCounts {
  return Object.fromEntries(CHANNELS.map((c) => [c, 0])) as ChannelCounts;
}

function zeroStatusCounts(): Record<TicketStatus, number> {
  return Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
}

function zeroViewCounts(): Record<InboxView, number> {
  return { mine: 0, unassigned: 0, all: 0 };
}

/** The inbox state of nobody signed in. */
export const INBOX_SIGNED_OUT = {
  filters: DEFAULT_INBOX_FILTERS,
  rows: [] as InboxRow[],
  rowsOffset: 0,
  total: 0,
  totalPending: false,
  exists: 0,
  unreadCount: 0,
  channelCounts: zeroChannelCounts(),
  statusCounts: zeroStatusCounts(),
  viewCounts: zeroViewCounts(),
  assignees: [],
  selectedIndex: -1,
  inboxLoaded: false,
  inboxError: null,
} satisfies Partial<AppState>;

/** The row at an index of the whole list, when the loaded window holds it. */
export function inboxRowAt(state: Pick<AppState, 'rows' | 'rowsOffset'>, index: number): InboxRow | undefined {
  return index >= state.rowsOffset ? state.rows[index - state.rowsOffset] : undefined;
}

/** Whether the loaded window holds every row from `start` to `end` (exclusive) that exists. */
function windowCovers(state: Pick<AppState, 'rows' | 'rowsOffset' | 'total'>, start: number, end: number): boolean {
  const last = Math.min(end, state.total);
  return start >= state.rowsOffset && last <= state.rowsOffset + state.rows.length;
}

/**
 * Keeps the selection on the same ticket when the rows under it change, else on the same place.
 * A selection that followed the open ticket (or none) stays with it, so the highlight never
 * lands on another ticket than the one the pane shows: the open ticket's row once a list answer
 * holds it (a ticket created by hand arrives after it opened), none when the open ticket left
 * the rows it was on (completed out of the list), until a list holds it. A new list's first
 * screen (`newList`: a filter changed) without it starts at its top row, whose selection
 * scrolls the list back up.
 */
function followSelection(previous: AppState, answer: InboxWindow, newList: boolean): number {
  if (answer.total === 0) return -1;
  const selectedId = inboxRowAt(previous, previous.selectedIndex)?.id;
  const open = previous.openTicketId;
  if (open !== null && (previous.selectedIndex < 0 || selectedId === open)) {
    const openAt = answer.rows.findIndex((row) => row.id === open);
    if (openAt >= 0) return answer.offset + openAt;
    // Rows scrolled away from it: the selection stays where it was (it is simply not loaded).
    const covered = previous.selectedIndex >= answer.offset && previous.selectedIndex < answer.offset + answer.rows.length;
    if (selectedId === open) return covered ? -1 : Math.min(previous.selectedIndex, answer.total - 1);
    if (!newList) return -1;
  }
  const found = selectedId ? answer.rows.findIndex((row) => row.id === selectedId) : -1;
  if (found >= 0) return answer.offset + found;
  return Math.min(Math.max(previous.selectedIndex, 0), answer.total - 1);
}

export function createInboxSlice(api: WorkstationApi): StateCreator<AppState, [], [], InboxSlice> {
  // Only the newest answer's rows are applied (fast typing or scrolling never shows stale rows); counts come with the newest list.
  let latestRows = 0;
  let latestList = 0;
  // At most one `inbox.window` in flight. Scrolling asks for a range every frame, and while a
  // window is on its way the range is not covered yet, so without this a fast scroll queued a
  // request per frame in the core (every one read from the cache, sent and parsed here, and
  // all but the last thrown away): the last row came tens of seconds late, and parsing the
  // answers was part of the renderer's long tasks. The range asked for meanwhile is kept and
  // asked for once the answer is in, if that answer does not cover it.
  let windowInFlight = false;
  let wantedRange: { start: number; end: number } | null = null;
  // Tickets the inbox opened by itself that were gone soon after (see openTopTicket): not opened by itself again.
  const vanished = new Set<string>();

  function request(get: () => AppState, offset: number) {
    const { query, ...rest } = get().filters;
    return { ...rest, query: query.trim(), offset, limit: INBOX_WINDOW_ROWS };
  }

  return (set, get) => {
    function applyWindow(answer: InboxWindow, newList = false): void {
      set({
        rows: answer.rows,
        rowsOffset: answer.offset,
        total: answer.total,
        totalPending: false,
        selectedIndex: followSelection(get(), answer, newList),
        inboxLoaded: true,
        inboxError: null,
      });
    }

    /** Loads the list again from `offset` (default: the window shown), with the counts; `reopenTop`: see openTopTicket. */
    async function loadList(offset: number, reopenTop = false): Promise<void> {
      if (!get().user) return;
      const rowsRequest = ++latestRows;
      const listRequest = ++latestList;
      const hadRows = get().rows.length > 0;
      try {
        const result: InboxResult = await api.invoke('inbox.list', request(get, offset));
        if (!get().user) return;
        if (listRequest === latestList) applyCounts(result);
        if (rowsRequest !== latestRows) return;
        applyWindow(result);
        openTopWhenFilled(result, hadRows, reopenTop);
      } catch (error) {
        if (rowsRequest !== latestRows) return;
        set({ inboxError: toUiError(error), inboxLoaded: true });
      }
    }

    function applyCounts(counts: Omit<RpcResults['inbox.counts'], 'total'>): void {
      set({
        channelCounts: counts.channelCounts,
        statusCounts: counts.statusCounts,
        viewCounts: counts.viewCounts,
        assignees: counts.assignees,
        exists: counts.exists,
        unreadCount: counts.unreadCount,
      });
    }

    /**
     * Like a mail client: when nothing is open and the inbox fills (sign-in, end of the first
     * sync), the top ticket is shown straight away.
     */
    function openTopWhenFilled(answer: { rows: InboxRow[]; offset: number }, hadRows: boolean, reopenTop: boolean): void {
      // A gone ticket is kept out only while the list still shows it: the set would otherwise grow by one ticket
      // per withdrawn offer all session, and a ticket that comes back later (handed back) is one to open again.
      if (answer.offset === 0) {
        const listed = new Set(answer.rows.map((row) => row.id));
        for (const id of vanished) if (!listed.has(id)) vanished.delete(id);
      }
      const first = answer.rows.find((row) => !vanished.has(row.id));
      if (first && answer.offset === 0 && (!hadRows || reopenTop) && get().openTicketId === null) void get().openTicket(first.id, { automatic: true });
    }

    /**
     * A filter or the search changed: the first screen of rows alone (`inbox.rows`), then every
     * count (`inbox.counts`). Over 100,000 tickets the counts visit every hit of a common word
     * while the first screen reads a few dozen, and the agent typing waits for the rows; the
     * counts, the list's length among them, follow a moment later (`totalPending` meanwhile).
     * The counts are asked for only while the filters are still the newest, so fast typing
     * never queues the costly part.
     */
    async function loadFirstScreen(): Promise<void> {
      if (!get().user) return;
      const rowsRequest = ++latestRows;
      const listRequest = ++latestList;
      const hadRows = get().rows.length > 0;
      try {
        const first = await api.invoke('inbox.rows', { ...request(get, 0), limit: INBOX_FIRST_WINDOW_ROWS });
        if (listRequest !== latestList || !get().user) return;
        if (rowsRequest === latestRows) {
          // Until the counts come, the list is as long as what is shown (exactly, when nothing follows).
          applyWindow({ rows: first.rows, offset: 0, total: first.rows.length }, true);
          if (first.more) set({ totalPending: true });
          openTopWhenFilled(first, hadRows, false);
        }
        const { query, ...rest } = get().filters;
        const { total, ...counts } = await api.invoke('inbox.counts', { ...rest, query: query.trim() });
        if (listRequest !== latestList || !get().user) return;
        applyCounts(counts);
        set({ total, totalPending: false, selectedIndex: Math.min(get().selectedIndex, total - 1) });
      } catch (error) {
        if (listRequest !== latestList) return;
        set({ inboxError: toUiError(error), inboxLoaded: true, totalPending: false });
      }
    }

    /** Loads the window from `offset` without the counts (scrolling). */
    async function loadWindow(offset: number): Promise<void> {
      if (!get().user) return;
      const rowsRequest = ++latestRows;
      windowInFlight = true;
      try {
        const answer = await api.invoke('inbox.window', request(get, offset));
        if (rowsRequest !== latestRows || !get().user) return;
        applyWindow(answer);
      } catch (error) {
        if (rowsRequest !== latestRows) return;
        set({ inboxError: toUiError(error), inboxLoaded: true });
      } finally {
        windowInFlight = false;
        const wanted = wantedRange;
        wantedRange = null;
        if (wanted) get().showRange(wanted.start, wanted.end);
      }
    }

    /** A filter changed: back to the top of the new list (a bulk outcome about the old list goes too). */
    function refilter(patch: Partial<InboxFilters>): void {
      wantedRange = null;
      set({ filters: { ...get().filters, ...patch }, selectedIndex: -1, bulkOutcome: null });
      void loadFirstScreen();
    }

    return {
      ...INBOX_SIGNED_OUT,

      loadInbox: () => loadList(get().rowsOffset),
      openTopTicket(gone) {
        vanished.add(gone);
        return loadList(0, true);
      },

      showRange(start, end) {
        const state = get();
        if (state.total === 0 || windowCovers(state, start, end)) return;
        if (windowInFlight) {
          wantedRange = { start, end };
          return;
        }
        void loadWindow(Math.max(0, Math.min(start - WINDOW_LEAD_ROWS, state.total - INBOX_WINDOW_ROWS)));
      },

      setInboxView: (view) => refilter({ view }),
      setChannelFilter: (channel) => refilter({ channel }),
      setStatusFilter: (status) => refilter({ status }),
      setPriorityFilter: (priority) => refilter({ priority }),
      setSlaFilter: (sla) => refilter({ sla }),
      setAssigneeFilter: (assigneeId) => refilter({ assigneeId }),
      setEscalatedFilter: (escalated) => refilter({ escalated }),
      setSort: (sort) => refilter({ sort }),
      setQuery: (query) => refilter({ query }),

      moveSelection(delta) {
        const { total, selectedIndex } = get();
        if (total === 0) return;
        const from = selectedIndex < 0 ? (delta > 0 ? -1 : total) : selectedIndex;
        get().selectIndex(Math.min(Math.max(from + delta, 0), total - 1));
      },

      selectIndex(index) {
        if (index < 0 || index >= get().total) return;
        set({ selectedIndex: index });
        get().showRange(index, index + 1);
      },

      openSelected() {
        const row = inboxRowAt(get(), get().selectedIndex);
        if (row) void get().openTicket(row.id);
      },
    };
  };
}
