/**
 * Business hours and the off-hours auto-reply on two nodes (docs/technical/administration.md):
 * two stores on one database (one SQLite file, or one PostgreSQL database), as two server
 * nodes are, each with its own delivery dispatcher. Two messages of one conversation arriving
 * off-hours through both nodes at once earn ONE auto-reply, which one node sends; a later
 * message in the same off-hours period earns none; the next period earns one again; a call
 * and the HTTP API (no written route back) earn none. The registry on/off refuses a contact
 * with nothing stored, and the audit keeps each channel's before and after.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUTO_REPLY_AUTHOR_NAME, defaultChannelSettings, type ChannelSettings } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import { ChannelUnavailableError } from './channelAvailability.js';
import { createDeliveryDispatcher, type ChannelSender, type DeliveryDispatcher } from './channels/delivery.js';
import type { ChannelContact, ServerStore } from './store.js';
import { TEST_BACKENDS, createTestClock, type TestClock } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

/** An instant given as Asia/Shanghai wall-clock time. */
const shanghai = (local: string) => Date.parse(`${local}+08:00`);

/** Open Monday to Friday 09:00–18:00 (the default schedule), switched on. */
function officeHours(autoReplyText = '您好，现在是非工作时间，我们将在上班后尽快回复您。'): ChannelSettings {
  const settings = defaultChannelSettings();
  return { ...settings, hours: { ...settings.hours, alwaysOpen: false, autoReplyText } };
}

function recordingChannel(): ChannelSender & { sent: string[] } {
  const channel = {
    sent: [] as string[],
    send(delivery: Parameters<ChannelSender['send']>[0]) {
      channel.sent.push(delivery.message.id);
      return Promise.resolve({});
    },
  };
  return channel;
}

const weibo = (text: string, id: string): ChannelContact => ({
  channel: 'social',
  customer: { name: '张伟', socialId: 'weibo:u1' },
  text,
  externalMessageId: id,
  proven: ['socialId'],
  source: 'webhook:weibo',
});

