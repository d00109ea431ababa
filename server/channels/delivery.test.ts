/**
 * The delivery dispatcher on the real server and store: a reply to a contact that came in
 * through a channel leaves through that channel's sender, retries transient failures, and
 * records sent/failed (with the reason) where the agents see it. The sender here is the
 * peer of the dispatcher under test: it records what it was given, like a mail server would.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { readDeliveryError } from '../../shared/domain.js';
import { openServerStore } from '../store.js';
import { TEST_EPOCH, makeTempDir, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import type { Channel } from './channel.js';
import { PermanentDeliveryError, type ChannelSender } from './delivery.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** A webhook platform's sender: the family a `webhook:<platform>` source leaves through. */
function peerChannel(sender: ChannelSender): Channel {
  return { name: 'peer', senders: { webhook: sender } };
}

async function replyThroughPeer(text: string): Promise<{ ticketId: string; messageId: string }> {
  const s = server!;
  const { ticketId } = await s.store.ingestInbound(
    { channel: 'chat', customer: { name: '张伟', socialId: 'peer:zhangwei' }, text: '我的订单三天没有物流更新了', source: 'webhook:site1' },
    { now: s.clock.now() },
  );
  const agent = (await s.store.getUser('agent_wang'))!;
  const messageId = `reply-${String(text.length)}-${Math.random().toString(36).slice(2, 8)}`;
  const result = await s.store.applyMutation(
    agent,
    'client-1',
    { mutationId: `m-${messageId}`, kind: 'reply', ticketId, messageId, text, createdAt: s.clock.now() },
    s.clock.now(),
  );
  expect(result.ok).toBe(true);
  return { ticketId, messageId };
}

describe('outbound delivery through the channel the customer used', () => {
  it('sends a reply through the source family sender and records the channel id', async () => {
    const given: string[] = [];
    server = await startTestServer({
      channels: [
        () =>
          peerChannel({
            send: ({ message, customer }) => {
              given.push(`${customer.name}:${String(message.source)}:${message.text}`);
              return Promise.resolve({ externalMessageId: 'peer-42' });
            },
          }),
      ],
    });
    await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
    const { ticketId, messageId } = await replyThroughPeer('您好，已为您联系快递公司');
    await vi.waitFor(async () =>
      expect((await server!.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)?.deliveryStatus).toBe('sent'),
    );
    const sent = (await server.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)!;
    expect(sent).toMatchObject({ source: 'webhook:site1', externalMessageId: 'peer-42', deliveryError: null });
    expect(given).toEqual(['张伟:webhook:site1:您好，已为您联系快递公司']);
  });

  it('retries a transient failure and marks a permanent one failed with the reason', async () => {
    let calls = 0;
    server = await startTestServer({
      deliveryRetryDelayMs: 5,
      channels: [
        () =>
          peerChannel({
            send: ({ message }) => {
              calls++;
              if (message.text.startsWith('退回')) return Promise.reject(new PermanentDeliveryError('收件人不存在 (550 5.1.1)'));
              if (calls < 3) return Promise.reject(new Error('connection refused'));
              return Promise.resolve({});
            },
          }),
      ],
    });
    await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
    const retried = await replyThroughPeer('稍等，正在查询');
    await vi.waitFor(async () =>
      expect((await server!.store.getTicketBundle(retried.ticketId))!.messages.find((m) => m.id === retried.messageId)?.deliveryStatus).toBe('sent'),
    );
    expect(calls).toBe(3);

    const bounced = await replyThroughPeer('退回测试');
    await vi.waitFor(async () =>
      expect((await server!.store.getTicketBundle(bounced.ticketId))!.messages.find((m) => m.id === bounced.messageId)?.deliveryStatus).toBe('failed'),
    );
    expect((await server.store.getTicketBundle(bounced.ticketId))!.messages.find((m) => m.id === bounced.messageId)!.deliveryError).toBe(
      '收件人不存在 (550 5.1.1)',
    );
    expect(server.logLines.some((line) => line.includes('failed via webhook:site1 after 1 attempt(s): 收件人不存在'))).toBe(true);
  });
});

