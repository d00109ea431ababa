/**
 * Collision on the open ticket, in the renderer: who else is viewing or typing there (the
 * core pushes the server's roster as `ticketPresence`), this window's own presence and typing
 * (paced to TICKET_TYPING_THROTTLE_MS), and the warning before a reply goes out on a ticket
 * that changed since the agent started writing it (a new customer message, another agent's
 * message, a new assignee or status): "客户有新消息 / ticket changed — send anyway?". The same
 * question asks first when the ticket is not the user's (in the queue, where the reply takes
 * it, or held by someone else): one question before a reply leaves, whatever it is about.
 */
import type { StateCreator } from 'zustand/vanilla';
import { TICKET_TYPING_THROTTLE_MS, type TicketPresenceEvent } from '../../../shared/collision.js';
import type { TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import { notYoursOf, replyRefused, type NotYours, type StatusAfterReply } from './ticketPredictions.js';
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
  /** Set while the "this ticket is not yours — reply (and take it)?" question is open (with the change question or alone). */
  replyNotYours: NotYours | null;
  /** The status the reply waiting for an answer sets after it ("send and set status"); null for a plain send. */
  replyThenStatus: StatusAfterReply | null;
  applyTicketPresence: (event: TicketPresenceEvent) => void;
  /** Tells the core which ticket this window shows now (or none); forgets the old roster. */
  showTicketPresence: (ticketId: string | null) => Promise<void>;
  /** The reply draft of the open ticket changed: typing starts, is renewed (paced) or stops. */
  noteReplyTyping: (ticketId: string, typing: boolean) => void;
  /** Remembers the ticket as it is now as the one the reply was started on. */
  markComposerBaseline: (detail: TicketDetail) => void;
  /**
   * Sends the reply (then sets `thenStatus`, if given), unless the ticket changed since the reply
   * was started or is not the user's: then asks first, and nothing leaves until the answer.
   */
  sendReplyChecked: (thenStatus?: StatusAfterReply) => Promise<boolean>;
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
    replyNotYours: null,
    replyThenStatus: null,

    applyTicketPresence(event) {
      if (event.ticketId !== get().openTicketId) return;
      set({ ticketPresence: event });
    },

    async showTicketPresence(ticketId) {
      typingShown = false;
      typingSentAt = 0;
      set({ ticketPresence: null, composerBaseline: null, replyChangeWarning: null, replyNotYours: null, replyThenStatus: null });
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

    async sendReplyChecked(thenStatus) {
      const { composerBaseline, detail, user, openTicketId } = get();
      // Nothing to send: the question would be about nothing (sendReply does nothing either).
      if (!openTicketId || (get().replyDrafts[openTicketId] ?? '').trim() === '' || get().sendingReply) return false;
      const shown = detail?.ticket.id === openTicketId ? detail : null;
      const change = composerBaseline && shown ? changeSince(composerBaseline, shown, user?.id ?? null) : null;
      // A reply the rules refuse anyway (the core says why at once) is not asked about.
      const notYours = user && shown && !replyRefused(user, shown, get().serverNow()) ? notYoursOf(user, shown.ticket) : null;
      if (change || notYours) {
        set({ replyChangeWarning: change, replyNotYours: notYours, replyThenStatus: thenStatus ?? null });
        return false;
      }
      set({ replyThenStatus: thenStatus ?? null });
      return get().confirmReplyDespiteChange();
    },

    async confirmReplyDespiteChange() {
      const thenStatus = get().replyThenStatus ?? undefined;
      set({ replyChangeWarning: null, replyNotYours: null, replyThenStatus: null });
      const sent = await get().sendReply(thenStatus);
      if (sent) set({ composerBaseline: null });
      return sent;
    },

    dismissReplyChangeWarning() {
      // Reviewed: what the agent has now seen is the new starting point. Nothing was sent.
      const detail = get().detail;
      set({
        replyChangeWarning: null,
        replyNotYours: null,
        replyThenStatus: null,
        composerBaseline: detail ? baselineOf(detail) : get().composerBaseline,
      });
    },
  });
}
