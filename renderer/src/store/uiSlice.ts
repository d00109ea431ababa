import type { StateCreator } from 'zustand/vanilla';
import { applyDocumentLanguage, initialLanguage, persistLanguage } from '../i18n.js';
import type { AppState, UiSlice } from './types.js';

export function createUiSlice(): StateCreator<AppState, [], [], UiSlice> {
  return (set) => ({
    language: initialLanguage(),

    setLanguage(language) {
      persistLanguage(language);
      applyDocumentLanguage(language);
      set({ language });
    },

    shortcutsOpen: false,
    setShortcutsOpen(open) {
      set({ shortcutsOpen: open });
    },
  });
}
