/**
 * The web chat channel on the real server with real socket.io clients: a visitor's widget
 * on `/webchat`, agents on the sync namespace. Identity (anonymous and HMAC-verified),
 * refusals, dedupe of resends, typing both ways, the read watermark, live reply delivery,
 * history for a returning visitor, email continuation, the offline form and bad input.
 */
import { createHmac } from 'node:crypto';
import { chromium } from '@playwright/test';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  workstationHandshakeAuth,
  type Ack,
  type ClientToServerEvents,
  type PullResult,
  type PushResult,
  type ServerToClientEvents,
} from '../../../shared/sync.js';
import {
  webchatQueuePlaceSchema,
  type ChatReadEvent,
  type ChatTypingEvent,
  type WebchatAck,
  type WebchatMessage,
  type WebchatQueuePlace,
  type WebchatSent,
  type WebchatWelcome,
} from '../../../shared/webchat.js';
import {
  TEST_BACKENDS,
  TEST_PASSWORD,
  TEST_WEBCHAT_SECRET,
  TEST_WEBCHAT_SITE,
  login,
  seedTestOrganisation,
  startTestServer,
  testWebchatChannel,
  type TestBackend,
  type TestServer,
} from '../../testHarness.js';
import { readDeliveryError } from '../../../shared/domain.js';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from '../../rateLimits.js';
import type { QueuedDelivery } from '../../store.js';
import type { ChannelFactory } from '../channel.js';
import { anonymousVisitorSocialId, createWebchatChannel, parseWebchatOrigins, parseWebchatSites, signWebchatIdentity } from './webchat.js';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type VisitorSocket = Socket;

const SECRET = TEST_WEBCHAT_SECRET;
let t: TestServer;
const sockets: Socket[] = [];
let emailed: QueuedDelivery[] = [];

/** A stand-in for the email channel's sender, recording what web chat hands it (the email channel has its own tests). */
const emailPeer: ChannelFactory = () => ({
  name: 'email-peer',
  senders: { email: { send: (delivery) => (emailed.push(delivery), Promise.resolve({ externalMessageId: `<${delivery.message.id}@mail.test>` })) } },
});

/** How long a reply waits for a receipts widget's acknowledgement in the receipts tests (an attempt not acknowledged by then is retried). */
const RECEIPT_TIMEOUT_MS = 400;

async function start(withEmail = false, receipts?: { receiptTimeoutMs: number }, rateLimits?: RateLimitConfig, backend?: TestBackend): Promise<void> {
  emailed = [];
  t = await startTestServer({
    ...(backend ? { backend } : {}),
    tokenTtlMs: 60 * 60 * 1000,
    ...(rateLimits ? { rateLimits } : {}),
    routing: { autoAccept: true },
    ...(receipts ? { deliveryRetryDelayMs: 5 } : {}),
    channels: [
      receipts
        ? createWebchatChannel({ sites: new Map([[TEST_WEBCHAT_SITE, { secret: SECRET, allowedOrigins: [] }]]), receiptTimeoutMs: receipts.receiptTimeoutMs })
        : testWebchatChannel(),
      ...(withEmail ? [emailPeer] : []),
    ],
  });
  await seedTestOrganisation(t.store, [
    { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
    { username: 'agent2', displayName: '张强', channels: ['phone'] },
  ]);
}

beforeEach(() => start());

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

function visitorAuth(visitorId: string, identity?: Record<string, unknown>): Record<string, unknown> {
  return { site: 'demo', visitorId, ...(identity ? { identity } : {}) };
}

/** A widget on the server's own chat page (its Origin is the server's), as a browser would connect. */
function openVisitor(auth: Record<string, unknown>): VisitorSocket {
  const socket = connect(`${t.url}/webchat`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin: t.url } });
  sockets.push(socket);
  return socket;
}

/**
 * A visitor's widget: `hello` is what its hello says (`{}`: an older widget, as every test before
 * receipts; `{capabilities: ['receipts']}`: the current one). Listeners the test adds after this
 * resolves miss nothing sent before the hello's answer.
 */
async function visitor(auth: Record<string, unknown>, hello: Record<string, unknown> = {}): Promise<{ socket: VisitorSocket; welcome: WebchatWelcome }> {
  const socket = openVisitor(auth);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const welcome = await call<WebchatWelcome>(socket, 'webchat:hello', hello);
  return { socket, welcome };
}

const RECEIPTS_HELLO = { capabilities: ['receipts'] };

/** Every agent reply a widget got live, with the acknowledgement socket.io gave it (a function for a receipts widget's). */
function collectReplies(socket: VisitorSocket): Array<{ message: WebchatMessage; ack: unknown }> {
  const got: Array<{ message: WebchatMessage; ack: unknown }> = [];
  socket.on('webchat:message', (message: WebchatMessage, ack: unknown) => {
    if (message.from === 'agent') got.push({ message, ack });
  });
  return got;
}

async function refusedWith(auth: Record<string, unknown>): Promise<{ message: string; code: string }> {
  const socket = openVisitor(auth);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected but should have been refused')));
    socket.once('connect_error', (error: Error & { data?: { code: string } }) => resolve({ message: error.message, code: error.data?.code ?? '' }));
  });
}

async function ask<T>(socket: Socket, event: string, payload: unknown): Promise<WebchatAck<T>> {
  return (await socket.timeout(5_000).emitWithAck(event, payload)) as WebchatAck<T>;
}

async function call<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const response = await ask<T>(socket, event, payload);
  if (!response.ok) throw new Error(`${event} refused: ${response.error.code} ${response.error.message}`);
  return response.result;
}

