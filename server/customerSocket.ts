/**
 * The socket.io side of customers: `customer:merge`, `customer:matches` and
 * `customer:history` (shared/customers.ts), validated with their zod schemas and answered
 * through an ack, like the routing requests. The merge itself is one store transaction; its
 * changes reach every viewer through the usual live fan-out. History is read-only, masked for
 * agents, open only to whoever holds or is offered one of the customer's tickets (and leads),
 * and rate limited per user so customer ids cannot be walked.
 */
import {
  CUSTOMER_HISTORY_MESSAGES_PER_TICKET,
  customerHistoryRequestSchema,
  customerMatchesRequestSchema,
  customerMergeRequestSchema,
} from '../shared/customers.js';
import { CustomerRefusal } from './customers.js';
import type { SyncServer } from './liveHub.js';
import { forRole, maskCustomerHistory, maskCustomerMatches, maskMergeResult } from './piiMasking.js';
import type { RateLimiters } from './rateLimits.js';
import type { ServerStore } from './store.js';
import { handle, SyncRefusal } from './sync.js';

export interface CustomerSocketDependencies {
  store: ServerStore;
  rateLimits: RateLimiters;
  now: () => number;
  log: (line: string) => void;
}

/** A store refusal, as the socket answers it. */
function refusalOf(error: unknown): unknown {
  return error instanceof CustomerRefusal ? new SyncRefusal(error.code, error.message) : error;
}

/** Wires the customer requests into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachCustomers(io: SyncServer, deps: CustomerSocketDependencies): void {
  io.on('connection', (socket) => {
    const { user } = socket.data;
    handle(
      socket,
      deps,
      'customer:merge',
      customerMergeRequestSchema,
      async ({ keepId, mergeId }) => {
        const outcome = await deps.store.mergeCustomers({ keepId, mergeId, actor: user, now: deps.now() }).catch((error: unknown) => {
          throw refusalOf(error);
        });
        deps.log(`customer ${mergeId} merged into ${keepId} by ${user.username}: ${String(outcome.ticketIds.length)} ticket(s) moved`);
        return forRole(user.role, outcome, maskMergeResult);
      },
      // A refused merge is worth an audit line: who tried to merge what.
      { logRefusals: true },
    );
    handle(socket, deps, 'customer:matches', customerMatchesRequestSchema, async ({ customerId }) => {
      const matches = await deps.store.listCustomerMatches(user, customerId, MAX_CUSTOMER_MATCHES);
      if (matches === null) throw new SyncRefusal('not_found', `Customer ${customerId} does not exist or is not yours to see.`);
      return forRole(user.role, { matches }, maskCustomerMatches);
    });
    handle(socket, deps, 'customer:history', customerHistoryRequestSchema, async ({ customerId, before, limit }) => {
      const verdict = await deps.rateLimits.customerHistoryPerUser.consume(user.id);
      if (!verdict.ok) {
        if (verdict.firstRefusal) deps.log(`customer:history: ${user.username} is over the history limit`);
        throw new SyncRefusal('rate_limited', `Too many history requests; try again in ${String(Math.ceil(verdict.retryAfterMs / 1000))} s.`);
      }
      const page = await deps.store.listCustomerHistory(user, customerId, { before, limit, messagesPerTicket: CUSTOMER_HISTORY_MESSAGES_PER_TICKET });
      if (page === null) {
        // Worth an audit line (who tried to read whose chats); the flood behind a rate limit is not, so only this refusal is logged.
        deps.log(`customer:history by ${user.username} refused: customer ${customerId} is unknown or not theirs to see`);
        // Unknown and not-yours answer alike, so guessing ids tells nothing.
        throw new SyncRefusal('not_found', `Customer ${customerId} does not exist or is not yours to see.`);
      }
      return forRole(user.role, page, maskCustomerHistory);
    });
  });
}

/** Most "possibly the same customer" suggestions one answer carries. */
const MAX_CUSTOMER_MATCHES = 20;
