/**
 * Collision on the open ticket, in the renderer: who else is viewing or typing there (the
 * core pushes the server's roster as `ticketPresence`), this window's own presence and typing
 * (paced to TICKET_TYPING_THROTTLE_MS), and the warning before a reply goes out on a ticket
 * that changed since the agent started writing it (a new customer message, another agent's
 * message, a new assignee or status): "客户有新消息 / ticket changed — send anyway?".
 */
import type { StateCreator } from 'zustand/vanilla';
import { TICKET_TYPING_THROTTLE_MS, type TicketPresenceEvent } from '../../../shared/collision.js';
import type { TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import type { AppState } from './types.js';

/** What the ticket looked like when the agent started the reply. */
export interface ComposerBaseline {
  ticketId: string;
  messageIds: string[];
  status: TicketDetail['ticket']['status'];
  assigneeId: string | null;
}

/** What changed since then, for the warning to say. */
export interface TicketChange {
  newMessages: number;
  reassigned: boolean;
  statusChanged: boolean;
}

export interface CollisionSlice {
  /** The roster of the open ticket (others and this user); null when nobody has said yet. */
  ticketPresence: TicketPresenceEvent | null;
  composerBaseline: ComposerBaseline | null;
  /** Set while the "ticket changed — send anyway?" question is open. */
  replyChangeWarning: TicketChange | null;
  applyTicketPresence: (event: TicketPresenceEvent) => void;
  /** Tells the core which ticket this window shows now (or none); forgets the old roster. */
  showTicketPresence: (ticketId: string | null) => Promise<void>;
  /** The reply draft of the open ticket changed: typing starts, is renewed (paced) or stops. */
  noteReplyTyping: (ticketId: string, typing: boolean) => void;
  /** Remembers the ticket as it is now as the one the reply was started on. */
  markComposerBaseline: (detail: TicketDetail) => void;
  /** Sends the reply, unless the ticket changed since the reply was started: then asks first. */
  sendReplyChecked: () => Promise<boolean>;
  confirmReplyDespiteChange: () => Promise<boolean>;
  dismissReplyChangeWarning: () => void;
}

export function baselineOf(detail: TicketDetail): ComposerBaseline {
  return {
    ticketId: detail.ticket.id,
    messageIds: detail.messages.map((message) => message.id),
    status: detail.ticket.status,
    assigneeId: detail.ticket.assigneeId,
  };
}

/** What changed on the ticket since the baseline, by someone else; null when nothing did. */
export function changeSince(baseline: ComposerBaseline, detail: TicketDetail, userId: string | null): TicketChange | null {
  if (baseline.ticketId !== detail.ticket.id) return null;
  const known = new Set(baseline.messageIds);
  const newMessages = detail.messages.filter((message) => !known.has(message.id) && message.authorId !== userId).length;
  const reassigned = detail.ticket.assigneeId !== baseline.assigneeId;
  const statusChanged = detail.ticket.status !== baseline.status;
  return newMessages > 0 || reassigned || statusChanged ? { newMessages, reassigned, statusChanged } : null;
}

export function createCollisionSlice(api: WorkstationApi): StateCreator<AppState, [], [], CollisionSlice> {
  let typingSentAt = 0;
  let typingShown = false;

  return (set, get) => ({
    ticketPresence: null,
    composerBaseline: null,
    replyChangeWarning: null,

    applyTicketPresence(event) {
      if (event.ticketId !== get().openTicketId) return;
      set({ ticketPresence: event });
    },

    async showTicketPresence(ticketId) {
      typingShown = false;
      typingSentAt = 0;
      set({ ticketPresence: null, composerBaseline: null, replyChangeWarning: null });
      try {
        const { roster } = await api.invoke('ticket.presence', { ticketId, typing: false });
        if (roster && roster.ticketId === get().openTicketId) set({ ticketPresence: roster });
      } catch {
        // Presence is a help, never in the way.
      }
    },

    noteReplyTyping(ticketId, typing) {
      const now = Date.now();
      // Renewed at most every throttle period while the text keeps changing; stopping is said at once.
      if (typing && typingShown && now - typingSentAt < TICKET_TYPING_THROTTLE_MS) return;
      if (!typing && !typingShown) return;
      typingShown = typing;
      typingSentAt = now;
      void api.invoke('ticket.presence', { ticketId, typing }).catch(() => undefined);
    },

    markComposerBaseline(detail) {
      set({ composerBaseline: baselineOf(detail) });
    },

    async sendReplyChecked() {
      const { composerBaseline, detail, user } = get();
      const change = composerBaseline && detail ? changeSince(composerBaseline, detail, user?.id ?? null) : null;
      if (change) {
        set({ replyChangeWarning: change });
        return false;
      }
      return get().confirmReplyDespiteChange();
    },

    async confirmReplyDespiteChange() {
      set({ replyChangeWarning: null });
      const sent = await get().sendReply();
      if (sent) set({ composerBaseline: null });
      return sent;
    },

    dismissReplyChangeWarning() {
      // Reviewed: what the agent has now seen is the new starting point.
      const detail = get().detail;
      set({ replyChangeWarning: null, composerBaseline: detail ? baselineOf(detail) : get().composerBaseline });
    },
  });
}
