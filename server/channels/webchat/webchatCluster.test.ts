/**
 * Web chat on two server nodes sharing one real Redis (socket.io adapter and shared state,
 * names under a random prefix): a visitor on one node, the agent on the other.
 *
 * Node A is the real server (startTestServer: SQLite store, routing, delivery). Node B is a
 * second HTTP + socket.io server on loopback that serves the same two namespaces over node A's
 * store instance: the sync namespace (attachSync, its own live fan-out), routing presence (into
 * node A's one routing service, as on a routing leader) and its own web chat channel with its
 * own shared state. Why one store instance and not two: the nodes of issue 10 share one
 * database (PostgreSQL); two SQLite files would be two databases, and the async PostgreSQL
 * store does not exist yet. Everything web chat keeps outside the database (sockets, rooms,
 * presence, read marks) is per node here, as in production, and crosses only through Redis.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  workstationHandshakeAuth,
  type Ack,
  type ClientToServerEvents,
  type PullResult,
  type PushResult,
  type ServerToClientEvents,
} from '../../../shared/sync.js';
import type { ChatReadEvent, ChatTypingEvent, WebchatAck, WebchatMessage, WebchatSent, WebchatWelcome } from '../../../shared/webchat.js';
import { createRedisSharedState } from '../../cluster/sharedState.js';
import { attachRedisAdapter, type RedisAdapterHandle } from '../../cluster/socketAdapter.js';
import { createLiveHub, type SyncServer } from '../../liveHub.js';
import { peerAddress } from '../../http.js';
import { startQueueSummary } from '../../queueSummary.js';
import { createRateLimiters } from '../../rateLimits.js';
import { localRoutingPort } from '../../routing/port.js';
import { attachRouting } from '../../routing/socket.js';
import { createRealScheduler } from '../../routing/scheduler.js';
import { createSessionEnds } from '../../sessions.js';
import { attachSync } from '../../sync.js';
import { createUserCache } from '../../userCache.js';
import { TEST_WEBCHAT_SECRET, TEST_WEBCHAT_SITE, login, seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { createTestRedis, type TestRedis } from '../../testing/redis.js';
import type { Channel, ChannelFactory } from '../channel.js';
import { anonymousVisitorSocialId, createWebchatChannel, type WebchatOptions } from './webchat.js';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const EVENTUALLY = { timeout: 20_000, interval: 50 };
const SITES: WebchatOptions['sites'] = new Map([[TEST_WEBCHAT_SITE, { secret: TEST_WEBCHAT_SECRET, allowedOrigins: [] }]]);
const VISITOR_ROOM = anonymousVisitorSocialId('demo', 'visitor-cluster-000001');

let redis: TestRedis;
let a: TestServer;
let ioA: SyncServer;
let b: { url: string; io: SyncServer; channel: Channel; close(): Promise<void> };
const adapters: RedisAdapterHandle[] = [];
const sockets: Socket[] = [];

async function sharedState() {
  return createRedisSharedState({ client: await redis.client(), keyPrefix: redis.prefix });
}

function adapterOptions() {
  return { keyPrefix: redis.prefix, blockTimeInMs: 200, log: () => undefined };
}

/** Gives node A's socket.io server the Redis adapter (it must be in place before anyone connects: channels are built before the server listens). */
const redisAdapterOnA: ChannelFactory = (ctx) => {
  ioA = ctx.io;
  adapters.push(attachRedisAdapter(ctx.io, redis.url, adapterOptions()));
  return { name: 'test-redis-adapter' };
};

