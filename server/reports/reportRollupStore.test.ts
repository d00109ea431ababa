/**
 * The report rollup kept by the store's own writes, on both backends: contacts ingested over
 * two China days, then random store operations — assignments, replies, completions, customers
 * writing again (joining the open ticket, or reopening a completed one), retyping, transfers,
 * survey invitations delivered and answered a day later. Nothing here touches the rollup
 * itself: if a store write forgot its refresh, the rollup report would differ from the
 * per-ticket one, or the maintained tables from a rebuild.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../shared/domain.js';
import { REPORT_DIMENSIONS, REPORT_PERIODS, localDateOf } from '../../shared/kpi.js';
import type { Mutation } from '../../shared/sync.js';
import type { SqlExecutor, SqlValue } from '../db/sql.js';
import type { ServerStore } from '../store.js';
import { TEST_BACKENDS, TEST_EPOCH } from '../testHarness.js';
import { openStoreOn } from '../testing/stores.js';
import { createReportRepository } from './reportRepository.js';
import { ROLLUP_KEY_COLUMNS, ROLLUP_VALUE_COLUMNS, contributionSelectSql } from './reportRollup.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const COLUMNS = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS];

const TEXT_COLUMNS: ReadonlySet<string> = new Set(['channel', 'type', 'ticket_group', 'assignee_id', 'assignee_name']);

/** Rows as comparable lines; PostgreSQL answers BIGINT and SUM as text, SQLite as numbers. */
function rowTexts(rows: Array<Record<string, SqlValue>>): string[] {
  return rows.map((row) => COLUMNS.map((column) => (TEXT_COLUMNS.has(column) ? String(row[column]) : String(Number(row[column])))).join('|')).sort();
}

async function rollupRows(sql: SqlExecutor): Promise<string[]> {
  return rowTexts(await sql.all<Record<string, SqlValue>>(`SELECT ${COLUMNS.join(', ')} FROM report_rollup WHERE volume <> 0`));
}

/** What a rebuild from the tickets would hold: the backfill's sums, computed here (store.sql only reads). */
async function rebuiltRows(sql: SqlExecutor): Promise<string[]> {
  const sums = ROLLUP_VALUE_COLUMNS.map((column) => `SUM(c.${column}) AS ${column}`).join(', ');
  const keys = ROLLUP_KEY_COLUMNS.map((column) => `c.${column}`).join(', ');
  return rowTexts(await sql.all<Record<string, SqlValue>>(`SELECT ${keys}, ${sums} FROM (${contributionSelectSql(sql.dialect, '')}) c GROUP BY ${keys}`));
}

