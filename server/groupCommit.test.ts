import { afterEach, describe, expect, it } from 'vitest';
import { seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';
import { createGroupCommit } from './groupCommit.js';
import type { ChannelContact } from './store.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('group commit of inbound contacts', () => {
  it('stores the contacts of one turn in one commit, and a failing one alone rolls back', async () => {
    server = await startTestServer();
    await seedTestOrganisation(server.store, []);
    const store = server.store;
    const commits: number[] = [];
    store.onDidCommitChanges((batch) => commits.push(batch.length));
    const ingest = createGroupCommit(
      (fn) => store.withTransaction(fn),
      // Atomic on its own, as group commit requires: it writes, then fails, in its own transaction.
      (contact: ChannelContact) =>
        store.withTransaction(async () => {
          const outcome = await store.ingestInbound(contact, { now: server!.clock.now() });
          if (contact.text === '坏') throw new Error('refused inside the batch, after writing');
          return outcome;
        }),
    );
    const contact = (name: string, text: string): ChannelContact => ({ channel: 'email', customer: { name, email: `${name}@example.cn` }, text });

    const outcomes = await Promise.allSettled([
      ingest(contact('zhangwei', '订单物流查询延迟')),
      ingest(contact('lina', '坏')),
      ingest(contact('wangfang', '申请退款')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(commits).toEqual([2]);
    const stored = (await store.listTickets({ id: 'lead', role: 'lead', channels: [] }, { limit: 10 })).tickets.map((t) => t.lastMessagePreview);
    expect(stored.sort()).toEqual(['申请退款', '订单物流查询延迟']);

    // Alone in its turn, a contact commits by itself.
    await ingest(contact('zhaolei', '发票'));
    expect(commits).toEqual([2, 1]);
  });

  describe('with a commit delay', () => {
    // Time for the group commit moves only by hand: the arrival clock and the delay's timers are the test's.
    let clock = 0;
    let timers: Array<{ fn: () => void; ms: number }> = [];
    const setTimer = (fn: () => void, ms: number) => void timers.push({ fn, ms });
    const fireTimers = () => {
      const due = timers;
      timers = [];
      for (const { fn } of due) fn();
    };
    /** Lets the pending event-loop turn end (the group commit decides there), so the next call arrives in a later turn. */
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const contact = (name: string, text: string): ChannelContact => ({ channel: 'email', customer: { name, email: `${name}@example.cn` }, text });

    async function startIngest(commitDelayMs: number) {
      clock = 0;
      timers = [];
      server = await startTestServer();
      await seedTestOrganisation(server.store, []);
      const store = server.store;
      const commits: number[] = [];
      store.onDidCommitChanges((batch) => commits.push(batch.length));
      const ingest = createGroupCommit(
        (fn) => store.withTransaction(fn),
        (c: ChannelContact) =>
          store.withTransaction(async () => {
            const outcome = await store.ingestInbound(c, { now: server!.clock.now() });
            if (c.text === '坏') throw new Error('refused inside the batch, after writing');
            return outcome;
          }),
        { commitDelayMs, now: () => clock, setTimer },
      );
      const previews = async () =>
        (await store.listTickets({ id: 'lead', role: 'lead', channels: [] }, { limit: 20 })).tickets.map((t) => t.lastMessagePreview).sort();
      return { ingest, commits, previews };
    }

    it('contacts arriving in later turns within the window share one commit, none answered before it, a failing one alone rolls back', async () => {
      const { ingest, commits, previews } = await startIngest(10);
      // The first contact ever: no arrival rate yet, so it commits at once, alone.
      await ingest(contact('zhangwei', '订单物流查询延迟'));
      expect(commits).toEqual([1]);
      expect(timers).toEqual([]);

      const answered: string[] = [];
      const track = (name: string, promise: Promise<unknown>) =>
        promise.then(
          () => answered.push(`${name} ok`),
          () => answered.push(`${name} failed`),
        );
      // 3 ms apart, each in its own turn: the rate says more will come within 10 ms.
      clock = 3;
      const first = track('lina', ingest(contact('lina', '申请退款')));
      await nextTurn();
      expect(timers.map((t) => t.ms)).toEqual([10]);
      clock = 6;
      const second = track('wangfang', ingest(contact('wangfang', '坏')));
      await nextTurn();
      clock = 9;
      const third = track('zhaolei', ingest(contact('zhaolei', '发票')));
      await nextTurn();
      await nextTurn();
      // Waiting for the window to end: nothing committed, nothing answered, one timer for the batch.
      expect(timers).toHaveLength(1);
      expect(commits).toEqual([1]);
      expect(answered).toEqual([]);
      expect(await previews()).toEqual(['订单物流查询延迟']);

      fireTimers();
      await Promise.all([first, second, third]);
      expect(answered.sort()).toEqual(['lina ok', 'wangfang failed', 'zhaolei ok']);
      // One commit for the window's three contacts, with the two that succeeded.
      expect(commits).toEqual([1, 2]);
      expect(await previews()).toEqual(['发票', '申请退款', '订单物流查询延迟']);
    });

    it('a lone contact after a pause does not wait', async () => {
      const { ingest, commits } = await startIngest(10);
      await ingest(contact('zhangwei', '订单物流查询延迟'));
      clock = 2;
      const quick = ingest(contact('lina', '申请退款'));
      await nextTurn();
      fireTimers();
      await quick;
      expect(commits).toEqual([1, 1]);
      // A minute later the server is idle: the contact commits in its own turn, with no timer.
      clock = 60_000;
      await ingest(contact('wangfang', '发票'));
      expect(timers).toEqual([]);
      expect(commits).toEqual([1, 1, 1]);
    });

    it('with delay 0, contacts of later turns commit one by one and those of one turn together, as before', async () => {
      const { ingest, commits, previews } = await startIngest(0);
      for (const [k, [name, text]] of [
        ['zhangwei', '订单物流查询延迟'],
        ['lina', '申请退款'],
        ['wangfang', '发票'],
      ].entries()) {
        clock = k;
        await ingest(contact(name!, text!));
      }
      const sameTurn = await Promise.allSettled([ingest(contact('zhaolei', '坏')), ingest(contact('liuyang', '改地址'))]);
      expect(sameTurn.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
      expect(timers).toEqual([]);
      expect(commits).toEqual([1, 1, 1, 1]);
      expect(await previews()).toEqual(['发票', '改地址', '申请退款', '订单物流查询延迟']);
    });
  });
});
