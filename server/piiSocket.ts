/**
 * Revealing masked personal data (shared/pii.ts) over the sync socket: `pii:reveal` answers
 * the clear value of one field the user may see and records who asked, for what, when —
 * every answer is audited, however many come — and `pii:audit` lists those records for
 * leads and admins. Something the user may not see answers `not_found`, exactly like
 * something that does not exist, so ids cannot be probed.
 */
import type { z } from 'zod';
import { canUserSeeTicket, type User } from '../shared/domain.js';
import { piiAuditRequestSchema, piiRevealRequestSchema, type PiiAuditResult, type PiiRevealRequest, type PiiRevealResult } from '../shared/pii.js';
import type { Ack, ProtocolError } from '../shared/sync.js';
import type { SyncServer, SyncSocket } from './liveHub.js';
import type { ServerStore } from './store.js';
import { describeIssues } from './sync.js';

export interface PiiSocketDependencies {
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
}

class PiiRefusal extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

type UntypedOn = (event: string, listener: (...args: unknown[]) => void) => void;

function handle<Request, Result>(
  socket: SyncSocket,
  deps: PiiSocketDependencies,
  event: string,
  schema: z.ZodType<Request>,
  run: (request: Request) => Promise<Result>,
): void {
  (socket.on as unknown as UntypedOn).call(socket, event, async (raw: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const reply = ack as (response: Ack<Result>) => void;
    const fail = (error: ProtocolError) => reply({ ok: false, error });
    if (deps.now() >= socket.data.tokenExpiresAt) {
      fail({ code: 'unauthorized', message: 'The sign-in token has expired; sign in again.' });
      socket.disconnect(true);
      return;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      fail({ code: 'invalid_request', message: `Invalid ${event} request: ${describeIssues(parsed.error)}` });
      return;
    }
    try {
      reply({ ok: true, result: await run(parsed.data) });
    } catch (error) {
      if (error instanceof PiiRefusal) {
        deps.log(`${event} by ${socket.data.user.username} refused: ${error.message}`);
        fail({ code: error.code, message: error.message });
        return;
      }
      deps.log(`${event} from ${socket.data.user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      fail({ code: 'internal', message: 'The server failed to handle this request; it has been logged.' });
    }
  });
}

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
    if (!call || (user.role === 'agent' && call.agentId !== user.id)) throw new PiiRefusal('not_found', `No call ${request.callId}.`);
    return {
      result: { field: 'call', from: call.from, to: call.to },
      ticketId: call.ticketId,
      customerId: (await store.findCustomerByPhone(call.from))?.id ?? null,
      targetId: call.callId,
    };
  }
  const bundle = await store.getTicketBundle(request.ticketId);
  if (!bundle || !canUserSeeTicket(user, bundle.ticket)) throw new PiiRefusal('not_found', `No ticket ${request.ticketId}.`);
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
      if (!message) throw new PiiRefusal('not_found', `No message ${request.messageId} on ${ticket.id}.`);
      return { ...on, targetId: message.id, result: { field: 'message', message } };
    }
    case 'note': {
      const note = bundle.notes.find((n) => n.id === request.noteId);
      if (!note) throw new PiiRefusal('not_found', `No note ${request.noteId} on ${ticket.id}.`);
      return { ...on, targetId: note.id, result: { field: 'note', note } };
    }
  }
}

/** Wires the reveal and its audit into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachPii(io: SyncServer, deps: PiiSocketDependencies): void {
  const { store } = deps;
  io.on('connection', (socket) => {
    const { user } = socket.data;

    handle(socket, deps, 'pii:reveal', piiRevealRequestSchema, async (request): Promise<PiiRevealResult> => {
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
    });

    handle(socket, deps, 'pii:audit', piiAuditRequestSchema, async ({ ticketId }): Promise<PiiAuditResult> => {
      if (user.role === 'agent') throw new PiiRefusal('forbidden', 'pii:audit is for leads and admins');
      const ticket = await store.getTicket(ticketId);
      if (!ticket) throw new PiiRefusal('not_found', `No ticket ${ticketId}.`);
      return { entries: await store.pii.revealsOfTicket(ticket.id, ticket.customerId) };
    });
  });
}
