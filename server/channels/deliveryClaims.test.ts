/**
 * Each queued reply is sent once however many nodes run a dispatcher on the database: two
 * stores on one database (one SQLite file, or one PostgreSQL database) each with their own
 * dispatcher, racing for the same replies. The sender records what reached the channel.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../shared/domain.js';
import type { ServerStore } from '../store.js';
import { TEST_BACKENDS, TEST_EPOCH, createTestClock, type TestClock } from '../testHarness.js';
import { openStoreOn, type OpenedStore } from '../testing/stores.js';
import { PermanentDeliveryError, createDeliveryDispatcher, type ChannelSender, type DeliveryDispatcher } from './delivery.js';

/** A channel that records every reply handed to it; `failNext` makes the next sends fail as a network error would. */
function recordingChannel(): ChannelSender & { sent: string[]; failNext: number } {
  const channel = {
    sent: [] as string[],
    failNext: 0,
    send(delivery: Parameters<ChannelSender['send']>[0]) {
      if (channel.failNext > 0) {
        channel.failNext--;
        return Promise.reject(new Error('connection reset'));
      }
      channel.sent.push(delivery.message.id);
      return Promise.resolve({ externalMessageId: `wb-${delivery.message.id}` });
    },
  };
  return channel;
}

for (const backend of TEST_BACKENDS) {
  describe(`delivery claims on ${backend}`, () => {
    let nodes: ServerStore[];
    let cleanup: () => Promise<void>;
    let opened: OpenedStore;
    let lead: User;
    let clock: TestClock;
    const dispatchers: DeliveryDispatcher[] = [];

    beforeEach(async () => {
      opened = await openStoreOn(backend);
      nodes = [opened.store, await opened.another()];
      cleanup = opened.cleanup;
      clock = createTestClock();
      lead = await nodes[0]!.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
    });

    afterEach(async () => {
      for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
      for (const node of nodes) await node.close();
      await cleanup();
    });

    /** Queues `count` replies to Weibo customers, written through node 0. */
    async function queueReplies(count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const { ticketId } = await nodes[0]!.ingestInbound(
          { channel: 'social', customer: { socialId: `weibo:u${String(i)}` }, text: '在吗', proven: ['socialId'], source: 'webhook:weibo' },
          { now: TEST_EPOCH + i },
        );
        const id = `reply-${String(i)}`;
        const result = await nodes[0]!.applyMutation(
          lead,
          'client',
          { mutationId: `m-${id}`, kind: 'reply', ticketId, messageId: id, text: '您好，在的', createdAt: TEST_EPOCH + i },
          TEST_EPOCH + i,
        );
        expect(result.ok).toBe(true);
        ids.push(id);
      }
      return ids;
    }

    function dispatch(node: number, nodeId: string, channel: ChannelSender, claimMs = 60_000, retryDelayMs = 10): DeliveryDispatcher {
      const dispatcher = createDeliveryDispatcher({
        store: nodes[node]!,
        senders: { webhook: channel },
        now: clock.now,
        log: () => undefined,
        nodeId,
        claimMs,
        retryDelayMs,
      });
      dispatchers.push(dispatcher);
      return dispatcher;
    }

    const statusOf = async (id: string) =>
      (await nodes[1]!.sql.get<{ delivery_status: string; claimed_by: string | null }>('SELECT delivery_status, claimed_by FROM messages WHERE id = ?', [id]))!;

    it('sends every reply once when two nodes drain the same queue at the same time', async () => {
      const ids = await queueReplies(30);
      const a = recordingChannel();
      const b = recordingChannel();
      const first = dispatch(0, 'node-a', a);
      const second = dispatch(1, 'node-b', b);
      for (let i = 0; i < 5; i++) {
        first.kick();
        second.kick();
      }
      await vi.waitFor(async () => expect((await Promise.all(ids.map(statusOf))).every((row) => row.delivery_status === 'sent')).toBe(true), {
        timeout: 20_000,
      });
      expect([...a.sent, ...b.sent].sort()).toEqual([...ids].sort());
      expect(new Set([...a.sent, ...b.sent]).size).toBe(ids.length);
      expect((await Promise.all(ids.map(statusOf))).every((row) => row.claimed_by === null)).toBe(true);
    });

    it('leaves a reply claimed by a live node alone, and takes it over once that claim has run out', async () => {
      const [id] = await queueReplies(1);
      // A node claimed the reply and died before sending it.
      expect(
        (await nodes[0]!.claimQueuedDeliveries(['webhook'], 10, { by: 'node-dead', until: clock.now() + 60_000, now: clock.now() })).map((d) => d.message.id),
      ).toEqual([id]);
      const survivor = recordingChannel();
      const dispatcher = dispatch(1, 'node-b', survivor);
      dispatcher.kick();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(survivor.sent).toEqual([]);
      expect(await statusOf(id!)).toEqual({ delivery_status: 'queued', claimed_by: 'node-dead' });
      clock.advance(60_000);
      dispatcher.kick();
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null }));
      expect(survivor.sent).toEqual([id]);
    });

    it("takes over a dead node's reply when its claim runs out, with no commit to wake it", async () => {
      const [id] = await queueReplies(1);
      // Held by no claim (e.g. skipped while another node was claiming it): to be looked at again now.
      expect(await nodes[1]!.nextForeignClaimEnd(['webhook'], 'node-b')).toBe(0);
      expect(
        (await nodes[0]!.claimQueuedDeliveries(['webhook'], 10, { by: 'node-dead', until: clock.now() + 1_500, now: clock.now() })).map((d) => d.message.id),
      ).toEqual([id]);
      expect(await nodes[1]!.nextForeignClaimEnd(['webhook'], 'node-b')).toBe(clock.now() + 1_500);
      expect(await nodes[1]!.nextForeignClaimEnd(['webhook'], 'node-dead')).toBeNull();
      const survivor = recordingChannel();
      dispatch(1, 'node-b', survivor);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(survivor.sent).toEqual([]);
      // No kick from here on: the dispatcher's own timer for the claim's end takes the reply.
      clock.advance(1_500);
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null }), { timeout: 10_000 });
      expect(survivor.sent).toEqual([id]);
    });

    it("never records as failed a reply another node sent after this node's claim ran out during a slow send", async () => {
      const [id] = await queueReplies(1);
      // Node A's channel hangs on the reply (a mail server slow to answer) past the claim's end…
      let answer: (outcome: Error) => void = () => undefined;
      const slow: ChannelSender = { send: () => new Promise((_resolve, reject) => (answer = reject)) };
      const nodeA = dispatch(0, 'node-a', slow, 1_000);
      nodeA.kick();
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'queued', claimed_by: 'node-a' }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      clock.advance(1_001);
      // …so node B takes the reply over and the channel accepts it from B.
      const other = recordingChannel();
      dispatch(1, 'node-b', other, 1_000).kick();
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null }));
      expect(other.sent).toEqual([id]);
      // Then A's attempt ends in a refusal: the customer has B's copy, so the reply stays sent.
      answer(new PermanentDeliveryError('550 mailbox busy'));
      // stop() resolves once A's attempt, and what it recorded, are over.
      await nodeA.stop();
      expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null });
      const { ticket_id: ticketId } = (await nodes[1]!.sql.get<{ ticket_id: string }>('SELECT ticket_id FROM messages WHERE id = ?', [id!]))!;
      expect((await nodes[1]!.getTicketBundle(ticketId))!.messages.find((m) => m.id === id)).toMatchObject({
        deliveryStatus: 'sent',
        deliveryError: null,
        externalMessageId: `wb-${id!}`,
      });
    });

    it('records a reply the channel took as sent once the database takes the write again, without sending it again', async () => {
      const [id] = await queueReplies(1);
      // The database refuses to record "sent" for a while (a full disk, a lost connection), nothing else.
      await opened.exec(
        backend === 'sqlite'
          ? "CREATE TRIGGER refuse_sent BEFORE UPDATE ON messages WHEN NEW.delivery_status = 'sent' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
          : `CREATE FUNCTION refuse_sent() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_sent BEFORE UPDATE ON messages FOR EACH ROW WHEN (NEW.delivery_status = 'sent') EXECUTE FUNCTION refuse_sent()`,
      );
      const channel = recordingChannel();
      const lines: string[] = [];
      const dispatcher = createDeliveryDispatcher({
        store: nodes[0]!,
        senders: { webhook: channel },
        now: clock.now,
        log: (line) => lines.push(line),
        nodeId: 'node-a',
        retryDelayMs: 10,
      });
      dispatchers.push(dispatcher);
      dispatcher.kick();
      // Several failed writes (before: each one a failed SEND, retried by sending again, then "failed" after four).
      await vi.waitFor(() => expect(lines.filter((line) => line.includes('disk full')).length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
      expect(channel.sent).toEqual([id]);
      await opened.exec(backend === 'sqlite' ? 'DROP TRIGGER refuse_sent' : 'DROP TRIGGER refuse_sent ON messages; DROP FUNCTION refuse_sent()');
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null }), { timeout: 10_000 });
      expect(channel.sent).toEqual([id]);
    });

    it('keeps its claim across a retry, so the other node does not send the reply meanwhile', async () => {
      const [id] = await queueReplies(1);
      const flaky = recordingChannel();
      flaky.failNext = 1;
      const other = recordingChannel();
      dispatch(0, 'node-a', flaky, 1_000, 300).kick();
      await vi.waitFor(() => expect(flaky.failNext).toBe(0));
      // Past the first claim's end, before the retry: the retry renewed it.
      clock.advance(1_005);
      dispatch(1, 'node-b', other, 1_000).kick();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statusOf(id!)).toEqual({ delivery_status: 'queued', claimed_by: 'node-a' });
      await vi.waitFor(async () => expect(await statusOf(id!)).toEqual({ delivery_status: 'sent', claimed_by: null }));
      expect(flaky.sent).toEqual([id]);
      expect(other.sent).toEqual([]);
    });
  });
}