async function agent(username: string): Promise<{ socket: AgentSocket; typing: ChatTypingEvent[]; reads: ChatReadEvent[] }> {
  const { token } = await login(t.url, username);
  const socket: AgentSocket = connect(t.url, {
    auth: workstationHandshakeAuth(token, `desk-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const typing: ChatTypingEvent[] = [];
  const reads: ChatReadEvent[] = [];
  socket.on('chat:typing', (event) => typing.push(event));
  socket.on('chat:read', (event) => reads.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, typing, reads };
}

function nextEvent<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (payload: T) => resolve(payload)));
}

async function reply(socket: AgentSocket, ticketId: string, messageId: string, text: string): Promise<void> {
  const ack = (await socket.timeout(5_000).emitWithAck('sync:push', {
    mutations: [{ mutationId: `mut-${messageId}`, kind: 'reply', ticketId, messageId, text, createdAt: t.clock.now() }],
  })) as Ack<PushResult>;
  expect(ack.ok && ack.result.results[0]!.ok).toBe(true);
}

/** The visitor closes the page mid-sentence: once the agent hears the typing stop, the server has seen them go. */
async function leaveWhileTyping(socket: VisitorSocket, typing: ChatTypingEvent[], ticketId: string): Promise<void> {
  socket.emit('webchat:typing', { typing: true });
  await vi.waitFor(() => expect(typing.at(-1)).toMatchObject({ ticketId, typing: true }));
  socket.disconnect();
  await vi.waitFor(() => expect(typing.at(-1)).toMatchObject({ ticketId, typing: false }));
}

async function deliveryOf(ticketId: string, messageId: string): Promise<string | undefined> {
  return (await t.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)?.deliveryStatus;
}

describe('the widget files', () => {
  it('serves the widget script, the socket.io client and the chat page of a configured site', async () => {
    const widget = await fetch(`${t.url}/chat/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('content-type')).toContain('javascript');
    expect(await widget.text()).toContain("'webchat:send'");

    const client = await fetch(`${t.url}/chat/socket.io.min.js`);
    expect(client.status).toBe(200);
    expect((await client.text()).length).toBeGreaterThan(10_000);

    const page = await fetch(`${t.url}/chat/?site=demo&userId=u1001&exp=1731031800&signature=${'a'.repeat(64)}&name=${encodeURIComponent('张伟<b>')}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/chat/widget.js" data-site="demo" data-mode="page" data-user-id="u1001"');
    expect(html).toContain('data-user-name="张伟&lt;b&gt;"');
    expect(html).toContain('data-expires="1731031800"');

    const redirect = await fetch(`${t.url}/chat?site=demo`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/chat/?site=demo');

    const unknown = await fetch(`${t.url}/chat/?site=nosuch`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('此网站未开通在线客服');
    expect(t.logLines.some((line) => line.includes('page asked for unknown site "nosuch"'))).toBe(true);
  });

  it('reads WEBCHAT_SITES and refuses a malformed one with the reason', () => {
    expect([...parseWebchatSites('demo:demo-chat-secret, shop_2:another-secret')]).toEqual([
      ['demo', 'demo-chat-secret'],
      ['shop_2', 'another-secret'],
    ]);
    expect(() => parseWebchatSites('demo')).toThrow(/at least 8 characters/);
    expect(() => parseWebchatSites('bad site:secret-123')).toThrow(/not a site name/);
    expect(() => parseWebchatSites('a:secret-123,a:secret-456')).toThrow(/given twice/);
  });

  it('signs the user id, email, expiry and name together, as the documented example (channels.md) says', () => {
    expect(signWebchatIdentity('demo-chat-secret', { userId: 'u1001', email: 'zhang.wei@example.cn', exp: 1731031800, name: '张伟' })).toBe(
      '352f6e3c47ac280b5588aea281948a49e084d1106f119c938554118f1b43e5fa',
    );
    // Without email and name, the empty fields still take their place.
    expect(signWebchatIdentity('demo-chat-secret', { userId: 'u1001', exp: 1731031800 })).toBe(
      createHmac('sha256', 'demo-chat-secret').update('u1001\n\n1731031800\n').digest('hex'),
    );
  });

  it('reads WEBCHAT_ORIGINS for known sites and refuses anything that is not an origin', () => {
    expect([...parseWebchatOrigins('demo=https://shop.example.cn|http://127.0.0.1:8080, shop_2=https://M.Shop.example.cn/', ['demo', 'shop_2'])]).toEqual([
      ['demo', ['https://shop.example.cn', 'http://127.0.0.1:8080']],
      ['shop_2', ['https://m.shop.example.cn']],
    ]);
    expect(() => parseWebchatOrigins('nosuch=https://shop.example.cn', ['demo'])).toThrow(/not a site of WEBCHAT_SITES/);
    expect(() => parseWebchatOrigins('demo=https://shop.example.cn/chat', ['demo'])).toThrow(/not an origin/);
    expect(() => parseWebchatOrigins('demo=*', ['demo'])).toThrow(/not an origin/);
    expect(() => parseWebchatOrigins('demo=https://a.example,demo=https://b.example', ['demo'])).toThrow(/given twice/);
  });
});

describe('visitor identity', () => {
  it('an anonymous visitor opens a chat ticket under webchat:<site>:v-<SHA-256 of the visitor id>; a resend is not stored twice', async () => {
    const { socket, welcome } = await visitor(visitorAuth('visitor-abcdef-123456'));
    expect(welcome).toMatchObject({ history: [], agentsAvailable: false, verified: false, name: null, email: null });

    const first = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-0001', text: '你好，我想查询订单' });
    expect(first.duplicate).toBe(false);
    const again = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-0001', text: '你好，我想查询订单' });
    expect(again).toEqual({ ...first, duplicate: true });

    const bundle = (await t.store.getTicketBundle(first.ticketId))!;
    expect(bundle.ticket.channel).toBe('chat');
    // The visitor id is the visitor's secret: agents are shown (and the log names) its digest only.
    const socialId = anonymousVisitorSocialId('demo', 'visitor-abcdef-123456');
    expect(socialId).toMatch(/^webchat:demo:v-[A-Za-z0-9_-]{43}$/);
    expect(bundle.customer).toMatchObject({ socialId, name: `访客 ${socialId.slice('webchat:demo:v-'.length, 'webchat:demo:v-'.length + 6)}` });
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({
      text: '你好，我想查询订单',
      source: 'webchat:demo',
      externalMessageId: `${socialId}#cmsg-0001`,
      direction: 'inbound',
    });
    expect(t.logLines.some((line) => line.includes(`repeat of ${socialId}#cmsg-0001`))).toBe(true);
    expect(JSON.stringify([bundle, t.logLines])).not.toContain('visitor-abcdef-123456');
  });

  it('a verified visitor is matched to the customer who proved the same email (the signature covers it)', async () => {
    const known = await t.store.ingestInbound(
      {
        channel: 'email',
        customer: { name: '张伟', email: 'zhang.wei@example.cn' },
        subject: '订单物流查询延迟',
        text: '我的订单三天没有物流更新了',
        proven: ['email'],
        source: 'email',
      },
      { now: t.clock.now() },
    );
    // Valid for the longest a site may sign (10 minutes): accepted.
    const signed = { userId: 'u1001', name: '张伟', email: 'Zhang.Wei@example.cn', exp: Math.floor(t.clock.now() / 1000) + 600 };
    const identity = { ...signed, signature: signWebchatIdentity(SECRET, signed) };
    const { socket, welcome } = await visitor(visitorAuth('visitor-verified-0001', identity));
    expect(welcome).toMatchObject({ verified: true, name: '张伟', email: 'Zhang.Wei@example.cn' });

    const sent = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-verified-1', text: '物流还是没有更新' });
    const bundle = (await t.store.getTicketBundle(sent.ticketId))!;
    expect(bundle.customer.id).toBe((await t.store.getTicket(known.ticketId))!.customerId);
    expect(bundle.messages[0]!.externalMessageId).toBe('webchat:demo:user:u1001#cmsg-verified-1');
    expect(bundle.customer.identities ?? []).toEqual(expect.arrayContaining([{ kind: 'social', value: 'webchat:demo:user:u1001' }]));
  });

  it('refuses a bad signature, an unknown site and a malformed handshake, with a log line each and nothing stored', async () => {
    const forged = await refusedWith(
      visitorAuth('visitor-forged-0001', {
        userId: 'u1001',
        exp: 1731031800,
        signature: signWebchatIdentity('wrong-secret', { userId: 'u1001', exp: 1731031800 }),
      }),
    );
    expect(forged.code).toBe('invalid_signature');
    expect(forged.message).toContain('could not be verified');
    expect(t.logLines.some((line) => line.includes('refused visitor u1001 of site demo') && line.includes('signature does not match'))).toBe(true);

    const unknown = await refusedWith({ site: 'nosuch', visitorId: 'visitor-unknown-0001' });
    expect(unknown).toEqual({ code: 'unknown_site', message: 'Web chat is not set up for site "nosuch".' });

    const malformed = await refusedWith({ site: 'demo', visitorId: 'short' });
    expect(malformed.code).toBe('invalid_request');
    expect(malformed.message).toContain('visitorId');
    expect(t.logLines.filter((line) => line.startsWith('webchat: refused')).length).toBeGreaterThanOrEqual(3);
    expect(await t.store.listTicketIdsByExternalIdPrefix(['chat', 'email'], 'webchat:', 10)).toEqual([]);
  });
});

