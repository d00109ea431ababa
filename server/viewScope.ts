/**
 * What each person's workstation is SENT (its sync scope), as opposed to what they may open
 * (`canUserSeeTicket`, unchanged). An agent's sockets, pulls and bootstraps carry only the
 * tickets they hold or are being offered; the queues they could take from reach them as a
 * compact summary (server/queueSummary.ts) and on-demand fetches (`queue:list`,
 * `ticket:fetch`). Leads and admins get every change. Kept apart from the store so the rules
 * survive the store's move to async repositories unchanged.
 */
import type { Channel, Ticket } from '../shared/domain.js';
import type { Viewer } from './store.js';
import { jsonTextSql, type SqlDialect, type SqlValue } from './db/sql.js';

/**
 * The principals a ticket's changes are logged for: its assignee, the agent it is offered to
 * while the offer is open, and `queue:<channel>` while unassigned (no agent subscribes to
 * queues any more; the entry records where the ticket waited and lets a future queue
 * watcher subscribe without a schema change).
 */
export function ticketPrincipals(ticket: Pick<Ticket, 'assigneeId' | 'channel' | 'routing'>): string[] {
  return principalsOf(ticket.assigneeId, ticket.channel, ticket.routing.offer?.agentId ?? null);
}

/** `ticketPrincipals` from a row's columns (`offeredTo` read with `offeredAgentSql`). */
export function principalsOf(assigneeId: string | null, channel: Channel, offeredTo: string | null): string[] {
  if (assigneeId !== null) return [`agent:${assigneeId}`];
  return offeredTo ? [`queue:${channel}`, `agent:${offeredTo}`] : [`queue:${channel}`];
}

/**
 * Who hears a ticket change (everyone in its scope before or after, so leaving a view is told
 * too) and whether it must go as a full bundle (someone new sees it, so they need everything).
 */
export function ticketChangeAudience(
  before: Pick<Ticket, 'assigneeId' | 'channel' | 'routing'> | null,
  after: Pick<Ticket, 'assigneeId' | 'channel' | 'routing'>,
): { audience: string[]; entersNewView: boolean } {
  const beforePrincipals = before ? ticketPrincipals(before) : [];
  const afterPrincipals = ticketPrincipals(after);
  const entersNewView = afterPrincipals.some((principal) => !beforePrincipals.includes(principal));
  return { audience: [...new Set([...beforePrincipals, ...afterPrincipals])], entersNewView };
}

/** The principals whose changes a viewer receives; null = everything (leads and admins). */
export function viewerPrincipals(viewer: Viewer): string[] | null {
  if (viewer.role !== 'agent') return null;
  return [`agent:${viewer.id}`];
}

/** The offered agent's id read from a ticket row's `routing` JSON. */
export function offeredAgentSql(dialect: SqlDialect, alias: string): string {
  return jsonTextSql(dialect, `${alias}.routing`, ['offer', 'agentId']);
}

/** The sync scope as SQL for a bootstrap: held, or queued and offered to the viewer. */
export function syncScopeClause(dialect: SqlDialect, viewer: Viewer, alias: string): { sql: string; params: SqlValue[] } {
  if (viewer.role !== 'agent') return { sql: '1 = 1', params: [] };
  return {
    sql: `(${alias}.assignee_id = ? OR (${alias}.assignee_id IS NULL AND ${offeredAgentSql(dialect, alias)} = ?))`,
    params: [viewer.id, viewer.id],
  };
}
