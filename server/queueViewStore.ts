/**
 * The reads behind the agents' queue view (shared/queue.ts): the summary of every queue in
 * ONE grouped query (whoever listens, it is computed once per interval, never per socket) and
 * one page of the queued tickets a viewer could take. `store.queue`.
 */
import { greatestSql, jsonTextSql, type SqlExecutor, type SqlValue } from './db/sql.js';
import type { Channel, Customer, Ticket, TicketGroup } from '../shared/domain.js';
import { maskPiiInText, maskPreview, piiViewOf } from '../shared/masking.js';
import { answeredCallSubjectSearchForms, callSearchForms } from '../shared/cti.js';
import { QUEUE_EXCERPT_LENGTH, queueQueryTerms, type QueueListRequest, type QueueListResult, type QueueSummaryEntry } from '../shared/queue.js';
import type { Viewer } from './store.js';

export interface QueueViewStore {
  /** Every channel's queues per group as of `now` (channels with an empty queue have no entry). */
  summary(now: number): Promise<QueueSummaryEntry[]>;
  /** The queued tickets of the viewer's channels (every channel for leads) matching the request, longest waiting first. */
  list(viewer: Viewer, request: QueueListRequest): Promise<QueueListResult>;
  /**
   * A channel's queue in routing's order (server/routing/engine.ts `compareRank`: overdue first,
   * then priority, SLA due time, age, id), at most `limit` ids, and how many of the channel's
   * tickets agents took since `servedSince` (the pace a waiting customer is told).
   */
  waitingLine(channel: Channel, now: number, servedSince: number, limit: number): Promise<{ ids: string[]; served: number }>;
}

/** A ticket waits in its channel's queue while open and held by nobody. */
const QUEUED = "t.assignee_id IS NULL AND t.status IN ('unassigned', 'in_progress', 'awaiting_customer')";
/** Queued tickets an agent's search reads at a time while it fills a page with the rows their masked view matches. */
const MASKED_SEARCH_BATCH = 200;
/** Characters of a message shown before its first hit in a search row's excerpt. */
const EXCERPT_LEAD = 20;
const RISK_FLOOR_MS = 30 * 60 * 1000;
/** Tickets older than this are not counted among those taken lately (keeps the count on the created_at index). */
const SERVED_LOOKBACK_MS = 24 * 60 * 60 * 1000;

/**
 * Every channel's queues per group as of `now`, in ONE grouped query: the agents' queue
 * summary and the leads' board read the same figures. At risk as shared/sla.ts says: the last
 * quarter of the window or the last 30 minutes; breached (a subset of those) as shared/sla.ts too:
 * due strictly before `now`.
 */
export async function readQueueSummary(executor: SqlExecutor, now: number): Promise<QueueSummaryEntry[]> {
  const GROUP = jsonTextSql(executor.dialect, 't.routing', ['group']);
  const rows = await executor.all<{ channel: Channel; grp: TicketGroup | null; waiting: number; oldest: number; breaching: number; breached: number }>(
    `SELECT t.channel AS channel, ${GROUP} AS grp, COUNT(*) AS waiting, MIN(t.created_at) AS oldest,
            SUM(CASE WHEN t.due_at - ? <= ${greatestSql(executor.dialect, '(t.due_at - t.created_at) / 4.0', '?')} THEN 1 ELSE 0 END) AS breaching,
            SUM(CASE WHEN t.due_at < ? THEN 1 ELSE 0 END) AS breached
     FROM tickets t WHERE ${QUEUED} GROUP BY t.channel, grp ORDER BY t.channel, grp`,
    [now, RISK_FLOOR_MS, now],
  );
  return rows.map((row) => ({
    channel: row.channel,
    group: row.grp,
    waiting: row.waiting,
    oldestSince: row.oldest,
    breaching: row.breaching,
    breached: row.breached,
  }));
}

