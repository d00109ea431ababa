/**
 * History retention (server/retention.ts) on both backends: the change log, the idempotency
 * records, expired sign-in tokens, long-expired rating links and old provisional ticket ids
 * shrink to their windows, in batches of at most `batch` rows, and what is inside the windows
 * stays and still works (a recent pull, a re-sent recent mutation, a valid token, a rating
 * page that says "expired"). On PostgreSQL one node of several runs it at a time. The windows
 * come from the environment, checked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CSAT_LINK_TTL_MS } from '../shared/csat.js';
import type { User } from '../shared/domain.js';
import { provisionalIdsOf, type CreateTicketMutation } from '../shared/manualTicket.js';
import type { Mutation } from '../shared/sync.js';
import { historyRetentionFromEnv, RetentionConfigError, startHistoryRetention, type HistoryRetention } from './retention.js';
import type { ServerStore } from './store.js';
import { login, seedTestOrganisation, startTestServer, TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const DAY = 24 * 60 * 60 * 1000;
/** "Now" for the retention runs: 100 days after the epoch. */
const NOW = TEST_EPOCH + 100 * DAY;

for (const backend of TEST_BACKENDS) {
  describe(`history retention on ${backend}`, () => {
    let store: ServerStore;
    let another: () => Promise<ServerStore>;
    let cleanup: () => Promise<void>;
    let lead: User;
    let retention: HistoryRetention | null = null;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      another = opened.another;
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
      if (!outcome) throw new Error('skipped');

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

      // Idempotency: the six past 90 days went (the five of one instant over two batches of 3), the two recent stay and still answer.
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
      expect(await retention.runNow()).toEqual({ changes: 0, appliedMutations: 0, tokens: 0, csatTokens: 0, ticketDrafts: 0 });
    });

    it('prunes the log no further than the newest entry when everything is old, and a later change carries on from there', async () => {
      for (let n = 0; n < 4; n++) await contactAt(n, TEST_EPOCH + n);
      const { maxSeq } = await store.changeLogBounds();
      retention = startHistoryRetention({ store, now: () => NOW, log: () => undefined, config: { batch: 2, firstRunMs: 3_600_000 } });
      expect((await retention.runNow())?.changes).toBe(maxSeq);
      expect(await count('changes')).toBe(0);
      expect(await count('change_audience')).toBe(0);
      expect(await store.changeLogBounds()).toEqual({ maxSeq, firstRetainedSeq: maxSeq + 1 });
      // Up to date before the prune: still up to date, nothing to refetch.
      expect(await store.pullChanges(lead, maxSeq)).toEqual({ mustRefetch: false, changes: [], upTo: maxSeq, more: false });
      await contactAt(9, NOW);
      const next = await store.pullChanges(lead, maxSeq);
      expect(!next.mustRefetch && next.changes[0]!.seq).toBe(maxSeq + 1);
    });

    it('removes at most `batch` rows per call however many share one time: idempotency records and expired tokens', async () => {
      await contactAt(0, NOW - 100 * DAY);
      const ticket = (await store.listTickets(lead, { limit: 1 })).tickets[0]!;
      // One push of five mutations 95 days ago: all at one instant.
      for (let n = 0; n < 5; n++) await store.applyMutation(lead, 'ws-1', note(ticket.id, `one-push-${String(n)}`, NOW - 95 * DAY), NOW - 95 * DAY);
      const before = NOW - 90 * DAY;
      expect(await store.removeAppliedMutationsBefore(before, 3)).toBe(3);
      expect(await store.removeAppliedMutationsBefore(before, 3)).toBe(2);
      expect(await store.removeAppliedMutationsBefore(before, 3)).toBe(0);

      // Five sign-ins that expired together 29 days ago, one valid.
      for (let n = 0; n < 5; n++) await store.issueUserToken('agent1', NOW - 30 * DAY, DAY);
      await store.issueUserToken('agent1', NOW - 1_000, DAY);
      const expiredBefore = NOW - 7 * DAY;
      expect(await store.removeExpiredUserTokens(expiredBefore, 2)).toBe(2);
      expect(await store.removeExpiredUserTokens(expiredBefore, 2)).toBe(2);
      expect(await store.removeExpiredUserTokens(expiredBefore, 2)).toBe(1);
      expect(await store.removeExpiredUserTokens(expiredBefore, 2)).toBe(0);
      expect(await count('tokens')).toBe(1);
    });

    it('drops the rating links of surveys expired over 30 days ago and provisional ticket ids past the idempotency window; surveys and tickets stay', async () => {
      const mailer = await store.createUser({ id: 'agent2', username: 'agent2', password: 'pw', displayName: '张强', role: 'agent', channels: ['email'] });
      let mutations = 0;
      const apply = (ticketId: string, body: { kind: 'setStatus'; status: 'completed' } | { kind: 'setFields'; result: string }, at: number) =>
        store.applyMutation(mailer, 'desk-2', { mutationId: `c${String(++mutations)}`, ticketId, createdAt: at, ...body }, at);
      /** A ticket completed at `at`, its rating link minted just after: the survey expires CSAT_LINK_TTL_MS later. */
      async function ratedAt(n: number, at: number): Promise<{ ticketId: string; token: string }> {
        const { ticketId } = await store.ingestInbound(
          { channel: 'email', customer: { name: '张伟', email: `zw${String(n)}@example.cn` }, text: '订单没到', source: 'email' },
          { now: at },
        );
        await store.assignTicket({
          ticketId,
          assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
          reason: { code: 'assigned_by_lead', byName: '李主管' },
          now: at + 1,
        });
        // Completing asks for a result first.
        expect(await apply(ticketId, { kind: 'setFields', result: '已补发' }, at + 2)).toMatchObject({ ok: true });
        expect(await apply(ticketId, { kind: 'setStatus', status: 'completed' }, at + 2)).toMatchObject({ ok: true });
        const survey = (await store.csat.forTicket(ticketId))!;
        const minted = await store.csat.mintToken(survey.inviteMessageId!, at + 3);
        if (typeof minted === 'string') throw new Error(`no token: ${minted}`);
        return { ticketId, token: minted.token };
      }
      // Expired 53 days ago (past the 30-day grace), 13 days ago (inside it), and still open.
      const longExpired = await ratedAt(1, NOW - 60 * DAY);
      const recentlyExpired = await ratedAt(2, NOW - 20 * DAY);
      const open = await ratedAt(3, NOW - DAY);
      expect(NOW - 60 * DAY + 2 + CSAT_LINK_TTL_MS).toBeLessThan(NOW - 30 * DAY);

      // Tickets made by hand 95 days ago (past the 90-day idempotency window) and yesterday.
      const create = (n: number, at: number): CreateTicketMutation => {
        const ids = provisionalIdsOf(at, String(n).padStart(12, '7'));
        return {
          mutationId: `create-${String(n)}`,
          kind: 'createTicket',
          ticketId: ids.ticketId,
          customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: '139 0013 9000', email: null },
          channel: 'chat',
          type: 'after_sales',
          priority: 'normal',
          subject: '门店来访',
          noteId: `note-create-${String(n)}`,
          note: '客户到店反映洗衣机漏水',
          toQueue: false,
          createdAt: at,
        };
      };
      const agent = (await store.getUser('agent1'))!;
      const oldCreation = await store.applyMutation(agent, 'desk-1', create(1, NOW - 95 * DAY), NOW - 95 * DAY);
      const newCreation = await store.applyMutation(agent, 'desk-1', create(2, NOW - DAY), NOW - DAY);
      if (!oldCreation.ok || !oldCreation.created || !newCreation.ok || !newCreation.created) throw new Error('not created');
      expect(await count('csat_tokens')).toBe(3);
      expect(await count('ticket_drafts')).toBe(2);

      retention = startHistoryRetention({ store, now: () => NOW, log: () => undefined, config: { batch: 1, firstRunMs: 3_600_000 } });
      const outcome = await retention.runNow();
      expect(outcome).toMatchObject({ csatTokens: 1, ticketDrafts: 1 });

      // The long-expired link is unknown now; the recently expired one still says so; the open one still rates.
      expect(await store.csat.check(longExpired.token, NOW)).toEqual({ ok: false, refusal: 'unknown' });
      expect(await store.csat.check(recentlyExpired.token, NOW)).toEqual({ ok: false, refusal: 'expired' });
      expect(await store.csat.check(open.token, NOW)).toMatchObject({ ok: true, survey: { ticketId: open.ticketId } });
      expect(await store.csat.forTicket(longExpired.ticketId)).toMatchObject({ ticketId: longExpired.ticketId });
      expect(await count('csat_surveys')).toBe(3);

      // The old ticket stays; only its provisional id is forgotten. The recent one still answers a re-sent creation.
      expect(await store.getTicket(oldCreation.created.ticketId)).toMatchObject({ id: oldCreation.created.ticketId });
      expect(await store.sql.all('SELECT ticket_id FROM ticket_drafts')).toEqual([{ ticket_id: newCreation.created.ticketId }]);
      const resent = await store.applyMutation(agent, 'desk-1', { ...create(2, NOW - DAY), mutationId: 'create-2-again' }, NOW);
      expect(resent).toMatchObject({ ok: true, created: newCreation.created });
      expect(await retention.runNow()).toEqual({ changes: 0, appliedMutations: 0, tokens: 0, csatTokens: 0, ticketDrafts: 0 });
    });

    if (backend === 'postgres') {
      it('runs on one node at a time: a second node on the same database skips while the first runs, and runs once it has ended (failed or not)', async () => {
        for (let n = 0; n < 3; n++) await contactAt(n, TEST_EPOCH + n);
        const { maxSeq } = await store.changeLogBounds();
        const changes = await count('changes');
        const secondNode = await another();
        const secondRetention = startHistoryRetention({ store: secondNode, now: () => NOW, log: () => undefined, config: { firstRunMs: 3_600_000 } });
        try {
          // This node holds the run: the second skips it and deletes nothing.
          const held = await store.runAlone('history-retention', async () => {
            expect(await secondRetention.runNow()).toBeNull();
            expect(await count('changes')).toBe(changes);
            return 'held';
          });
          expect(held).toEqual({ ran: true, value: 'held' });
          // A run that failed lets go of it too.
          await expect(store.runAlone('history-retention', () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
          expect((await secondRetention.runNow())?.changes).toBe(maxSeq);
          expect(await count('changes')).toBe(0);
        } finally {
          await secondRetention.stop();
          await secondNode.close();
        }
      });
    }
  });
}