for (const backend of TEST_BACKENDS) {
  describe(`business hours and the auto-reply on ${backend}`, () => {
    let nodes: ServerStore[];
    let cleanup: () => Promise<void>;
    let admin: User;
    let clock: TestClock;
    const dispatchers: DeliveryDispatcher[] = [];

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      nodes = [opened.store, await opened.another()];
      cleanup = opened.cleanup;
      clock = createTestClock(shanghai('2026-12-07T10:00:00')); // a Monday, open
      admin = await nodes[0]!.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '系统管理员', role: 'admin', channels: [] });
    });

    afterEach(async () => {
      for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
      for (const node of nodes) await node.close();
      await cleanup();
    });

    /** At once on PostgreSQL (several nodes); one after another on SQLite, which is one node with one writer (a second store on the file gets SQLITE_BUSY). */
    async function together<T>(writes: Array<() => Promise<T>>): Promise<T[]> {
      if (backend === 'postgres') return Promise.all(writes.map((write) => write()));
      const results: T[] = [];
      for (const write of writes) results.push(await write());
      return results;
    }

    const autoReplies = async (ticketId: string) =>
      (await nodes[1]!.getTicketBundle(ticketId))!.messages.filter((m) => m.direction === 'outbound' && m.authorName === AUTO_REPLY_AUTHOR_NAME);

    it('sends one auto-reply per conversation per off-hours period, by one node, even when two nodes take its messages at once', async () => {
      expect(await nodes[0]!.admin.setChannel(admin, 'social', officeHours(), clock.now())).toMatchObject({ ok: true });
      // Open: a ticket, no auto-reply.
      const first = await nodes[0]!.ingestInbound(weibo('在吗', 'm1'), { now: clock.now() });
      expect(await autoReplies(first.ticketId)).toEqual([]);

      // Monday 20:00, closed since 18:00: two messages of the conversation, one through each node, at once.
      clock.set(shanghai('2026-12-07T20:00:00'));
      const both = await together([
        () => nodes[0]!.ingestInbound(weibo('有人吗', 'm2'), { now: clock.now() }),
        () => nodes[1]!.ingestInbound(weibo('我的订单还没发货', 'm3'), { now: clock.now() }),
      ]);
      expect(both.map((outcome) => outcome.ticketId)).toEqual([first.ticketId, first.ticketId]);
      const replies = await autoReplies(first.ticketId);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatchObject({
        authorId: null,
        deliveryStatus: 'queued',
        source: 'webhook:weibo',
        text: '您好，现在是非工作时间，我们将在上班后尽快回复您。',
      });

      // Both nodes' dispatchers race for it: sent once.
      const a = recordingChannel();
      const b = recordingChannel();
      for (const [node, sender] of [
        [0, a],
        [1, b],
      ] as const) {
        const dispatcher = createDeliveryDispatcher({
          store: nodes[node]!,
          senders: { webhook: sender },
          now: clock.now,
          log: () => undefined,
          nodeId: `node-${String(node)}`,
        });
        dispatchers.push(dispatcher);
        dispatcher.kick();
      }
      await vi.waitFor(async () => expect((await autoReplies(first.ticketId))[0]!.deliveryStatus).toBe('sent'));
      expect([...a.sent, ...b.sent]).toEqual([replies[0]!.id]);

      // Past midnight, still the same period (closed since Monday 18:00): nothing more.
      clock.set(shanghai('2026-12-08T01:00:00'));
      await nodes[1]!.ingestInbound(weibo('还在等', 'm4'), { now: clock.now() });
      expect(await autoReplies(first.ticketId)).toHaveLength(1);

      // Tuesday evening is a new period: one more.
      clock.set(shanghai('2026-12-08T18:30:00'));
      await nodes[0]!.ingestInbound(weibo('今天还是没人回复', 'm5'), { now: clock.now() });
      expect(await autoReplies(first.ticketId)).toHaveLength(2);
    });

    it('gives no auto-reply on a call, through the HTTP API, around the clock, or with an empty text; a new ticket off-hours gets one', async () => {
      clock.set(shanghai('2026-12-12T11:00:00')); // Saturday
      const api = await nodes[0]!.ingestInbound({ channel: 'social', customer: { name: '李娜', phone: '13800138000' }, text: '你好' }, { now: clock.now() });
      const phone = await nodes[0]!.ingestInbound(
        {
          channel: 'phone',
          customer: { phone: '13900139000' },
          text: '来电',
          source: 'cti',
          call: {
            callId: 'c1',
            outcome: 'answered',
            from: '13900139000',
            to: '4008001234',
            agentExtension: null,
            startedAt: clock.now(),
            answeredAt: clock.now(),
            durationSec: 0,
            endedAt: null,
          },
        },
        { now: clock.now() },
      );
      for (const channel of ['social', 'phone'] as const)
        expect(await nodes[0]!.admin.setChannel(admin, channel, officeHours(), clock.now())).toMatchObject({ ok: true });
      const apiAfter = await nodes[0]!.ingestInbound(
        { channel: 'social', customer: { name: '李娜', phone: '13800138000' }, text: '在吗' },
        { now: clock.now() },
      );
      expect(await autoReplies(api.ticketId)).toEqual([]);
      expect(await autoReplies(apiAfter.ticketId)).toEqual([]);
      expect(await autoReplies(phone.ticketId)).toEqual([]);

      const fresh = await nodes[1]!.ingestInbound(weibo('周末有人吗', 'w1'), { now: clock.now() });
      expect(fresh.created).toBe(true);
      expect(await autoReplies(fresh.ticketId)).toHaveLength(1);

      expect(await nodes[0]!.admin.setChannel(admin, 'social', officeHours(''), clock.now())).toMatchObject({ ok: true });
      const silent = await nodes[0]!.ingestInbound({ ...weibo('你好', 'w2'), customer: { socialId: 'weibo:u2' } }, { now: clock.now() });
      expect(await autoReplies(silent.ticketId)).toEqual([]);
    });

    it('refuses a contact on a switched-off channel with nothing stored, still answers a repeat, and records a call', async () => {
      const stored = await nodes[0]!.ingestInbound(weibo('在吗', 'o1'), { now: clock.now() });
      expect(await nodes[0]!.admin.setChannel(admin, 'social', { ...defaultChannelSettings(), enabled: false }, clock.now())).toMatchObject({ ok: true });
      await expect(nodes[1]!.ingestInbound(weibo('有人吗', 'o2'), { now: clock.now() })).rejects.toBeInstanceOf(ChannelUnavailableError);
      expect((await nodes[1]!.getTicketBundle(stored.ticketId))!.messages.map((m) => m.externalMessageId)).toEqual(['o1']);
      // A webhook retrying a message stored before the switch gets its ids back, not an error.
      expect(await nodes[1]!.ingestInbound(weibo('在吗', 'o1'), { now: clock.now() })).toMatchObject({ duplicate: true, ticketId: stored.ticketId });

      expect(await nodes[0]!.admin.setChannel(admin, 'phone', { ...defaultChannelSettings(), enabled: false }, clock.now())).toMatchObject({ ok: true });
      const call = await nodes[0]!.ingestInbound(
        {
          channel: 'phone',
          customer: { phone: '13900139000' },
          text: '来电',
          source: 'cti',
          call: {
            callId: 'c2',
            outcome: 'answered',
            from: '13900139000',
            to: '4008001234',
            agentExtension: null,
            startedAt: clock.now(),
            answeredAt: clock.now(),
            durationSec: 0,
            endedAt: null,
          },
        },
        { now: clock.now() },
      );
      expect(call.created).toBe(true);
    });

    it('keeps two admins changing two channels at once, audits each before and after, and refuses an owner who is no lead or admin', async () => {
      const agent = await nodes[0]!.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
      const lead = await nodes[0]!.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
      const chat: ChannelSettings = { ...officeHours(), ownerId: lead.id, expectedDailyVolume: 800, customerGroup: '全部客户' };
      const email: ChannelSettings = { ...defaultChannelSettings(), enabled: false };
      await together([
        () => nodes[0]!.admin.setChannel(admin, 'chat', chat, clock.now()),
        () => nodes[1]!.admin.setChannel(admin, 'email', email, clock.now()),
      ]);
      const registry = await nodes[1]!.admin.getChannels();
      expect(registry.channels.chat).toEqual(chat);
      expect(registry.channels.email).toEqual(email);
      expect(registry.ownerNames.chat).toBe('李主管');
      expect(await nodes[0]!.admin.setChannel(admin, 'chat', { ...chat, ownerId: agent.id }, clock.now())).toMatchObject({
        ok: false,
        refusal: 'owner_not_found',
      });

      const audit = (await nodes[0]!.admin.listAudit(undefined)).filter((entry) => entry.action === 'channel_set');
      expect(audit).toHaveLength(2);
      const chatEntry = audit.find((entry) => (entry.after as { channel: string }).channel === 'chat')!;
      expect(chatEntry).toMatchObject({
        actorName: '系统管理员',
        targetId: null,
        before: { channel: 'chat', ...defaultChannelSettings() },
        after: { channel: 'chat', ...chat },
      });
    });
  });
}
