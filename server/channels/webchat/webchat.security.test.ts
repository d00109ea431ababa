/**
 * Web chat and claimed identities, attacked: one row per attack, each with the refusal or
 * the outcome it must get, run against the real server (real socket.io clients on
 * `/webchat`, real HTTP for the webhook and the inbound API, the real store). Add a row for
 * each new way in. The rate limits are made small here so a flood is short.
 */
import { createHmac } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { maskBundle } from '../../../shared/masking.js';
import { workstationHandshakeAuth, type Mutation, type MutationResult } from '../../../shared/sync.js';
import type { ChatReadEvent, ChatTypingEvent, WebchatAck, WebchatMessage, WebchatSent, WebchatWelcome } from '../../../shared/webchat.js';
import { DEFAULT_RATE_LIMITS } from '../../rateLimits.js';
import type { ChannelContact } from '../../store.js';
import {
  TEST_INTEGRATION_TOKEN,
  TEST_WEBCHAT_SECRET,
  login,
  postJson,
  seedTestOrganisation,
  startTestServer,
  testWebchatChannel,
  type TestServer,
} from '../../testHarness.js';
import { signedWebhookHeaders } from '../signature.js';
import { createWebhookChannel } from '../webhook/webhookChannel.js';
import { WEBCHAT_TYPING_STARTS_PER_WINDOW, anonymousVisitorSocialId, signWebchatIdentity } from './webchat.js';

const WEIBO_SECRET = 'weibo-secret-for-security-tests';
const SHOP_ORIGIN = 'https://shop.example.cn';
const LIMITS = { visitorMessages: 5, addressMessages: 8, addressConversations: 4, visitorRequests: 30 };

let t: TestServer;
const sockets: Socket[] = [];

beforeEach(async () => {
  t = await startTestServer({
    tokenTtlMs: 60 * 60 * 1000,
    // As deployed behind one reverse proxy: X-Forwarded-For's last entry names the client. A
    // request without the header (most rows here) still counts by its TCP peer.
    trustProxy: true,
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      webchatMessagesPerVisitor: { points: LIMITS.visitorMessages, durationSec: 60 },
      webchatMessagesPerAddress: { points: LIMITS.addressMessages, durationSec: 60 },
      webchatConversationsPerAddress: { points: LIMITS.addressConversations, durationSec: 600 },
      webchatRequestsPerVisitor: { points: LIMITS.visitorRequests, durationSec: 60 },
    },
    channels: [testWebchatChannel([SHOP_ORIGIN]), createWebhookChannel({ platforms: [{ name: 'weibo', secret: WEIBO_SECRET }] })],
  });
  await seedTestOrganisation(t.store, [{ username: 'lead1', displayName: '李主管', role: 'lead', channels: [] }]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

// --- helpers ---------------------------------------------------------------------------

type Headers = Record<string, string>;

function openWidget(auth: Record<string, unknown>, headers: Headers = { origin: t.url }): Socket {
  const socket = connect(`${t.url}/webchat`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
  sockets.push(socket);
  return socket;
}

/** Connects a widget; the refusal's code when the server refuses the handshake. */
async function handshake(auth: Record<string, unknown>, headers?: Headers): Promise<{ socket: Socket; refused: string | null }> {
  const socket = openWidget(auth, headers);
  const refused = await new Promise<string | null>((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) => resolve(error.data?.code ?? `no code: ${error.message}`));
  });
  return { socket, refused };
}

interface Visitor {
  socket: Socket;
  welcome: WebchatWelcome;
  live: WebchatMessage[];
}

async function visitor(visitorId: string, identity?: Record<string, unknown>, headers?: Headers): Promise<Visitor> {
  const { socket, refused } = await handshake({ site: 'demo', visitorId, ...(identity ? { identity } : {}) }, headers);
  if (refused) throw new Error(`visitor ${visitorId} refused: ${refused}`);
  const live: WebchatMessage[] = [];
  socket.on('webchat:message', (message: WebchatMessage) => live.push(message));
  const welcome = await call<WebchatWelcome>(socket, 'webchat:hello', {});
  return { socket, welcome, live };
}

/** Every request and reply moves the clock a second on, so the timeline's order is the order of the steps. */
function ask<T>(socket: Socket, event: string, payload: unknown): Promise<WebchatAck<T>> {
  t.clock.advance(1_000);
  return socket.timeout(5_000).emitWithAck(event, payload) as Promise<WebchatAck<T>>;
}

async function call<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const response = await ask<T>(socket, event, payload);
  if (!response.ok) throw new Error(`${event} refused: ${response.error.code} ${response.error.message}`);
  return response.result;
}

