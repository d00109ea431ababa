/**
 * Collision over a real server's sockets (shared/collision.ts): two users viewing the same
 * ticket see each other's names, typing shows and is throttled, a user who may not see the
 * ticket is neither told nor shown, and a socket that disconnects leaves the roster.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TicketPresenceEvent } from '../shared/collision.js';
import type { Channel } from '../shared/domain.js';
import { workstationHandshakeAuth, type ClientToServerEvents, type ServerToClientEvents } from '../shared/sync.js';
import { login, startTestServer, TEST_PASSWORD, type TestServer } from './testHarness.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Client {
  socket: ClientSocket;
  events: TicketPresenceEvent[];
}

const USERS = [
  { id: 'lead1', displayName: '李主管', role: 'lead' as const, channels: [] as Channel[] },
  { id: 'agent1', displayName: '王芳', role: 'agent' as const, channels: ['chat'] as Channel[] },
  // Works the phone queue only: agent1's chat is not theirs to see.
  { id: 'agent3', displayName: '赵敏', role: 'agent' as const, channels: ['phone'] as Channel[] },
];

let t: TestServer;
let ticketId: string;
const sockets: ClientSocket[] = [];

async function clientOf(username: string): Promise<Client> {
  const { token } = await login(t.url, username);
  const socket: ClientSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `client-${username}-${String(sockets.length)}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const client: Client = { socket, events: [] };
  socket.on('ticket:presence', (event) => client.events.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

/** The newest roster a client heard for the ticket, as "name" / "name typing". */
function rosterOf(client: Client): string[] {
  const last = client.events.filter((event) => event.ticketId === ticketId).at(-1);
  return (last?.viewers ?? []).map((viewer) => (viewer.typing ? `${viewer.name} typing` : viewer.name)).sort();
}

beforeAll(async () => {
  t = await startTestServer();
  for (const user of USERS) await t.store.createUser({ ...user, username: user.id, password: TEST_PASSWORD });
  ticketId = (
    await t.store.ingestInbound({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '我的快递到哪了？' }, { now: t.clock.now() })
  ).ticketId;
  await t.store.assignTicket({
    ticketId,
    assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: t.clock.now(),
  });
});

afterAll(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

describe('collision on a ticket', () => {
  it('shows two viewers to each other, typing included, tells a stranger nothing, and drops a viewer who disconnects', async () => {
    const agent = await clientOf('agent1');
    const lead = await clientOf('lead1');
    const stranger = await clientOf('agent3');

    agent.socket.emit('ticket:presence', { ticketId, typing: false });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['王芳']));
    lead.socket.emit('ticket:presence', { ticketId, typing: false });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['李主管', '王芳']));
    await vi.waitFor(() => expect(rosterOf(lead)).toEqual(['李主管', '王芳']));

    // Names and typing only: nothing of the text.
    expect(Object.keys(lead.events.at(-1)!).sort()).toEqual(['count', 'ticketId', 'viewers']);
    expect(Object.keys(lead.events.at(-1)!.viewers[0]!).sort()).toEqual(['name', 'typing', 'userId']);

    // A user who may not see the ticket: not joined, not shown, told nothing.
    stranger.socket.emit('ticket:presence', { ticketId, typing: true });
    lead.socket.emit('ticket:presence', { ticketId, typing: true });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['李主管 typing', '王芳']));
    expect(stranger.events).toEqual([]);

    // The typing signal renewed faster than the throttle reaches nobody; stopping does.
    const before = agent.events.length;
    for (let i = 0; i < 5; i++) lead.socket.emit('ticket:presence', { ticketId, typing: true });
    lead.socket.emit('ticket:presence', { ticketId, typing: false });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['李主管', '王芳']));
    expect(agent.events.slice(before).map((event) => event.viewers.some((viewer) => viewer.typing))).toEqual([false]);

    lead.socket.disconnect();
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['王芳']));
    expect(stranger.events).toEqual([]);
  });

  it('moves a viewer from one ticket to the next, and ignores a malformed signal', async () => {
    const other = (await t.store.ingestInbound({ channel: 'chat', customer: { name: '李娜', phone: '13900139000' }, text: '发票' }, { now: t.clock.now() }))
      .ticketId;
    const agent = await clientOf('agent1');
    const lead = await clientOf('lead1');
    agent.socket.emit('ticket:presence', { ticketId, typing: false });
    lead.socket.emit('ticket:presence', { ticketId, typing: false });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['李主管', '王芳']));
    (lead.socket as unknown as { emit(event: string, payload: unknown): void }).emit('ticket:presence', { ticketId: 'GD-bad', typing: 'yes' });
    lead.socket.emit('ticket:presence', { ticketId: other, typing: false });
    await vi.waitFor(() => expect(rosterOf(agent)).toEqual(['王芳']));
    await vi.waitFor(() =>
      expect(
        lead.events
          .filter((event) => event.ticketId === other)
          .at(-1)
          ?.viewers.map((viewer) => viewer.name),
      ).toEqual(['李主管']),
    );
    lead.socket.emit('ticket:presence', { ticketId: null, typing: false });
  });
});
