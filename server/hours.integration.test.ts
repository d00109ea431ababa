/**
 * Business hours, the channel registry and customers' VIP tier through the real server
 * (HTTP, socket.io clients for the workstation and the web chat widget), on SQLite and
 * PostgreSQL: an admin sets the chat hours so it is now off-hours and a web chat visitor gets
 * the auto-reply once, in the widget, recorded on the ticket; a switched-off channel answers
 * 503 on the inbound API and the widget hears it is unavailable, and takes contacts again
 * once switched on; VIP tiers reach routing; leads read and never write, agents neither;
 * malformed schedules and unknown customers are refused; every change is audited; the hours
 * are read in the organisation's time zone, which every workstation is told.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AUTO_REPLY_AUTHOR_NAME,
  defaultChannelSettings,
  type AdminAuditResult,
  type ChannelRegistryResult,
  type ChannelSetResult,
  type ChannelSettings,
  type CustomerVipSetResult,
  type PoliciesResult,
} from '../shared/admin.js';
import type { OrgSettings } from '../shared/timeZone.js';
import type { ApiErrorBody, InboundContact, InboundResponse } from '../shared/httpApi.js';
import type { WebchatAck, WebchatMessage, WebchatSent, WebchatWelcome } from '../shared/webchat.js';
import { anonymousVisitorSocialId } from './channels/webchat/webchat.js';
import {
  TEST_BACKENDS,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  postJson,
  seedTestOrganisation,
  startTestServer,
  testWebchatChannel,
  type TestServer,
} from './testHarness.js';
import { connectTestSocket, disconnectTestSockets, okResult, recordPushes, type TestConnection } from './testing/sockets.js';

/** A widget ack's result; a refusal fails the test with its code. */
function accepted<T>(answer: WebchatAck<T>): T {
  if (!answer.ok) throw new Error(`refused: ${answer.error.code} ${answer.error.message}`);
  return answer.result;
}

let t: TestServer;
const visitors: Socket[] = [];

/** Closed on Friday (TEST_EPOCH is Friday 2024-11-08 10:00 in Beijing): open Monday to Thursday 9–18 only. */
function closedOnFridays(text = '您好，现在是非工作时间（工作时间：周一至周四 9:00–18:00），我们将在上班后尽快回复您。'): ChannelSettings {
  const settings = defaultChannelSettings();
  return { ...settings, hours: { ...settings.hours, alwaysOpen: false, weekly: { ...settings.hours.weekly, fri: [] }, autoReplyText: text } };
}

async function widget(visitorId: string): Promise<{ socket: Socket; welcome: WebchatWelcome; received: WebchatMessage[]; availability: unknown[] }> {
  const socket = connect(`${t.url}/webchat`, {
    auth: { site: 'demo', visitorId },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: t.url },
  });
  visitors.push(socket);
  const received: WebchatMessage[] = [];
  const availability: unknown[] = [];
  socket.on('webchat:message', (message: WebchatMessage) => received.push(message));
  socket.on('webchat:availability', (event: unknown) => availability.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const hello = (await socket.timeout(5_000).emitWithAck('webchat:hello', {})) as WebchatAck<WebchatWelcome>;
  if (!hello.ok) throw new Error(hello.error.message);
  return { socket, welcome: hello.result, received, availability };
}

async function say(socket: Socket, clientMessageId: string, text: string): Promise<WebchatAck<WebchatSent>> {
  return (await socket.timeout(5_000).emitWithAck('webchat:send', { clientMessageId, text })) as WebchatAck<WebchatSent>;
}

function inbound(contact: InboundContact) {
  return postJson<InboundResponse>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
}

