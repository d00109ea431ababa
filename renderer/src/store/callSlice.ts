/**
 * Phone calls in the renderer store: the call cards the core pushes (`calls` event, wired in
 * appStore.ts) and the notes the agent writes on a card during and after the call. A note
 * goes to the call's ticket through the ordinary `ticket.addNote` call, so it is queued
 * like any note (and survives going offline). The core decides when a card goes by itself
 * (an ended call's wrap-up is over: main/core/cti/callSession.ts); a card whose note is not
 * saved stays here until it is (or the agent dismisses it), so a typed note is never lost
 * with its card.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { CtiCall } from '../../../shared/cti.js';
import { canUserSeeTicket, type User } from '../../../shared/domain.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** What the open-call key (`o`) opens: a ticket from one call's card. */
export interface CallCardTarget {
  callId: string;
  ticketId: string;
}

function isLiveCall(call: CtiCall): boolean {
  return call.state === 'ringing' || call.state === 'answered';
}

/**
 * The ticket a card's main button opens: the call's own (answered, ended, or a missed call's
 * callback task), else — while it rings, before the call has a ticket — the caller's newest
 * ticket this agent may open (the first of the card's recent tickets that is a button).
 */
export function cardTicketOf(call: CtiCall, user: User): string | null {
  if (call.ticketId !== null) return call.ticketId;
  return call.recentTickets.find((ticket) => canUserSeeTicket(user, ticket))?.id ?? null;
}

/**
 * The ticket the open-call key opens: that of the newest ringing or answered call, else of the
 * newest card (a call just ended, a missed call). Null when that call has nothing to open yet
 * (an unknown caller still ringing) or there is no card.
 */
export function callCardTarget(calls: readonly CtiCall[], user: User | null): CallCardTarget | null {
  const call = calls.find(isLiveCall) ?? calls[0];
  if (!call || !user) return null;
  const ticketId = cardTicketOf(call, user);
  return ticketId === null ? null : { callId: call.callId, ticketId };
}

export interface CallSlice {
  /** Calls on this agent's screen, newest first. */
  calls: CtiCall[];
  /** Cards the core let go (the wrap-up is over) kept on screen only because their note is not saved yet. */
  heldCalls: string[];
  /** Unsaved note text per call. */
  callNotes: Record<string, string>;
  /** Notes saved from each call's card, to say so on the card. */
  callNotesSaved: Record<string, number>;
  /** The call whose note is being saved. */
  savingCallNote: string | null;
  /** Why the last note from a card failed; the text stays in the box. */
  callError: { callId: string; error: UiError } | null;
  loadCalls: () => Promise<void>;
  applyCalls: (calls: CtiCall[]) => void;
  dismissCall: (callId: string) => Promise<void>;
  setCallNote: (callId: string, text: string) => void;
  /** Adds the card's note to the call's ticket; true when the core took it. */
  saveCallNote: (callId: string) => Promise<boolean>;
  /** Opens a ticket from a card (the call's own, or one of the customer's recent ones). */
  openCallTicket: (ticketId: string) => Promise<void>;
}

export function createCallSlice(api: WorkstationApi): StateCreator<AppState, [], [], CallSlice> {
  return (set, get) => ({
    calls: [],
    heldCalls: [],
    callNotes: {},
    callNotesSaved: {},
    savingCallNote: null,
    callError: null,

    async loadCalls() {
      if (!get().user) return;
      try {
        const { calls } = await api.invoke('call.list', {});
        if (get().user) get().applyCalls(calls);
      } catch {
        // The `calls` event brings them as soon as the core has any.
      }
    },

    applyCalls(fromCore) {
      const state = get();
      const unsaved = (callId: string) => (state.callNotes[callId] ?? '').trim() !== '';
      const coreIds = new Set(fromCore.map((call) => call.callId));
      // A card the core let go with a note typed on it stays until the note is saved or the card dismissed (signed out: nothing stays).
      const held = state.user ? state.calls.filter((call) => !coreIds.has(call.callId) && unsaved(call.callId)) : [];
      const calls = [...fromCore, ...held].sort((a, b) => b.startedAt - a.startedAt || a.callId.localeCompare(b.callId));
      const ids = new Set(calls.map((call) => call.callId));
      const keep = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)));
      // A card that is gone takes its unsaved note only if it was empty; a typed note is never dropped silently.
      const notes = Object.fromEntries(Object.entries(state.callNotes).filter(([id, text]) => ids.has(id) || text.trim() !== ''));
      set({
        calls,
        heldCalls: held.map((call) => call.callId),
        callNotes: notes,
        callNotesSaved: keep(state.callNotesSaved),
        callError: state.callError && ids.has(state.callError.callId) ? state.callError : null,
      });
    },

    async dismissCall(callId) {
      const note = get().callNotes[callId] ?? '';
      set({ calls: get().calls.filter((call) => call.callId !== callId), heldCalls: get().heldCalls.filter((id) => id !== callId) });
      if (note.trim() === '') {
        const notes = { ...get().callNotes };
        delete notes[callId];
        set({ callNotes: notes });
      }
      try {
        await api.invoke('call.dismiss', { callId });
      } catch {
        // Already gone in the core (signed out, or dismissed on another window).
      }
    },

    setCallNote(callId, text) {
      set({ callNotes: { ...get().callNotes, [callId]: text } });
    },

    async saveCallNote(callId) {
      const call = get().calls.find((c) => c.callId === callId);
      const text = get().callNotes[callId] ?? '';
      if (!call?.ticketId || text.trim() === '' || get().savingCallNote) return false;
      set({ savingCallNote: callId, callError: null });
      try {
        await api.invoke('ticket.addNote', { ticketId: call.ticketId, text });
        const notes = { ...get().callNotes };
        // The agent may have typed on while it was saved: only what was saved leaves the box.
        if (notes[callId] === text) delete notes[callId];
        set({ callNotes: notes, savingCallNote: null, callNotesSaved: { ...get().callNotesSaved, [callId]: (get().callNotesSaved[callId] ?? 0) + 1 } });
        // A card kept only for this note (its wrap-up is over) goes now that the note is saved.
        if (get().heldCalls.includes(callId) && (notes[callId] ?? '').trim() === '') {
          set({ calls: get().calls.filter((c) => c.callId !== callId), heldCalls: get().heldCalls.filter((id) => id !== callId) });
        }
        if (get().openTicketId === call.ticketId) void get().reloadTicket();
        return true;
      } catch (error) {
        set({ savingCallNote: null, callError: { callId, error: toUiError(error) } });
        return false;
      }
    },

    async openCallTicket(ticketId) {
      if (get().view !== 'inbox') get().setView('inbox');
      // A call's ticket may wait in the queue (a missed call's callback task): agents are not sent
      // those, so it is fetched first; one they hold is already cached and the fetch changes nothing.
      if (get().user?.role === 'agent' && get().connection.status === 'online') await api.invoke('ticket.fetch', { ticketId }).catch(() => undefined);
      await get().openTicket(ticketId);
    },
  });
}