/** A contact as a channel that proves it would store it (the victim's own mail, call or chat). */
async function provenContact(contact: ChannelContact): Promise<{ ticketId: string; customerId: string }> {
  const outcome = await t.store.ingestInbound(contact, { now: t.clock.now() });
  return { ticketId: outcome.ticketId, customerId: outcome.ticket.customerId };
}

/** 李娜 wrote by mail (her address proven by it), with her card number in it, and an agent answered. */
async function victimEmailTicket(): Promise<{ ticketId: string; customerId: string }> {
  const victim = await provenContact({
    channel: 'email',
    customer: { name: '李娜', email: 'li.na@example.cn' },
    subject: '信用卡还款',
    text: '我的卡号 6222 0212 3456 7890，还款没有到账',
    proven: ['email'],
    source: 'email',
  });
  await reply(victim.ticketId, 'reply-victim-1', '您好，已为您查询，还款将在今天到账。');
  return victim;
}

let mutations = 0;
async function reply(ticketId: string, messageId: string, text: string): Promise<MutationResult> {
  t.clock.advance(1_000);
  const mutation: Mutation = { mutationId: `sec-${String(++mutations)}`, kind: 'reply', ticketId, messageId, text, createdAt: t.clock.now() };
  return await t.store.applyMutation((await t.store.getUserByUsername('lead1'))!, 'security-desk', mutation, t.clock.now());
}

function textsOf(messages: ReadonlyArray<{ text: string }>): string[] {
  return messages.map((message) => message.text);
}

async function ticketIdsOf(customerId: string): Promise<string[]> {
  return (await t.store.listCustomerTickets((await t.store.getUserByUsername('lead1'))!, customerId, 50)).map((ticket) => ticket.id);
}

/** Waits until the visitor received a reply sent after the one that must not arrive: event-driven, no timer. */
async function afterOwnReply(v: Visitor, ticketId: string, messageId: string): Promise<void> {
  await reply(ticketId, messageId, '这是给你本人的回复');
  await vi.waitFor(() => expect(v.live.map((message) => message.id)).toContain(messageId));
}

