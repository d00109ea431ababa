/**
 * Where a ticket the agent held went, when it leaves their view (a lead takes it or hands it to
 * someone else, it is escalated, or it goes back to the queue). The change that takes it out of
 * the agent's cache carries the ticket as it is now: its assignee and the reason of that
 * assignment. The workstation keeps those two facts for the pane that still shows the ticket,
 * which then says "李主管 reassigned this ticket to Emily Chen" instead of "it may have been
 * reassigned" (walk-8). Rides on ticket.get's `not_found` (RpcErrorShape.departure).
 */
import { z } from 'zod';
import type { Ticket } from './domain.js';

const nameSchema = z.string().max(100);

export const ticketDepartureSchema = z.object({
  /** Who holds it now; null when it went back to the queue. */
  assigneeName: nameSchema.nullable(),
  /** The lead who moved it (assigned or pinned by hand), when it was a lead. */
  byName: nameSchema.nullable(),
  /** It went to a tier-2 agent by escalation. */
  escalated: z.boolean(),
});
export type TicketDeparture = z.infer<typeof ticketDepartureSchema>;

/** The departure a ticket's current snapshot tells of. */
export function ticketDepartureOf(ticket: Pick<Ticket, 'assigneeId' | 'assigneeName' | 'assignmentReason'>): TicketDeparture {
  const reason = ticket.assignmentReason;
  const byLead = reason !== null && (reason.code === 'assigned_by_lead' || reason.code === 'pinned');
  return {
    assigneeName: ticket.assigneeId === null ? null : ticket.assigneeName || null,
    byName: byLead ? reason.byName || null : null,
    escalated: reason?.code === 'escalated_tier2',
  };
}