for (const backend of TEST_BACKENDS) {
  describe(`business hours, channel registry and VIP tier on ${backend}`, () => {
    let admin: TestConnection;

    beforeEach(async () => {
      t = await startTestServer({ backend, channels: [testWebchatChannel()], routing: { autoAccept: true }, agentsPushThrottleMs: 0 });
      await seedTestOrganisation(t.store, [
        { username: 'admin1', displayName: '系统管理员', role: 'admin', channels: [] },
        { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
        { username: 'agent1', displayName: '王芳', channels: ['chat', 'email'] },
      ]);
      admin = await connectTestSocket(t, 'admin1');
    });

    afterEach(async () => {
      for (const socket of visitors.splice(0)) socket.disconnect();
      disconnectTestSockets();
      await t.stop();
    });

    it('off-hours: the visitor gets the auto-reply once, live in the widget and on the ticket; leads read the hours, nobody else writes them', async () => {
      const lead = await connectTestSocket(t, 'lead1');
      const agent = await connectTestSocket(t, 'agent1');
      const settings = closedOnFridays();
      expect(await lead.ask('admin:setChannel', { channel: 'chat', settings })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await agent.ask('admin:setChannel', { channel: 'chat', settings })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await agent.ask('admin:channels', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      // Malformed schedules: an interval ending before it starts, a time zone the registry does not take, a non-date holiday.
      for (const bad of [
        { ...settings, hours: { ...settings.hours, weekly: { ...settings.hours.weekly, mon: [{ start: '18:00', end: '09:00' }] } } },
        { ...settings, hours: { ...settings.hours, timeZone: 'Europe/Paris' } },
        { ...settings, hours: { ...settings.hours, holidays: ['2024-13-01'] } },
        { ...settings, expectedDailyVolume: -1 },
      ]) {
        expect(await admin.ask('admin:setChannel', { channel: 'chat', settings: bad })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      }
      expect(okResult(await admin.ask<ChannelSetResult>('admin:setChannel', { channel: 'chat', settings }))).toMatchObject({ ok: true });
      expect(okResult(await lead.ask<ChannelRegistryResult>('admin:channels', {})).channels.chat).toEqual(settings);

      const visitor = await widget('visitor-offhours-0001');
      expect(visitor.welcome.chatUnavailable).toBe(false);
      const sent = accepted(await say(visitor.socket, 'msg-c0001', '你好，请问退货怎么办理？'));
      await vi.waitFor(() => expect(visitor.received.filter((m) => m.from === 'agent')).toHaveLength(1));
      expect(visitor.received[0]).toMatchObject({
        from: 'agent',
        authorName: AUTO_REPLY_AUTHOR_NAME,
        text: settings.hours.autoReplyText,
        ticketId: sent.ticketId,
      });
      accepted(await say(visitor.socket, 'msg-c0002', '还有一个问题'));
      const bundle = (await t.store.getTicketBundle(sent.ticketId))!;
      expect(bundle.messages.map((m) => [m.direction, m.authorName, m.deliveryStatus])).toEqual([
        ['inbound', expect.any(String), 'received'],
        ['outbound', AUTO_REPLY_AUTHOR_NAME, 'sent'],
        ['inbound', expect.any(String), 'received'],
      ]);
      expect(visitor.received.filter((m) => m.from === 'agent')).toHaveLength(1);

      const audit = okResult(await lead.ask<AdminAuditResult>('admin:audit', {})).entries;
      expect(audit[0]).toMatchObject({
        action: 'channel_set',
        actorName: '系统管理员',
        before: { channel: 'chat', enabled: true },
        after: { channel: 'chat', ...settings },
      });
    });

    it("the organisation's time zone decides off-hours, and every workstation is told it on connect and when an admin changes it", async () => {
      const pushed: OrgSettings[] = [];
      await connectTestSocket(t, 'agent1', { listen: recordPushes('org:settings', pushed) });
      await vi.waitFor(() => expect(pushed).toEqual([{ timeZone: 'Asia/Shanghai' }]));
      // Mon–Fri 9–18. TEST_EPOCH is Friday 10:00 in Shanghai (open) and Thursday 21:00 in New York (closed).
      const officeHours = { ...defaultChannelSettings(), hours: { ...defaultChannelSettings().hours, alwaysOpen: false } };
      okResult(await admin.ask('admin:setChannel', { channel: 'chat', settings: officeHours }));
      const shanghai = await widget('visitor-zone-0001');
      const open = accepted(await say(shanghai.socket, 'msg-z0001', '你好'));
      // Decided in the ingest transaction: open in Shanghai, so the ticket holds the visitor's message alone.
      expect((await t.store.getTicketBundle(open.ticketId))!.messages.map((m) => m.direction)).toEqual(['inbound']);

      const { policies } = okResult(await admin.ask<PoliciesResult>('admin:policies', {}));
      expect(await admin.ask('admin:setPolicies', { policies: { ...policies, timeZone: 'Mars/Olympus' } })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      okResult(await admin.ask('admin:setPolicies', { policies: { ...policies, timeZone: 'America/New_York' } }));
      await vi.waitFor(() => expect(pushed.at(-1)).toEqual({ timeZone: 'America/New_York' }));

      const newYork = await widget('visitor-zone-0002');
      const sent = accepted(await say(newYork.socket, 'msg-z0002', '你好'));
      await vi.waitFor(() => expect(newYork.received.filter((m) => m.from === 'agent')).toHaveLength(1));
      expect(newYork.received[0]).toMatchObject({ authorName: AUTO_REPLY_AUTHOR_NAME, ticketId: sent.ticketId });
      // The first visitor wrote while it was open in Shanghai: no auto-reply.
      expect(shanghai.received.filter((m) => m.authorName === AUTO_REPLY_AUTHOR_NAME)).toEqual([]);
    });

    it('switched off: the inbound API answers 503 and stores nothing, the widget hears it is unavailable; switched on, both take contacts again', async () => {
      const visitor = await widget('visitor-switched-0001');
      const before = accepted(await say(visitor.socket, 'msg-k0001', '在吗'));
      const off = { ...defaultChannelSettings(), enabled: false };
      okResult(await admin.ask('admin:setChannel', { channel: 'email', settings: off }));
      okResult(await admin.ask('admin:setChannel', { channel: 'chat', settings: off }));

      const refused = await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单', text: '订单查询' });
      expect(refused.status).toBe(503);
      expect((refused.body as ApiErrorBody).error.code).toBe('channel_unavailable');
      expect((refused.body as ApiErrorBody).error.message).toContain('switched off');
      expect(t.logLines.some((line) => line.includes('refused: the email channel is switched off'))).toBe(true);

      expect(await say(visitor.socket, 'msg-k0002', '有人吗')).toMatchObject({ ok: false, error: { code: 'channel_unavailable' } });
      await vi.waitFor(() => expect(visitor.availability).toContainEqual(expect.objectContaining({ chatUnavailable: true })));
      const late = await widget('visitor-switched-0002');
      expect(late.welcome.chatUnavailable).toBe(true);
      // Nothing already there is lost: the conversation before the switch is still open and whole.
      expect((await t.store.getTicketBundle(before.ticketId))!.messages).toHaveLength(1);
      expect(await t.store.listTicketIdsByExternalIdPrefix(['chat', 'email'], `${anonymousVisitorSocialId('demo', 'visitor-switched-0002')}#`, 5)).toEqual([]);

      okResult(await admin.ask('admin:setChannel', { channel: 'email', settings: defaultChannelSettings() }));
      okResult(await admin.ask('admin:setChannel', { channel: 'chat', settings: defaultChannelSettings() }));
      expect((await inbound({ channel: 'email', customer: { name: '张伟', email: 'zw@example.cn' }, subject: '订单', text: '订单查询' })).status).toBe(201);
      expect(await say(visitor.socket, 'msg-k0002', '有人吗')).toMatchObject({ ok: true, result: { ticketId: before.ticketId, duplicate: false } });
    });

    it('VIP tier: an admin sets it, leads and agents may not; the workstations and routing hear it; audited', async () => {
      const lead = await connectTestSocket(t, 'lead1');
      // Nobody on email yet: the ticket waits, ranked with tier 0.
      await t.store.createUser({
        id: 'senior1',
        username: 'senior1',
        password: TEST_PASSWORD,
        displayName: '资深客服',
        role: 'agent',
        channels: ['email'],
        senior: true,
      });
      const created = await inbound({ channel: 'email', customer: { name: '陈静', email: 'cj@example.cn' }, subject: '发票', text: '请帮我开发票' });
      const { ticketId } = created.body as InboundResponse;
      const customerId = (await t.store.getTicket(ticketId))!.customerId;

      expect(await lead.ask('admin:setCustomerVip', { customerId, vipTier: 2 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await admin.ask('admin:setCustomerVip', { customerId, vipTier: 9 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(okResult(await admin.ask<CustomerVipSetResult>('admin:setCustomerVip', { customerId: 'CUS20241108999', vipTier: 2 }))).toMatchObject({
        ok: false,
        refusal: 'not_found',
      });
      expect(okResult(await admin.ask<CustomerVipSetResult>('admin:setCustomerVip', { customerId, vipTier: 2 }))).toEqual({ ok: true, customerId, vipTier: 2 });
      expect((await t.store.getCustomer(customerId))?.vipTier).toBe(2);
      // Every workstation that sees the customer's tickets hears the new tier (an open customer panel reloads).
      const pulled = await t.store.pullChanges((await t.store.getUser('lead1'))!, 0);
      expect(pulled.mustRefetch ? [] : pulled.changes).toContainEqual(
        expect.objectContaining({ kind: 'customer', customer: expect.objectContaining({ id: customerId, vipTier: 2 }) as unknown }),
      );

      // The waiting ticket is now a VIP's: the senior agent who can take it gets it for that reason.
      await t.server.routing.userChanged('senior1', '系统管理员'); // created behind routing's back (the admin socket would say so)
      await connectTestSocket(t, 'senior1');
      await t.server.routing.idle();
      await vi.waitFor(async () => expect((await t.store.getTicket(ticketId))?.assignmentReason).toMatchObject({ code: 'vip_senior', vipTier: 2 }), {
        timeout: 10_000,
      });

      const audit = okResult(await lead.ask<AdminAuditResult>('admin:audit', {})).entries.find((entry) => entry.action === 'customer_vip_set');
      expect(audit).toMatchObject({
        targetId: null,
        targetName: `陈静 (${customerId})`,
        before: { customerId, vipTier: 0 },
        after: { customerId, vipTier: 2 },
      });
    });
  });
}
