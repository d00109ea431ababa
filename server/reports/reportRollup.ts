/**
 * The report rollup (docs/technical/server.md, Reports, "The rollup"): per China-local day of creation
 * × channel × type × topic group × agent, the partial sums the report's KPIs are made of, so a
 * month report adds up a few thousand rows instead of visiting a million tickets.
 *
 * Two tables, created by SQLite migration 025 / PostgreSQL migration 016:
 * - `report_rollup_tickets`: each ticket's own contribution (its key and its values), so a
 *   write can take back exactly what the ticket added before, whatever changed;
 * - `report_rollup`: the sums of those contributions per key.
 *
 * `refreshTicketRollup` is called by the store in the transaction of every write that can change
 * a ticket's contribution (the ticket row, a customer message, its CSAT survey); a call that
 * changes nothing writes nothing. The one input that depends on the moment of the report —
 * an open ticket past its due time counts as overdue — is kept out of the sums: open tickets
 * are keyed by the local day they fall due (`open_due_day`), whole days before `asOf` are
 * added from the rollup and only the day `asOf` falls in is judged ticket by ticket.
 *
 * Changing what a contribution holds means a new migration that rebuilds both tables
 * (`reportRollupBackfillSql`), like the one that created them.
 */
import { inList, type SqlDialect, type SqlExecutor, type SqlValue } from '../db/sql.js';

export const DAY_MS = 86_400_000;
/**
 * The zone whose days key the rollup: China time, UTC+8 all year (no daylight saving since
 * 1991). A report in another zone (the organisation's policies `timeZone`) is added up from
 * the tickets instead (reportRepository.ts); rebuilding the rollup in that zone is not built.
 */
export const ROLLUP_TIME_ZONE = 'Asia/Shanghai';
const CHINA_OFFSET_MS = 28_800_000;

/** Marks a closed ticket's `open_due_day`: 0 is never a China-local midnight (those are ≡ −8 h modulo a day). */
export const NOT_OPEN = 0;

/** The key of a rollup row. Absent texts are '' so the key is unique on both databases (NULLs never conflict). */
export const ROLLUP_KEY_COLUMNS = ['day', 'channel', 'type', 'ticket_group', 'assignee_id', 'assignee_name', 'open_due_day'] as const;

/** The partial sums, each an integer that adds up across tickets (shared/kpi.ts KpiTotals, with overdue split in two). */
export const ROLLUP_VALUE_COLUMNS = [
  'volume',
  'responded',
  'first_response_total',
  'resolved',
  'handling_total',
  'overdue_closed',
  'open_tickets',
  'sla_met',
  'first_contact_resolved',
  'csat_sent',
  'csat_answered',
  'csat_points',
] as const;

type KeyColumn = (typeof ROLLUP_KEY_COLUMNS)[number];
type ValueColumn = (typeof ROLLUP_VALUE_COLUMNS)[number];
type Contribution = Record<KeyColumn | ValueColumn, string | number>;

/** The China-local midnight at or before `column` (epoch ms), in SQL both databases evaluate alike. */
export function localDaySql(column: string): string {
  return `(${column} - ((${column} + ${String(CHINA_OFFSET_MS)}) % ${String(DAY_MS)} + ${String(DAY_MS)}) % ${String(DAY_MS)})`;
}

