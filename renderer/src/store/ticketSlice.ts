import type { StateCreator } from 'zustand/vanilla';
import { channelOfSource, type Ticket } from '../../../shared/domain.js';
import type { TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import { isQueued, takeBlock, type StatusAfterReply } from './ticketPredictions.js';
import type { AppState, RetryAction, TicketSlice } from './types.js';

/**
 * The action id for sending `what` on a ticket: the one of the earlier attempt when the agent
 * retries the same send (same text, route, subject and files), else a new one. A send whose
 * answer was lost (the link dropped) may have been done, so the retry must be the same action;
 * the same words with other files are another reply, never folded into the first.
 */
function actionFor(earlier: RetryAction | undefined, what: Omit<RetryAction, 'actionId'>): RetryAction {
  if (earlier && isSameSend(earlier, what)) return earlier;
  return { actionId: crypto.randomUUID(), ...what };
}

function isSameSend(earlier: RetryAction, what: Omit<RetryAction, 'actionId'>): boolean {
  return (
    earlier.text === what.text &&
    earlier.via === what.via &&
    earlier.subject === what.subject &&
    earlier.fileIds.length === what.fileIds.length &&
    earlier.fileIds.every((id, i) => id === what.fileIds[i])
  );
}

/** The way the reply leaves, as the ticket rules pick it: the agent's pick, else the customer's way on this ticket, else the best one. */
export function replyRouteOf(detail: TicketDetail | null, via: string | undefined): string | null {
  if (!detail) return null;
  if (via) return via;
  const { routes, ticketSource } = detail.reach;
  return ticketSource !== null && routes.includes(ticketSource) ? ticketSource : (routes[0] ?? null);
}

/** Whether the reply has a subject line: only a reply that leaves by email (the rules refuse a subject elsewhere). */
export function replyGoesByEmail(detail: TicketDetail | null, via: string | undefined): boolean {
  const route = replyRouteOf(detail, via);
  return route !== null && channelOfSource(route) === 'email';
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const rest = { ...record };
  delete rest[key];
  return rest;
}

/** `record` with `text` under `key`, or without the key when the text is empty (an empty draft is no draft). */
function withText(record: Record<string, string>, key: string, text: string): Record<string, string> {
  return text === '' ? without(record, key) : { ...record, [key]: text };
}

/** Whether the agent is writing a reply on the ticket: its text, a subject, or files attached. */
function writingReplyOn(state: AppState, ticketId: string): boolean {
  const subject = state.replySubjects[ticketId];
  return ticketId in state.replyDrafts || (subject !== undefined && subject.trim() !== '') || (state.replyFiles[ticketId]?.length ?? 0) > 0;
}

/** Whether the agent wrote anything on the ticket that is not sent yet (a reply or a note). */
function wroteOn(state: AppState, ticketId: string): boolean {
  return writingReplyOn(state, ticketId) || ticketId in state.noteDrafts;
}

/**
 * The per-ticket entries of a ticket the agent left (or that left their cache) that hold nothing
 * they wrote: the route picked, a blank subject (blank is the default) and the pending send's
 * action id of a reply not being written, the action id of a note not being written. An agent
 * goes through hundreds of tickets a shift, and each kept one entry per ticket ever touched until
 * sign-out. A reply being written (text, subject or files) keeps its route and action id: coming
 * back to it, or retrying it, is as before.
 */
function idleEntriesDropped(state: AppState, ticketId: string): Partial<AppState> {
  const writingReply = writingReplyOn(state, ticketId);
  const writingNote = ticketId in state.noteDrafts;
  let retryActions = state.retryActions;
  if (!writingReply) retryActions = without(retryActions, `reply:${ticketId}`);
  if (!writingNote) retryActions = without(retryActions, `note:${ticketId}`);
  return {
    replyVia: writingReply ? state.replyVia : without(state.replyVia, ticketId),
    replySubjects: writingReply ? state.replySubjects : without(state.replySubjects, ticketId),
    replyFiles: writingReply ? state.replyFiles : without(state.replyFiles, ticketId),
    retryActions,
  };
}

export function createTicketSlice(api: WorkstationApi): StateCreator<AppState, [], [], TicketSlice> {
  let latestLoad = 0;
  // The open ticket when the inbox opened it by itself (the agent chose nothing since); null otherwise.
  let automaticallyOpened: string | null = null;

  /**
   * Whether a ticket that is gone was one the agent never chose and did not hold: opened by
   * the inbox by itself and gone before it was read, or shown that way while offered or queued.
   * After a reload or a restart the inbox is read from the cache before the sync is done, and
   * an offer the old connection held is withdrawn by the server meanwhile; that is no news to
   * tell the agent. A ticket they held, or chose to open, still says it is no longer theirs.
   */
  function leftUnchosen(get: () => AppState, ticketId: string, automatic: boolean): boolean {
    // Words written on it are a choice: closing quietly would take them out of sight without a word (TicketPane says so and shows the reply).
    if (wroteOn(get(), ticketId)) return false;
    if (automatic) return true;
    if (automaticallyOpened !== ticketId) return false;
    const shown = get().detail;
    // Not shown yet: a change event's refresh overtook the first read, and it is gone just the same.
    if (shown === null) return true;
    return shown.ticket.id === ticketId && shown.ticket.assigneeId !== get().user?.id;
  }

  /**
   * The pane follows the open ticket to its GD id, and so does the highlight: the list may
   * already hold the new id (its answer came first and, not finding the old id, left no row
   * highlighted) or not yet (none is highlighted until it does: followSelection).
   */
  function renamedOpenTicket(state: AppState, renamedTo: string): Pick<AppState, 'openTicketId' | 'selectedIndex'> {
    const found = state.rows.findIndex((row) => row.id === renamedTo);
    return { openTicketId: renamedTo, selectedIndex: found >= 0 ? state.rowsOffset + found : -1 };
  }

  async function load(
    set: (partial: Partial<AppState>) => void,
    get: () => AppState,
    ticketId: string,
    showLoading: boolean,
    automatic = false,
  ): Promise<void> {
    const request = ++latestLoad;
    if (showLoading) set({ ticketLoading: true });
    try {
      const detail = await api.invoke('ticket.get', { ticketId });
      if (request !== latestLoad || get().openTicketId !== ticketId) return;
      // A ticket made by hand got its GD id meanwhile: the pane follows it (the core answers the old id with the new ticket).
      set({ detail, ticketLoading: false, ticketError: null, ...(detail.ticket.id !== ticketId ? renamedOpenTicket(get(), detail.ticket.id) : {}) });
      // The agent sees the ticket now: its new customer messages are read (the core's change event refreshes the inbox).
      if (detail.unread) void api.invoke('ticket.markRead', { ticketId }).catch(() => undefined);
    } catch (error) {
      if (request !== latestLoad || get().openTicketId !== ticketId) return;
      const ui = toUiError(error);
      if (ui.code === 'not_found' && leftUnchosen(get, ticketId, automatic)) {
        // Nobody chose it and it was not the agent's: no "no longer available to you"; the inbox's top ticket as it is now opens instead.
        automaticallyOpened = null;
        set({ ...idleEntriesDropped(get(), ticketId), openTicketId: null, detail: null, ticketLoading: false, ticketError: null });
        void get().openTopTicket(ticketId);
      } else set({ detail: null, ticketLoading: false, ticketError: ui });
    }
  }

  type Busy = 'settingStatus' | 'settingPriority' | 'settingFollowUp';

  /**
   * A change to the open ticket's fields: the core answers with the ticket as it now is
   * locally (marked pending until the server acknowledges it), which is shown at once.
   */
  async function changeTicket(
    set: (partial: Partial<AppState>) => void,
    get: () => AppState,
    busy: Busy,
    change: (ticketId: string) => Promise<Ticket>,
  ): Promise<boolean> {
    const ticketId = get().openTicketId;
    if (!ticketId || !get().detail || get()[busy]) return false;
    set({ [busy]: true, actionError: null });
    try {
      const ticket = await change(ticketId);
      const current = get().detail;
      if (current && current.ticket.id === ticket.id) set({ detail: { ...current, ticket, pending: true } });
      set({ [busy]: false });
      void get().reloadTicket();
      void get().loadInbox();
      return true;
    } catch (error) {
      set({ [busy]: false, actionError: toUiError(error) });
      return false;
    }
  }

  /**
   * The status of "send and set status", right after its reply was queued in the outbox (the two
   * leave back to back, in that order). A refusal now is said beside the composer as "the reply
   * went, the status did not"; one from the server later lands in "needs attention" like any
   * refused change. A reply kept as a draft (the link was down) sets nothing: the customer has
   * not been answered yet, so "awaiting customer" or "completed" would not be true.
   */
  async function setStatusAfterReply(
    set: (partial: Partial<AppState>) => void,
    get: () => AppState,
    ticketId: string,
    status: StatusAfterReply,
    keptAsDraft: boolean,
  ): Promise<void> {
    if (keptAsDraft) {
      set({ statusAfterReplyProblem: { ticketId, status, error: null } });
      return;
    }
    set({ settingStatus: true });
    try {
      const ticket = await api.invoke('ticket.setStatus', { ticketId, status });
      const current = get().detail;
      if (current && current.ticket.id === ticket.id) set({ detail: { ...current, ticket, pending: true } });
      set({ settingStatus: false });
      void get().loadInbox();
    } catch (error) {
      set({ settingStatus: false, statusAfterReplyProblem: { ticketId, status, error: toUiError(error) } });
    }
  }

  /** Sends or discards an offline draft, then shows the ticket and inbox as the core now has them. */
  async function settleDraft(
    set: (partial: Partial<AppState>) => void,
    get: () => AppState,
    draftId: string,
    action: () => Promise<unknown>,
  ): Promise<boolean> {
    if (get().draftBusyId) return false;
    set({ draftBusyId: draftId, actionError: null });
    try {
      await action();
      set({ draftBusyId: null });
      void get().reloadTicket();
      void get().loadInbox();
      return true;
    } catch (error) {
      set({ draftBusyId: null, actionError: toUiError(error) });
      return false;
    }
  }

  return (set, get) => ({
    openTicketId: null,
    detail: null,
    ticketLoading: false,
    ticketError: null,
    actionError: null,
    replyDrafts: {},
    replyVia: {},
    replySubjects: {},
    noteDrafts: {},
    sendingReply: false,
    addingNote: false,
    settingStatus: false,
    settingPriority: false,
    settingFollowUp: false,
    draftBusyId: null,
    retryActions: {},
    statusAfterReplyProblem: null,

    async openTicket(ticketId, options) {
      automaticallyOpened = options?.automatic === true ? ticketId : null;
      const found = get().rows.findIndex((row) => row.id === ticketId);
      const index = found >= 0 ? get().rowsOffset + found : -1;
      const left = get().openTicketId;
      const sameTicket = left === ticketId;
      set({
        ...(left !== null && !sameTicket ? idleEntriesDropped(get(), left) : {}),
        openTicketId: ticketId,
        actionError: null,
        ticketError: null,
        ...(sameTicket ? {} : { detail: null }),
        // Not among the rows (created by hand, or not loaded): no row is highlighted until the list has it (followSelection).
        ...(index >= 0 ? { selectedIndex: index } : sameTicket ? {} : { selectedIndex: -1 }),
      });
      await load(set, get, ticketId, !sameTicket, options?.automatic === true && !sameTicket);
    },

    closeTicket() {
      latestLoad++;
      automaticallyOpened = null;
      const left = get().openTicketId;
      set({
        ...(left !== null ? idleEntriesDropped(get(), left) : {}),
        openTicketId: null,
        detail: null,
        ticketError: null,
        actionError: null,
        ticketLoading: false,
      });
    },

    async reloadTicket() {
      const ticketId = get().openTicketId;
      if (ticketId) await load(set, get, ticketId, false);
    },

    setReplyVia(source) {
      const ticketId = get().openTicketId;
      if (!ticketId) return;
      const replyVia = { ...get().replyVia };
      if (source === null) delete replyVia[ticketId];
      else replyVia[ticketId] = source;
      set({ replyVia });
    },

    setReplySubject(subject) {
      const ticketId = get().openTicketId;
      if (!ticketId) return;
      // A blank subject stays while the agent is on the ticket (the box shows what they cleared, not the default coming back under their cursor).
      const replySubjects = { ...get().replySubjects };
      if (subject === null) delete replySubjects[ticketId];
      else replySubjects[ticketId] = subject;
      set({ replySubjects });
    },

    setReplyDraft(text) {
      const ticketId = get().openTicketId;
      if (ticketId) set({ replyDrafts: withText(get().replyDrafts, ticketId, text) });
    },

    setNoteDraft(text) {
      const ticketId = get().openTicketId;
      if (ticketId) set({ noteDrafts: withText(get().noteDrafts, ticketId, text) });
    },

    async sendReply(thenStatus) {
      const ticketId = get().openTicketId;
      const text = ticketId ? (get().replyDrafts[ticketId] ?? '') : '';
      if (!ticketId || text.trim() === '' || get().sendingReply) return false;
      if (thenStatus) set({ statusAfterReplyProblem: null });
      const key = `reply:${ticketId}`;
      const via = get().replyVia[ticketId];
      const written = get().replySubjects[ticketId]?.trim() ?? '';
      // Blank = the default subject, which the server makes; only an email reply carries one.
      const detail = get().detail?.ticket.id === ticketId ? get().detail : null;
      const subject = written !== '' && replyGoesByEmail(detail, via) ? written : undefined;
      const files = get().replyFiles[ticketId] ?? [];
      const action = actionFor(get().retryActions[key], {
        text,
        ...(via ? { via } : {}),
        ...(subject !== undefined ? { subject } : {}),
        fileIds: files.map((file) => file.id),
      });
      set({ sendingReply: true, actionError: null, retryActions: { ...get().retryActions, [key]: action } });
      try {
        // Online it goes to the outbox; offline the core keeps it as a draft for the agent
        // to confirm later. Either way the text is safe in the core and leaves the composer.
        const result = await api.invoke('ticket.reply', {
          ticketId,
          text,
          ...(via ? { via } : {}),
          ...(subject !== undefined ? { subject } : {}),
          actionId: action.actionId,
          ...(files.length > 0 ? { attachments: files } : {}),
        });
        const drafts = { ...get().replyDrafts };
        // Only clear what was sent: the agent may have kept typing while it was on its way.
        const sent = drafts[ticketId] === text;
        if (sent) delete drafts[ticketId];
        const subjects = { ...get().replySubjects };
        if (sent && (subjects[ticketId]?.trim() ?? '') === written) delete subjects[ticketId];
        // Only the files it sent leave the composer: one attached while it was on its way stays.
        const sentIds = new Set(action.fileIds);
        const replyFiles = { ...get().replyFiles };
        const kept = (replyFiles[ticketId] ?? []).filter((file) => !sentIds.has(file.id));
        if (kept.length > 0) replyFiles[ticketId] = kept;
        else delete replyFiles[ticketId];
        set({ replyDrafts: drafts, replySubjects: subjects, replyFiles, sendingReply: false, retryActions: without(get().retryActions, key) });
        if (thenStatus) await setStatusAfterReply(set, get, ticketId, thenStatus, result.kind === 'draft');
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
      const key = `note:${ticketId}`;
      const action = actionFor(get().retryActions[key], { text, fileIds: [] });
      set({ addingNote: true, actionError: null, retryActions: { ...get().retryActions, [key]: action } });
      try {
        await api.invoke('ticket.addNote', { ticketId, text, actionId: action.actionId });
        const drafts = { ...get().noteDrafts };
        if (drafts[ticketId] === text) delete drafts[ticketId];
        set({ noteDrafts: drafts, addingNote: false, retryActions: without(get().retryActions, key) });
        void get().reloadTicket();
        return true;
      } catch (error) {
        set({ addingNote: false, actionError: toUiError(error) });
        return false;
      }
    },

    async takeTicket() {
      const { user, detail, openTicketId } = get();
      const ticket = detail?.ticket;
      if (!user || !ticket || ticket.id !== openTicketId || !isQueued(ticket) || takeBlock(user, ticket, get().serverNow()) !== null) return false;
      return changeTicket(set, get, 'settingStatus', (ticketId) => api.invoke('ticket.setStatus', { ticketId, status: 'in_progress' }));
    },

    dismissStatusAfterReplyProblem() {
      set({ statusAfterReplyProblem: null });
    },

    async setStatus(status) {
      if (get().detail?.ticket.status === status) return false;
      return changeTicket(set, get, 'settingStatus', (ticketId) => api.invoke('ticket.setStatus', { ticketId, status }));
    },

    async setPriority(priority) {
      if (get().detail?.ticket.priority === priority) return false;
      return changeTicket(set, get, 'settingPriority', (ticketId) => api.invoke('ticket.setPriority', { ticketId, priority }));
    },

    async setFollowUp(followUpAt) {
      if (get().detail?.ticket.followUpAt === followUpAt) return false;
      return changeTicket(set, get, 'settingFollowUp', (ticketId) => api.invoke('ticket.setFollowUp', { ticketId, followUpAt }));
    },

    async sendDraft(draftId) {
      return settleDraft(set, get, draftId, () => api.invoke('draft.send', { draftId }));
    },

    async discardDraft(draftId) {
      return settleDraft(set, get, draftId, () => api.invoke('draft.discard', { draftId }));
    },

    dismissActionError() {
      set({ actionError: null });
    },
  });
}