async function startNodeB(): Promise<typeof b> {
  const httpServer = http.createServer();
  const io: SyncServer = new Server(httpServer, { serveClient: false });
  adapters.push(attachRedisAdapter(io, redis.url, adapterOptions()));
  const now = a.clock.now;
  const log = (line: string) => a.logLines.push(`[B] ${line}`);
  const hub = createLiveHub(now);
  const stopFanOut = a.store.onDidCommitChanges((batch) => hub.fanOut(batch));
  const queueSummary = startQueueSummary(io, { store: a.store, now, log });
  const users = createUserCache({ read: (userId) => a.store.getUser(userId), now });
  const sessions = createSessionEnds({ scheduler: createRealScheduler(now), log });
  const socketUsers = attachSync(io, { store: a.store, hub, queueSummary, rateLimits: createRateLimiters(), now, log, users, userChanges: a.store, sessions });
  attachRouting(io, { port: localRoutingPort(a.server.routing), store: a.store, now, log });
  let url = '';
  const state = await sharedState();
  const channel: Channel = await createWebchatChannel({ sites: SITES })({
    store: a.store,
    ingest: (contact) => a.store.ingestInbound(contact, { now: now(), router: a.server.routing }),
    io,
    now,
    log,
    publicUrl: () => url,
    agents: () => a.server.routing.agents(),
    callStateChanged: () => Promise.resolve(),
    // Replies are delivered by node A's dispatcher (one dispatcher per database here).
    sender: () => undefined,
    clientAddress: (handshake) => peerAddress(handshake.address, handshake.headers['x-forwarded-for'], false),
    rateLimits: createRateLimiters(),
    sharedState: state,
    onSocketUserChanged: (listener) => socketUsers.onSocketUserChanged(listener),
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${String((httpServer.address() as AddressInfo).port)}`;
  await channel.start?.();
  return {
    url,
    io,
    channel,
    async close() {
      await channel.stop?.();
      stopFanOut();
      await queueSummary.stop();
      const closed = io.close();
      httpServer.closeAllConnections();
      await closed;
    },
  };
}

beforeAll(async () => {
  redis = await createTestRedis('omnidesk-test-webchat');
  a = await startTestServer({
    tokenTtlMs: 60 * 60 * 1000,
    routing: { autoAccept: true },
    deliveryRetryDelayMs: 5,
    // Replies wait this long for a receipts widget's acknowledgement (through Redis) before the attempt is retried.
    channels: [redisAdapterOnA, createWebchatChannel({ sites: SITES, sharedState: await sharedState(), receiptTimeoutMs: 1_000 })],
  });
  await seedTestOrganisation(a.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
  b = await startNodeB();
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await b?.close();
  await a?.stop();
  for (const adapter of adapters) await adapter.close();
  await redis?.cleanup();
});

async function connected<T extends Socket>(socket: T): Promise<T> {
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

interface Desk {
  socket: AgentSocket;
  typing: ChatTypingEvent[];
  reads: ChatReadEvent[];
}

async function agentOn(url: string): Promise<Desk> {
  const { token } = await login(a.url, 'agent1');
  const desk: Desk = {
    socket: connect(url, {
      auth: workstationHandshakeAuth(token, `desk-${String(sockets.length)}`),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    }),
    typing: [],
    reads: [],
  };
  desk.socket.on('chat:typing', (event) => desk.typing.push(event));
  desk.socket.on('chat:read', (event) => desk.reads.push(event));
  await connected(desk.socket);
  return desk;
}

interface Widget {
  socket: Socket;
  messages: WebchatMessage[];
  typing: Array<{ typing: boolean; agentName: string }>;
}

/**
 * A widget on the node's own chat page, as a browser behind the load balancer would reach that
 * node. `acknowledge`: what it answers a reply emitted with an ack (a receipts widget's receipt, or nothing).
 */
async function visitorOn(url: string, visitorId = 'visitor-cluster-000001', acknowledge = true): Promise<Widget> {
  const widget: Widget = {
    socket: connect(`${url}/webchat`, {
      auth: { site: TEST_WEBCHAT_SITE, visitorId },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: url },
    }),
    messages: [],
    typing: [],
  };
  widget.socket.on('webchat:message', (message: WebchatMessage, ack?: (receipt: { messageId: string }) => void) => {
    widget.messages.push(message);
    if (acknowledge) ack?.({ messageId: message.id });
  });
  widget.socket.on('webchat:typing', (event: { typing: boolean; agentName: string }) => widget.typing.push(event));
  await connected(widget.socket);
  return widget;
}

async function call<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const response = (await socket.timeout(10_000).emitWithAck(event, payload)) as WebchatAck<T>;
  if (!response.ok) throw new Error(`${event} refused: ${response.error.code} ${response.error.message}`);
  return response.result;
}

async function reply(desk: Desk, ticketId: string, messageId: string, text: string): Promise<void> {
  const ack = (await desk.socket.timeout(10_000).emitWithAck('sync:push', {
    mutations: [{ mutationId: `mut-${messageId}`, kind: 'reply', ticketId, messageId, text, createdAt: a.clock.now() }],
  })) as Ack<PushResult>;
  expect(ack.ok && ack.result.results[0]!.ok).toBe(true);
}

/**
 * Each node reads the adapter's stream from when its adapter connected; until both have, a
 * broadcast may be missed. Repeats a probe from `from` to a socket on the other node until it
 * arrives, so the test proper starts with both nodes hearing each other.
 */
async function untilHeard(emit: () => void, socket: Socket): Promise<void> {
  let heard = false;
  socket.on('test:probe', () => (heard = true));
  await vi.waitFor(() => {
    if (!heard) emit();
    expect(heard).toBe(true);
  }, EVENTUALLY);
  socket.off('test:probe');
}

/** Emits the probe through a typed broadcast (the probe is no event of the product's maps). */
function probe(to: { emit: (...args: never[]) => unknown }): void {
  (to.emit as unknown as (event: string) => unknown).call(to, 'test:probe');
}

async function deliveryOf(ticketId: string, messageId: string): Promise<string | undefined> {
  return (await a.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)?.deliveryStatus;
}

describe('web chat with the visitor and the agent on different nodes', () => {
  it('carries message, typing, read mark and replies across, and a visitor reconnecting to the other node resumes', async () => {
    const deskOnB = await agentOn(b.url);
    const onA = await visitorOn(a.url);
    await untilHeard(() => probe(ioA.to('webchat-signals:agent:agent1')), deskOnB.socket);
    await untilHeard(() => probe(b.io.of('/webchat').to(VISITOR_ROOM)), onA.socket);

    // The visitor's message on A reaches the agent on B (routed to them: node A's routing knows their socket on B).
    const welcome = await call<WebchatWelcome>(onA.socket, 'webchat:hello', {});
    expect(welcome).toMatchObject({ history: [], agentsAvailable: true });
    const sent = await call<WebchatSent>(onA.socket, 'webchat:send', { clientMessageId: 'cmsg-cluster-1', text: '你好，我的订单 GD20231001001 还没发货' });
    expect((await a.store.getTicket(sent.ticketId))!.assigneeId).toBe('agent1');
    const pulled = (await deskOnB.socket.timeout(10_000).emitWithAck('sync:pull', { since: 0 })) as Ack<PullResult>;
    expect(pulled.ok && JSON.stringify(pulled.result)).toContain('还没发货');

    // Typing both ways.
    onA.socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(deskOnB.typing.at(-1)).toMatchObject({ ticketId: sent.ticketId, typing: true }), EVENTUALLY);
    deskOnB.socket.emit('chat:typing', { ticketId: sent.ticketId, typing: true });
    await vi.waitFor(() => expect(onA.typing.at(-1)).toEqual({ typing: true, agentName: '王芳' }), EVENTUALLY);
    deskOnB.socket.emit('chat:typing', { ticketId: sent.ticketId, typing: false });
    await vi.waitFor(() => expect(onA.typing.at(-1)).toEqual({ typing: false, agentName: '王芳' }), EVENTUALLY);

    // The agent's reply (pushed on B) reaches the widget on A; the visitor reads it and the agent on B sees the mark.
    await reply(deskOnB, sent.ticketId, 'msg-reply-cluster-1', '您好，已为您催促仓库今天发货。');
    await vi.waitFor(() => expect(onA.messages.map((m) => m.text)).toContain('您好，已为您催促仓库今天发货。'), EVENTUALLY);
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'msg-reply-cluster-1')).toBe('sent'), EVENTUALLY);
    await call(onA.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'msg-reply-cluster-1' });
    await vi.waitFor(() => expect(deskOnB.reads.at(-1)).toMatchObject({ ticketId: sent.ticketId, messageId: 'msg-reply-cluster-1' }), EVENTUALLY);

    // The visitor's connection to A drops; the load balancer sends the widget to B. It resumes with its history.
    onA.socket.disconnect();
    const onB = await visitorOn(b.url);
    const resumed = await call<WebchatWelcome>(onB.socket, 'webchat:hello', {});
    expect(resumed.history.map((m) => [m.from, m.text])).toEqual([
      ['visitor', '你好，我的订单 GD20231001001 还没发货'],
      ['agent', '您好，已为您催促仓库今天发货。'],
    ]);
    expect(resumed.agentsAvailable).toBe(true);

    // The agent opens a second window on A: it learns the read mark set through A, from the shared state.
    const deskOnA = await agentOn(a.url);
    await vi.waitFor(
      () => expect(deskOnA.reads).toContainEqual(expect.objectContaining({ ticketId: sent.ticketId, messageId: 'msg-reply-cluster-1' })),
      EVENTUALLY,
    );
    await untilHeard(() => probe(b.io.to('webchat-signals:agent:agent1')), deskOnA.socket);

    // A reply delivered by A's dispatcher finds the visitor on B (presence asked of both nodes) and reaches them there.
    await reply(deskOnA, sent.ticketId, 'msg-reply-cluster-2', '快递单号 SF1234567890。');
    await vi.waitFor(() => expect(onB.messages.map((m) => m.text)).toContain('快递单号 SF1234567890。'), EVENTUALLY);
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'msg-reply-cluster-2')).toBe('sent'), EVENTUALLY);

    // Read on B: the agent's windows on both nodes see the mark move; an older read does not move it back.
    await call(onB.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'msg-reply-cluster-2' });
    for (const desk of [deskOnA, deskOnB]) {
      await vi.waitFor(() => expect(desk.reads.at(-1)).toMatchObject({ ticketId: sent.ticketId, messageId: 'msg-reply-cluster-2' }), EVENTUALLY);
    }
    const readsBefore = deskOnA.reads.length;
    await call(onB.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'msg-reply-cluster-1' });
    const lateDesk = await agentOn(b.url);
    await vi.waitFor(
      () => expect(lateDesk.reads).toContainEqual(expect.objectContaining({ ticketId: sent.ticketId, messageId: 'msg-reply-cluster-2' })),
      EVENTUALLY,
    );
    expect(lateDesk.reads.filter((mark) => mark.ticketId === sent.ticketId)).toHaveLength(1);
    expect(deskOnA.reads).toHaveLength(readsBefore);

    // The visitor on B types and leaves mid-sentence: the agent on A hears both (no tab of theirs is left on any node).
    onB.socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(deskOnA.typing.at(-1)).toMatchObject({ ticketId: sent.ticketId, typing: true }), EVENTUALLY);
    onB.socket.disconnect();
    await vi.waitFor(() => expect(deskOnA.typing.at(-1)).toMatchObject({ ticketId: sent.ticketId, typing: false }), EVENTUALLY);

    // Node B's web chat stopping (a node shutting down) disconnects its own visitors, not node A's: a probe B sends
    // after stopping travels the same stream as any disconnect it sent, so once A's visitor hears it, they would be gone.
    const backOnA = await visitorOn(a.url);
    await b.channel.stop?.();
    await untilHeard(() => probe(b.io.of('/webchat').to(VISITOR_ROOM)), backOnA.socket);
    expect(backOnA.socket.connected).toBe(true);
    expect((await call<WebchatWelcome>(backOnA.socket, 'webchat:hello', {})).history).toHaveLength(3);
  });

  it("a receipts widget on one node acknowledges a reply the other node delivers: sent only then (B's channel stopped above: its namespace still serves new visitors)", async () => {
    const deskOnA = await agentOn(a.url);
    const onB = await visitorOn(b.url, 'visitor-cluster-000002');
    const silentOnB = await visitorOn(b.url, 'visitor-cluster-000003', false);
    for (const widget of [onB, silentOnB]) await untilHeard(() => probe(ioA.of('/webchat').to(widget.socket.id!)), widget.socket);
    await untilHeard(() => probe(b.io.to('webchat-signals:agent:agent1')), deskOnA.socket);

    // The widget on B acknowledges through the adapter; node A's dispatcher records sent on that.
    await call<WebchatWelcome>(onB.socket, 'webchat:hello', { capabilities: ['receipts'] });
    const sent = await call<WebchatSent>(onB.socket, 'webchat:send', { clientMessageId: 'cmsg-cluster-r1', text: '能开发票吗？' });
    await reply(deskOnA, sent.ticketId, 'msg-reply-cluster-r1', '可以，请提供抬头。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'msg-reply-cluster-r1')).toBe('sent'), EVENTUALLY);
    expect(onB.messages.map((m) => m.id)).toContain('msg-reply-cluster-r1');

    // A widget on B that says it gives receipts and never does: the reply reaches its socket, yet is never recorded sent.
    await call<WebchatWelcome>(silentOnB.socket, 'webchat:hello', { capabilities: ['receipts'] });
    const unanswered = await call<WebchatSent>(silentOnB.socket, 'webchat:send', { clientMessageId: 'cmsg-cluster-r2', text: '在吗？' });
    await reply(deskOnA, unanswered.ticketId, 'msg-reply-cluster-r2', '在的。');
    await vi.waitFor(async () => expect(await deliveryOf(unanswered.ticketId, 'msg-reply-cluster-r2')).not.toBe('queued'), { timeout: 60_000, interval: 100 });
    expect(await deliveryOf(unanswered.ticketId, 'msg-reply-cluster-r2')).toBe('failed');
    expect(silentOnB.messages.map((m) => m.id)).toContain('msg-reply-cluster-r2');
    onB.socket.disconnect();
    silentOnB.socket.disconnect();
  }, 90_000);
});
