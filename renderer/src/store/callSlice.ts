/**
 * Phone calls in the renderer store: the call cards the core pushes (`calls` event, wired in
 * appStore.ts) and the notes the agent writes on a card during and after the call. A note
 * goes to the call's ticket through the ordinary `ticket.addNote` call, so it is queued
 * like any note (and survives going offline).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { CtiCall } from '../../../shared/cti.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

export interface CallSlice {
  /** Calls on this agent's screen, newest first. */
  calls: CtiCall[];
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

    applyCalls(calls) {
      const ids = new Set(calls.map((call) => call.callId));
      const keep = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)));
      // A card that is gone takes its unsaved note only if it was empty; a typed note is never dropped silently.
      const notes = Object.fromEntries(Object.entries(get().callNotes).filter(([id, text]) => ids.has(id) || text.trim() !== ''));
      set({
        calls,
        callNotes: notes,
        callNotesSaved: keep(get().callNotesSaved),
        callError: get().callError && ids.has(get().callError!.callId) ? get().callError : null,
      });
    },

    async dismissCall(callId) {
      const note = get().callNotes[callId] ?? '';
      set({ calls: get().calls.filter((call) => call.callId !== callId) });
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
