/**
 * Inbound contacts stored in batches (group commit), on both backends: what a batch's
 * transaction keeps for all its contacts — the id counters and the change log's seq it has
 * taken, the change-log rows it writes together before the commit, the policies documents it
 * has read (SQLite), the rollup of the tickets it created — must come out as if each contact
 * had written its own, including when one contact of the batch rolls back.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultChannelSettings } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import { ChannelUnavailableError } from './channelAvailability.js';
import type { SqlValue } from './db/sql.js';
import { createGroupCommit } from './groupCommit.js';
import { ROLLUP_KEY_COLUMNS, ROLLUP_VALUE_COLUMNS, contributionSelectSql } from './reports/reportRollup.js';
import type { ChannelContact, ServerStore, Viewer } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const LEAD: Viewer = { id: 'lead', role: 'lead', channels: [] };

const contact = (name: string, text: string): ChannelContact => ({
  channel: 'email',
  customer: { name, email: `${name}@example.cn` },
  text,
  proven: ['email'],
});

/** Contacts stored through one group commit, each in its own savepoint; a contact whose text is '坏' fails after writing everything. */
function batchIngest(store: ServerStore, now: number): (input: ChannelContact) => Promise<unknown> {
  return createGroupCommit(
    (fn) => store.withTransaction(fn),
    (input: ChannelContact) =>
      store.withTransaction(async () => {
        const outcome = await store.ingestInbound(input, { now });
        if (input.text === '坏') throw new Error('refused inside the batch, after writing');
        return outcome;
      }),
  );
}

const COLUMNS = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS];

const TEXT_COLUMNS: ReadonlySet<string> = new Set(['channel', 'type', 'ticket_group', 'assignee_id', 'assignee_name']);

/** Rows as comparable lines; PostgreSQL answers BIGINT and SUM as text, SQLite as numbers. */
function rowTexts(rows: Array<Record<string, SqlValue>>): string[] {
  return rows.map((row) => COLUMNS.map((column) => (TEXT_COLUMNS.has(column) ? String(row[column]) : String(Number(row[column])))).join('|')).sort();
}

