/**
 * React access to the store: a provider for the one store, a selector hook, and the
 * translator for the current language.
 */
import { createContext, createElement, useCallback, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { translate, type MessageKey, type Translate, type TranslateVars } from '../i18n.js';
import type { AppStore } from './appStore.js';
import type { AppState } from './types.js';

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore must be used inside <StoreProvider>');
  return useStore(store, selector);
}

/** The store itself, for event handlers that read the latest state when they run. */
export function useStoreApi(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStoreApi must be used inside <StoreProvider>');
  return store;
}

/**
 * The translator for the current UI language; components re-render when it changes, and when
 * the organisation's time zone does (the time formatters of i18n.ts read it, and nearly every
 * component that shows a time translates too).
 */
export function useT(): Translate {
  const language = useAppStore((s) => s.language);
  const timeZone = useAppStore((s) => s.orgTimeZone);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the zone is not used here, but a new translator makes its users render again
  return useCallback((key: MessageKey, vars?: TranslateVars) => translate(language, key, vars), [language, timeZone]);
}
