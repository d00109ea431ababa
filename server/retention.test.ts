/**
 * History retention (server/retention.ts) on both backends: the change log, the idempotency
 * records and expired sign-in tokens shrink to their windows, in batches, and what is inside
 * the windows stays and still works (a recent pull, a re-sent recent mutation, a valid token).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import type { Mutation } from '../shared/sync.js';
import { startHistoryRetention, type HistoryRetention } from './retention.js';
import type { ServerStore } from './store.js';
import { login, seedTestOrganisation, startTestServer, TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const DAY = 24 * 60 * 60 * 1000;
/** "Now" for the retention runs: 100 days after the epoch. */
const NOW = TEST_EPOCH + 100 * DAY;

for (const backend of TEST_BACKENDS) {
  describe(`history retention on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let lead: User;
    let retention: HistoryRetention | null = null;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
      await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
    });

    afterEach(async () => {
      await retention?.stop();
      retention = null;
      await store.close();
      await cleanup();
    });

    async function count(table: string): Promise<number> {
      const row = await store.sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
      return Number(row?.n ?? 0);
    }

    const contactAt = (n: number, at: number) =>
      store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: `138000${String(10_000 + n)}` }, text: `第${String(n)}条`, proven: ['phone'] },
        { now: at },
      );

    const note = (ticketId: string, id: string, at: number): Mutation => ({
      mutationId: `m-${id}`,
      kind: 'note',
      ticketId,
      noteId: id,
      text: '备注',
      createdAt: at,
    });

    it('drops the change log, idempotency records and long-expired tokens past their windows, in batches, and keeps what is inside', async () => {
      // 7 contacts 60 days ago (past the 30-day log window), 2 five days ago.
      for (let n = 0; n < 7; n++) await contactAt(n, TEST_EPOCH + 40 * DAY + n);
      const old = await store.changeLogBounds();
      for (let n = 7; n < 9; n++) await contactAt(n, NOW - 5 * DAY + n);
      const ticket = (await store.listTickets(lead, { limit: 1 })).tickets[0]!;

      // Idempotency records: 5 pushed 95 days ago at one instant (one push), 1 at 91 days, 2 recent.
      for (let n = 0; n < 5; n++) await store.applyMutation(lead, 'ws-1', note(ticket.id, `old-${String(n)}`, NOW - 95 * DAY), NOW - 95 * DAY);
      await store.applyMutation(lead, 'ws-1', note(ticket.id, 'older', NOW - 91 * DAY), NOW - 91 * DAY);
      const recent = note(ticket.id, 'recent', NOW - DAY);
      const recentResult = await store.applyMutation(lead, 'ws-1', recent, NOW - DAY);
      await store.applyMutation(lead, 'ws-1', note(ticket.id, 'recent-2', NOW - DAY), NOW - DAY);

      // Tokens: expired 20 days ago, expired yesterday, valid, and an expired integration token.
      await store.issueUserToken('agent1', NOW - 21 * DAY, DAY);
      const yesterday = await store.issueUserToken('agent1', NOW - 2 * DAY, DAY);
      const valid = await store.issueUserToken('agent1', NOW - 1_000, DAY);
      await store.createIntegrationToken('old integration', 'integration-secret', NOW - 30 * DAY, NOW - 40 * DAY);

      const before = await store.changeLogBounds();
      const changesBefore = await count('changes');
      const audiencesBefore = await count('change_audience');
      expect(await count('applied_mutations')).toBe(8);
      expect(await count('tokens')).toBe(4);

      retention = startHistoryRetention({ store, now: () => NOW, log: () => undefined, config: { batch: 3, firstRunMs: 3_600_000 } });
      const outcome = await retention.runNow();

      // The log starts at the first entry written in the window; the old part is gone, audiences with it.
      const after = await store.changeLogBounds();
      expect(after.maxSeq).toBe(before.maxSeq);
      expect(after.firstRetainedSeq).toBe(old.maxSeq + 1);
      expect(outcome.changes).toBe(old.maxSeq);
      expect(await count('changes')).toBe(changesBefore - old.maxSeq);
      expect(await count('change_audience')).toBeLessThan(audiencesBefore);
      expect(Number((await store.sql.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM change_audience WHERE seq <= ?', [old.maxSeq]))?.n)).toBe(0);
      // A workstation from before the window bootstraps again; one inside it catches up as before.
      expect(await store.pullChanges(lead, old.maxSeq - 1)).toEqual({ mustRefetch: true, upTo: after.maxSeq });
      const caughtUp = await store.pullChanges(lead, old.maxSeq);
      expect(!caughtUp.mustRefetch && caughtUp.changes.map((c) => c.seq)).toEqual(
        Array.from({ length: after.maxSeq - old.maxSeq }, (_, i) => old.maxSeq + 1 + i),
      );

      // Idempotency: the six past 90 days went (the five of one instant together), the two recent stay and still answer.
      expect(outcome.appliedMutations).toBe(6);
      expect(await count('applied_mutations')).toBe(2);
      expect(await store.applyMutation(lead, 'ws-1', recent, NOW)).toEqual(recentResult);
      expect((await store.changeLogBounds()).maxSeq).toBe(after.maxSeq);

      // Tokens: only the user token expired longer than 7 days ago went.
      expect(outcome.tokens).toBe(1);
      expect(await count('tokens')).toBe(3);
      expect(await store.lookupToken(yesterday.token, NOW)).toMatchObject({ status: 'expired' });
      expect(await store.lookupToken(valid.token, NOW)).toMatchObject({ status: 'valid', kind: 'user' });
      expect(await store.lookupToken('integration-secret', NOW)).toMatchObject({ status: 'expired' });

      // A second run finds nothing more to do.
      expect(await retention.runNow()).toEqual({ changes: 0, appliedMutations: 0, tokens: 0 });
    });

    it('prunes the log no further than the newest entry when everything is old, and a later change carries on from there', async () => {
      for (let n = 0; n < 4; n++) await contactAt(n, TEST_EPOCH + n);
      const { maxSeq } = await store.changeLogBounds();
      retention = startHistoryRetention({ store, now: () => NOW, log: () => undefined, config: { batch: 2, firstRunMs: 3_600_000 } });
      expect((await retention.runNow()).changes).toBe(maxSeq);
      expect(await count('changes')).toBe(0);
      expect(await count('change_audience')).toBe(0);
      expect(await store.changeLogBounds()).toEqual({ maxSeq, firstRetainedSeq: maxSeq + 1 });
      // Up to date before the prune: still up to date, nothing to refetch.
      expect(await store.pullChanges(lead, maxSeq)).toEqual({ mustRefetch: false, changes: [], upTo: maxSeq, more: false });
      await contactAt(9, NOW);
      const next = await store.pullChanges(lead, maxSeq);
      expect(!next.mustRefetch && next.changes[0]!.seq).toBe(maxSeq + 1);
    });
  });
}

describe('history retention in a running server', () => {
  it('runs on the server (here asked at once): a month later the log and the month-old sign-in are gone, and the server says what it removed', async () => {
    const t = await startTestServer();
    try {
      await seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
      await t.store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '你好', proven: ['phone'] },
        { now: t.clock.now() },
      );
      await login(t.url, 'agent1');
      const { maxSeq } = await t.store.changeLogBounds();
      expect(maxSeq).toBeGreaterThan(0);

      t.clock.advance(40 * DAY);
      expect(await t.server.retention.runNow()).toEqual({ changes: maxSeq, appliedMutations: 0, tokens: 1 });
      expect(await t.store.changeLogBounds()).toEqual({ maxSeq, firstRetainedSeq: maxSeq + 1 });
      expect(t.logLines).toContain(`retention: removed ${String(maxSeq)} change-log entries, 0 idempotency records, 1 expired tokens`);
    } finally {
      await t.stop();
    }
  });
});
