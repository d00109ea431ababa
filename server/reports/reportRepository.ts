/**
 * Reports over the server database: reads the facts of the tickets created in a period
 * (tables `tickets`, `messages`, `users`) through the SQL seam, so the same code serves
 * SQLite and PostgreSQL, and hands them to the KPI arithmetic of shared/kpi.ts. Read-only.
 */
import {
  CHANNELS,
  TICKET_GROUPS,
  TICKET_STATUSES,
  TICKET_TYPES,
  type Channel,
  type TicketGroup,
  type TicketStatus,
  type TicketType,
} from '../../shared/domain.js';
import { groupKpis, computeKpis, periodRange, type PeriodRange, type TicketFacts } from '../../shared/kpi.js';
import { fixedReportKeys, type Report, type ReportRequest } from '../../shared/reports.js';
import type { SqlDialect, SqlExecutor } from '../db/sql.js';

export interface ReportRepository {
  /** The facts of every ticket created in [range.start, range.end). */
  ticketFacts(range: Pick<PeriodRange, 'start' | 'end'>): Promise<TicketFacts[]>;
  /** The report of `request`, open tickets judged overdue as of `asOf`. */
  report(request: ReportRequest, asOf: number): Promise<Report>;
}

interface FactsRow {
  channel: string;
  type: string;
  ticket_group: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  status: string;
  created_at: number;
  first_response_at: number | null;
  completed_at: number | null;
  due_at: number;
  inbound_messages: number | string;
  inbound_after_first_response: number | string;
}

/** The ticket's topic group, read from its `routing` JSON (the one place the two dialects differ). */
function routingGroupSql(dialect: SqlDialect, alias: string): string {
  return dialect === 'postgres' ? `(${alias}.routing::jsonb ->> 'group')` : `json_extract(${alias}.routing, '$.group')`;
}

function factsSql(dialect: SqlDialect): string {
  return `
    SELECT t.channel, t.type, ${routingGroupSql(dialect, 't')} AS ticket_group,
           t.assignee_id, COALESCE(u.display_name, t.assignee_name) AS assignee_name,
           t.status, t.created_at, t.first_response_at, t.completed_at, t.due_at,
           (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound') AS inbound_messages,
           (SELECT COUNT(*) FROM messages m
             WHERE m.ticket_id = t.id AND m.direction = 'inbound'
               AND t.first_response_at IS NOT NULL AND m.created_at > t.first_response_at) AS inbound_after_first_response
      FROM tickets t
      LEFT JOIN users u ON u.id = t.assignee_id
     WHERE t.created_at >= ? AND t.created_at < ?`;
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A row as facts; a value no schema allows (a hand-edited database) is reported, never guessed into a KPI. */
function factsOf(row: FactsRow): TicketFacts {
  if (!isOneOf<Channel>(CHANNELS, row.channel) || !isOneOf<TicketType>(TICKET_TYPES, row.type) || !isOneOf<TicketStatus>(TICKET_STATUSES, row.status)) {
    throw new Error(`A ticket row has an unknown channel, type or status (${row.channel}, ${row.type}, ${row.status}); the report is not made.`);
  }
  return {
    channel: row.channel,
    type: row.type,
    // Tickets from before routing, or a group routing no longer knows, are "no group".
    group: isOneOf<TicketGroup>(TICKET_GROUPS, row.ticket_group) ? row.ticket_group : null,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_id === null ? null : row.assignee_name,
    status: row.status,
    createdAt: Number(row.created_at),
    firstResponseAt: row.first_response_at === null ? null : Number(row.first_response_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
    dueAt: Number(row.due_at),
    inboundMessages: Number(row.inbound_messages),
    inboundAfterFirstResponse: Number(row.inbound_after_first_response),
  };
}

export function createReportRepository(sql: SqlExecutor): ReportRepository {
  const text = factsSql(sql.dialect);
  const repository: ReportRepository = {
    async ticketFacts(range) {
      const rows = await sql.all<FactsRow>(text, [range.start, range.end]);
      return rows.map(factsOf);
    },
    async report(request, asOf) {
      const range = periodRange(request.period, request.date);
      const facts = await repository.ticketFacts(range);
      return {
        period: range.period,
        by: request.by,
        timeZone: 'Asia/Shanghai',
        firstDay: range.firstDay,
        lastDay: range.lastDay,
        start: range.start,
        end: range.end,
        asOf,
        rows: groupKpis(facts, request.by, asOf, fixedReportKeys(request.by)),
        total: computeKpis(facts, asOf),
      };
    },
  };
  return repository;
}
