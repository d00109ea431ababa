/**
 * An agent connecting is sent the web chat read marks of the tickets they may see. The marks
 * are kept for the last 10,000 tickets read, closed ones included, so on a busy site the map is
 * full within days: the marks' tickets must be read in a few batched queries per connection,
 * not one query per remembered ticket (every agent of a shift reconnecting after a restart).
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatReadEvent } from '../../../shared/webchat.js';
import { workstationHandshakeAuth, type ClientToServerEvents, type ServerToClientEvents } from '../../../shared/sync.js';
import { createMemorySharedState, type SharedState } from '../../cluster/sharedState.js';
import { login, seedTestOrganisation, startTestServer, TEST_WEBCHAT_SECRET, TEST_WEBCHAT_SITE, type TestServer } from '../../testHarness.js';
import { createWebchatChannel } from './webchat.js';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Marks of tickets that no longer exist (or never did here): the long tail of the remembered history. */
const GONE = 1_200;

let t: TestServer;
let sharedState: SharedState;
const sockets: Socket[] = [];

beforeEach(async () => {
  sharedState = createMemorySharedState();
  t = await startTestServer({
    channels: [createWebchatChannel({ sites: new Map([[TEST_WEBCHAT_SITE, { secret: TEST_WEBCHAT_SECRET, allowedOrigins: [] }]]), sharedState })],
  });
  await seedTestOrganisation(t.store, [
    { username: 'agent1', displayName: '王芳', channels: ['chat'] },
    { username: 'agent2', displayName: '张强', channels: ['chat'] },
  ]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

async function mark(ticketId: string, messageId: string): Promise<ChatReadEvent> {
  const event: ChatReadEvent = { ticketId, messageId, messageCreatedAt: t.clock.now(), at: t.clock.now() };
  expect(await sharedState.mapCompareAndSet('webchat:read-marks', ticketId, null, JSON.stringify(event), 10_000)).toBe(true);
  return event;
}

async function agentReads(username: string): Promise<ChatReadEvent[]> {
  const { token } = await login(t.url, username);
  const socket: AgentSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `desk-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const reads: ChatReadEvent[] = [];
  socket.on('chat:read', (event) => reads.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return reads;
}

describe('web chat read marks on an agent connecting', () => {
  it('sends the marks of the tickets the agent may see, reading the remembered tickets in a few batches, not one query each', async () => {
    const chat = (n: number) =>
      t.store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: `1380013${String(8000 + n)}` }, text: `第${String(n)}条` },
        { now: t.clock.now() },
      );
    const queued = (await chat(1)).ticketId;
    const mine = (await chat(2)).ticketId;
    const theirs = (await chat(3)).ticketId;
    await t.store.assignTicket({
      ticketId: mine,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: t.clock.now(),
    });
    await t.store.assignTicket({
      ticketId: theirs,
      assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: t.clock.now(),
    });
    for (let n = 0; n < GONE; n++) await mark(`GD20240101${String(100_000 + n)}`, `m-gone-${String(n)}`);
    const expected = [await mark(queued, 'm-queued'), await mark(mine, 'm-mine')];
    await mark(theirs, 'm-theirs');

    const single = vi.spyOn(t.store, 'getTicket');
    const batched = vi.spyOn(t.store, 'getTickets');
    const reads = await agentReads('agent1');
    await vi.waitFor(() => expect(reads.map((event) => event.messageId).sort()).toEqual(expected.map((event) => event.messageId).sort()));
    // No ticket read one by one for the marks (1,203 queries before): every remembered ticket in one batched read (a query per 500 ids).
    expect(single.mock.calls.filter(([id]) => id.startsWith('GD20240101'))).toHaveLength(0);
    expect(batched.mock.calls.map(([ids]) => ids.length)).toEqual([GONE + 3]);
  });
});
