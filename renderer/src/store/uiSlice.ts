import type { StateCreator } from 'zustand/vanilla';
import { applyDocumentLanguage, initialLanguage, persistLanguage } from '../i18n.js';
import type { AppState, UiSlice } from './types.js';

/** Enough to explain a burst of refusals without the banner growing without bound. */
const MAX_ATTENTION_ITEMS = 20;

export function createUiSlice(): StateCreator<AppState, [], [], UiSlice> {
  let nextAttentionId = 1;
  return (set, get) => ({
    language: initialLanguage(),
    attention: [],

    setLanguage(language) {
      persistLanguage(language);
      applyDocumentLanguage(language);
      set({ language });
    },

    addAttention(ticketId, reason) {
      const item = { id: nextAttentionId++, ticketId, reason, at: Date.now() };
      set({ attention: [...get().attention, item].slice(-MAX_ATTENTION_ITEMS) });
    },

    dismissAttention() {
      set({ attention: [] });
    },
  });
}
