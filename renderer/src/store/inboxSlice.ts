import type { StateCreator } from 'zustand/vanilla';
import { CHANNELS, TICKET_STATUSES, type TicketStatus } from '../../../shared/domain.js';
import type { ChannelCounts } from '../../../shared/httpApi.js';
import type { InboxRow, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, InboxSlice } from './types.js';

function zeroChannelCounts(): ChannelCounts {
  return Object.fromEntries(CHANNELS.map((c) => [c, 0])) as ChannelCounts;
}

function zeroStatusCounts(): Record<TicketStatus, number> {
  return Object.fromEntries(TICKET_STATUSES.map((s) => [s, 0])) as Record<TicketStatus, number>;
}

/** Keeps the selection on the same ticket when the rows under it change. */
function followSelection(previous: InboxRow[], previousIndex: number, next: InboxRow[]): number {
  if (next.length === 0) return -1;
  const selectedId = previous[previousIndex]?.id;
  const found = selectedId ? next.findIndex((row) => row.id === selectedId) : -1;
  if (found >= 0) return found;
  return Math.min(Math.max(previousIndex, 0), next.length - 1);
}

export function createInboxSlice(api: WorkstationApi): StateCreator<AppState, [], [], InboxSlice> {
  // Only the answer to the newest request is applied, so fast typing never shows stale rows.
  let latestRequest = 0;

  return (set, get) => ({
    filters: { channel: null, status: null, query: '' },
    rows: [],
    channelCounts: zeroChannelCounts(),
    statusCounts: zeroStatusCounts(),
    selectedIndex: -1,
    inboxLoaded: false,
    inboxError: null,

    async loadInbox() {
      if (!get().user) return;
      const request = ++latestRequest;
      const { channel, status, query } = get().filters;
      try {
        const result = await api.invoke('inbox.list', { channel, status, query: query.trim() });
        if (request !== latestRequest || !get().user) return;
        const { rows, selectedIndex } = get();
        set({
          rows: result.rows,
          channelCounts: result.channelCounts,
          statusCounts: result.statusCounts,
          selectedIndex: followSelection(rows, selectedIndex, result.rows),
          inboxLoaded: true,
          inboxError: null,
        });
        // Like a mail client: when nothing is open and the inbox fills (sign-in, end of the
        // first sync), the top ticket is shown straight away.
        const first = result.rows[0];
        if (first && rows.length === 0 && get().openTicketId === null) void get().openTicket(first.id);
      } catch (error) {
        if (request !== latestRequest) return;
        set({ inboxError: toUiError(error), inboxLoaded: true });
      }
    },

    setChannelFilter(channel) {
      set({ filters: { ...get().filters, channel } });
      void get().loadInbox();
    },

    setStatusFilter(status) {
      set({ filters: { ...get().filters, status } });
      void get().loadInbox();
    },

    setQuery(query) {
      set({ filters: { ...get().filters, query } });
      void get().loadInbox();
    },

    moveSelection(delta) {
      const { rows, selectedIndex } = get();
      if (rows.length === 0) return;
      const from = selectedIndex < 0 ? (delta > 0 ? -1 : rows.length) : selectedIndex;
      set({ selectedIndex: Math.min(Math.max(from + delta, 0), rows.length - 1) });
    },

    selectIndex(index) {
      const { rows } = get();
      if (index >= 0 && index < rows.length) set({ selectedIndex: index });
    },

    openSelected() {
      const row = get().rows[get().selectedIndex];
      if (row) void get().openTicket(row.id);
    },
  });
}
