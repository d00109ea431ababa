/**
 * The report rollup against the per-ticket report on BOTH backends (a real SQLite file and a
 * real PostgreSQL database): tickets created over a week that crosses a month, then hundreds of
 * random changes — reassignments, replies, customer messages after the reply, completions late
 * and on time, reopenings, new due times, regrouping, retyping, surveys created, sent and
 * answered days later — each written as the store writes it (the row, then
 * `refreshTicketRollup` in the same transaction). After every batch, every period, grouping and
 * a spread of report moments (mid-day, midnight, before and after the due times) must give the
 * same report both ways, and the maintained tables must equal a rebuild from scratch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_DIMENSIONS, REPORT_PERIODS } from '../../shared/kpi.js';
import type { SqlDatabase, SqlValue } from '../db/sql.js';
import { migratedBackends } from '../testing/migratedDatabases.js';
import { createReportRepository } from './reportRepository.js';
import { ROLLUP_KEY_COLUMNS, ROLLUP_VALUE_COLUMNS, rebuildReportRollup, refreshTicketRollup } from './reportRollup.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-10-29 00:00 in Beijing: the tickets span 29 Oct – 4 Nov (two months, two weeks). */
const FIRST_MIDNIGHT = Date.UTC(2024, 9, 28, 16);
const SPAN_DAYS = 7;
const CHANNELS = ['phone', 'chat', 'social', 'email'];
const TYPES = ['consult', 'complaint', 'suggestion', 'after_sales', 'other'];
const GROUPS = ['orders', 'after_sales', 'technical', 'billing', 'english', null];
const AGENTS = ['agent1', 'agent2', 'agent3', null];

/** A small fixed-seed generator (mulberry32), so a failure is the same on every run. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function routingOf(group: string | null | undefined): string | null {
  if (group === undefined) return null;
  return JSON.stringify({ group, language: 'zh', requiredTier: 1, escalation: null, pinnedAgentId: null, pinnedAgentName: null, offer: null });
}

/** The rollup's rows, in one order, as numbers and texts. */
async function rollupRows(db: SqlDatabase): Promise<string[]> {
  const rows = await db.all<Record<string, SqlValue>>(
    `SELECT ${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].join(', ')} FROM report_rollup WHERE volume <> 0`,
  );
  return rows.map((row) => [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].map((column) => String(row[column])).join('|')).sort();
}

