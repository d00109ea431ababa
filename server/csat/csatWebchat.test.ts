/**
 * The rating card in web chat on a real server: a visitor's conversation is completed, the
 * invitation reaches their widget live through the webchat sender (claimed like any reply)
 * with a link, the widget's `webchat:rate` answers it once; another visitor cannot use a
 * token they do not have (a made-up one is unknown), a malformed answer is refused by the
 * schema, and a visitor who comes back sees the card again with a fresh link until it is answered.
 */
import { randomUUID } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Mutation } from '../../shared/sync.js';
import type { WebchatAck, WebchatMessage, WebchatRated, WebchatSent, WebchatWelcome } from '../../shared/webchat.js';
import { seedTestOrganisation, startTestServer, testWebchatChannel, type TestServer } from '../testHarness.js';

const LINK = /\/csat\/([A-Za-z0-9_-]{43})/;
let t: TestServer;
const sockets: Socket[] = [];

async function visitor(visitorId: string): Promise<{ socket: Socket; welcome: WebchatWelcome; messages: WebchatMessage[] }> {
  const socket = connect(`${t.url}/webchat`, {
    auth: { site: 'demo', visitorId },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: t.url },
  });
  sockets.push(socket);
  const messages: WebchatMessage[] = [];
  socket.on('webchat:message', (message: WebchatMessage) => messages.push(message));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const welcome = await call<WebchatWelcome>(socket, 'webchat:hello', {});
  return { socket, welcome, messages };
}

async function ask<T>(socket: Socket, event: string, payload: unknown): Promise<WebchatAck<T>> {
  return (await socket.timeout(5_000).emitWithAck(event, payload)) as WebchatAck<T>;
}

async function call<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const response = await ask<T>(socket, event, payload);
  if (!response.ok) throw new Error(`${event} refused: ${response.error.code} ${response.error.message}`);
  return response.result;
}

async function complete(ticketId: string): Promise<void> {
  const agent = (await t.store.getUser('agent1'))!;
  for (const body of [
    { kind: 'setFields', result: '已解答' },
    { kind: 'setStatus', status: 'completed' },
  ]) {
    const mutation = { mutationId: randomUUID(), ticketId, createdAt: t.clock.now(), ...body } as Mutation;
    expect(await t.store.applyMutation(agent, 'desk', mutation, t.clock.now())).toMatchObject({ ok: true });
  }
}

const answer = { attitude: 4, speed: 5, resolution: 4, professionalism: 5, comment: '<img src=x onerror=alert(1)>谢谢' };

beforeAll(async () => {
  t = await startTestServer({ routing: { autoAccept: true }, channels: [testWebchatChannel()] });
  await seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
});

afterAll(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

describe('the rating card in web chat', () => {
  it('reaches the visitor live on completion, is answered once, and shows again with a fresh link to a returning visitor until then', async () => {
    const first = await visitor('visitor-csat-000001');
    const sent = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'csat-msg-0001', text: '我的订单还没发货' });
    await t.store.assignTicket({
      ticketId: sent.ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: t.clock.now(),
    });
    await complete(sent.ticketId);

    let token = '';
    await vi.waitFor(
      () => {
        token = LINK.exec(first.messages.find((m) => m.from === 'agent' && LINK.test(m.text))?.text ?? '')?.[1] ?? '';
        expect(token).not.toBe('');
      },
      { timeout: 5_000 },
    );
    expect((await t.store.csat.forTicket(sent.ticketId))!).toMatchObject({ status: 'sent', via: 'webchat:demo' });

    // Coming back before answering: the card is in the history with another working link.
    first.socket.disconnect();
    const back = await visitor('visitor-csat-000001');
    const again = LINK.exec(back.welcome.history.find((m) => m.from === 'agent' && LINK.test(m.text))?.text ?? '')?.[1];
    expect(again).toBeDefined();
    expect(again).not.toBe(token);

    // Another visitor has no token for it; a made-up one is unknown, a malformed answer refused, nothing written.
    const stranger = await visitor('visitor-csat-000002');
    expect(await call<WebchatRated>(stranger.socket, 'webchat:rate', { token: 'Z'.repeat(43), answer })).toEqual({ outcome: 'unknown' });
    expect(await ask(stranger.socket, 'webchat:rate', { token, answer: { ...answer, speed: 6 } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect((await t.store.csat.forTicket(sent.ticketId))!.result).toBeNull();

    const rated = await call<WebchatRated>(back.socket, 'webchat:rate', { token: again, answer });
    expect(rated).toMatchObject({ outcome: 'thanks', feedbackId: expect.stringMatching(/^FK20241108\d{3}$/) as unknown });
    expect(await call<WebchatRated>(back.socket, 'webchat:rate', { token, answer })).toEqual({ outcome: 'answered' });
    const survey = (await t.store.csat.forTicket(sent.ticketId))!;
    expect(survey.result).toMatchObject({ score: 4.5, comment: answer.comment });

    // Answered: a later visit shows the invitation without a link.
    back.socket.disconnect();
    const later = await visitor('visitor-csat-000001');
    expect(later.welcome.history.some((m) => LINK.test(m.text))).toBe(false);
  });
});
