import type { StateCreator } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, AttentionSlice } from './types.js';

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
        set({ attentionItems: items, attentionLoading: false, attentionError: null });
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
  });
}
