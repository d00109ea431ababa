/**
 * The visitor-typing signals a session holds: a visitor who starts typing while the chat is
 * queued is heard by every agent of the channel, but their stop goes only to whoever took
 * the ticket meanwhile (server/channels/webchat/webchat.ts, toAgents). The others never hear
 * it, so their entry must lapse with CHAT_TYPING_TTL_MS instead of staying for the session's life.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RpcEvents } from '../../../shared/rpc.js';
import { CHAT_TYPING_TTL_MS, type ChatTypingEvent } from '../../../shared/webchat.js';
import type { WorkstationSocket } from '../sync/syncClient.js';
import { startChatSession } from './chatSession.js';

/** The server's side of the sync socket: what it emits reaches the session's listeners. */
function serverSide(): { socket: WorkstationSocket; emitter: EventEmitter } {
  const emitter = new EventEmitter();
  return { socket: emitter as unknown as WorkstationSocket, emitter };
}

const ticketId = (n: number) => `GD20241108${String(100_000 + n)}`;

describe('visitor typing in the chat session', () => {
  it('forgets the signals whose stop never came once they lapsed: a disconnect ends only the fresh ones', () => {
    const { socket, emitter } = serverSide();
    let clock = 1_000_000;
    const told: Array<RpcEvents['chatTyping']> = [];
    const session = startChatSession({
      socket,
      now: () => clock,
      emit: (event, payload) => {
        if (event === 'chatTyping') told.push(payload as RpcEvents['chatTyping']);
      },
    });
    // Visitors of many queued chats start typing; someone else takes each chat, so no stop reaches this agent.
    const STALE = 200;
    for (let n = 0; n < STALE; n++) {
      emitter.emit('chat:typing', { ticketId: ticketId(n), typing: true, at: clock } satisfies ChatTypingEvent);
      clock += 10;
    }
    clock += CHAT_TYPING_TTL_MS;
    emitter.emit('chat:typing', { ticketId: ticketId(STALE), typing: true, at: clock } satisfies ChatTypingEvent);
    expect(session.state().typing.map((event) => event.ticketId)).toEqual([ticketId(STALE)]);

    told.length = 0;
    emitter.emit('disconnect');
    // What the session still held: the one fresh signal, not every stale one since it started.
    expect(told).toEqual([{ ticketId: ticketId(STALE), typing: false, at: clock }]);
    session.stop();
  });
});