for (const backend of TEST_BACKENDS) {
  describe(`the report rollup kept by the store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let agents: User[];

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      agents = [];
      for (const [id, name] of [
        ['agent1', '王芳'],
        ['agent2', '张强'],
      ] as const) {
        agents.push(await store.createUser({ id, username: id, password: 'pw', displayName: name, role: 'agent', channels: ['email', 'phone', 'chat'] }));
      }
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('gives the per-ticket report after random store writes, and equals a rebuild', async () => {
      const random = randomFrom(11);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      let now = TEST_EPOCH;
      let n = 0;
      const ticketIds: string[] = [];
      const customers = Array.from({ length: 8 }, (_, i) => ({ name: `客户${String(i)}`, email: `c${String(i)}@example.cn` }));

      async function contact(customer: { name: string; email: string }, threadTicketId?: string): Promise<void> {
        const { ticketId } = await store.ingestInbound(
          { channel: 'email', customer, text: '问题', source: 'email', proven: ['email'], ...(threadTicketId ? { threadTicketId } : {}) },
          { now },
        );
        if (!ticketIds.includes(ticketId)) ticketIds.push(ticketId);
      }
      /** How many writes of each kind the rules let through (the test is worthless if they refused them all). */
      const applied = new Map<string, number>();
      const apply = async (agent: User, ticketId: string, body: Record<string, unknown>) => {
        const result = await store.applyMutation(agent, 'c', { mutationId: `m${String(++n)}`, ticketId, createdAt: now, ...body } as Mutation, now + 1);
        if (result.ok) applied.set(String(body.kind), (applied.get(String(body.kind)) ?? 0) + 1);
      };

      async function assign(ticketId: string, agent: User): Promise<void> {
        await store.assignTicket({
          ticketId,
          assignee: { id: agent.id, username: agent.username, displayName: agent.displayName },
          reason: { code: 'assigned_by_lead', byName: '李主管' },
          now,
        });
      }

      /** Agents act on the tickets they hold (the rules refuse the rest): the holder, after an assignment if the ticket is queued. */
      async function holderOf(ticketId: string): Promise<User> {
        const row = await store.sql.get<{ assignee_id: string | null }>('SELECT assignee_id FROM tickets WHERE id = ?', [ticketId]);
        const holder = agents.find((agent) => agent.id === row?.assignee_id);
        if (holder) return holder;
        const agent = pick(agents);
        await assign(ticketId, agent);
        return agent;
      }

      async function step(): Promise<void> {
        now += Math.floor(random() * 40 * MIN);
        const ticketId = ticketIds.length > 0 ? pick(ticketIds) : null;
        const choice = ticketId === null ? 0 : Math.floor(random() * 9);
        const agent = choice === 2 || choice === 3 || choice === 5 || choice === 6 ? await holderOf(ticketId!) : pick(agents);
        switch (choice) {
          case 0:
            return contact(pick(customers));
          case 1:
            return assign(ticketId!, agent);
          case 2:
            await apply(agent, ticketId!, { kind: 'reply', messageId: `r${String(n)}`, text: '您好，已处理' });
            return;
          case 3:
            await apply(agent, ticketId!, { kind: 'setFields', result: '已解决' });
            await apply(agent, ticketId!, { kind: 'setStatus', status: 'completed' });
            if (random() < 0.2) await apply(agent, ticketId!, { kind: 'setStatus', status: 'in_progress' });
            return;
          case 4:
            // The customer writes again on the thread: joins an open ticket, reopens a completed one.
            return contact(pick(customers), ticketId!);
          case 5:
            await apply(agent, ticketId!, { kind: 'setFields', type: pick(['consult', 'complaint', 'after_sales'] as const) });
            return;
          case 6:
            await apply(agent, ticketId!, { kind: 'transfer', to: { kind: 'group', group: pick(['orders', 'billing'] as const) }, note: '请跟进' });
            return;
          default: {
            // The survey of a completed ticket: its invitation delivered, the answer a day later.
            const survey = await store.csat.forTicket(ticketId!);
            if (!survey?.inviteMessageId) return;
            await store.setDeliveryStatus(survey.inviteMessageId, { status: 'sent' }, now);
            const minted = await store.csat.mintToken(survey.inviteMessageId, now);
            if (typeof minted === 'string') return;
            await store.csat.answer(minted.token, { attitude: pick([1, 4, 5]), speed: 3, resolution: pick([2, 5]), professionalism: 4 }, now + 24 * HOUR);
          }
        }
      }

      const reports = createReportRepository(store.sql);
      async function expectSameReports(): Promise<void> {
        for (const asOf of [now, now + 3 * HOUR + 7 * MIN, now + 5 * 24 * HOUR]) {
          for (const period of REPORT_PERIODS) {
            for (const by of REPORT_DIMENSIONS) {
              const request = { period, date: localDateOf(TEST_EPOCH), by };
              expect(await reports.report(request, asOf), `${period} by ${by} at ${String(asOf)}`).toEqual(await reports.reportFromTickets(request, asOf));
            }
          }
        }
      }

      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 40; j++) {
          await step();
          // After every write, not only at the end: a later write to the same ticket would hide a forgotten refresh.
          expect(await rollupRows(store.sql), `step ${String(i * 40 + j)}`).toEqual(await rebuiltRows(store.sql));
        }
        await expectSameReports();
      }
      const answered = await store.sql.get<{ n: number | string }>('SELECT SUM(csat_answered) AS n FROM report_rollup');
      expect(Number(answered?.n)).toBeGreaterThan(0);
      expect(['reply', 'setStatus', 'setFields', 'transfer'].map((kind) => (applied.get(kind) ?? 0) > 0)).toEqual([true, true, true, true]);
    });
  });
}