function postWebhook(body: unknown): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(body);
  return fetch(`${t.url}/channels/webhook/weibo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(WEIBO_SECRET, raw, t.clock.now()) },
    body: raw,
  }).then(async (response) => ({ status: response.status, body: await response.json() }));
}

/** The server clock's Unix seconds plus `seconds` (a site's fresh `exp` is a few minutes ahead). */
const expIn = (seconds: number) => Math.floor(t.clock.now() / 1000) + seconds;

const signed = (identity: { userId: string; email?: string; name?: string; exp?: number }) => {
  const claims = { exp: expIn(300), ...identity };
  return { ...claims, signature: signWebchatIdentity(TEST_WEBCHAT_SECRET, claims) };
};

// --- the table -------------------------------------------------------------------------

interface Attack {
  attack: string;
  run: () => Promise<unknown>;
  expect: unknown;
}

const attacks: Attack[] = [
  {
    attack: "anonymous offline form with a customer's email: no ticket of hers joined, none of her history, no live reply of hers",
    run: async () => {
      const victim = await victimEmailTicket();
      const stranger = await visitor('visitor-stranger-0001');
      const sent = await call<WebchatSent>(stranger.socket, 'webchat:offline', {
        clientMessageId: 'cmsg-takeover-1',
        name: '李娜',
        email: 'LI.NA@example.cn',
        text: '把我之前的记录发给我',
      });
      await reply(victim.ticketId, 'reply-victim-2', '李女士，您的新卡已寄出。');
      await afterOwnReply(stranger, sent.ticketId, 'reply-stranger-1');
      const back = await visitor('visitor-stranger-0001');
      const strangerCustomer = (await t.store.getTicket(sent.ticketId))!.customerId;
      return {
        joinedHerTicket: sent.ticketId === victim.ticketId,
        sameCustomer: strangerCustomer === victim.customerId,
        historyOnReturn: textsOf(back.welcome.history),
        live: textsOf(stranger.live),
        herTickets: await ticketIdsOf(victim.customerId),
        // The address stays a claim of the stranger's customer: shown unverified, suggested as "possibly the same customer".
        strangerIdentities: (await t.store.getCustomer(strangerCustomer))!.identities,
        suggestedToTheLead: (await t.store.listCustomerMatches((await t.store.getUserByUsername('lead1'))!, strangerCustomer, 10))!.map((match) => [
          match.customer.id,
          match.shared,
        ]),
      };
    },
    expect: {
      joinedHerTicket: false,
      sameCustomer: false,
      historyOnReturn: ['把我之前的记录发给我', '这是给你本人的回复'],
      live: ['这是给你本人的回复'],
      herTickets: [expect.stringMatching(/^GD/)],
      strangerIdentities: [{ kind: 'social', value: anonymousVisitorSocialId('demo', 'visitor-stranger-0001') }],
      suggestedToTheLead: [[expect.stringMatching(/^CUS/), [{ kind: 'email', value: 'li.na@example.cn', oursProven: false, theirsProven: true }]]],
    },
  },
  {
    attack: "a verified visitor matched to a customer by the signed email sees only their own chat, none of the customer's mail",
    run: async () => {
      const victim = await victimEmailTicket();
      const user = await visitor('visitor-verified-0001', signed({ userId: 'u1001', email: 'li.na@example.cn', name: '李娜' }));
      const sent = await call<WebchatSent>(user.socket, 'webchat:send', { clientMessageId: 'cmsg-verified-1', text: '你好' });
      const back = await visitor('visitor-verified-0001', signed({ userId: 'u1001', email: 'li.na@example.cn', name: '李娜' }));
      return { sameCustomer: (await t.store.getTicket(sent.ticketId))!.customerId === victim.customerId, history: textsOf(back.welcome.history) };
    },
    expect: { sameCustomer: true, history: ['你好'] },
  },
  {
    attack:
      'a visitor whose customer an agent merged into another joins that customer’s open chat: each visitor sees only their own part, and nothing of the other’s record',
    run: async () => {
      const firstUser = signed({ userId: 'u2002', email: 'wang.fangfang@example.cn', name: '王芳芳' });
      const first = await visitor('visitor-first-000001', firstUser);
      const own = await call<WebchatSent>(first.socket, 'webchat:send', { clientMessageId: 'cmsg-first-1', text: '第一位访客的问题' });
      await reply(own.ticketId, 'reply-first-1', '给第一位访客的回复');
      const second = await visitor('visitor-second-00001');
      const theirs = await call<WebchatSent>(second.socket, 'webchat:send', { clientMessageId: 'cmsg-second-1', text: '第二位访客的问题' });
      const lead = (await t.store.getUserByUsername('lead1'))!;
      await t.store.applyMutation(
        lead,
        'security-desk',
        { mutationId: `sec-${String(++mutations)}`, kind: 'setStatus', ticketId: theirs.ticketId, status: 'closed', createdAt: t.clock.now() },
        t.clock.now(),
      );
      await t.store.mergeCustomers({
        keepId: (await t.store.getTicket(own.ticketId))!.customerId,
        mergeId: (await t.store.getTicket(theirs.ticketId))!.customerId,
        actor: lead,
        now: t.clock.now(),
      });
      const again = await visitor('visitor-second-00001');
      const joined = await call<WebchatSent>(again.socket, 'webchat:send', { clientMessageId: 'cmsg-second-2', text: '第二位访客又来了' });
      await afterOwnReply(again, joined.ticketId, 'reply-second-1');
      const firstBack = await visitor('visitor-first-000001', firstUser);
      const secondBack = await visitor('visitor-second-00001');
      const wrongRead = await ask(again.socket, 'webchat:read', { ticketId: own.ticketId, messageId: 'reply-first-1' });
      return {
        shared: joined.ticketId === own.ticketId,
        first: textsOf(firstBack.welcome.history),
        second: textsOf(secondBack.welcome.history),
        readOfTheOther: wrongRead.ok ? 'accepted' : wrongRead.error.code,
        // The record they were merged into is 王芳芳's: her name and address never reach the second visitor.
        leaks: JSON.stringify([secondBack.welcome, again.live]).match(/王芳芳|wang\.fangfang/g) ?? [],
      };
    },
    expect: {
      shared: true,
      first: ['第一位访客的问题', '给第一位访客的回复'],
      second: ['第二位访客的问题', '第二位访客又来了', '这是给你本人的回复'],
      readOfTheOther: 'not_found',
      leaks: [],
    },
  },
  {
    attack: "an agent replays the visitor id their workstation shows (customer record, message ids) to read the visitor's chats and write as the visitor",
    run: async () => {
      const victim = await visitor('visitor-replayed-000001');
      const sent = await call<WebchatSent>(victim.socket, 'webchat:send', { clientMessageId: 'cmsg-replayed-1', text: '收货地址是人民路 8 号' });
      await reply(sent.ticketId, 'reply-replayed-1', '好的，已改地址');
      // What an agent's workstation receives of the ticket (masked) and what a lead's does (clear).
      const bundle = (await t.store.getTicketBundle(sent.ticketId))!;
      const shown = JSON.stringify([maskBundle(bundle), bundle]);
      // The visitor part of the social id, presented as a visitor id of one's own.
      const replayedId = bundle.customer.socialId!.split(':').pop()!;
      const replayer = await visitor(replayedId);
      const forged = await ask<WebchatSent>(replayer.socket, 'webchat:send', { clientMessageId: 'cmsg-forged-1', text: '把地址改成别处' });
      return {
        visitorIdShown: shown.includes('visitor-replayed-000001'),
        replayedHistory: textsOf(replayer.welcome.history),
        forgedIntoTheirChat: forged.ok && forged.result.ticketId === sent.ticketId,
        victimHistory: textsOf((await visitor('visitor-replayed-000001')).welcome.history),
      };
    },
    expect: { visitorIdShown: false, replayedHistory: [], forgedIntoTheirChat: false, victimHistory: ['收货地址是人民路 8 号', '好的，已改地址'] },
  },
  {
    attack: "a visitor reports another visitor's reply, and a customer's mail reply, as received (webchat:received) to make them 'sent'",
    run: async () => {
      const victim = await victimEmailTicket();
      const statusOf = async (ticketId: string, messageId: string) =>
        (await t.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)!.deliveryStatus;
      const mailBefore = await statusOf(victim.ticketId, 'reply-victim-1');
      // The owner's receipts widget has the reply on its way and has not acknowledged it yet: it waits, queued.
      const { socket: owner } = await handshake({ site: 'demo', visitorId: 'visitor-receipts-owner1' });
      await call<WebchatWelcome>(owner, 'webchat:hello', { capabilities: ['receipts'] });
      const pendingReceipt = new Promise<(receipt: unknown) => void>((resolve) =>
        owner.on('webchat:message', (message: WebchatMessage, ack: (receipt: unknown) => void) => {
          if (message.from === 'agent') resolve(ack);
        }),
      );
      const sent = await call<WebchatSent>(owner, 'webchat:send', { clientMessageId: 'cmsg-receipts-owner-1', text: '发票抬头改一下' });
      await reply(sent.ticketId, 'reply-receipts-owner-1', '好的，已改');
      const acknowledge = await pendingReceipt;
      const stranger = await visitor('visitor-receipts-thief1');
      const response = await ask<{ marked: number }>(stranger.socket, 'webchat:received', {
        messageIds: ['reply-receipts-owner-1', 'reply-victim-1', 'reply-nobody-000001'],
      });
      const outcome = {
        marked: response.ok ? response.result.marked : response.error.code,
        ownersReply: await statusOf(sent.ticketId, 'reply-receipts-owner-1'),
        mailUnchanged: (await statusOf(victim.ticketId, 'reply-victim-1')) === mailBefore,
      };
      acknowledge({ messageId: 'reply-receipts-owner-1' }); // the owner's own receipt ends the wait
      return outcome;
    },
    expect: { marked: 0, ownersReply: 'queued', mailUnchanged: true },
  },
  {
    attack: "a visitor marks another visitor's reply read via webchat:read",
    run: async () => {
      const owner = await visitor('visitor-owner-000001');
      const sent = await call<WebchatSent>(owner.socket, 'webchat:send', { clientMessageId: 'cmsg-owner-1', text: '请问退货地址' });
      await reply(sent.ticketId, 'reply-owner-1', '退货地址：上海市张江路 88 号');
      const stranger = await visitor('visitor-reader-00001');
      const response = await ask(stranger.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'reply-owner-1' });
      return { code: response.ok ? 'accepted' : response.error.code, history: textsOf(stranger.welcome.history) };
    },
    expect: { code: 'not_found', history: [] },
  },
  {
    attack: 'forged identity signature (another secret)',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-forged-00001',
          identity: { userId: 'u1001', exp: expIn(300), signature: signWebchatIdentity('not-the-secret', { userId: 'u1001', exp: expIn(300) }) },
        })
      ).refused,
    expect: 'invalid_signature',
  },
  {
    attack: 'identity whose email was changed after signing',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-email-000001',
          identity: { ...signed({ userId: 'u1001', email: 'zhang.wei@example.cn', name: '张伟' }), email: 'li.na@example.cn' },
        })
      ).refused,
    expect: 'invalid_signature',
  },
  {
    attack: 'identity whose name was changed after signing',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-name-0000001',
          identity: { ...signed({ userId: 'u1001', email: 'zhang.wei@example.cn', name: '张伟' }), name: '李娜' },
        })
      ).refused,
    expect: 'invalid_signature',
  },
  {
    attack: 'identity signed over the user id alone (the old scheme) with an unsigned email added',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-oldsig-00001',
          identity: { ...signed({ userId: 'u1001' }), email: 'li.na@example.cn' },
        })
      ).refused,
    expect: 'invalid_signature',
  },
  {
    attack: 'identity signed without an expiry (the scheme before exp: a captured link would log in forever)',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-noexp-000001',
          identity: {
            userId: 'u1001',
            email: 'zhang.wei@example.cn',
            name: '张伟',
            signature: createHmac('sha256', TEST_WEBCHAT_SECRET).update('u1001\nzhang.wei@example.cn\n张伟', 'utf8').digest('hex'),
          },
        })
      ).refused,
    expect: 'invalid_request',
  },
  {
    attack: 'identity replayed after its exp (an old link, or one planted in a victim’s browser)',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-expired-0001',
          identity: signed({ userId: 'u1001', email: 'zhang.wei@example.cn', exp: expIn(-1) }),
        })
      ).refused,
    expect: 'identity_expired',
  },
  {
    attack: 'identity signed to last a day (a long-lived link to replay)',
    run: async () =>
      (
        await handshake({
          site: 'demo',
          visitorId: 'visitor-longexp-0001',
          identity: signed({ userId: 'u1001', email: 'zhang.wei@example.cn', exp: expIn(86_400) }),
        })
      ).refused,
    expect: 'identity_expiry_too_far',
  },
  {
    attack: 'widget opened from a foreign Origin',
    run: async () => (await handshake({ site: 'demo', visitorId: 'visitor-foreign-0001' }, { origin: 'https://evil.example' })).refused,
    expect: 'origin_not_allowed',
  },
  {
    attack: 'widget opened from a look-alike of an allowed origin (another scheme)',
    run: async () => (await handshake({ site: 'demo', visitorId: 'visitor-lookalike-01' }, { origin: 'http://shop.example.cn' })).refused,
    expect: 'origin_not_allowed',
  },
  {
    attack: 'widget connection without an Origin (a script, not a browser page)',
    run: async () => (await handshake({ site: 'demo', visitorId: 'visitor-noorigin-001' }, {})).refused,
    expect: 'origin_not_allowed',
  },
  {
    attack: "control: the site's own allowed origin and the server's own chat page are accepted",
    run: async () => [
      (await handshake({ site: 'demo', visitorId: 'visitor-allowed-0001' }, { origin: SHOP_ORIGIN })).refused,
      (await handshake({ site: 'demo', visitorId: 'visitor-ownpage-0001' })).refused,
    ],
    expect: [null, null],
  },
  {
    attack: 'one visitor floods messages into their ticket: refused with rate_limited and a retry-after, nothing more stored',
    run: async () => {
      const flooder = await visitor('visitor-flood-000001');
      const codes: string[] = [];
      let retryAfterMs = 0;
      let ticketId = '';
      for (let i = 0; i < 20; i++) {
        const response = await ask<WebchatSent>(flooder.socket, 'webchat:send', {
          clientMessageId: `cmsg-flood-${String(i).padStart(3, '0')}`,
          text: `刷屏 ${String(i)}`,
        });
        codes.push(response.ok ? 'ok' : response.error.code);
        if (response.ok) ticketId = response.result.ticketId;
        else retryAfterMs = response.error.retryAfterMs ?? 0;
      }
      // A resend of an accepted message is still recognised (a duplicate costs nothing).
      const resend = await ask<WebchatSent>(flooder.socket, 'webchat:send', { clientMessageId: 'cmsg-flood-000', text: '刷屏 0' });
      return {
        accepted: codes.filter((code) => code === 'ok').length,
        refused: [...new Set(codes.filter((code) => code !== 'ok'))],
        retryAfterPositive: retryAfterMs > 0,
        stored: (await t.store.getTicketBundle(ticketId))!.messages.length,
        resendIsDuplicate: resend.ok && resend.result.duplicate,
        logged: t.logLines.filter((line) => line.includes('rate limit webchatMessagesPerVisitor')).length,
      };
    },
    expect: {
      accepted: LIMITS.visitorMessages,
      refused: ['rate_limited'],
      retryAfterPositive: true,
      stored: LIMITS.visitorMessages,
      resendIsDuplicate: true,
      logged: 1,
    },
  },
  {
    attack: 'many new visitors from one address each open a conversation: refused once the address has opened its share',
    run: async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++) {
        const v = await visitor(`visitor-swarm-${String(i).padStart(6, '0')}`);
        const response = await ask<WebchatSent>(v.socket, i % 2 === 0 ? 'webchat:send' : 'webchat:offline', {
          clientMessageId: `cmsg-swarm-${String(i).padStart(3, '0')}`,
          text: `新会话 ${String(i)}`,
          ...(i % 2 === 0 ? {} : { name: '访客', email: `swarm${String(i)}@example.cn` }),
        });
        outcomes.push(response.ok ? 'ok' : response.error.code);
      }
      return { outcomes, tickets: (await t.store.listTicketIdsByExternalIdPrefix(['chat', 'email'], 'webchat:demo:v-', 50)).length };
    },
    expect: {
      outcomes: [...Array<string>(LIMITS.addressConversations).fill('ok'), ...Array<string>(10 - LIMITS.addressConversations).fill('rate_limited')],
      tickets: LIMITS.addressConversations,
    },
  },
  {
    attack:
      'behind the reverse proxy, one address opening new conversations (fresh visitor ids, a forged X-Forwarded-For entry, a whole IPv6 /64) does not refuse visitors from other addresses',
    run: async () => {
      /** A visitor whose request reached us through the proxy, which appended the address it saw. */
      const opens = async (name: string, forwardedFor: string): Promise<string> => {
        const v = await visitor(`visitor-${name}`, undefined, { origin: t.url, 'x-forwarded-for': forwardedFor });
        const response = await ask<WebchatSent>(v.socket, 'webchat:send', { clientMessageId: `cmsg-${name}`, text: `新会话 ${name}` });
        return response.ok ? 'ok' : response.error.code;
      };
      const swarm: string[] = [];
      for (let i = 0; i < LIMITS.addressConversations + 1; i++) {
        // Its own claim (the first entry) changes every time; the proxy's entry (the last) does not.
        swarm.push(await opens(`proxied-swarm-${String(i).padStart(3, '0')}`, `10.9.8.${String(i)}, 203.0.113.7`));
      }
      const ipv6: string[] = [];
      for (let i = 0; i < LIMITS.addressConversations + 1; i++) {
        // One host holds a whole /64: every address of it is one budget.
        ipv6.push(await opens(`proxied-ipv6-${String(i).padStart(4, '0')}`, `2001:db8:1:1::${(0xa0 + i).toString(16)}`));
      }
      return {
        swarm,
        ipv6,
        // Other customers, behind the same proxy, still start chats.
        otherIpv4: await opens('proxied-other-0001', '198.51.100.20'),
        otherIpv6: await opens('proxied-other-0002', '2001:db8:1:2::1'),
      };
    },
    expect: {
      swarm: [...Array<string>(LIMITS.addressConversations).fill('ok'), 'rate_limited'],
      ipv6: [...Array<string>(LIMITS.addressConversations).fill('ok'), 'rate_limited'],
      otherIpv4: 'ok',
      otherIpv6: 'ok',
    },
  },
  {
    attack:
      'one visitor floods requests that store nothing (hellos, read marks of made-up ids, malformed sends, unknown events): refused rate_limited once their request budget is spent, the malformed ones logged once',
    run: async () => {
      const flooder = await visitor('visitor-requests-0001'); // its hello: the first request
      const unknown = 10;
      for (let i = 0; i < unknown; i++) flooder.socket.emit('webchat:nonsense', { i });
      const codes: string[] = [];
      for (let i = 0; i < LIMITS.visitorRequests; i++) {
        const response =
          i % 3 === 0
            ? await ask(flooder.socket, 'webchat:hello', {})
            : i % 3 === 1
              ? await ask(flooder.socket, 'webchat:send', { clientMessageId: 'x', text: '' })
              : await ask(flooder.socket, 'webchat:read', { ticketId: 'GD20990101999', messageId: `made-up-${String(i)}` });
        codes.push(response.ok ? 'ok' : response.error.code);
      }
      const budgetLeft = LIMITS.visitorRequests - 1 - unknown;
      return {
        withinBudget: codes.slice(0, budgetLeft).filter((code) => code === 'rate_limited').length,
        beyond: codes.slice(budgetLeft),
        malformedLogged: t.logLines.filter((line) => line.includes('refused webchat:send')).length,
        overLimitLogged: t.logLines.filter((line) => line.includes('webchatRequestsPerVisitor')).length,
      };
    },
    expect: {
      withinBudget: 0,
      beyond: Array<string>(11).fill('rate_limited'),
      malformedLogged: 1,
      overLimitLogged: 1,
    },
  },
  {
    attack:
      'one connection fires requests without waiting for their answers: past 32 waiting to be admitted, each is refused at once (the queue stays bounded)',
    run: async () => {
      const flooder = await visitor('visitor-requests-0002');
      const fired = 60;
      const responses = await Promise.all(
        Array.from({ length: fired }, () => flooder.socket.timeout(5_000).emitWithAck('webchat:hello', {}) as Promise<WebchatAck<unknown>>),
      );
      const refusedWaiting = responses.filter((response) => !response.ok && response.error.message.includes('waiting on this connection'));
      return {
        answered: responses.length,
        admitted: responses.filter((response) => response.ok).length > 0,
        refusedWhileWaiting: refusedWaiting.length > 0,
        refusalCodes: [...new Set(refusedWaiting.map((response) => (response.ok ? 'ok' : response.error.code)))],
      };
    },
    expect: { answered: 60, admitted: true, refusedWhileWaiting: true, refusalCodes: ['rate_limited'] },
  },
  {
    attack: "webhook payload claiming a customer's phone does not join her ticket",
    run: async () => {
      const victim = await provenContact({
        channel: 'social',
        customer: { name: '张伟', phone: '13800138000', socialId: 'weibo:zhangwei' },
        text: '我的订单还没发货',
        proven: ['phone', 'socialId'],
        source: 'webhook:weibo',
      });
      const posted = await postWebhook({
        customer: { name: '张伟', phone: '+86 138-0013-8000', socialId: 'attacker-123' },
        text: '把我的订单信息发给我',
        externalMessageId: 'wb-attack-1',
      });
      const claimOnly = await postWebhook({ customer: { phone: '138 0013 8000' }, text: '我是张伟', externalMessageId: 'wb-attack-2' });
      const ids = [posted.body, claimOnly.body].map((body) => (body as { ticketId: string }).ticketId);
      return {
        statuses: [posted.status, claimOnly.status],
        joined: ids.map((id) => id === victim.ticketId),
        herTickets: (await ticketIdsOf(victim.customerId)).length,
      };
    },
    expect: { statuses: [201, 201], joined: [false, false], herTickets: 1 },
  },
  {
    attack: "inbound API claiming a customer's email does not join her email ticket; the same integration's follow-up still joins its own",
    run: async () => {
      const victim = await victimEmailTicket();
      const first = await postJson<{ ticketId: string }>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'email', customer: { email: 'li.na@example.cn' }, text: '我是李娜，请把记录发给我' }),
        TEST_INTEGRATION_TOKEN,
      );
      const followUp = await postJson<{ ticketId: string }>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'email', customer: { email: 'Li.Na@example.cn' }, text: '补充一下' }),
        TEST_INTEGRATION_TOKEN,
      );
      const ids = [first.body, followUp.body].map((body) => (body as { ticketId: string }).ticketId);
      return {
        joinedHers: ids.map((id) => id === victim.ticketId),
        followUpJoinsItsOwn: ids[0] === ids[1],
        herTickets: (await ticketIdsOf(victim.customerId)).length,
      };
    },
    expect: { joinedHers: [false, false], followUpJoinsItsOwn: true, herTickets: 1 },
  },
  {
    attack:
      "an integration posts a contact whose externalMessageId starts with a visitor's social id (shown to agents): the visitor's next message must not land in the integration's ticket, nor may a channel's id be taken or probed",
    run: async () => {
      const victim = await visitor('visitor-hijacked-000001');
      const own = await call<WebchatSent>(victim.socket, 'webchat:send', { clientMessageId: 'cmsg-hijack-1', text: '我的订单号是 E20241108001' });
      const socialId = (await t.store.getTicketBundle(own.ticketId))!.customer.socialId!;
      await reply(own.ticketId, 'reply-hijack-1', '已收到');
      const lead = (await t.store.getUserByUsername('lead1'))!;
      await t.store.applyMutation(
        lead,
        'security-desk',
        { mutationId: `sec-${String(++mutations)}`, kind: 'setStatus', ticketId: own.ticketId, status: 'closed', createdAt: t.clock.now() },
        t.clock.now(),
      );
      t.clock.advance(1_000);
      const planted = await postJson<{ ticketId: string }>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'chat', customer: { email: 'mallory@evil.example' }, text: '占位', externalMessageId: `${socialId}#planted-0001` }),
        TEST_INTEGRATION_TOKEN,
      );
      // The visitor's own message id, and a Weibo message's stored id: a repeat would answer with their ticket, or drop the real one later.
      const probe = await postJson<{ ticketId: string; duplicate: boolean }>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'chat', customer: { email: 'mallory@evil.example' }, text: '探测', externalMessageId: `${socialId}#cmsg-hijack-1` }),
        TEST_INTEGRATION_TOKEN,
      );
      const preempted = await postJson(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'social', customer: { email: 'mallory@evil.example' }, text: '抢占', externalMessageId: 'webhook:weibo:wb-future-1' }),
        TEST_INTEGRATION_TOKEN,
      );
      const real = await postWebhook({ customer: { name: '张伟', socialId: 'zhangwei' }, text: '微博上的真实消息', externalMessageId: 'wb-future-1' });
      // Any other way an id with their prefix is stored (a channel of the future): their widget still continues only a chat of theirs.
      t.clock.advance(1_000);
      const stored = await provenContact({
        channel: 'chat',
        customer: { email: 'mallory@evil.example' },
        text: '另一个占位',
        externalMessageId: `${socialId}#planted-0002`,
        proven: [],
        source: 'api',
      });
      const back = await visitor('visitor-hijacked-000001');
      const next = await call<WebchatSent>(back.socket, 'webchat:send', { clientMessageId: 'cmsg-hijack-2', text: '还有一个问题' });
      const plantedTicket = (planted.body as { ticketId: string }).ticketId;
      return {
        statuses: [planted.status, probe.status, preempted.status, real.status],
        nextInThePlantedTicket: next.ticketId === plantedTicket || next.ticketId === stored.ticketId,
        probeAnsweredWithTheirTicket: (probe.body as { ticketId: string }).ticketId === own.ticketId,
        realWeiboMessageStored: (real.body as { duplicate: boolean }).duplicate === false,
      };
    },
    // The web chat form is refused outright (reserved_external_id, nothing stored); another channel's form is stored under the integration's scope.
    expect: { statuses: [400, 400, 201, 201], nextInThePlantedTicket: false, probeAnsweredWithTheirTicket: false, realWeiboMessageStored: true },
  },
  {
    attack:
      "a visitor's script toggles typing as fast as it can (each start a database read and a signal to every agent who sees the chat) and sends malformed typing (each a log line)",
    run: async () => {
      const { token } = await login(t.url, 'lead1');
      const desk = connect(t.url, { auth: workstationHandshakeAuth(token, 'desk-lead1'), transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(desk);
      const typing: ChatTypingEvent[] = [];
      const reads: ChatReadEvent[] = [];
      desk.on('chat:typing', (event: ChatTypingEvent) => typing.push(event));
      desk.on('chat:read', (event: ChatReadEvent) => reads.push(event));
      await new Promise<void>((resolve, reject) => {
        desk.once('connect', () => resolve());
        desk.once('connect_error', reject);
      });
      const flooder = await visitor('visitor-typist-000001');
      const sent = await call<WebchatSent>(flooder.socket, 'webchat:send', { clientMessageId: 'cmsg-typist-1', text: '在吗' });
      await reply(sent.ticketId, 'reply-typist-1', '在的');
      await vi.waitFor(() => expect(flooder.live.map((message) => message.id)).toContain('reply-typist-1'));
      for (let i = 0; i < 200; i++) flooder.socket.emit('webchat:typing', { typing: i % 2 === 0 });
      for (let i = 0; i < 50; i++) flooder.socket.emit('webchat:typing', { typing: 'yes' });
      // Sent after the flood and answered after it: by the time its read mark reaches the agent, every typing signal has too.
      await call(flooder.socket, 'webchat:read', { ticketId: sent.ticketId, messageId: 'reply-typist-1' });
      await vi.waitFor(() => expect(reads.map((mark) => mark.messageId)).toContain('reply-typist-1'));
      const starts = typing.filter((event) => event.ticketId === sent.ticketId && event.typing).length;
      return {
        startsAtMostTheBudget: starts <= WEBCHAT_TYPING_STARTS_PER_WINDOW,
        someStartsPassed: starts > 0,
        endsFollowStarts: typing.filter((event) => event.ticketId === sent.ticketId && !event.typing).length === starts,
        loggedBadTyping: t.logLines.filter((line) => line.includes('refused webchat:typing')).length,
      };
    },
    expect: { startsAtMostTheBudget: true, someStartsPassed: true, endsFollowStarts: true, loggedBadTyping: 1 },
  },
];

describe('web chat and claimed identities under attack', () => {
  it.each(attacks)('$attack', async ({ run, expect: expected }) => {
    expect(await run()).toEqual(expected);
  });
});