export function createQueueViewStore(internals: {
  sql: () => SqlExecutor;
  getTicket(id: string): Promise<Ticket | null>;
  getCustomer(id: string): Promise<Customer | null>;
}): QueueViewStore {
  const { sql } = internals;
  const group = (executor: SqlExecutor) => jsonTextSql(executor.dialect, 't.routing', ['group']);
  return {
    summary: (now) => readQueueSummary(sql(), now),
    async waitingLine(channel, now, servedSince, limit) {
      const executor = sql();
      const ids = await executor.all<{ id: string }>(
        `SELECT t.id FROM tickets t WHERE ${QUEUED} AND t.channel = ?
         ORDER BY CASE WHEN t.due_at <= ? THEN 0 ELSE 1 END,
                  CASE t.priority WHEN 'urgent' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END,
                  t.due_at, t.created_at, t.id
         LIMIT ?`,
        [channel, now, limit],
      );
      const { served } = (await executor.get<{ served: number }>(
        'SELECT COUNT(*) AS served FROM tickets t WHERE t.created_at >= ? AND t.channel = ? AND t.assigned_at >= ?',
        [now - SERVED_LOOKBACK_MS, channel, servedSince],
      ))!;
      return { ids: ids.map((row) => row.id), served };
    },
    async list(viewer, request) {
      const executor = sql();
      const GROUP = group(executor);
      const channels = viewer.role === 'agent' ? viewer.channels.filter((c) => request.channel === undefined || c === request.channel) : null;
      if (channels && channels.length === 0) return { rows: [], next: null };
      const where = [QUEUED];
      const params: SqlValue[] = [];
      if (channels) {
        where.push(`t.channel IN (${channels.map(() => '?').join(', ')})`);
        params.push(...channels);
      } else if (request.channel !== undefined) {
        where.push('t.channel = ?');
        params.push(request.channel);
      }
      if (request.group === null) where.push(`${GROUP} IS NULL`);
      else if (request.group !== undefined) {
        where.push(`${GROUP} = ?`);
        params.push(request.group);
      }
      const terms = request.query === undefined ? [] : queueQueryTerms(request.query);
      // PostgreSQL's LIKE is case-sensitive; SQLite's already folds ASCII case.
      const LIKE = executor.dialect === 'postgres' ? 'ILIKE' : 'LIKE';
      for (const term of terms) {
        const like = `%${escapeLike(term)}%`;
        // A word the screens say calls in ("通话") also finds those calls' stored code (`call_answered(`),
        // and "Call from" an answered call's stored subject (`来电 张伟`), as the cache search does.
        const subjectLikes = [like, ...answeredCallSubjectSearchForms(term).map((form) => `%${escapeLike(form)}%`)];
        const messageLikes = [like, ...callSearchForms(term).map((form) => `%${escapeLike(form)}%`)];
        const likesOf = (column: string, likes: readonly string[]) => likes.map(() => `${column} ${LIKE} ? ESCAPE '\\'`).join(' OR ');
        where.push(
          `(t.id ${LIKE} ? ESCAPE '\\' OR ${likesOf('t.subject', subjectLikes)}
            OR EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id AND c.name ${LIKE} ? ESCAPE '\\')
            OR EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND (${likesOf('m.text', messageLikes)})))`,
        );
        params.push(like, ...subjectLikes, like, ...messageLikes);
      }
      const read = (after: { createdAt: number; id: string } | undefined, count: number) =>
        executor.all<{ id: string }>(
          `SELECT t.id FROM tickets t WHERE ${[...where, ...(after ? ['(t.created_at > ? OR (t.created_at = ? AND t.id > ?))'] : [])].join(' AND ')} ORDER BY t.created_at, t.id LIMIT ?`,
          [...params, ...(after ? [after.createdAt, after.createdAt, after.id] : []), count],
        );
      const masked = piiViewOf(viewer.role) === 'masked';
      if (terms.length === 0 || !masked) {
        const ids = await read(request.after, request.limit + 1);
        const scanned = ids.slice(0, request.limit);
        const texts =
          terms.length > 0
            ? await messageTexts(
                executor,
                scanned.map((row) => row.id),
              )
            : new Map<string, string[]>();
        const rows: QueueListResult['rows'] = [];
        let last: Ticket | null = null;
        for (const { id } of scanned) {
          const ticket = await internals.getTicket(id);
          if (!ticket) continue;
          last = ticket;
          const customerName = (await internals.getCustomer(ticket.customerId))?.name ?? '';
          if (terms.length === 0) {
            rows.push({ ticket, customerName });
            continue;
          }
          const found = searchHit(terms, ticket, customerName, texts.get(id) ?? [], false);
          if (found) rows.push({ ticket, customerName, ...(found.excerpt === undefined ? {} : { excerpt: found.excerpt }) });
        }
        return { rows, next: ids.length > request.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
      }
      // An agent's search matches what they are shown (masked), and the page is made of those rows
      // alone: read on until a row beyond the page matched or none is left. A page cut after the
      // rows READ told by its `next` whether more queued tickets held the clear term, and named
      // one the masked check dropped, so a hidden number could be found digit by digit (attack-8).
      const rows: QueueListResult['rows'] = [];
      let beyond = false;
      let after = request.after;
      const batch = Math.max(request.limit + 1, MASKED_SEARCH_BATCH);
      for (;;) {
        const from = after;
        const ids = await read(after, batch);
        const texts = await messageTexts(
          executor,
          ids.map((row) => row.id),
        );
        for (const { id } of ids) {
          const ticket = await internals.getTicket(id);
          if (!ticket) continue;
          after = { createdAt: ticket.createdAt, id: ticket.id };
          const customerName = (await internals.getCustomer(ticket.customerId))?.name ?? '';
          const found = searchHit(terms, ticket, customerName, texts.get(id) ?? [], true);
          if (!found) continue;
          if (rows.length === request.limit) {
            beyond = true;
            break;
          }
          rows.push({ ticket, customerName, ...(found.excerpt === undefined ? {} : { excerpt: found.excerpt }) });
        }
        // A full batch whose tickets all vanished meanwhile moves nothing: stop rather than read it again.
        if (beyond || ids.length < batch || after === from) break;
      }
      const last = rows.at(-1)?.ticket;
      return { rows, next: beyond && last ? { createdAt: last.createdAt, id: last.id } : null };
    },
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The messages' texts of each ticket, oldest first, in one read. */
async function messageTexts(executor: SqlExecutor, ticketIds: readonly string[]): Promise<Map<string, string[]>> {
  const byTicket = new Map<string, string[]>();
  if (ticketIds.length === 0) return byTicket;
  const rows = await executor.all<{ ticketId: string; text: string }>(
    `SELECT m.ticket_id AS "ticketId", m.text AS text FROM messages m WHERE m.ticket_id IN (${ticketIds.map(() => '?').join(', ')}) ORDER BY m.ticket_id, m.created_at, m.id`,
    [...ticketIds],
  );
  for (const row of rows) byTicket.set(row.ticketId, [...(byTicket.get(row.ticketId) ?? []), row.text]);
  return byTicket;
}

/**
 * Whether every term is in the ticket as the viewer reads it — masked for agents, so a search
 * for a phone number or an e-mail address cannot tell an agent which queued ticket holds it —
 * and, when the row's own fields do not show every term, the text around the first message hit.
 */
function searchHit(
  terms: readonly string[],
  ticket: Ticket,
  customerName: string,
  texts: readonly string[],
  masked: boolean,
): { excerpt: string | undefined } | null {
  const shown = (text: string) => (masked ? maskPiiInText(text) : text);
  const fields = [ticket.id, shown(customerName)].map((text) => text.toLocaleLowerCase());
  const subject = (masked ? maskPreview(ticket.subject) : ticket.subject).toLocaleLowerCase();
  const bodies = texts.map(shown);
  const lowerBodies = bodies.map((text) => text.toLocaleLowerCase());
  let excerpt: string | undefined;
  for (const term of terms) {
    const lower = term.toLocaleLowerCase();
    // The subject as the screens say it: "Call from 张伟" is stored `来电 张伟`.
    const subjectForms = [lower, ...answeredCallSubjectSearchForms(term)];
    if (fields.some((field) => field.includes(lower)) || subjectForms.some((form) => subject.includes(form))) continue;
    const forms = [lower, ...callSearchForms(term)];
    let index = -1;
    let at = -1;
    for (const [i, body] of lowerBodies.entries()) {
      at = forms.map((form) => body.indexOf(form)).find((found) => found >= 0) ?? -1;
      if (at >= 0) {
        index = i;
        break;
      }
    }
    if (index < 0) return null;
    excerpt ??= excerptAround(bodies[index]!, at);
  }
  return { excerpt };
}

/** At most `QUEUE_EXCERPT_LENGTH` characters of `text` from a little before `at`, "…" where it was cut. */
function excerptAround(text: string, at: number): string {
  const flat = text.replace(/\s+/gu, ' ');
  const chars = Array.from(flat.slice(0, at));
  const start = Math.max(0, chars.length - EXCERPT_LEAD);
  const all = Array.from(flat);
  const piece = all.slice(start, start + QUEUE_EXCERPT_LENGTH).join('');
  return `${start > 0 ? '…' : ''}${piece}${start + QUEUE_EXCERPT_LENGTH < all.length ? '…' : ''}`;
}
