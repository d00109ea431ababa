/**
 * Web chat in the renderer store: which visitors are typing, how far each visitor has read,
 * and this agent's own typing, sent to the visitor while they write a reply. All of it is
 * ephemeral (the core keeps nothing of it in the cache). Events arrive through `chatTyping`
 * and `chatRead` (wired in appStore.ts, which also watches the reply draft for typing).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { CHAT_TYPING_TTL_MS, MAX_READ_MARKS, type ChatReadEvent, type ChatTypingEvent } from '../../../shared/webchat.js';
import type { AppState } from './types.js';

/** While the agent keeps typing, the visitor is told again this often (their widget forgets after 8 s). */
export const AGENT_TYPING_REPEAT_MS = 3_000;
/** The agent counts as stopped after this long without a keystroke. */
export const AGENT_TYPING_IDLE_MS = 4_000;

export interface ChatSlice {
  /** Ticket id → when its visitor was last heard typing, on the screens' clock (server time, useNow); absent = not typing. */
  visitorTyping: Record<string, number>;
  /** Ticket id → the newest agent message its visitor has seen. */
  readMarks: Record<string, ChatReadEvent>;
  loadChatState: () => Promise<void>;
  applyChatTyping: (event: ChatTypingEvent) => void;
  applyChatRead: (mark: ChatReadEvent) => void;
  /** The reply draft of a ticket changed: tell its web chat visitor the agent is typing (paced), or stopped. */
  noteAgentTyping: (ticketId: string, hasText: boolean) => void;
}

/**
 * The marks with `mark` as the newest (a ticket marked again moves to the end), the oldest
 * dropped beyond MAX_READ_MARKS as the core drops them: unbounded, a lead's window open for
 * days kept every chat's mark and copied them all on each new one.
 */
export function withReadMark(marks: Readonly<Record<string, ChatReadEvent>>, mark: ChatReadEvent): Record<string, ChatReadEvent> {
  // Ticket ids are not integer-like, so the keys keep insertion order.
  const next = { ...marks };
  delete next[mark.ticketId];
  next[mark.ticketId] = mark;
  const keys = Object.keys(next);
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_READ_MARKS))) delete next[key];
  return next;
}

/**
 * The typing times with `event` applied at `now`, lapsed ones dropped: a visitor typing in a
 * queued chat is heard by the whole channel but their stop only by whoever took it, so without
 * the lapse every such chat stayed in a window open for days and was copied on each signal.
 */
export function withVisitorTyping(typing: Readonly<Record<string, number>>, event: ChatTypingEvent, now: number): Record<string, number> {
  const next: Record<string, number> = {};
  for (const [ticketId, since] of Object.entries(typing)) if (now - since < CHAT_TYPING_TTL_MS) next[ticketId] = since;
  if (event.typing) next[event.ticketId] = now;
  else delete next[event.ticketId];
  return next;
}

/** Whether the visitor of `ticketId` counts as typing at `now`. */
export function isVisitorTyping(state: Pick<ChatSlice, 'visitorTyping'>, ticketId: string, now: number): boolean {
  const since = state.visitorTyping[ticketId];
  return since !== undefined && now - since < CHAT_TYPING_TTL_MS;
}

export function createChatSlice(api: WorkstationApi): StateCreator<AppState, [], [], ChatSlice> {
  /** The ticket this agent is typing on, as last told to the server, and when. */
  let typingOn: { ticketId: string; sentAt: number } | null = null;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;

  function send(ticketId: string, typing: boolean): void {
    // Best effort: a lost typing signal only means the indicator is late.
    api.invoke('chat.typing', { ticketId, typing }).catch(() => undefined);
  }

  function stop(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (typingOn) send(typingOn.ticketId, false);
    typingOn = null;
  }

  return (set, get) => ({
    visitorTyping: {},
    readMarks: {},

    async loadChatState() {
      try {
        const { typing, reads } = await api.invoke('chat.state', {});
        const now = get().serverNow();
        set({
          visitorTyping: Object.fromEntries(typing.map((event) => [event.ticketId, now])),
          readMarks: Object.fromEntries(reads.map((mark) => [mark.ticketId, mark])),
        });
      } catch {
        // Signed out or shutting down: nothing to show.
      }
    },

    applyChatTyping(event) {
      set({ visitorTyping: withVisitorTyping(get().visitorTyping, event, get().serverNow()) });
    },

    applyChatRead(mark) {
      set({ readMarks: withReadMark(get().readMarks, mark) });
    },

    noteAgentTyping(ticketId, hasText) {
      const detail = get().detail;
      const webchat = detail?.ticket.id === ticketId && detail.messages.some((m) => m.direction === 'inbound' && m.source?.startsWith('webchat:'));
      if (!hasText || !webchat) {
        if (typingOn?.ticketId === ticketId || !hasText) stop();
        return;
      }
      if (typingOn && typingOn.ticketId !== ticketId) stop();
      const now = Date.now();
      if (!typingOn || now - typingOn.sentAt >= AGENT_TYPING_REPEAT_MS) {
        send(ticketId, true);
        typingOn = { ticketId, sentAt: now };
      }
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, AGENT_TYPING_IDLE_MS);
    },
  });
}
