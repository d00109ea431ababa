/**
 * Alarms that stay reachable past the newest 200 (alarms.md, "Paging and open counts"), and
 * the unassigned alarm of a ticket sent back to the queue:
 * - `alerts_open`: the alarms still open (not acknowledged, or an escalation request nobody
 *   decided), by id: `alarms:list {open: true}` pages them and the open counts read them without
 *   walking every alarm ever raised;
 * - `alerts_escalations_waiting`: the escalation requests still waiting, by id (a lead must be
 *   able to decide every one, however many SLA alarms are newer);
 * - `tickets.requeued_at`: when an assigned ticket last went back to the queue (the write that
 *   cleared its assignee; null once assigned again), with a partial index of the tickets waiting
 *   since then, which the requeued-ticket walk seeks. Open tickets already back in the queue get
 *   the time of their last queueing in the routing audit (or their last update).
 * Numbered 031; PostgreSQL 022 is its twin.
 */
import type { Migration } from './migration.js';

/** Open alarm: not acknowledged, or an escalation request not decided (a decision acknowledges it too). Also the partial index's predicate. */
export const ALERT_OPEN_WHERE = "(acked_at IS NULL OR (kind = 'escalation_request' AND decision IS NULL))";
/** An escalation request waiting for a lead. */
export const ESCALATION_WAITING_WHERE = "kind = 'escalation_request' AND decision IS NULL";
/** A ticket back in the queue after being assigned, still open and held by nobody. */
export const REQUEUED_WAITING_WHERE = "requeued_at IS NOT NULL AND assignee_id IS NULL AND status IN ('unassigned', 'in_progress', 'awaiting_customer')";

/** Both backends' statements after the column is added (the column's type differs). */
export const ALARM_PAGING_STATEMENTS = [
  `CREATE INDEX alerts_open ON alerts(id) WHERE ${ALERT_OPEN_WHERE}`,
  `CREATE INDEX alerts_escalations_waiting ON alerts(id) WHERE ${ESCALATION_WAITING_WHERE}`,
  `UPDATE tickets SET requeued_at = COALESCE(
     (SELECT MAX(a.at) FROM routing_audit a WHERE a.ticket_id = tickets.id AND a.assignee_id IS NULL), updated_at)
   WHERE assignee_id IS NULL AND status IN ('unassigned', 'in_progress', 'awaiting_customer')
     AND EXISTS (SELECT 1 FROM routing_audit a WHERE a.ticket_id = tickets.id AND a.assignee_id IS NOT NULL)`,
  `CREATE INDEX tickets_requeued_waiting ON tickets(requeued_at) WHERE ${REQUEUED_WAITING_WHERE}`,
] as const;

export const migration031AlarmPaging: Migration = {
  version: 31,
  name: 'alarm-paging',
  up(db) {
    db.exec('ALTER TABLE tickets ADD COLUMN requeued_at INTEGER');
    for (const statement of ALARM_PAGING_STATEMENTS) db.exec(statement);
  },
};
