/**
 * Revealing masked personal data (shared/pii.ts) over the sync socket: `pii:reveal` answers
 * the clear value of one field the user may see and records who asked, for what, when —
 * every answer is audited, however many come — and `pii:audit` lists those records for
 * leads and admins. Something the user may not see answers `not_found`, exactly like
 * something that does not exist, so ids cannot be probed.
 */
import { canUserSeeTicket, type User } from '../shared/domain.js';
import { piiAuditRequestSchema, piiRevealRequestSchema, type PiiAuditResult, type PiiRevealRequest, type PiiRevealResult } from '../shared/pii.js';
import type { SyncServer } from './liveHub.js';
import type { ServerStore } from './store.js';
import { handle, SyncRefusal } from './sync.js';

export interface PiiSocketDependencies {
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
}

/** A refused reveal is worth a log line (someone probing ids), like every answered one. */
const REFUSALS_AUDITED = { logRefusals: true };

interface Revealed {
  result: PiiRevealResult;
  ticketId: string | null;
  customerId: string | null;
  targetId: string | null;
}

/** The clear value, or a refusal; what the user may not see is `not_found`. */
async function revealFor(store: ServerStore, user: User, request: PiiRevealRequest): Promise<Revealed> {
  if (request.field === 'call') {
    const call = await store.cti.getCall(request.callId);
    // A call is the agent's whose extension it rang at; leads see every call.
    if (!call || (user.role === 'agent' && call.agentId !== user.id)) throw new SyncRefusal('not_found', `No call ${request.callId}.`);
    return {
      result: { field: 'call', from: call.from, to: call.to },
      ticketId: call.ticketId,
      customerId: (await store.findCustomerByPhone(call.from))?.id ?? null,
      targetId: call.callId,
    };
  }
  const bundle = await store.getTicketBundle(request.ticketId);
  if (!bundle || !canUserSeeTicket(user, bundle.ticket)) throw new SyncRefusal('not_found', `No ticket ${request.ticketId}.`);
  const { ticket, customer } = bundle;
  const on = { ticketId: ticket.id, customerId: customer.id, targetId: null };
  switch (request.field) {
    case 'customerName':
      return { ...on, result: { field: 'customerName', value: customer.name } };
    case 'customerPhone':
      return { ...on, result: { field: 'customerPhone', value: customer.phone } };
    case 'customerEmail':
      return { ...on, result: { field: 'customerEmail', value: customer.email } };
    case 'customerSocialId':
      return { ...on, result: { field: 'customerSocialId', value: customer.socialId } };
    case 'customerIdentities':
      return { ...on, result: { field: 'customerIdentities', identities: customer.identities } };
    case 'subject':
      return { ...on, result: { field: 'subject', subject: ticket.subject, lastMessagePreview: ticket.lastMessagePreview } };
    case 'message': {
      const message = bundle.messages.find((m) => m.id === request.messageId);
      if (!message) throw new SyncRefusal('not_found', `No message ${request.messageId} on ${ticket.id}.`);
      return { ...on, targetId: message.id, result: { field: 'message', message } };
    }
    case 'note': {
      const note = bundle.notes.find((n) => n.id === request.noteId);
      if (!note) throw new SyncRefusal('not_found', `No note ${request.noteId} on ${ticket.id}.`);
      return { ...on, targetId: note.id, result: { field: 'note', note } };
    }
  }
}

/** Wires the reveal and its audit into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachPii(io: SyncServer, deps: PiiSocketDependencies): void {
  const { store } = deps;
  io.on('connection', (socket) => {
    const { user } = socket.data;

    handle(
      socket,
      deps,
      'pii:reveal',
      piiRevealRequestSchema,
      async (request): Promise<PiiRevealResult> => {
        const revealed = await revealFor(store, user, request);
        const entry = await store.pii.recordReveal({
          at: deps.now(),
          userId: user.id,
          userName: user.displayName,
          role: user.role,
          ticketId: revealed.ticketId,
          customerId: revealed.customerId,
          field: request.field,
          targetId: revealed.targetId,
        });
        // The log names what was revealed, never the value.
        deps.log(
          `pii: ${user.displayName} (${user.username}, ${user.role}) revealed ${request.field}` +
            (revealed.targetId ? ` ${revealed.targetId}` : '') +
            ` of ${revealed.ticketId ?? 'no ticket'}${revealed.customerId ? ` (customer ${revealed.customerId})` : ''}; audit #${String(entry.id)}`,
        );
        return revealed.result;
      },
      REFUSALS_AUDITED,
    );

    handle(
      socket,
      deps,
      'pii:audit',
      piiAuditRequestSchema,
      async ({ ticketId }): Promise<PiiAuditResult> => {
        if (user.role === 'agent') throw new SyncRefusal('forbidden', 'pii:audit is for leads and admins');
        const ticket = await store.getTicket(ticketId);
        if (!ticket) throw new SyncRefusal('not_found', `No ticket ${ticketId}.`);
        return { entries: await store.pii.revealsOfTicket(ticket.id, ticket.customerId) };
      },
      REFUSALS_AUDITED,
    );
  });
}