describe('live chat between a visitor and an agent', () => {
  it('typing both ways, the reply in real time, the read watermark (also for an agent who connects later)', async () => {
    const desk = await agent('agent1');
    const { socket, welcome } = await visitor(visitorAuth('visitor-live-000001'));
    expect(welcome.agentsAvailable).toBe(true);
    const sent = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-live-1', text: '你好，我想查询订单' });
    expect((await t.store.getTicket(sent.ticketId))!.assigneeId).toBe('agent1');

    socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(desk.typing).toContainEqual(expect.objectContaining({ ticketId: sent.ticketId, typing: true })));
    socket.emit('webchat:typing', { typing: false });
    await vi.waitFor(() => expect(desk.typing.at(-1)).toMatchObject({ ticketId: sent.ticketId, typing: false }));
    // A phone-only agent does not see the chat ticket, so hears none of it.
    const phoneAgent = await agent('agent2');
    socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(desk.typing.at(-1)).toMatchObject({ typing: true }));
    expect(phoneAgent.typing).toEqual([]);

    const agentTyping = nextEvent<{ typing: boolean; agentName: string }>(socket, 'webchat:typing');
    desk.socket.emit('chat:typing', { ticketId: sent.ticketId, typing: true });
    expect(await agentTyping).toEqual({ typing: true, agentName: '王芳' });

    const arrived = nextEvent<WebchatMessage>(socket, 'webchat:message');
    await reply(desk.socket, sent.ticketId, 'reply-live-0001', '您好，请提供一下订单号，我帮您查询。');
    expect(await arrived).toMatchObject({
      id: 'reply-live-0001',
      ticketId: sent.ticketId,
      from: 'agent',
      authorName: '王芳',
      text: '您好，请提供一下订单号，我帮您查询。',
    });
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-live-0001')).toBe('sent'));

    await call(socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'reply-live-0001' });
    await vi.waitFor(() => expect(desk.reads).toEqual([expect.objectContaining({ ticketId: sent.ticketId, messageId: 'reply-live-0001' })]));
    // Reading an older message again does not move the mark back or repeat it.
    await call(socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'reply-live-0001' });
    const later = await agent('agent1');
    await vi.waitFor(() => expect(later.reads).toEqual([expect.objectContaining({ messageId: 'reply-live-0001' })]));
    expect(desk.reads).toHaveLength(1);
    expect(phoneAgent.reads).toEqual([]);
  });

  it('a reply to a visitor who left without an email is recorded as not delivered, with the reason, until they come back and see it', async () => {
    const desk = await agent('agent1');
    const first = await visitor(visitorAuth('visitor-returns-0001'));
    const sent = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'cmsg-away-1', text: '请问退货地址是哪里？' });
    await leaveWhileTyping(first.socket, desk.typing, sent.ticketId);

    await reply(desk.socket, sent.ticketId, 'reply-away-0001', '退货地址：上海市浦东新区张江路 88 号。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-away-0001')).toBe('failed'));
    const undelivered = (await t.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'reply-away-0001')!;
    // A code the workstation says in the agent's language, with English for an API reader.
    expect(readDeliveryError(undelivered.deliveryError!)).toEqual({ code: 'visitor_gone', source: 'webchat' });
    expect(undelivered.deliveryError).toContain('the visitor left the chat and gave no email address');

    const back = await visitor(visitorAuth('visitor-returns-0001'));
    // Their widget shows it now: it was delivered after all, and the reason goes.
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-away-0001')).toBe('sent'));
    expect((await t.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'reply-away-0001')!.deliveryError).toBeNull();
    expect(back.welcome.history.map((m) => [m.from, m.text, m.clientMessageId])).toEqual([
      ['visitor', '请问退货地址是哪里？', 'cmsg-away-1'],
      ['agent', '退货地址：上海市浦东新区张江路 88 号。', null],
    ]);
    // Another visitor cannot read it, nor mark it read.
    const stranger = await visitor(visitorAuth('visitor-stranger-001'));
    expect(stranger.welcome.history).toEqual([]);
    const refused = await ask(stranger.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'reply-away-0001' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(desk.reads).toEqual([]);
  });

  it.each(TEST_BACKENDS)(
    'on %s, an agent of the channel cannot show a queued visitor someone typing: only whoever may answer (its holder, a lead or an admin) can',
    async (backend) => {
      await t.stop();
      await start(false, undefined, undefined, backend);
      await t.store.createUser({ id: 'admin1', username: 'admin1', password: TEST_PASSWORD, displayName: '系统管理员', role: 'admin', channels: [] });
      await t.store.createUser({ id: 'agent3', username: 'agent3', password: TEST_PASSWORD, displayName: '赵敏', role: 'agent', channels: ['chat', 'email'] });
      const desk = await agent('agent3');
      // Away: the chat below waits in the queue, which agent3 sees (their channel) but has not taken.
      await t.server.routing.setPresence('agent3', 'away', 'self', null);
      const admin = await agent('admin1');
      const { socket } = await visitor(visitorAuth('visitor-notyours-01'));
      const shown: Array<{ typing: boolean; agentName: string }> = [];
      socket.on('webchat:typing', (event: { typing: boolean; agentName: string }) => shown.push(event));
      const sent = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-notyours-1', text: '有人在吗？' });
      expect((await t.store.getTicket(sent.ticketId))!.assigneeId).toBeNull();

      desk.socket.emit('chat:typing', { ticketId: sent.ticketId, typing: true });
      // The refusal is logged where the signal would have been sent: once it is, the visitor has been sent nothing.
      await vi.waitFor(() => expect(t.logLines).toContainEqual(`webchat: refused chat:typing from agent3: ticket ${sent.ticketId} is not theirs to answer`));
      expect(shown).toEqual([]);

      const adminTyping = nextEvent<{ typing: boolean; agentName: string }>(socket, 'webchat:typing');
      admin.socket.emit('chat:typing', { ticketId: sent.ticketId, typing: true });
      expect(await adminTyping).toEqual({ typing: true, agentName: '系统管理员' });
      expect(shown).toEqual([{ typing: true, agentName: '系统管理员' }]);
    },
  );

  it('an agent whose chat channel an admin took away hears no more of its queued chats, on the socket already open', async () => {
    await t.store.createUser({ id: 'admin1', username: 'admin1', password: TEST_PASSWORD, displayName: '系统管理员', role: 'admin', channels: [] });
    await t.store.createUser({ id: 'agent3', username: 'agent3', password: TEST_PASSWORD, displayName: '赵敏', role: 'agent', channels: ['chat', 'email'] });
    const desk = await agent('agent3');
    // Away: the chat below waits in the queue, where its signals go to every chat agent.
    await t.server.routing.setPresence('agent3', 'away', 'self', null);
    const admin = await agent('admin1');
    const { socket } = await visitor(visitorAuth('visitor-queued-0001'));
    const sent = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-queued-1', text: '有人在吗？' });
    expect((await t.store.getTicket(sent.ticketId))!.assigneeId).toBeNull();
    socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(desk.typing).toEqual([expect.objectContaining({ ticketId: sent.ticketId, typing: true })]));

    const update = (await admin.socket.timeout(5_000).emitWithAck('admin:updateUser', {
      userId: 'agent3',
      skills: { displayName: '赵敏', role: 'agent', channels: ['email'], groups: [], tier: 1, senior: false, languages: ['zh'], extension: null },
    })) as Ack<unknown>;
    expect(update.ok).toBe(true);
    // The agent's socket sends nothing meanwhile: the change alone must take it out of the chat's signals.
    socket.emit('webchat:typing', { typing: false });
    await vi.waitFor(() => expect(admin.typing.at(-1)).toMatchObject({ ticketId: sent.ticketId, typing: false }));
    // The same emission wrote to every socket of its rooms: whatever the agent's socket was sent precedes this answer.
    const listed = (await desk.socket.timeout(5_000).emitWithAck('queue:list', { channel: 'email', limit: 10 })) as Ack<unknown>;
    expect(listed.ok).toBe(true);
    expect(desk.typing).toEqual([expect.objectContaining({ ticketId: sent.ticketId, typing: true })]);
    expect(desk.socket.connected).toBe(true);
  });

  it('bad input is refused with a clear error and a log line, and stores nothing', async () => {
    const { socket } = await visitor(visitorAuth('visitor-badinput-01'));
    const empty = await ask(socket, 'webchat:send', { clientMessageId: 'cmsg-bad-01', text: '   ' });
    expect(empty).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!empty.ok && empty.error.message).toContain('text: must not be empty');
    const long = await ask(socket, 'webchat:send', { clientMessageId: 'cmsg-bad-02', text: '长'.repeat(5001) });
    expect(!long.ok && long.error.message).toContain('at most 5000');
    const extra = await ask(socket, 'webchat:send', { clientMessageId: 'cmsg-bad-03', text: '你好', ticketId: 'GD20241108001' });
    expect(extra.ok).toBe(false);
    const badEmail = await ask(socket, 'webchat:offline', { clientMessageId: 'cmsg-bad-04', name: '李娜', email: 'not-an-email', text: '请联系我' });
    expect(!badEmail.ok && badEmail.error.message).toContain('email');
    socket.emit('webchat:typing', { typing: 'yes' });
    const socialId = anonymousVisitorSocialId('demo', 'visitor-badinput-01');
    await vi.waitFor(() => expect(t.logLines.some((line) => line.includes(`refused webchat:typing from ${socialId}`))).toBe(true));
    // One line per kind of bad request on a connection: a script repeating one must not flood the log.
    expect(t.logLines.filter((line) => line.includes(`refused webchat:send from ${socialId}`))).toHaveLength(1);
    expect(await t.store.listTicketIdsByExternalIdPrefix(['chat', 'email'], 'webchat:', 10)).toEqual([]);

    const desk = await agent('agent1');
    desk.socket.emit('chat:typing', { ticketId: 'GD20241108999', typing: true });
    await vi.waitFor(() => expect(t.logLines.some((line) => line.includes('refused chat:typing from agent1: no ticket GD20241108999'))).toBe(true));
  });
});

