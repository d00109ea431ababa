/**
 * Routing attacks and the refusals they meet, through the real server (HTTP, socket.io,
 * SQLite, the signed CTI webhook). One row per attack: add a row for the next one.
 */
import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundResponse } from '../../shared/httpApi.js';
import { type ClientToServerEvents, type ServerToClientEvents } from '../../shared/sync.js';
import { ctiChannel } from '../channels/cti/ctiChannel.js';
import { signedWebhookHeaders } from '../channels/signature.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, postJson, startTestServer, type TestServer } from '../testHarness.js';
import { openTestSocket } from '../testing/sockets.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type UntypedEmitter = { emitWithAck(event: string, request: unknown): Promise<unknown> };

const CTI_SECRET = 'cti-secret-for-routing-security';
const TOKEN_TTL_MS = 60 * 60 * 1000;
let t: TestServer;
const sockets: ClientSocket[] = [];

beforeEach(async () => {
  t = await startTestServer({ channels: [ctiChannel({ secret: CTI_SECRET, twilio: null })], tokenTtlMs: TOKEN_TTL_MS, agentsPushThrottleMs: 0 });
  await t.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  await t.store.createUser({
    id: 'agent1',
    username: 'agent1',
    password: TEST_PASSWORD,
    displayName: '王芳',
    role: 'agent',
    channels: ['phone', 'chat'],
    extension: '8001',
  });
  await t.store.createUser({ id: 'agent2', username: 'agent2', password: TEST_PASSWORD, displayName: '张强', role: 'agent', channels: ['chat', 'email'] });
  await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

async function signIn(username: string): Promise<ClientSocket> {
  const socket = await openTestSocket(t.url, username);
  sockets.push(socket);
  return socket;
}

/** Sends a routing request; the answer is returned as it came (an ack with ok/result or ok/error). */
async function request(socket: ClientSocket, event: string, payload: unknown): Promise<unknown> {
  return (socket.timeout(5_000) as unknown as UntypedEmitter).emitWithAck(event, payload);
}

async function inbound(body: unknown): Promise<string> {
  const response = await postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(body), TEST_INTEGRATION_TOKEN);
  return (response.body as InboundResponse).ticketId;
}

const chat = () => inbound({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好，订单什么时候发货？' });
const email = () => inbound({ channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '订单地址需要修改' });
const refused = (code: string) => ({ ok: false, error: { code } });

const ATTACKS: Array<{ attack: string; run: () => Promise<unknown>; expect: unknown }> = [
  { attack: 'an agent asks for the team board', run: async () => request(await signIn('agent1'), 'lead:agents', {}), expect: refused('forbidden') },
  {
    attack: 'an agent reassigns a ticket to themselves',
    run: async () => request(await signIn('agent2'), 'lead:reassign', { ticketIds: [await email()], to: 'agent2' }),
    expect: refused('forbidden'),
  },
  {
    attack: 'an agent raises their own capacity',
    run: async () => request(await signIn('agent1'), 'lead:setCapacity', { userId: 'agent1', capacity: { chat: 50 } }),
    expect: refused('forbidden'),
  },
  {
    attack: 'an agent sets a colleague offline',
    run: async () => request(await signIn('agent1'), 'lead:setPresence', { userId: 'agent2', presence: 'offline' }),
    expect: refused('forbidden'),
  },
  {
    attack: "an agent accepts a chat offered to a colleague, and the colleague's offer stands",
    run: async () => {
      await signIn('agent1');
      const ticketId = await chat();
      const answer = await request(await signIn('agent2'), 'offer:respond', { ticketId, accept: true });
      return { answer, ticket: await t.store.getTicket(ticketId) };
    },
    expect: {
      answer: { ok: true, result: { outcome: 'gone', reason: 'not_offered' } },
      ticket: { assigneeId: null, routing: { offer: { agentId: 'agent1' } } },
    },
  },
  {
    attack: 'an agent escalates a ticket of a channel they cannot see',
    run: async () => request(await signIn('agent1'), 'ticket:escalate', { ticketId: await email(), reason: '想看看内容' }),
    expect: refused('not_found'),
  },
  {
    attack: 'an agent reads the routing history of a ticket they cannot see',
    run: async () => request(await signIn('agent1'), 'routing:audit', { ticketId: await email() }),
    expect: refused('not_found'),
  },
  {
    attack: 'a lead sets a capacity out of range',
    run: async () => request(await signIn('lead1'), 'lead:setCapacity', { userId: 'agent1', capacity: { chat: -1 } }),
    expect: refused('invalid_request'),
  },
  {
    attack: 'an agent sends a presence that does not exist',
    run: async () => request(await signIn('agent1'), 'presence:set', { presence: 'invisible' }),
    expect: refused('invalid_request'),
  },
  {
    attack: 'an agent smuggles another user id into their own presence request',
    run: async () => request(await signIn('agent1'), 'presence:set', { presence: 'away', userId: 'agent2' }),
    expect: refused('invalid_request'),
  },
  {
    attack: 'a lead reassigns more than 100 tickets at once',
    run: async () =>
      request(await signIn('lead1'), 'lead:reassign', {
        ticketIds: Array.from({ length: 101 }, (_, i) => `GD20241108${String(i + 1).padStart(3, '0')}`),
        to: null,
      }),
    expect: refused('invalid_request'),
  },
  {
    attack: 'a socket keeps asking after its token expired',
    run: async () => {
      const socket = await signIn('agent1');
      t.clock.advance(TOKEN_TTL_MS + 1);
      return request(socket, 'presence:set', { presence: 'away' });
    },
    expect: refused('unauthorized'),
  },
  {
    attack: "an unsigned call event claims a live call on an agent's extension to keep chats away from them",
    run: async () => {
      await signIn('agent1');
      const body = JSON.stringify({
        event: 'answered',
        callId: 'forged-1',
        at: new Date(t.clock.now()).toISOString(),
        from: '13800138000',
        to: '4008001234',
        agentExtension: '8001',
      });
      const response = await fetch(`${t.url}/channels/cti/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signedWebhookHeaders('not-the-secret', body, t.clock.now()) },
        body,
      });
      const ticketId = await chat();
      return {
        status: response.status,
        onCall: t.server.routing.agents().find((a) => a.userId === 'agent1')?.onCall,
        offer: (await t.store.getTicket(ticketId))?.routing.offer,
      };
    },
    expect: { status: 401, onCall: false, offer: { agentId: 'agent1' } },
  },
];

describe('routing refuses', () => {
  it.each(ATTACKS)('$attack', async ({ run, expect: expected }) => {
    expect(await run()).toMatchObject(expected as object);
  });
});