describe('history retention windows from the environment', () => {
  it('reads whole days, leaves unset or blank ones at their defaults, and names every bad variable at once', () => {
    expect(historyRetentionFromEnv({})).toEqual({});
    expect(historyRetentionFromEnv({ RETENTION_CHANGE_LOG_DAYS: ' ', RETENTION_IDEMPOTENCY_DAYS: '' })).toEqual({});
    expect(
      historyRetentionFromEnv({
        RETENTION_CHANGE_LOG_DAYS: '14',
        RETENTION_IDEMPOTENCY_DAYS: '180',
        RETENTION_EXPIRED_TOKENS_DAYS: '1',
        RETENTION_EXPIRED_CSAT_DAYS: '3650',
      }),
    ).toEqual({ changeLogMs: 14 * DAY, appliedMutationsMs: 180 * DAY, expiredTokensMs: DAY, expiredCsatMs: 3650 * DAY });
    for (const bad of ['0', '-1', '1.5', '30d', 'thirty', '3651', '1e3']) {
      expect(() => historyRetentionFromEnv({ RETENTION_CHANGE_LOG_DAYS: bad }), bad).toThrow(RetentionConfigError);
    }
    expect(() => historyRetentionFromEnv({ RETENTION_CHANGE_LOG_DAYS: '0', RETENTION_EXPIRED_CSAT_DAYS: 'x', RETENTION_IDEMPOTENCY_DAYS: '90' })).toThrow(
      'RETENTION_CHANGE_LOG_DAYS: must be a whole number of days from 1 to 3650; RETENTION_EXPIRED_CSAT_DAYS: must be a whole number of days from 1 to 3650',
    );
  });
});

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
      expect(await t.server.retention.runNow()).toEqual({ changes: maxSeq, appliedMutations: 0, tokens: 1, csatTokens: 0, ticketDrafts: 0 });
      expect(await t.store.changeLogBounds()).toEqual({ maxSeq, firstRetainedSeq: maxSeq + 1 });
      expect(t.logLines).toContain(
        `retention: removed ${String(maxSeq)} change-log entries, 0 idempotency records, 1 expired tokens, 0 expired rating links, 0 provisional ticket ids`,
      );
    } finally {
      await t.stop();
    }
  });
});