/** The China-local midnight at or before `at`, as `localDaySql` computes it. */
export function localDayOf(at: number): number {
  return at - ((((at + CHINA_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS);
}

/** The ticket's topic group from its `routing` JSON, as text ('' when none). */
function routingGroupTextSql(dialect: SqlDialect): string {
  return dialect === 'postgres' ? `COALESCE(t.routing::jsonb ->> 'group', '')` : `COALESCE(CAST(json_extract(t.routing, '$.group') AS TEXT), '')`;
}

/**
 * Each ticket's contribution, spelt exactly as reportRepository.ts `totalsSql` spells the
 * totals (the tests hold the rollup report to the per-ticket one).
 */
export function contributionSelectSql(dialect: SqlDialect, where: string): string {
  return `
    SELECT t.id AS ticket_id,
           ${localDaySql('t.created_at')} AS day,
           t.channel AS channel,
           t.type AS type,
           ${routingGroupTextSql(dialect)} AS ticket_group,
           COALESCE(t.assignee_id, '') AS assignee_id,
           COALESCE(t.assignee_name, '') AS assignee_name,
           CASE WHEN t.completed_at IS NULL THEN ${localDaySql('t.due_at')} ELSE ${String(NOT_OPEN)} END AS open_due_day,
           1 AS volume,
           CASE WHEN t.first_response_at IS NOT NULL THEN 1 ELSE 0 END AS responded,
           CASE WHEN t.first_response_at IS NOT NULL THEN t.first_response_at - t.created_at ELSE 0 END AS first_response_total,
           CASE WHEN t.completed_at IS NOT NULL THEN 1 ELSE 0 END AS resolved,
           CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at - t.created_at ELSE 0 END AS handling_total,
           CASE WHEN t.completed_at > t.due_at THEN 1 ELSE 0 END AS overdue_closed,
           CASE WHEN t.completed_at IS NULL THEN 1 ELSE 0 END AS open_tickets,
           CASE WHEN t.completed_at IS NOT NULL AND t.completed_at <= t.due_at THEN 1 ELSE 0 END AS sla_met,
           CASE
             WHEN t.completed_at IS NULL THEN 0
             WHEN t.first_response_at IS NOT NULL THEN
               CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.created_at > t.first_response_at AND m.direction = 'inbound')
                    THEN 0 ELSE 1 END
             WHEN (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound') <= 1 THEN 1
             ELSE 0
           END AS first_contact_resolved,
           CASE WHEN s.sent_at IS NOT NULL OR s.answered_at IS NOT NULL THEN 1 ELSE 0 END AS csat_sent,
           CASE WHEN s.answered_at IS NOT NULL THEN 1 ELSE 0 END AS csat_answered,
           CASE WHEN s.answered_at IS NOT NULL THEN s.attitude + s.speed + s.resolution + s.professionalism ELSE 0 END AS csat_points
      FROM tickets t
      LEFT JOIN csat_surveys s ON s.ticket_id = t.id
     ${where}`;
}

const KEY_LIST = ROLLUP_KEY_COLUMNS.join(', ');
const VALUE_LIST = ROLLUP_VALUE_COLUMNS.join(', ');

/** Both tables; `integer` is the dialect's 64-bit integer. */
export function reportRollupTablesSql(dialect: SqlDialect): string {
  const integer = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  const columns = [
    `day ${integer} NOT NULL`,
    'channel TEXT NOT NULL',
    'type TEXT NOT NULL',
    'ticket_group TEXT NOT NULL',
    'assignee_id TEXT NOT NULL',
    'assignee_name TEXT NOT NULL',
    `open_due_day ${integer} NOT NULL`,
    ...ROLLUP_VALUE_COLUMNS.map((column) => `${column} ${integer} NOT NULL`),
  ].join(',\n      ');
  return `
    CREATE TABLE report_rollup_tickets (
      ticket_id TEXT PRIMARY KEY,
      ${columns}
    );
    CREATE TABLE report_rollup (
      ${columns},
      PRIMARY KEY (${KEY_LIST})
    );`;
}

/** Fills both (empty) tables from the tickets: the migration's backfill, and a rebuild after rows were written around the store. */
export function reportRollupBackfillSql(dialect: SqlDialect): string[] {
  return [
    `INSERT INTO report_rollup_tickets (ticket_id, ${KEY_LIST}, ${VALUE_LIST}) ${contributionSelectSql(dialect, '')}`,
    `INSERT INTO report_rollup (${KEY_LIST}, ${VALUE_LIST})
     SELECT ${KEY_LIST}, ${ROLLUP_VALUE_COLUMNS.map((column) => `SUM(${column})`).join(', ')}
       FROM report_rollup_tickets
      GROUP BY ${KEY_LIST}`,
  ];
}

/** Empties and refills both tables from the tickets (tests and the bench, which write tickets straight into the schema). */
export async function rebuildReportRollup(sql: SqlExecutor): Promise<void> {
  await sql.run('DELETE FROM report_rollup');
  await sql.run('DELETE FROM report_rollup_tickets');
  for (const statement of reportRollupBackfillSql(sql.dialect)) await sql.run(statement);
}

const SELECT_CONTRIBUTION = `SELECT ${KEY_LIST}, ${VALUE_LIST} FROM report_rollup_tickets WHERE ticket_id = ?`;
const KEY_WHERE = ROLLUP_KEY_COLUMNS.map((column) => `${column} = ?`).join(' AND ');
const SUBTRACT = `UPDATE report_rollup SET ${ROLLUP_VALUE_COLUMNS.map((column) => `${column} = ${column} - ?`).join(', ')} WHERE ${KEY_WHERE} RETURNING volume`;
const ADD = `INSERT INTO report_rollup (${KEY_LIST}, ${VALUE_LIST}) VALUES (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].map(() => '?').join(', ')})
  ON CONFLICT (${KEY_LIST}) DO UPDATE SET ${ROLLUP_VALUE_COLUMNS.map((column) => `${column} = report_rollup.${column} + excluded.${column}`).join(', ')}`;
const STORE_CONTRIBUTION = `INSERT INTO report_rollup_tickets (ticket_id, ${KEY_LIST}, ${VALUE_LIST}) VALUES (?, ${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].map(() => '?').join(', ')})
  ON CONFLICT (ticket_id) DO UPDATE SET ${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].map((column) => `${column} = excluded.${column}`).join(', ')}`;

/** PostgreSQL answers BIGINT as text, SQLite as numbers; the key's texts stay texts. */
function normalised(row: Contribution): Contribution {
  const out = { ...row };
  for (const column of ['day', 'open_due_day', ...ROLLUP_VALUE_COLUMNS] as const) out[column] = Number(row[column]);
  for (const column of ['channel', 'type', 'ticket_group', 'assignee_id', 'assignee_name'] as const) out[column] = String(row[column]);
  return out;
}

function sameContribution(a: Contribution, b: Contribution): boolean {
  return [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].every((column) => a[column] === b[column]);
}

function keyParams(row: Contribution): SqlValue[] {
  return ROLLUP_KEY_COLUMNS.map((column) => row[column]);
}

function valueParams(row: Contribution): SqlValue[] {
  return ROLLUP_VALUE_COLUMNS.map((column) => row[column]);
}

/** The ticket's current contribution beside its stored one (`old_*`, NULL when none): one statement per refresh. */
function currentAndStoredSql(dialect: SqlDialect): string {
  const stored = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS].map((column) => `o.${column} AS old_${column}`).join(', ');
  return `SELECT n.*, o.ticket_id AS old_ticket_id, ${stored}
            FROM (${contributionSelectSql(dialect, 'WHERE t.id = ?')}) n
            LEFT JOIN report_rollup_tickets o ON o.ticket_id = n.ticket_id`;
}

const CURRENT_AND_STORED = { sqlite: currentAndStoredSql('sqlite'), postgres: currentAndStoredSql('postgres') };

function storedPart(row: Record<string, string | number | null>): Contribution | null {
  if (row.old_ticket_id === null || row.old_ticket_id === undefined) return null;
  const out: Partial<Contribution> = {};
  for (const column of [...ROLLUP_KEY_COLUMNS, ...ROLLUP_VALUE_COLUMNS]) out[column] = row[`old_${column}`]!;
  return out as Contribution;
}

/**
 * Brings the rollup up to date with ticket `ticketId` as it is now in this transaction: its old
 * contribution is taken back and its new one added (nothing written when they are equal). Call
 * it after every write that may change what the ticket contributes, inside that write's transaction.
 */
export async function refreshTicketRollup(sql: SqlExecutor, ticketId: string): Promise<void> {
  const row = await sql.get<Record<string, string | number | null>>(CURRENT_AND_STORED[sql.dialect], [ticketId]);
  // No such ticket (tickets are never deleted; this keeps a vanished one from counting all the same).
  const beforeRow = row ? storedPart(row) : ((await sql.get<Contribution>(SELECT_CONTRIBUTION, [ticketId])) ?? null);
  const before = beforeRow ? normalised(beforeRow) : null;
  const after = row ? normalised(row as Contribution) : null;
  if (before && after && sameContribution(before, after)) return;
  if (before) {
    const left = await sql.get<{ volume: number | string }>(SUBTRACT, [...valueParams(before), ...keyParams(before)]);
    // Every value counts tickets or adds theirs, so a key left without tickets holds only zeros.
    if (left && Number(left.volume) === 0) await sql.run(`DELETE FROM report_rollup WHERE ${KEY_WHERE}`, keyParams(before));
  }
  if (after) {
    await sql.run(ADD, [...keyParams(after), ...valueParams(after)]);
    await sql.run(STORE_CONTRIBUTION, [ticketId, ...keyParams(after), ...valueParams(after)]);
  } else if (before) {
    await sql.run('DELETE FROM report_rollup_tickets WHERE ticket_id = ?', [ticketId]);
  }
}

/**
 * `refreshTicketRollup` for tickets inserted by this transaction, all at once: none has a
 * stored contribution yet (only the commit's refresh writes one, and it has not run), so each
 * one's is stored and their sums added, two statements however many tickets (1 to
 * IN_LIST_MAX). A ticket whose insert was rolled back is not found and adds nothing.
 */
export async function addFreshTicketsRollup(sql: SqlExecutor, ticketIds: readonly string[]): Promise<void> {
  const list = inList(ticketIds);
  await sql.run(
    `INSERT INTO report_rollup_tickets (ticket_id, ${KEY_LIST}, ${VALUE_LIST}) ${contributionSelectSql(sql.dialect, `WHERE t.id IN ${list.sql}`)}`,
    list.params,
  );
  const stored = inList(ticketIds);
  // WHERE before GROUP BY also keeps SQLite from reading ON CONFLICT as a join's ON.
  await sql.run(
    `INSERT INTO report_rollup (${KEY_LIST}, ${VALUE_LIST})
     SELECT ${KEY_LIST}, ${ROLLUP_VALUE_COLUMNS.map((column) => `SUM(${column})`).join(', ')}
       FROM report_rollup_tickets
      WHERE ticket_id IN ${stored.sql}
      GROUP BY ${KEY_LIST}
     ON CONFLICT (${KEY_LIST}) DO UPDATE SET ${ROLLUP_VALUE_COLUMNS.map((column) => `${column} = report_rollup.${column} + excluded.${column}`).join(', ')}`,
    stored.params,
  );
}
