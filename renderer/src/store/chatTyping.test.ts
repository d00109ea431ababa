/**
 * The renderer's visitor-typing times lapse as the core's do (CHAT_TYPING_TTL_MS): a visitor
 * typing in a queued chat is heard by the whole channel, their stop only by whoever took it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStore } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { CHAT_TYPING_TTL_MS, type ChatTypingEvent } from '../../../shared/webchat.js';
import { createChatSlice, isVisitorTyping } from './chatSlice.js';
import { createConnectionSlice } from './connectionSlice.js';
import type { AppState } from './types.js';

const typingOn = (n: number, typing = true): ChatTypingEvent => ({ ticketId: `GD20241108${String(100_000 + n)}`, typing, at: n });

describe('visitor typing in the renderer store', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops the signals that lapsed without a stop, keeps the fresh ones, and a stop still ends one', () => {
    // Nothing here reaches the core: the signals arrive as its events would.
    // The connection slice too: the typing times are stamped on the screens' clock (serverNow), which it keeps.
    const api = {} as WorkstationApi;
    const store = createStore<AppState>()((...args) => ({ ...createConnectionSlice(api)(...args), ...createChatSlice(api)(...args) }) as AppState);
    const STALE = 200;
    for (let n = 0; n < STALE; n++) {
      store.getState().applyChatTyping(typingOn(n));
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(CHAT_TYPING_TTL_MS);
    store.getState().applyChatTyping(typingOn(STALE));
    store.getState().applyChatTyping(typingOn(STALE + 1));
    expect(Object.keys(store.getState().visitorTyping)).toEqual([typingOn(STALE).ticketId, typingOn(STALE + 1).ticketId]);
    expect(isVisitorTyping(store.getState(), typingOn(STALE).ticketId, Date.now())).toBe(true);

    store.getState().applyChatTyping(typingOn(STALE, false));
    expect(Object.keys(store.getState().visitorTyping)).toEqual([typingOn(STALE + 1).ticketId]);
  });
});
