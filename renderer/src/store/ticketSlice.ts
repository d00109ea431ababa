import type { StateCreator } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, TicketSlice } from './types.js';

export function createTicketSlice(api: WorkstationApi): StateCreator<AppState, [], [], TicketSlice> {
  let latestLoad = 0;

  async function load(
    set: (partial: Partial<AppState>) => void,
    get: () => AppState,
    ticketId: string,
    showLoading: boolean,
  ): Promise<void> {
    const request = ++latestLoad;
    if (showLoading) set({ ticketLoading: true });
    try {
      const detail = await api.invoke('ticket.get', { ticketId });
      if (request !== latestLoad || get().openTicketId !== ticketId) return;
      set({ detail, ticketLoading: false, ticketError: null });
    } catch (error) {
      if (request !== latestLoad || get().openTicketId !== ticketId) return;
      set({ detail: null, ticketLoading: false, ticketError: toUiError(error) });
    }
  }

  return (set, get) => ({
    openTicketId: null,
    detail: null,
    ticketLoading: false,
    ticketError: null,
    actionError: null,
    replyDrafts: {},
    noteDrafts: {},
    sendingReply: false,
    addingNote: false,
    settingStatus: false,

    async openTicket(ticketId) {
      const index = get().rows.findIndex((row) => row.id === ticketId);
      const sameTicket = get().openTicketId === ticketId;
      set({
        openTicketId: ticketId,
        actionError: null,
        ticketError: null,
        ...(sameTicket ? {} : { detail: null }),
        ...(index >= 0 ? { selectedIndex: index } : {}),
      });
      await load(set, get, ticketId, !sameTicket);
    },

    closeTicket() {
      latestLoad++;
      set({ openTicketId: null, detail: null, ticketError: null, actionError: null, ticketLoading: false });
    },

    async reloadTicket() {
      const ticketId = get().openTicketId;
      if (ticketId) await load(set, get, ticketId, false);
    },

    setReplyDraft(text) {
      const ticketId = get().openTicketId;
      if (ticketId) set({ replyDrafts: { ...get().replyDrafts, [ticketId]: text } });
    },

    setNoteDraft(text) {
      const ticketId = get().openTicketId;
      if (ticketId) set({ noteDrafts: { ...get().noteDrafts, [ticketId]: text } });
    },

    async sendReply() {
      const ticketId = get().openTicketId;
      const text = ticketId ? (get().replyDrafts[ticketId] ?? '') : '';
      if (!ticketId || text.trim() === '' || get().sendingReply) return false;
      set({ sendingReply: true, actionError: null });
      try {
        await api.invoke('ticket.reply', { ticketId, text });
        const drafts = { ...get().replyDrafts };
        // Only clear what was sent: the agent may have kept typing while it was on its way.
        if (drafts[ticketId] === text) delete drafts[ticketId];
        set({ replyDrafts: drafts, sendingReply: false });
        void get().reloadTicket();
        return true;
      } catch (error) {
        set({ sendingReply: false, actionError: toUiError(error) });
        return false;
      }
    },

    async addNote() {
      const ticketId = get().openTicketId;
      const text = ticketId ? (get().noteDrafts[ticketId] ?? '') : '';
      if (!ticketId || text.trim() === '' || get().addingNote) return false;
      set({ addingNote: true, actionError: null });
      try {
        await api.invoke('ticket.addNote', { ticketId, text });
        const drafts = { ...get().noteDrafts };
        if (drafts[ticketId] === text) delete drafts[ticketId];
        set({ noteDrafts: drafts, addingNote: false });
        void get().reloadTicket();
        return true;
      } catch (error) {
        set({ addingNote: false, actionError: toUiError(error) });
        return false;
      }
    },

    async setStatus(status) {
      const ticketId = get().openTicketId;
      const detail = get().detail;
      if (!ticketId || !detail || detail.ticket.status === status || get().settingStatus) return false;
      set({ settingStatus: true, actionError: null });
      try {
        const ticket = await api.invoke('ticket.setStatus', { ticketId, status });
        const current = get().detail;
        if (current && current.ticket.id === ticket.id) set({ detail: { ...current, ticket } });
        set({ settingStatus: false });
        void get().reloadTicket();
        void get().loadInbox();
        return true;
      } catch (error) {
        set({ settingStatus: false, actionError: toUiError(error) });
        return false;
      }
    },

    dismissActionError() {
      set({ actionError: null });
    },
  });
}
