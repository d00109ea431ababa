/**
 * The web chat signals of one signed-in session: the visitor typing and the read watermark
 * arrive from the server on the sync socket (`chat:typing`, `chat:read`, parsed with the
 * schemas of shared/webchat.ts) and go to the renderer as the `chatTyping` / `chatRead`
 * events; the agent's own typing goes to the server as a fire-and-forget `chat:typing`.
 * All of it is ephemeral: kept in memory for a window that opens late, never in the cache.
 */
import {
  CHAT_TYPING_TTL_MS,
  chatReadEventSchema,
  chatTypingEventSchema,
  isReadUpTo,
  MAX_READ_MARKS,
  type AgentTypingRequest,
  type ChatReadEvent,
  type ChatTypingEvent,
} from '../../../shared/webchat.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

export interface ChatSessionOptions {
  socket: WorkstationSocket;
  now: () => number;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
}

/** What the renderer needs to draw the indicators right now. */
export interface ChatState {
  /** Tickets whose visitor is typing (signals younger than CHAT_TYPING_TTL_MS). */
  typing: ChatTypingEvent[];
  reads: ChatReadEvent[];
}

export interface ChatSession {
  state(): ChatState;
  /** Tells the visitor this agent is typing; false when there is no connection to tell it over. */
  setTyping(request: AgentTypingRequest): { sent: boolean };
  stop(): void;
}

export function startChatSession(options: ChatSessionOptions): ChatSession {
  const { socket, now } = options;
  /** Ticket → the typing signal, with the local time it arrived (the server's clock may differ). */
  const typing = new Map<string, { event: ChatTypingEvent; receivedAt: number }>();
  const reads = new Map<string, ChatReadEvent>();
  let stopped = false;

  function onTyping(raw: unknown): void {
    const parsed = chatTypingEventSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    const event = parsed.data;
    // A stop may never come: a visitor typing in a queued chat is heard by the whole channel,
    // their stop only by whoever took it. Lapsed signals go, or each such chat stayed for the session's life.
    for (const [ticketId, held] of typing) if (now() - held.receivedAt >= CHAT_TYPING_TTL_MS) typing.delete(ticketId);
    if (event.typing) typing.set(event.ticketId, { event, receivedAt: now() });
    else typing.delete(event.ticketId);
    options.emit('chatTyping', event);
  }

  function onRead(raw: unknown): void {
    const parsed = chatReadEventSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    const mark = parsed.data;
    const previous = reads.get(mark.ticketId);
    // Marks only move forward; a repeat after a reconnect changes nothing.
    if (previous && isReadUpTo({ id: mark.messageId, createdAt: mark.messageCreatedAt }, previous)) return;
    reads.delete(mark.ticketId);
    reads.set(mark.ticketId, mark);
    if (reads.size > MAX_READ_MARKS) reads.delete(reads.keys().next().value!);
    options.emit('chatRead', mark);
  }

  function onDisconnect(): void {
    // Nobody can tell us when typing stops while we are away.
    for (const { event } of typing.values()) options.emit('chatTyping', { ...event, typing: false });
    typing.clear();
  }

  socket.on('chat:typing', onTyping);
  socket.on('chat:read', onRead);
  socket.on('disconnect', onDisconnect);

  return {
    state() {
      const fresh = [...typing.values()].filter(({ receivedAt }) => now() - receivedAt < CHAT_TYPING_TTL_MS).map(({ event }) => event);
      return { typing: fresh, reads: [...reads.values()] };
    },
    setTyping(request) {
      if (stopped || !socket.connected) return { sent: false };
      // Not volatile: socket.io drops a volatile packet whenever the transport is busy (e.g. with the reply's push), and a lost "stopped" leaves the visitor waiting.
      socket.emit('chat:typing', request);
      return { sent: true };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      typing.clear();
      reads.clear();
      socket.off('chat:typing', onTyping);
      socket.off('chat:read', onRead);
      socket.off('disconnect', onDisconnect);
    },
  };
}
