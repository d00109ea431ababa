import type { StateCreator } from 'zustand/vanilla';
import { attentionContentSchema, type AttentionItem, type WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, AttentionSlice } from './types.js';

/** The kinds whose kept text goes back into the reply composer; the others with text (note, handover, escalation) into the note composer. */
const REPLY_KINDS: ReadonlySet<string> = new Set(['reply']);
const NOTE_KINDS: ReadonlySet<string> = new Set(['note', 'transfer', 'requestEscalation']);

/** The item as the core sent it, its kept text read again through the shared schema (it crossed a process): an unreadable one is shown as none. */
function readItem(item: AttentionItem): AttentionItem {
  const content = item.content === null ? null : (attentionContentSchema.safeParse(item.content).data ?? null);
  return { ...item, content, ticketAvailable: item.ticketAvailable === true };
}

/** Where an item's text can go back to, or null: only text of a change made on a ticket still in view. */
export function restoreTargetOf(item: AttentionItem): 'reply' | 'note' | null {
  if (item.content === null || item.ticketId === null || !item.ticketAvailable) return null;
  if (REPLY_KINDS.has(item.kind)) return 'reply';
  if (NOTE_KINDS.has(item.kind)) return 'note';
  return null;
}

/** `kept` after what the agent has there now, so putting text back never overwrites what they are writing. */
function joined(now: string | undefined, kept: string): string {
  return now === undefined || now.trim() === '' ? kept : `${now}\n\n${kept}`;
}

export function createAttentionSlice(api: WorkstationApi): StateCreator<AppState, [], [], AttentionSlice> {
  // Only the newest list is applied, so a dismissal racing a reload never resurrects an item.
  let latestRequest = 0;

  return (set, get) => ({
    attentionOpen: false,
    attentionItems: [],
    attentionLoading: false,
    attentionError: null,

    async openAttention() {
      set({ attentionOpen: true });
      await get().loadAttention();
    },

    closeAttention() {
      set({ attentionOpen: false, attentionError: null });
    },

    async loadAttention() {
      if (!get().user) return;
      const request = ++latestRequest;
      set({ attentionLoading: true });
      try {
        const items = await api.invoke('attention.list', {});
        if (request !== latestRequest) return;
        set({ attentionItems: items.map(readItem), attentionLoading: false, attentionError: null });
      } catch (error) {
        if (request !== latestRequest) return;
        set({ attentionLoading: false, attentionError: toUiError(error) });
      }
    },

    async dismissAttentionItem(id) {
      try {
        await api.invoke('attention.dismiss', { id });
        set({ attentionItems: get().attentionItems.filter((item) => item.id !== id), attentionError: null });
      } catch (error) {
        set({ attentionError: toUiError(error) });
      }
      await get().loadAttention();
    },

    async restoreAttentionText(id) {
      const item = get().attentionItems.find((candidate) => candidate.id === id);
      const target = item ? restoreTargetOf(item) : null;
      if (!item || !target || item.ticketId === null || item.content === null) return false;
      const { ticketId, content } = item;
      await get().openTicket(ticketId);
      // The ticket may have left this agent meanwhile: the text stays in the list to copy.
      if (get().openTicketId !== ticketId || get().detail?.ticket.id !== ticketId) {
        set({ attentionItems: get().attentionItems.map((entry) => (entry.id === id ? { ...entry, ticketAvailable: false } : entry)) });
        return false;
      }
      const state = get();
      if (target === 'reply') {
        const subject = content.subject;
        const keepSubject = subject !== undefined && (state.replySubjects[ticketId] ?? '').trim() === '';
        set({
          replyDrafts: { ...state.replyDrafts, [ticketId]: joined(state.replyDrafts[ticketId], content.text) },
          ...(keepSubject ? { replySubjects: { ...state.replySubjects, [ticketId]: subject } } : {}),
        });
      } else {
        set({ noteDrafts: { ...state.noteDrafts, [ticketId]: joined(state.noteDrafts[ticketId], content.text) } });
      }
      set({ attentionOpen: false, attentionError: null });
      return true;
    },
  });
}
