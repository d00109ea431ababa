/**
 * What a mutation does to the cached ticket before the server has seen it: the optimistic
 * half of the outbox. It mirrors the server's rules (docs/technical/sync-protocol.md) so the
 * agent sees the result at once; the server's snapshot replaces it when it arrives, and
 * still-pending mutations are re-applied on top of that snapshot (rebase).
 *
 * For an agent the local rows are masked like everything the server sends them
 * (shared/masking.ts): the cache never holds personal data in clear for an agent, not even
 * in what they typed themselves. The outbox keeps the mutation as typed — it is what goes to
 * the customer — until the server acknowledges it.
 */
import { canTransition, channelOfSource, previewOf, type Message, type Note, type Ticket, type User } from '../../shared/domain.js';
import { maskPiiInText, maskPreview, piiViewOf } from '../../shared/masking.js';
import { dueAtFor } from '../../shared/sla.js';
import type { Mutation } from '../../shared/sync.js';

/** The local rows one mutation produces. */
export interface LocalEffect {
  ticket: Ticket;
  message?: Message;
  note?: Note;
}

/** Why a mutation cannot apply to the ticket as cached. */
export interface LocalRefusal {
  code: 'invalid_transition' | 'forbidden';
  message: string;
}

export function applyMutationLocally(ticket: Ticket, mutation: Mutation, user: User): LocalEffect | LocalRefusal {
  const at = mutation.createdAt;
  const masked = piiViewOf(user.role) === 'masked';
  const shown = (text: string) => (masked ? maskPiiInText(text) : text);
  switch (mutation.kind) {
    case 'reply': {
      const message: Message = {
        id: mutation.messageId,
        ticketId: ticket.id,
        direction: 'outbound',
        channel: (mutation.via ? channelOfSource(mutation.via) : null) ?? ticket.channel,
        authorId: user.id,
        authorName: user.displayName,
        text: shown(mutation.text),
        externalMessageId: null,
        deliveryStatus: 'queued',
        createdAt: at,
        attachments: [],
        // Without the agent's pick the server decides the way out (the customer's newest source).
        source: mutation.via ?? null,
        call: null,
        deliveryError: null,
      };
      const next: Ticket = {
        ...ticket,
        updatedAt: Math.max(ticket.updatedAt, at),
        firstResponseAt: ticket.firstResponseAt ?? at,
        lastMessagePreview: masked ? maskPreview(previewOf(mutation.text)) : previewOf(mutation.text),
        lastMessageAt: Math.max(ticket.lastMessageAt, at),
      };
      return { ticket: ticket.status === 'unassigned' ? takeTicket(next, user, at) : next, message };
    }
    case 'note': {
      const note: Note = {
        id: mutation.noteId,
        ticketId: ticket.id,
        authorId: user.id,
        authorName: user.displayName,
        text: shown(mutation.text),
        createdAt: at,
      };
      return { ticket: { ...ticket, updatedAt: Math.max(ticket.updatedAt, at) }, note };
    }
    case 'setStatus': {
      if (mutation.status === ticket.status) {
        return { code: 'invalid_transition', message: `Ticket ${ticket.id} is already ${mutation.status}.` };
      }
      if (!canTransition(ticket.status, mutation.status)) {
        return {
          code: 'invalid_transition',
          message: `Ticket ${ticket.id} cannot go from ${ticket.status} to ${mutation.status}.`,
        };
      }
      let next: Ticket = { ...ticket, status: mutation.status, updatedAt: Math.max(ticket.updatedAt, at) };
      if (mutation.status === 'completed') next = { ...next, completedAt: at };
      // Closing ends the work too, so the SLA verdict of a closed ticket stops moving.
      if (mutation.status === 'closed' && next.completedAt === null) next = { ...next, completedAt: at };
      if (mutation.status === 'in_progress' && (ticket.status === 'completed' || ticket.status === 'closed')) next = { ...next, completedAt: null };
      if (mutation.status === 'in_progress') next = takeTicket(next, user, at);
      return { ticket: next };
    }
    case 'setPriority': {
      if (!mayEditFields(ticket, user)) return notYours(ticket, 'change its priority');
      // The SLA clock runs from creation with the new priority's window, as on the server.
      return { ticket: { ...ticket, priority: mutation.priority, dueAt: dueAtFor(ticket.createdAt, mutation.priority), updatedAt: Math.max(ticket.updatedAt, at) } };
    }
    case 'setFollowUp': {
      if (!mayEditFields(ticket, user)) return notYours(ticket, 'set a follow-up');
      return { ticket: { ...ticket, followUpAt: mutation.followUpAt, updatedAt: Math.max(ticket.updatedAt, at) } };
    }
  }
}

/** Ticket fields other than status belong to the assignee (and to leads and admins), as on the server. */
function mayEditFields(ticket: Ticket, user: User): boolean {
  return user.role !== 'agent' || ticket.assigneeId === user.id;
}

function notYours(ticket: Ticket, action: string): LocalRefusal {
  return { code: 'forbidden', message: `Take ticket ${ticket.id} before you ${action}: only its assignee or a lead may.` };
}

/** Working on a queued ticket takes it: the user becomes its assignee (as the server does). */
function takeTicket(ticket: Ticket, user: User, at: number): Ticket {
  const working: Ticket = { ...ticket, status: 'in_progress' };
  if (ticket.assigneeId !== null) return working;
  return {
    ...working,
    assigneeId: user.id,
    assigneeName: user.displayName,
    assignedAt: at,
    assignmentReason: { code: 'taken_from_queue', channel: ticket.channel, byName: user.displayName },
  };
}

export function isLocalRefusal(outcome: LocalEffect | LocalRefusal): outcome is LocalRefusal {
  return 'code' in outcome;
}
