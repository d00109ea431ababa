/**
 * What the ticket rules (shared/ticketRules.ts) will say to an action before the agent takes
 * it: the Take button, the "send and set status" choices and the "not yours" question ask the
 * same rules the core and the server apply, on the ticket as the pane shows it, so a control
 * is disabled only for a reason the rules give and never claims what they would refuse.
 */
import type { Ticket, TicketStatus, User } from '../../../shared/domain.js';
import type { TicketDetail } from '../../../shared/rpc.js';
import { decideMutation, type TicketRefusal } from '../../../shared/ticketRules.js';

/** The statuses a reply can set in the same step ("send and set status"). */
export const STATUSES_AFTER_REPLY = ['awaiting_customer', 'completed'] as const;
export type StatusAfterReply = (typeof STATUSES_AFTER_REPLY)[number];

/** Why the open ticket cannot be taken now: the rules refuse it, or nobody can take it (it is not waiting in a queue). */
export type TakeBlock = { kind: 'refused'; refusal: TicketRefusal } | { kind: 'not_queued'; status: TicketStatus };

/** A ticket the user does not hold: in the queue (assigneeName null; a reply takes it), or held by someone else. */
export interface NotYours {
  ticketId: string;
  assigneeName: string | null;
}

// The rules look at ids and times only to build rows; a prediction never writes them.
const PREDICTION_ID = 'prediction';

/** Whether the ticket waits in a queue for someone to take it (the only case a Take button is shown for). */
export function isQueued(ticket: Pick<Ticket, 'assigneeId'>): boolean {
  return ticket.assigneeId === null;
}

/**
 * Why `user` cannot take `ticket` (a queued one) now, or null when they can. Taking is the
 * status change the rules turn into taking it (`in_progress` on a queued ticket), so that is
 * what is asked of them.
 */
export function takeBlock(user: User, ticket: Ticket, now: number): TakeBlock | null {
  if (ticket.status !== 'unassigned') return { kind: 'not_queued', status: ticket.status };
  const decision = decideMutation(
    ticket,
    { mutationId: PREDICTION_ID, kind: 'setStatus', ticketId: ticket.id, status: 'in_progress', createdAt: now },
    user,
    now,
    { wasAssignedToActor: false, reach: null },
  );
  if (!decision.ok) return { kind: 'refused', refusal: decision.refusal };
  return decision.ticket.assigneeId === user.id ? null : { kind: 'not_queued', status: ticket.status };
}

/**
 * What the rules will say to setting `status` right after the agent's reply on this ticket
 * (the reply may take a queued ticket, so the status is asked of the ticket as the reply
 * leaves it): null when it goes through; `unchanged` when the ticket already has it.
 */
export function statusAfterReplyRefusal(user: User, detail: TicketDetail, status: StatusAfterReply, now: number): TicketRefusal | 'unchanged' | null {
  const facts = replyFacts(user, detail);
  const reply = predictReply(user, detail, now);
  // A reply the rules refuse is said by the composer itself (no route, files); the status is not asked then.
  const after = reply.ok ? reply.ticket : detail.ticket;
  if (after.status === status) return 'unchanged';
  const decision = decideMutation(after, { mutationId: PREDICTION_ID, kind: 'setStatus', ticketId: after.id, status, createdAt: now }, user, now, facts);
  return decision.ok ? null : decision.refusal;
}

/**
 * Whether the rules refuse the user's reply on this ticket outright (e.g. a tier-1 agent's reply
 * on a queued ticket they escalated: replying would take it back). Such a reply is not asked
 * about ("reply and take it" would promise what the rules refuse): sent, the core refuses it at
 * once with its reason and the text stays in the box.
 */
export function replyRefused(user: User, detail: TicketDetail, now: number): boolean {
  return !predictReply(user, detail, now).ok;
}

function replyFacts(user: User, detail: TicketDetail) {
  return { wasAssignedToActor: detail.ticket.assigneeId === user.id, reach: detail.reach };
}

/** What the rules decide of a reply by this user on the ticket as the pane shows it. */
function predictReply(user: User, detail: TicketDetail, now: number) {
  return decideMutation(
    detail.ticket,
    { mutationId: PREDICTION_ID, kind: 'reply', ticketId: detail.ticket.id, messageId: PREDICTION_ID, text: '…', createdAt: now },
    user,
    now,
    replyFacts(user, detail),
  );
}

/** The ticket is not the user's: a reply on it asks first (agents and leads alike); null when they hold it. */
export function notYoursOf(user: User, ticket: Pick<Ticket, 'id' | 'assigneeId' | 'assigneeName'>): NotYours | null {
  if (ticket.assigneeId === user.id) return null;
  return { ticketId: ticket.id, assigneeName: ticket.assigneeId === null ? null : (ticket.assigneeName ?? ticket.assigneeId) };
}