describe('who counts as available for a new chat', () => {
  async function agentOnPhoneAndChat(): Promise<void> {
    await t.store.createUser({
      id: 'agent3',
      username: 'agent3',
      password: TEST_PASSWORD,
      displayName: '刘洋',
      role: 'agent',
      channels: ['phone', 'chat'],
      extension: '8003',
    });
    await agent('agent3');
  }

  /** A call answered on agent3's extension, as the CTI records it; routing is told. */
  async function callOnAgent3(state: 'answered' | 'ended'): Promise<void> {
    const at = t.clock.now();
    const started = {
      callId: 'call-live-1',
      from: '13900139000',
      to: '4008001234',
      agentExtension: '8003',
      agentId: 'agent3',
      ticketId: null,
      messageId: null,
    };
    await t.store.cti.saveCall(
      state === 'answered'
        ? { ...started, state, startedAt: at, answeredAt: at, endedAt: null, durationSec: null, updatedAt: at }
        : { ...(await t.store.cti.getCall('call-live-1'))!, state, endedAt: at + 60_000, durationSec: 60, updatedAt: at + 60_000 },
    );
    await t.server.routing.callStateChanged('agent3');
  }

  it('an agent holding a call-back phone ticket can take a chat at once; during a live call a new chat waits for them', async () => {
    await agentOnPhoneAndChat();
    const callback = await t.store.ingestInbound(
      { channel: 'phone', customer: { name: '陈晓燕', phone: '15800158003' }, text: '未接来电，请回拨' },
      { now: t.clock.now(), router: t.server.routing },
    );
    expect(callback.ticket.assigneeId).toBe('agent3');
    const before = await visitor(visitorAuth('visitor-callback-0001'));
    expect(before.welcome.agentsAvailable).toBe(true);

    await callOnAgent3('answered');
    // Signed in but busy: no offline form; the chat would wait in the queue.
    const during = await visitor(visitorAuth('visitor-oncall-00001'));
    expect(during.welcome.agentsAvailable).toBe(true);

    await callOnAgent3('ended');
    const after = await visitor(visitorAuth('visitor-afterwards-01'));
    expect(after.welcome.agentsAvailable).toBe(true);
  });

  /** A visitor whose widget records every place it is told, from before it says hello. */
  async function waitingVisitor(visitorId: string): Promise<{ socket: VisitorSocket; places: Array<WebchatQueuePlace | null> }> {
    const socket = openVisitor(visitorAuth(visitorId));
    const places: Array<WebchatQueuePlace | null> = [];
    socket.on('webchat:queue', (place) => places.push(place === null ? null : webchatQueuePlaceSchema.parse(place)));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await call<WebchatWelcome>(socket, 'webchat:hello', {});
    return { socket, places };
  }

  it('tells a waiting visitor their place and the wait at the queue’s recent pace, and clears it when an agent takes the chat', async () => {
    await agentOnPhoneAndChat();
    const first = await waitingVisitor('visitor-served-00001');
    const served = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'cmsg-served-1', text: '你好，我想查询订单' });
    expect((await t.store.getTicket(served.ticketId))?.assigneeId).toBe('agent3');

    await callOnAgent3('answered');
    const second = await waitingVisitor('visitor-waiting-0001');
    const waited = await call<WebchatSent>(second.socket, 'webchat:send', { clientMessageId: 'cmsg-wait-1', text: '请问退货运费谁承担？' });
    // One chat left the queue in the last 30 minutes: each place ahead is about 30 minutes.
    await vi.waitFor(() => expect(second.places).toEqual([{ position: 1, estimatedWaitMs: 30 * 60_000 }]));

    const third = await waitingVisitor('visitor-waiting-0002');
    await call<WebchatSent>(third.socket, 'webchat:send', { clientMessageId: 'cmsg-wait-2', text: '发票抬头写错了' });
    await vi.waitFor(() => expect(third.places).toEqual([{ position: 2, estimatedWaitMs: 60 * 60_000 }]));

    // A reconnecting widget (a reload) is told its place afresh; the others are not told theirs again.
    const reloaded = await waitingVisitor('visitor-waiting-0002');
    await vi.waitFor(() => expect(reloaded.places).toEqual([{ position: 2, estimatedWaitMs: 60 * 60_000 }]));
    expect(second.places).toHaveLength(1);
    expect(first.places).toEqual([]);

    // The call ends: routing gives agent3 the first waiting chat; that widget hears it no longer waits, and the next
    // moves up, at the new pace (two chats taken in 30 minutes).
    await callOnAgent3('ended');
    await vi.waitFor(() => expect(second.places.at(-1)).toBeNull(), { timeout: 15_000 });
    const movedUp = { position: 1, estimatedWaitMs: 15 * 60_000 };
    await vi.waitFor(() => expect([third.places.at(-1), reloaded.places.at(-1)]).toEqual([movedUp, movedUp]), { timeout: 15_000 });
    expect((await t.store.getTicket(waited.ticketId))?.assigneeId).toBe('agent3');
  });
});