for (const backend of migratedBackends('rollup')) {
  describe(`the report rollup on ${backend.name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await backend.open();
      for (const id of ['agent1', 'agent2', 'agent3']) {
        await db.run(
          `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
           VALUES (?, ?, ?, 'agent', '[]', '[]', 1, 0, 'x', 0)`,
          [id, id, `坐席${id}`],
        );
      }
      await db.run(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241029001', '张伟', 0)`);
    });
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    it('gives the per-ticket report for every period, grouping and moment through random changes, and equals a rebuild', async () => {
      const random = randomFrom(20241108);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const repository = createReportRepository(db);
      const ids: string[] = [];
      let messages = 0;
      /** Each write and its rollup refresh in one transaction, as in the store. */
      const write = (ticketId: string, statements: Array<[string, SqlValue[]]>) =>
        db.withTransaction(async (tx) => {
          for (const [text, params] of statements) await tx.run(text, params);
          await refreshTicketRollup(tx, ticketId);
        });
      const message = (ticketId: string, direction: 'inbound' | 'outbound', at: number): [string, SqlValue[]] => [
        `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES (?, ?, ?, 'chat', 'x', 'x', 'received', ?)`,
        [`m${String(++messages)}`, ticketId, direction, at],
      ];

      async function createTicket(): Promise<void> {
        const id = `GD${String(ids.length + 1).padStart(11, '0')}`;
        ids.push(id);
        // Minutes apart, some exactly on a local midnight.
        const createdAt = random() < 0.1 ? FIRST_MIDNIGHT + Math.floor(random() * SPAN_DAYS) * DAY : FIRST_MIDNIGHT + Math.floor(random() * SPAN_DAYS * DAY);
        const agent = pick(AGENTS);
        await write(id, [
          [
            `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at,
                                  due_at, last_message_preview, last_message_at, routing)
             VALUES (?, 'CUS20241029001', ?, ?, '主题', 'normal', ?, ?, ?, ?, ?, ?, '', ?, ?)`,
            [
              id,
              pick(CHANNELS),
              pick(TYPES),
              agent ? 'in_progress' : 'unassigned',
              agent,
              agent ? `${agent}（旧名）` : null,
              createdAt,
              createdAt,
              createdAt + pick([2, 4, 24, 36]) * HOUR,
              createdAt,
              random() < 0.2 ? null : routingOf(pick(GROUPS)),
            ],
          ],
          message(id, 'inbound', createdAt),
        ]);
      }

      async function change(): Promise<void> {
        const id = pick(ids);
        const row = (await db.get<{ created_at: number | string; first_response_at: number | string | null; completed_at: number | string | null }>(
          'SELECT created_at, first_response_at, completed_at FROM tickets WHERE id = ?',
          [id],
        ))!;
        const createdAt = Number(row.created_at);
        const later = createdAt + Math.floor(random() * 3 * DAY);
        const survey = await db.get<{ sent_at: number | string | null; answered_at: number | string | null }>(
          'SELECT sent_at, answered_at FROM csat_surveys WHERE ticket_id = ?',
          [id],
        );
        switch (Math.floor(random() * 10)) {
          case 0: {
            const agent = pick(AGENTS);
            return write(id, [
              ['UPDATE tickets SET assignee_id = ?, assignee_name = ? WHERE id = ?', [agent, agent ? `${agent}（${pick(['旧名', '新名'])}）` : null, id]],
            ]);
          }
          case 1:
            if (row.first_response_at !== null) return write(id, [message(id, 'outbound', later)]);
            return write(id, [
              ['UPDATE tickets SET first_response_at = ? WHERE id = ?', [createdAt + Math.floor(random() * 2 * HOUR), id]],
              message(id, 'outbound', later),
            ]);
          case 2:
            // The customer writes again (after or before the reply): first-contact resolution may end.
            return write(id, [message(id, 'inbound', later)]);
          case 3:
            return write(id, [["UPDATE tickets SET status = 'completed', completed_at = ? WHERE id = ?", [createdAt + Math.floor(random() * 2 * DAY), id]]]);
          case 4:
            return write(id, [["UPDATE tickets SET status = 'in_progress', completed_at = NULL WHERE id = ?", [id]]]);
          case 5:
            return write(id, [['UPDATE tickets SET due_at = ? WHERE id = ?', [createdAt + Math.floor(random() * 3 * DAY), id]]]);
          case 6:
            return write(id, [['UPDATE tickets SET routing = ?, type = ? WHERE id = ?', [random() < 0.2 ? null : routingOf(pick(GROUPS)), pick(TYPES), id]]]);
          default:
            // A survey: made at completion, sent later, answered days later (or never).
            if (!survey) {
              if (row.completed_at === null) return;
              return write(id, [
                [
                  `INSERT INTO csat_surveys (ticket_id, channel, status, created_at, expires_at) VALUES (?, 'chat', 'queued', ?, ?)`,
                  [id, Number(row.completed_at), Number(row.completed_at) + 7 * DAY],
                ],
              ]);
            }
            if (survey.sent_at === null && random() < 0.5)
              return write(id, [["UPDATE csat_surveys SET status = 'sent', sent_at = ? WHERE ticket_id = ?", [later, id]]]);
            if (survey.answered_at !== null) return;
            return write(id, [
              [
                'UPDATE csat_surveys SET attitude = ?, speed = ?, resolution = ?, professionalism = ?, answered_at = ? WHERE ticket_id = ?',
                [pick([1, 3, 5]), pick([2, 4]), pick([1, 5]), pick([3, 4, 5]), later + 2 * DAY, id],
              ],
            ]);
        }
      }

      async function expectSameReports(): Promise<void> {
        for (const asOf of [
          FIRST_MIDNIGHT + 2 * DAY,
          FIRST_MIDNIGHT + 3 * DAY + 13 * HOUR + 7 * MIN,
          FIRST_MIDNIGHT + 5 * DAY + 1,
          FIRST_MIDNIGHT + 20 * DAY,
        ]) {
          for (const period of REPORT_PERIODS) {
            for (const date of ['2024-10-30', '2024-11-02']) {
              for (const by of REPORT_DIMENSIONS) {
                const request = { period, date, by };
                expect(await repository.report(request, asOf), `${period} ${date} by ${by} at ${String(asOf)}`).toEqual(
                  await repository.reportFromTickets(request, asOf),
                );
              }
            }
          }
        }
      }

      for (let i = 0; i < 60; i++) await createTicket();
      await expectSameReports();
      for (let batch = 0; batch < 4; batch++) {
        for (let i = 0; i < 100; i++) {
          if (random() < 0.1) await createTicket();
          else await change();
        }
        await expectSameReports();
      }
      const maintained = await rollupRows(db);
      expect(maintained.length).toBeGreaterThan(10);
      await rebuildReportRollup(db);
      expect(await rollupRows(db)).toEqual(maintained);
      // The rollup is not trivially empty of late surveys, reopenings and open tickets.
      const sums = await db.get<Record<string, number | string>>(
        'SELECT SUM(csat_answered) AS answered, SUM(open_tickets) AS open, SUM(overdue_closed) AS late FROM report_rollup',
      );
      expect([Number(sums!.answered), Number(sums!.open), Number(sums!.late)].every((n) => n > 0)).toBe(true);
    });
  });
}