describe('the agent picks the way out', () => {
  it('answers a web chat customer by email when picked, and refuses a way the customer cannot be reached', async () => {
    const sent: string[] = [];
    const recorder = (family: string): ChannelSender => ({
      send: ({ message }) => (sent.push(`${family}:${String(message.source)}:${message.channel}`), Promise.resolve({})),
    });
    server = await startTestServer({ channels: [() => ({ name: 'peers', senders: { webchat: recorder('webchat'), email: recorder('email') } })] });
    await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
    const s = server;
    const { ticketId } = await s.store.ingestInbound(
      {
        channel: 'chat',
        customer: { name: '张伟', email: 'Zhang.Wei@example.cn', socialId: 'webchat:demo:v1' },
        text: '请把发票发到我的邮箱',
        source: 'webchat:demo',
      },
      { now: s.clock.now() },
    );
    const agent = (await s.store.getUser('agent_wang'))!;
    const reply = async (messageId: string, via?: string) =>
      await s.store.applyMutation(
        agent,
        'client-1',
        { mutationId: `m-${messageId}`, kind: 'reply', ticketId, messageId, text: '发票已发送，请查收', createdAt: s.clock.now(), ...(via ? { via } : {}) },
        s.clock.now(),
      );

    expect(await reply('r-mail', 'email')).toMatchObject({ ok: true });
    expect(await reply('r-chat')).toMatchObject({ ok: true });
    const refused = await reply('r-wechat', 'wechat:wx0123456789abcdef');
    expect(refused).toMatchObject({
      ok: false,
      code: 'invalid',
      refusal: { code: 'no_reply_route', via: 'wechat:wx0123456789abcdef', routes: ['webchat:demo', 'email'] },
    });
    expect(!refused.ok && refused.reason).toMatch(/cannot be answered through wechat:wx0123456789abcdef/);

    await vi.waitFor(() => expect(sent.sort()).toEqual(['email:email:email', 'webchat:webchat:demo:chat']));
    expect((await s.store.getTicketBundle(ticketId))!.messages.map((m) => m.id)).not.toContain('r-wechat');
  });
});

describe('a reply nothing can send', () => {
  it('gets its reason when the server starts instead of waiting as queued forever: failed when it never can leave, waiting when a channel is missing (older databases)', async () => {
    const dataDir = makeTempDir();
    // An older server accepted these: a reply on an HTTP API ticket, one on a phone call, one by e-mail where no mail is sent.
    const old = openServerStore({ filePath: path.join(dataDir, 'server.sqlite') });
    const { ticketId } = await old.ingestInbound({ channel: 'phone', customer: { name: '刘芳', phone: '13912345678' }, text: '咨询退货' }, { now: TEST_EPOCH });
    await old.close();
    const db = new Database(path.join(dataDir, 'server.sqlite'));
    const insert = db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, source, attachments_json)
       VALUES (?, ?, 'outbound', 'phone', 'agent_wang', '王芳', '您好', NULL, 'queued', ?, ?, '[]')`,
    );
    for (const [id, source] of [
      ['old-api', 'api'],
      ['old-cti', 'cti'],
      ['old-none', null],
      ['old-mail', 'email'],
    ] as const)
      insert.run(id, ticketId, TEST_EPOCH, source);
    db.close();

    server = await startTestServer({ dataDir });
    const s = server;
    const messages = async () => new Map((await s.store.getTicketBundle(ticketId))!.messages.map((m) => [m.id, m]));
    await vi.waitFor(async () => expect([...(await messages()).values()].filter((m) => m.direction === 'outbound' && m.deliveryError === null)).toEqual([]));
    expect((await messages()).get('old-api')).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: expect.stringMatching(/^no_route\(api\): no written reply can reach/) as string,
    });
    expect((await messages()).get('old-cti')).toMatchObject({ deliveryStatus: 'failed', deliveryError: expect.stringMatching(/^no_route\(cti\): /) as string });
    expect((await messages()).get('old-none')).toMatchObject({ deliveryStatus: 'failed', deliveryError: expect.stringMatching(/^no_route\(\): /) as string });
    expect((await messages()).get('old-mail')).toMatchObject({
      deliveryStatus: 'queued',
      deliveryError: expect.stringMatching(/^no_sender\(email\): this server runs no sender/) as string,
    });
    expect(readDeliveryError((await messages()).get('old-mail')!.deliveryError!)).toEqual({ code: 'no_sender', source: 'email' });
  });
});
