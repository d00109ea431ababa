import type { StateCreator } from 'zustand/vanilla';
import {
  ATTENTION_PAGE_MAX,
  ATTENTION_PAGE_SIZE,
  attentionContentSchema,
  attentionPreviewSchema,
  isWholeAttentionText,
  type AttentionContent,
  type AttentionItem,
  type AttentionPage,
  type WorkstationApi,
} from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, AttentionSlice } from './types.js';

/** The kinds whose kept text goes back into the reply composer; the others with text (note, handover, escalation) into the note composer. */
const REPLY_KINDS: ReadonlySet<string> = new Set(['reply']);
const NOTE_KINDS: ReadonlySet<string> = new Set(['note', 'transfer', 'requestEscalation']);

/** The item as the core sent it, its text preview read again through the shared schema (it crossed a process): an unreadable one is shown as none. */
function readItem(item: AttentionItem): AttentionItem {
  const content = item.content === null ? null : (attentionPreviewSchema.safeParse(item.content).data ?? null);
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
  // One reload at a time: a burst of refusals (a long offline shift pushed at once) asks for
  // one per refusal; those arriving during a reload make one more after it, not one each.
  let reloading: Promise<void> | null = null;
  let reloadAgain = false;
  // A page asked for before a reload or dismissal is dropped: it may hold what they took away.
  let generation = 0;

  return (set, get) => {
    const applyPage = (page: AttentionPage, append: boolean) => {
      const items = page.items.map(readItem);
      const shown = append ? [...get().attentionItems, ...items.filter((item) => !get().attentionItems.some((had) => had.id === item.id))] : items;
      set({ attentionItems: shown, attentionTotal: page.total, attentionNext: page.next, attentionLoading: false, attentionError: null });
    };

    const reloadOnce = async () => {
      do {
        reloadAgain = false;
        const request = ++generation;
        // As many as the agent had loaded (a page at least), so a reload does not take away what they scrolled to.
        const limit = Math.min(ATTENTION_PAGE_MAX, Math.max(ATTENTION_PAGE_SIZE, get().attentionItems.length));
        try {
          const page = await api.invoke('attention.list', { limit });
          if (request === generation && !reloadAgain) applyPage(page, false);
        } catch (error) {
          if (request === generation && !reloadAgain) set({ attentionLoading: false, attentionError: toUiError(error) });
        }
      } while (reloadAgain && get().attentionOpen && get().user);
      // Closed (or signed out) with a reload still wanted: the next opening loads anyway.
      if (reloadAgain) {
        reloadAgain = false;
        set({ attentionLoading: false });
      }
    };

    return {
      attentionOpen: false,
      attentionItems: [],
      attentionTotal: 0,
      attentionNext: null,
      attentionLoading: false,
      attentionError: null,

      async openAttention() {
        // Opened afresh: the first page again, not every page the agent went through last time.
        if (!get().attentionOpen) set({ attentionItems: get().attentionItems.slice(0, ATTENTION_PAGE_SIZE) });
        set({ attentionOpen: true });
        await get().loadAttention();
      },

      closeAttention() {
        set({ attentionOpen: false, attentionError: null });
      },

      async loadAttention() {
        if (!get().user) return;
        set({ attentionLoading: true });
        if (reloading) {
          reloadAgain = true;
          return reloading;
        }
        reloading = reloadOnce().finally(() => {
          reloading = null;
        });
        return reloading;
      },

      async loadMoreAttention() {
        const before = get().attentionNext;
        if (!get().user || before === null) return;
        const request = generation;
        set({ attentionLoading: true });
        try {
          const page = await api.invoke('attention.list', { before, limit: ATTENTION_PAGE_SIZE });
          // A reload since then already shows what is current: this older page may not follow it.
          if (request === generation && get().attentionNext === before) applyPage(page, true);
          else set({ attentionLoading: false });
        } catch (error) {
          set({ attentionLoading: false, attentionError: toUiError(error) });
        }
      },

      async attentionText(id) {
        const item = get().attentionItems.find((candidate) => candidate.id === id);
        if (!item || item.content === null) return null;
        const { subject, fileNames } = item.content;
        if (isWholeAttentionText(item.content)) {
          return { text: item.content.text, ...(subject !== undefined ? { subject } : {}), ...(fileNames !== undefined ? { fileNames } : {}) };
        }
        try {
          const { content } = await api.invoke('attention.content', { id });
          // Read again through the shared schema: it crossed a process.
          return content === null ? null : (attentionContentSchema.safeParse(content).data ?? null);
        } catch (error) {
          set({ attentionError: toUiError(error) });
          return null;
        }
      },

      async dismissAttentionItem(id) {
        generation += 1;
        try {
          await api.invoke('attention.dismiss', { id });
          // The count comes with the reload below (a reload may already have counted this dismissal).
          set({ attentionItems: get().attentionItems.filter((item) => item.id !== id), attentionError: null });
        } catch (error) {
          set({ attentionError: toUiError(error) });
        }
        await get().loadAttention();
      },

      async restoreAttentionText(id) {
        const item = get().attentionItems.find((candidate) => candidate.id === id);
        const target = item ? restoreTargetOf(item) : null;
        if (!item || !target || item.ticketId === null) return false;
        const { ticketId } = item;
        const content: AttentionContent | null = await get().attentionText(id);
        if (content === null) return false;
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
    };
  };
}