describe('nobody available: the offline form, then email', () => {
  it('creates an email ticket from the offline form, and the widget learns when an agent comes online', async () => {
    const { socket, welcome } = await visitor(visitorAuth('visitor-offline-0001'));
    expect(welcome.agentsAvailable).toBe(false);
    const sent = await call<WebchatSent>(socket, 'webchat:offline', {
      clientMessageId: 'cmsg-offline-1',
      name: '李娜',
      email: 'li.na@example.cn',
      text: '我想开具发票，订单号 DD20241102113，请邮件回复。',
    });
    const bundle = (await t.store.getTicketBundle(sent.ticketId))!;
    expect(bundle.ticket.channel).toBe('email');
    const socialId = anonymousVisitorSocialId('demo', 'visitor-offline-0001');
    expect(bundle.customer).toMatchObject({ name: '李娜', email: 'li.na@example.cn', socialId });
    // The typed address is where to answer, not an identity: only the visitor's own id is.
    expect(bundle.customer.identities).toEqual([{ kind: 'social', value: socialId }]);
    expect(bundle.messages[0]).toMatchObject({ source: 'webchat:demo', authorName: '李娜' });

    const availability = nextEvent<{ agentsAvailable: boolean }>(socket, 'webchat:availability');
    await agent('agent1');
    expect(await availability).toEqual({ agentsAvailable: true, chatUnavailable: false });
  });

  it('a reply to a visitor who left with an email goes to the email sender; to one who is there, to the widget', async () => {
    await t.stop();
    await start(true);
    const { socket } = await visitor(visitorAuth('visitor-emailed-0001'));
    const sent = await call<WebchatSent>(socket, 'webchat:offline', {
      clientMessageId: 'cmsg-emailed-1',
      name: '李娜',
      email: 'li.na@example.cn',
      text: '我想开具发票，请邮件回复。',
    });
    const desk = await agent('agent1');
    const shown = nextEvent<WebchatMessage>(socket, 'webchat:message');
    await reply(desk.socket, sent.ticketId, 'reply-widget-0001', '您好，请提供开票抬头和税号。');
    expect((await shown).text).toBe('您好，请提供开票抬头和税号。');
    // The visitor answers live in the widget: it joins the same conversation.
    const answer = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-emailed-2', text: '抬头：上海某某科技有限公司' });
    expect(answer.ticketId).toBe(sent.ticketId);
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-widget-0001')).toBe('sent'));
    expect(emailed).toEqual([]);

    await leaveWhileTyping(socket, desk.typing, sent.ticketId);
    await reply(desk.socket, sent.ticketId, 'reply-email-00001', '发票已开具，请查收邮件附件。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-email-00001')).toBe('sent'));
    expect(emailed.map((d) => [d.customer.email, d.message.text])).toEqual([['li.na@example.cn', '发票已开具，请查收邮件附件。']]);
    expect((await t.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'reply-email-00001')!.externalMessageId).toBe(
      '<reply-email-00001@mail.test>',
    );
    expect(t.logLines.some((line) => line.includes('continues by email to li.na@example.cn'))).toBe(true);
  });
});

