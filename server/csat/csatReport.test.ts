/**
 * CSAT in the reports and the board on both backends: surveys created, sent and answered
 * through the store, then the day report's csatAverage and csatResponseRate against the
 * hand-computed figures of shared/kpi.test.ts (CSAT arithmetic), and the SQL totals against
 * shared/kpi.ts over the same tickets' facts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../shared/domain.js';
import { REPORT_DIMENSIONS, computeKpis, localDateOf, periodRange } from '../../shared/kpi.js';
import type { Mutation } from '../../shared/sync.js';
import { createBoardRepository } from '../board/boardRepository.js';
import { createReportRepository } from '../reports/reportRepository.js';
import type { ServerStore } from '../store.js';
import { TEST_BACKENDS, TEST_EPOCH } from '../testHarness.js';
import { openStoreOn } from '../testing/stores.js';

const answers = [
  { attitude: 5, speed: 5, resolution: 5, professionalism: 5 },
  { attitude: 4, speed: 3, resolution: 4, professionalism: 3 },
  { attitude: 2, speed: 1, resolution: 2, professionalism: 1 },
];

for (const backend of TEST_BACKENDS) {
  describe(`CSAT in reports on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let agent: User;
    let n = 0;

    async function completed(source: 'email' | 'cti', at: number): Promise<string> {
      const { ticketId } = await store.ingestInbound(
        { channel: source === 'cti' ? 'phone' : 'email', customer: { name: `客户${String(at)}`, email: `c${String(at)}@example.cn` }, text: '问题', source },
        { now: at },
      );
      await store.assignTicket({
        ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: at,
      });
      const apply = (body: Record<string, unknown>) =>
        store.applyMutation(agent, 'c', { mutationId: `m${String(++n)}`, ticketId, createdAt: at, ...body } as Mutation, at + 1);
      await apply({ kind: 'setFields', result: '已解决' });
      expect(await apply({ kind: 'setStatus', status: 'completed' })).toMatchObject({ ok: true });
      return ticketId;
    }

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      agent = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['email', 'phone'] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('averages the answers and divides answered by sent, per channel and in total; the board shows the same', async () => {
      const emails = [];
      for (let i = 0; i < 4; i += 1) emails.push(await completed('email', TEST_EPOCH + i * 1000));
      await completed('cti', TEST_EPOCH + 9000);
      for (const [i, ticketId] of emails.entries()) {
        const survey = (await store.csat.forTicket(ticketId))!;
        await store.setDeliveryStatus(survey.inviteMessageId!, { status: 'sent' }, TEST_EPOCH + 20_000);
        const answer = answers[i];
        if (!answer) continue;
        const minted = await store.csat.mintToken(survey.inviteMessageId!, TEST_EPOCH + 20_000);
        if (typeof minted === 'string') throw new Error(minted);
        expect(await store.csat.answer(minted.token, answer, TEST_EPOCH + 30_000)).toMatchObject({ ok: true });
      }

      const asOf = TEST_EPOCH + 60_000;
      const reports = createReportRepository(store.sql);
      const report = await reports.report({ period: 'day', date: localDateOf(TEST_EPOCH), by: 'channel' }, asOf);
      // 40 points / (4 × 3 answers) = 3.333…; 3 answered / 4 sent (the call's survey was never sent).
      expect(report.total.csatAverage).toBeCloseTo(10 / 3, 12);
      expect(report.total.csatResponseRate).toBe(0.75);
      const email = report.rows.find((row) => row.key === 'email')!;
      expect([email.kpis.csatAverage?.toFixed(4), email.kpis.csatResponseRate]).toEqual(['3.3333', 0.75]);
      const phone = report.rows.find((row) => row.key === 'phone')!;
      expect([phone.kpis.volume, phone.kpis.csatAverage, phone.kpis.csatResponseRate]).toEqual([1, null, null]);

      // The SQL totals and shared/kpi.ts over the facts agree.
      const facts = await reports.ticketFacts(periodRange('day', localDateOf(TEST_EPOCH)));
      const fromFacts = computeKpis(facts, asOf);
      expect([fromFacts.csatAverage, fromFacts.csatResponseRate]).toEqual([report.total.csatAverage, report.total.csatResponseRate]);
      // The rollup the store kept through completion, sending and the answers gives the per-ticket report.
      for (const by of REPORT_DIMENSIONS) {
        const request = { period: 'day' as const, date: localDateOf(TEST_EPOCH), by };
        expect(await reports.report(request, asOf)).toEqual(await reports.reportFromTickets(request, asOf));
      }

      const board = await createBoardRepository(store.sql, reports).snapshot(asOf);
      expect(board.rows.find((row) => row.channel === 'email')!.today.csatAverage).toBeCloseTo(10 / 3, 12);
      // The board's CSAT %: answers received today with an overall score of 4 or more (20 points; 14 and 6 are not) → 1 of 3.
      expect(board.rows.find((row) => row.channel === 'email')!.day).toMatchObject({ csatAnswered: 3, csatSatisfied: 1, csatPercent: 1 / 3 });
    });
  });
}