for (const backend of TEST_BACKENDS) {
  describe(`inbound contacts stored in batches on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let admin: User;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      admin = await store.createUser({ id: 'admin', username: 'admin', password: 'pw', displayName: '管理员', role: 'admin', channels: [] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('gives a rolled-back contact’s numbers back: ids and the change log stay without gaps, and the rollup matches the tickets', async () => {
      const seqs: number[] = [];
      store.onDidCommitChanges((batch) => seqs.push(...batch.map(({ change }) => change.seq)));
      const ingest = batchIngest(store, TEST_EPOCH);
      const outcomes = await Promise.allSettled([
        ingest(contact('zhangwei', '订单物流查询延迟')),
        ingest(contact('lina', '坏')),
        ingest(contact('wangfang', '申请退款')),
        ingest(contact('zhaolei', '发票')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      // The next batch continues where the counters stopped.
      await Promise.all([ingest(contact('liuyang', '保修')), ingest(contact('chenjing', '换货'))]);

      const tickets = (await store.listTickets(LEAD, { limit: 10 })).tickets;
      const numbers = tickets.map((ticket) => Number(ticket.id.slice(-3))).sort((a, b) => a - b);
      expect(numbers).toEqual([1, 2, 3, 4, 5]);
      const customers = new Set(tickets.map((ticket) => ticket.customerId));
      expect([...customers].map((id) => Number(id.slice(-3))).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(tickets.map((ticket) => ticket.lastMessagePreview).sort()).toEqual(['保修', '发票', '换货', '申请退款', '订单物流查询延迟'].sort());

      // The log: one entry per stored contact, consecutive, each written with its audience; nothing of the rolled-back one.
      expect(seqs).toEqual([1, 2, 3, 4, 5]);
      const pulled = await store.pullChanges(LEAD, 0);
      expect(pulled.mustRefetch).toBe(false);
      if (pulled.mustRefetch) return;
      expect(pulled.changes.map((change) => change.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(pulled.changes.map((change) => (change.kind === 'bundle' ? change.bundle.ticket.lastMessagePreview : null))).toEqual([
        '订单物流查询延迟',
        '申请退款',
        '发票',
        '保修',
        '换货',
      ]);
      expect((await store.committedChangesAfter(0, 100)).map(({ change, audience }) => [change.seq, audience])).toEqual(
        [1, 2, 3, 4, 5].map((seq) => [seq, ['queue:email']]),
      );

      // The rollup of the batch's new tickets, added together, is what a rebuild from the tickets gives.
      const sums = ROLLUP_VALUE_COLUMNS.map((column) => `SUM(c.${column}) AS ${column}`).join(', ');
      const keys = ROLLUP_KEY_COLUMNS.map((column) => `c.${column}`).join(', ');
      const rebuilt = await store.sql.all<Record<string, SqlValue>>(
        `SELECT ${keys}, ${sums} FROM (${contributionSelectSql(store.sql.dialect, '')}) c GROUP BY ${keys}`,
      );
      const kept = await store.sql.all<Record<string, SqlValue>>(`SELECT ${COLUMNS.join(', ')} FROM report_rollup`);
      expect(rowTexts(kept)).toEqual(rowTexts(rebuilt));
      expect(Number((await store.sql.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM report_rollup_tickets'))!.n)).toBe(5);
    });

    it('reads the log inside the transaction that appended to it, and commits what it read', async () => {
      const inside = await store.withTransaction(async () => {
        await store.ingestInbound(contact('zhangwei', '订单物流查询延迟'), { now: TEST_EPOCH });
        await store.ingestInbound(contact('lina', '申请退款'), { now: TEST_EPOCH });
        const seen = (await store.committedChangesAfter(0, 10)).map(({ change }) => change.seq);
        // Appended after the read: written before the commit all the same.
        await store.ingestInbound(contact('wangfang', '发票'), { now: TEST_EPOCH });
        return seen;
      });
      expect(inside).toEqual([1, 2]);
      expect((await store.committedChangesAfter(0, 10)).map(({ change }) => change.seq)).toEqual([1, 2, 3]);
      const next = await store.ingestInbound(contact('zhaolei', '保修'), { now: TEST_EPOCH });
      expect(Number(next.ticketId.slice(-3))).toBe(4);
      expect((await store.committedChangesAfter(3, 10)).map(({ change }) => change.seq)).toEqual([4]);

      // The log read inside a savepoint that then rolls back: what was appended before the savepoint is still written at the commit.
      await store.withTransaction(async () => {
        await store.ingestInbound(contact('liuyang', '换货'), { now: TEST_EPOCH });
        await expect(
          store.withTransaction(async () => {
            expect((await store.committedChangesAfter(4, 10)).map(({ change }) => change.seq)).toEqual([5]);
            throw new Error('rolled back after reading');
          }),
        ).rejects.toThrow('rolled back after reading');
      });
      expect((await store.committedChangesAfter(4, 10)).map(({ change }) => change.seq)).toEqual([5]);
    });

    it('sees a channel switched off by its own transaction at once, and again on after that change rolled back', async () => {
      await store.withTransaction(async () => {
        await store.ingestInbound(contact('zhangwei', '订单物流查询延迟'), { now: TEST_EPOCH });
        // A savepoint that switches the channel off and rolls back: the channel is on again.
        await expect(
          store.withTransaction(async () => {
            await store.admin.setChannel(admin, 'email', { ...defaultChannelSettings(), enabled: false }, TEST_EPOCH);
            await expect(store.ingestInbound(contact('lina', '申请退款'), { now: TEST_EPOCH })).rejects.toBeInstanceOf(ChannelUnavailableError);
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        await store.ingestInbound(contact('wangfang', '发票'), { now: TEST_EPOCH });
        await store.admin.setChannel(admin, 'email', { ...defaultChannelSettings(), enabled: false }, TEST_EPOCH);
        await expect(store.ingestInbound(contact('zhaolei', '保修'), { now: TEST_EPOCH })).rejects.toBeInstanceOf(ChannelUnavailableError);
      });
      expect((await store.listTickets(LEAD, { limit: 10 })).tickets.map((ticket) => ticket.lastMessagePreview).sort()).toEqual(['发票', '订单物流查询延迟']);
      expect((await store.admin.channelSettings('email')).enabled).toBe(false);
    });
  });
}

describe('statements per batch of inbound contacts (SQLite)', () => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  const originals: Array<() => void> = [];

  beforeEach(async () => {
    const opened = await openStoreOn('sqlite');
    store = opened.store;
    cleanup = opened.cleanup;
  });

  afterEach(async () => {
    for (const restore of originals.splice(0)) restore();
    await store.close();
    await cleanup();
  });

  /** Counts every statement better-sqlite3 runs from now on, by its text. */
  function countStatements(): Map<string, number> {
    const counts = new Map<string, number>();
    const probe = new Database(':memory:');
    const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
    probe.close();
    for (const method of ['run', 'get', 'all'] as const) {
      const original = prototype[method]!;
      prototype[method] = function (this: { source: string }, ...args: unknown[]) {
        counts.set(this.source, (counts.get(this.source) ?? 0) + 1);
        return original.apply(this, args);
      };
      originals.push(() => (prototype[method] = original));
    }
    return counts;
  }

  it('takes the id counters and the change log’s seq, writes the log and the rollup and reads the policies once per batch, not once per contact', async () => {
    const ingest = batchIngest(store, TEST_EPOCH);
    // Warm: the first contact creates the counter rows and the statements.
    await ingest(contact('warm', '预热'));
    const counts = countStatements();
    const names = Array.from({ length: 10 }, (_, i) => `customer${String(i)}`);
    await Promise.all(names.map((name) => ingest(contact(name, `第${name}个问题`))));
    expect(await store.listTickets(LEAD, { limit: 20 }).then((page) => page.tickets.length)).toBe(11);
    const matching = (pattern: RegExp) => [...counts].filter(([text]) => pattern.test(text)).reduce((sum, [, n]) => sum + n, 0);
    expect(matching(/\bid_counters\b/)).toBeLessThanOrEqual(4);
    expect(matching(/\bchange_log_state\b/)).toBeLessThanOrEqual(2);
    expect(matching(/INSERT INTO changes\b/)).toBe(1);
    expect(matching(/INSERT INTO change_audience\b/)).toBe(1);
    expect(matching(/\bFROM policies\b/)).toBe(1);
    expect(matching(/INSERT INTO report_rollup\b/)).toBe(1);
    expect(matching(/INSERT INTO report_rollup_tickets\b/)).toBe(1);
  });
});