describe('receipts: a reply is sent only once the widget says it has it', () => {
  beforeEach(async () => {
    await t.stop();
    await start(false, { receiptTimeoutMs: RECEIPT_TIMEOUT_MS });
  });

  /** What the agent's workstation hears about a message's delivery (its live changes), in order. */
  async function deliveryHeard(socket: AgentSocket, messageId: string): Promise<string[]> {
    const heard: string[] = [];
    socket.on('sync:changes', (batch) => {
      for (const change of batch.changes) if (change.kind === 'message' && change.message.id === messageId) heard.push(change.message.deliveryStatus);
    });
    // A pull that reaches the end makes the socket live (as the workstation's core does on connect).
    for (let since = 0; ;) {
      const pulled = (await socket.timeout(5_000).emitWithAck('sync:pull', { since })) as Ack<PullResult>;
      if (!pulled.ok) throw new Error(`sync:pull refused: ${pulled.error.message}`);
      if (pulled.result.mustRefetch || !pulled.result.more) return heard;
      since = pulled.result.upTo;
    }
  }

  it('a reply the widget has not acknowledged stays queued and is tried again; acknowledged, it is sent, and the agent sees it', async () => {
    const desk = await agent('agent1');
    const { socket } = await visitor(visitorAuth('visitor-receipt-0001'), RECEIPTS_HELLO);
    const replies = collectReplies(socket);
    const sent = await call<WebchatSent>(socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-1', text: '快递什么时候到？' });
    const heard = await deliveryHeard(desk.socket, 'reply-receipt-0001');

    await reply(desk.socket, sent.ticketId, 'reply-receipt-0001', '预计明天下午送达。');
    // The first emission goes unanswered: the attempt does not count, and the reply comes again.
    await vi.waitFor(() => expect(replies.length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0001')).toBe('queued');
    expect(replies.every((r) => r.message.id === 'reply-receipt-0001' && typeof r.ack === 'function')).toBe(true);

    // The widget shows it and says so: sent, and the agent's workstation hears it.
    (replies.at(-1)!.ack as (receipt: unknown) => void)({ messageId: 'reply-receipt-0001' });
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0001')).toBe('sent'));
    await vi.waitFor(() => expect(heard.at(-1)).toBe('sent'));
    expect(heard).not.toContain('failed');
  });

  it('a reply nobody acknowledges is not recorded sent: after its attempts it fails with the reason, and reaches the visitor on their return once their widget reports it', async () => {
    const desk = await agent('agent1');
    const first = await visitor(visitorAuth('visitor-receipt-0002'), RECEIPTS_HELLO);
    const replies = collectReplies(first.socket);
    const sent = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-2', text: '可以改收货地址吗？' });

    await reply(desk.socket, sent.ticketId, 'reply-receipt-0002', '可以，请告诉我新的地址。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0002')).not.toBe('queued'), { timeout: 30_000 });
    const unconfirmed = (await t.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'reply-receipt-0002')!;
    expect(unconfirmed.deliveryStatus).toBe('failed');
    expect(readDeliveryError(unconfirmed.deliveryError!)).toEqual({ code: 'not_confirmed', source: 'webchat' });
    expect(unconfirmed.deliveryError).toContain('did not confirm receiving this reply');
    expect(replies.length).toBeGreaterThanOrEqual(1);
    first.socket.disconnect();

    // Back: the history carries it, but handing it over is not the widget having it.
    const back = await visitor(visitorAuth('visitor-receipt-0002'), RECEIPTS_HELLO);
    expect(back.welcome.history.map((m) => m.id)).toContain('reply-receipt-0002');
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0002')).toBe('failed');
    expect(await call(back.socket, 'webchat:received', { messageIds: ['reply-receipt-0002'] })).toEqual({ marked: 1 });
    const delivered = (await t.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'reply-receipt-0002')!;
    expect([delivered.deliveryStatus, delivered.deliveryError]).toEqual(['sent', null]);
    // Said again (the next hello's history): nothing more to mark.
    expect(await call(back.socket, 'webchat:received', { messageIds: ['reply-receipt-0002'] })).toEqual({ marked: 0 });
  });

  it('welcome() no longer marks a failed reply sent for a receipts widget: the visitor who left comes back, and only their report makes it sent', async () => {
    const desk = await agent('agent1');
    const first = await visitor(visitorAuth('visitor-receipt-0003'), RECEIPTS_HELLO);
    const sent = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-3', text: '发票开好了吗？' });
    await leaveWhileTyping(first.socket, desk.typing, sent.ticketId);
    await reply(desk.socket, sent.ticketId, 'reply-receipt-0003', '已开好，稍后发给您。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0003')).toBe('failed'));
    const heard = await deliveryHeard(desk.socket, 'reply-receipt-0003');

    const back = await visitor(visitorAuth('visitor-receipt-0003'), RECEIPTS_HELLO);
    expect(back.welcome.history.map((m) => [m.from, m.text])).toEqual([
      ['visitor', '发票开好了吗？'],
      ['agent', '已开好，稍后发给您。'],
    ]);
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0003')).toBe('failed');
    expect(await call(back.socket, 'webchat:received', { messageIds: ['reply-receipt-0003'] })).toEqual({ marked: 1 });
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0003')).toBe('sent');
    await vi.waitFor(() => expect(heard).toEqual(['sent']));
  });

  it('an older widget (its hello announces nothing) keeps the rule before receipts: sent when emitted to it, and on its return', async () => {
    const desk = await agent('agent1');
    const old = await visitor(visitorAuth('visitor-receipt-0004'));
    const replies = collectReplies(old.socket);
    const sent = await call<WebchatSent>(old.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-4', text: '营业时间？' });
    await reply(desk.socket, sent.ticketId, 'reply-receipt-0004', '每天 9 点到 21 点。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0004')).toBe('sent'));
    // Emitted once, with no acknowledgement asked of it.
    await vi.waitFor(() => expect(replies.map((r) => [r.message.id, typeof r.ack])).toEqual([['reply-receipt-0004', 'undefined']]));

    await leaveWhileTyping(old.socket, desk.typing, sent.ticketId);
    await reply(desk.socket, sent.ticketId, 'reply-receipt-0005', '还有别的问题吗？');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0005')).toBe('failed'));
    await visitor(visitorAuth('visitor-receipt-0004'));
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0005')).toBe('sent');
  });

  it("an older widget's return marks only failed replies sent: a queued one stays the dispatcher's, whose attempt is still waiting", async () => {
    // A receipt wait longer than the test: the first attempt is still open when the older tab says hello.
    await t.stop();
    await start(false, { receiptTimeoutMs: 60_000 });
    const desk = await agent('agent1');
    const current = await visitor(visitorAuth('visitor-receipt-0008'), RECEIPTS_HELLO);
    const replies = collectReplies(current.socket);
    const sent = await call<WebchatSent>(current.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-8', text: '能开发票吗？' });
    await reply(desk.socket, sent.ticketId, 'reply-receipt-0008', '可以的。');
    await vi.waitFor(() => expect(replies.map((r) => r.message.id)).toEqual(['reply-receipt-0008']));
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0008')).toBe('queued');

    // The same visitor in another tab, an older widget: its history carries the reply, and the reply stays queued.
    const old = await visitor(visitorAuth('visitor-receipt-0008'));
    expect(old.welcome.history.map((m) => m.id)).toContain('reply-receipt-0008');
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0008')).toBe('queued');

    // The open attempt ends with the receipts tab's acknowledgement, as ever.
    (replies[0]!.ack as (receipt: unknown) => void)({ messageId: 'reply-receipt-0008' });
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0008')).toBe('sent'));
  });

  it('a visitor reporting or acknowledging replies that are not theirs changes nothing', async () => {
    const desk = await agent('agent1');
    const owner = await visitor(visitorAuth('visitor-receipt-0006'), RECEIPTS_HELLO);
    const sent = await call<WebchatSent>(owner.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-6', text: '我的订单取消了吗？' });
    await leaveWhileTyping(owner.socket, desk.typing, sent.ticketId);
    await reply(desk.socket, sent.ticketId, 'reply-receipt-0006', '已取消，退款三天内到账。');
    await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-receipt-0006')).toBe('failed'));

    // Another visitor names the owner's reply (and made-up ids): nothing is marked.
    const stranger = await visitor(visitorAuth('visitor-receipt-0007'), RECEIPTS_HELLO);
    expect(await call(stranger.socket, 'webchat:received', { messageIds: ['reply-receipt-0006', 'reply-nobody-00001'] })).toEqual({ marked: 0 });
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0006')).toBe('failed');
    // Malformed: refused, nothing marked.
    expect(await ask(stranger.socket, 'webchat:received', { messageIds: [] })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await ask(stranger.socket, 'webchat:received', { messageIds: ['reply-receipt-0006'], ticketId: sent.ticketId })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0006')).toBe('failed');

    // The stranger's own chat: their widget answers a live reply with the owner's reply id instead of this one's: not a receipt for it.
    const own = await call<WebchatSent>(stranger.socket, 'webchat:send', { clientMessageId: 'cmsg-receipt-7', text: '你好' });
    stranger.socket.on('webchat:message', (message: WebchatMessage, ack: unknown) => {
      if (message.from === 'agent' && typeof ack === 'function') (ack as (receipt: unknown) => void)({ messageId: 'reply-receipt-0006' });
    });
    await reply(desk.socket, own.ticketId, 'reply-receipt-0007', '您好！');
    await vi.waitFor(async () => expect(await deliveryOf(own.ticketId, 'reply-receipt-0007')).not.toBe('queued'), { timeout: 30_000 });
    expect(await deliveryOf(own.ticketId, 'reply-receipt-0007')).toBe('failed');
    expect(await deliveryOf(sent.ticketId, 'reply-receipt-0006')).toBe('failed');
  });
});

describe('the widget itself (widget.js in Chromium, with the socket.io client the server serves)', () => {
  /** The visitor's request budget: a few requests per window, so a hello is refused and allowed again within the test. */
  const BUDGET = { points: 4, durationSec: 6 };

  beforeEach(async () => {
    await t.stop();
    await start(false, { receiptTimeoutMs: RECEIPT_TIMEOUT_MS }, { ...DEFAULT_RATE_LIMITS, webchatRequestsPerVisitor: BUDGET });
  });

  it('asks again when its hello is refused for the request limit, and once accepted confirms the reply it showed meanwhile', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const visitorId = 'visitor-widget-hello-0001';
      const page = await browser.newPage();
      // The widget's stored visitor id: the page opens as the visitor whose budget is spent below.
      await page.addInitScript({ content: `localStorage.setItem('omnidesk.webchat.demo.visitor', ${JSON.stringify(visitorId)});` });
      const desk = await agent('agent1');

      // Another tab of the visitor writes (the ticket goes to agent1) and spends the rest of the budget.
      const tab = await visitor(visitorAuth(visitorId), RECEIPTS_HELLO);
      const sent = await call<WebchatSent>(tab.socket, 'webchat:send', { clientMessageId: 'cmsg-widget-hello-1', text: '我的退款到账了吗？' });
      for (let spent = 2; spent < BUDGET.points; spent++) await call(tab.socket, 'webchat:hello', RECEIPTS_HELLO);
      expect(await ask(tab.socket, 'webchat:hello', RECEIPTS_HELLO)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      tab.socket.disconnect();

      // The page's widget connects; its hello is refused (the budget is spent).
      await page.goto(`${t.url}/chat/?site=demo`);
      await vi.waitFor(() => expect(t.server.connectionsByAddress().get('127.0.0.1')?.visitors).toBe(1), { timeout: 20_000 });
      // The reply reaches the page, which shows it, though the server does not yet count it among the tabs that confirm.
      await reply(desk.socket, sent.ticketId, 'reply-widget-hello-1', '退款已到账，请查收。');
      await page.getByText('退款已到账，请查收。').waitFor({ timeout: 20_000 });
      // Its hello goes again once the budget allows, is accepted, and the reply on its screen is confirmed.
      await vi.waitFor(async () => expect(await deliveryOf(sent.ticketId, 'reply-widget-hello-1')).toBe('sent'), { timeout: 40_000, interval: 100 });
    } finally {
      await browser.close();
    }
  }, 90_000);
});
