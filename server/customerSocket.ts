/**
 * The socket.io side of customers: `customer:merge` and `customer:matches`
 * (shared/customers.ts), validated with their zod schemas and answered through an ack, like
 * the routing requests. The merge itself is one store transaction; its changes reach every
 * viewer through the usual live fan-out.
 */
import { customerMatchesRequestSchema, customerMergeRequestSchema, type CustomerMatchesResult, type CustomerMergeResult } from '../shared/customers.js';
import type { Ack, ProtocolError } from '../shared/sync.js';
import { CustomerRefusal } from './customers.js';
import type { SyncServer } from './liveHub.js';
import { forRole, maskCustomerMatches, maskMergeResult } from './piiMasking.js';
import type { ServerStore } from './store.js';
import { describeIssues } from './sync.js';

export interface CustomerSocketDependencies {
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
}

/** Wires the customer requests into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachCustomers(io: SyncServer, deps: CustomerSocketDependencies): void {
  io.on('connection', (socket) => {
    socket.on('customer:merge', async (raw: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (response: Ack<CustomerMergeResult>) => void;
      const fail = (error: ProtocolError) => reply({ ok: false, error });
      const { user } = socket.data;
      if (deps.now() >= socket.data.tokenExpiresAt) {
        fail({ code: 'unauthorized', message: 'The sign-in token has expired; sign in again.' });
        socket.disconnect(true);
        return;
      }
      const parsed = customerMergeRequestSchema.safeParse(raw);
      if (!parsed.success) {
        fail({ code: 'invalid_request', message: `Invalid customer:merge request: ${describeIssues(parsed.error)}` });
        return;
      }
      const { keepId, mergeId } = parsed.data;
      try {
        const outcome = await deps.store.mergeCustomers({ keepId, mergeId, actor: user, now: deps.now() });
        deps.log(`customer ${mergeId} merged into ${keepId} by ${user.username}: ${String(outcome.ticketIds.length)} ticket(s) moved`);
        reply({ ok: true, result: forRole(user.role, outcome, maskMergeResult) });
      } catch (error) {
        if (error instanceof CustomerRefusal) {
          deps.log(`customer merge of ${mergeId} into ${keepId} by ${user.username} refused: ${error.message}`);
          fail({ code: error.code, message: error.message });
          return;
        }
        deps.log(`customer:merge from ${user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        fail({ code: 'internal', message: 'The server failed to handle this request; it has been logged.' });
      }
    });

    socket.on('customer:matches', async (raw: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (response: Ack<CustomerMatchesResult>) => void;
      const { user } = socket.data;
      if (deps.now() >= socket.data.tokenExpiresAt) {
        reply({ ok: false, error: { code: 'unauthorized', message: 'The sign-in token has expired; sign in again.' } });
        socket.disconnect(true);
        return;
      }
      const parsed = customerMatchesRequestSchema.safeParse(raw);
      if (!parsed.success) {
        reply({ ok: false, error: { code: 'invalid_request', message: `Invalid customer:matches request: ${describeIssues(parsed.error)}` } });
        return;
      }
      try {
        const matches = await deps.store.listCustomerMatches(user, parsed.data.customerId, MAX_CUSTOMER_MATCHES);
        if (matches === null) {
          reply({ ok: false, error: { code: 'not_found', message: `Customer ${parsed.data.customerId} does not exist or is not yours to see.` } });
          return;
        }
        reply({ ok: true, result: forRole(user.role, { matches }, maskCustomerMatches) });
      } catch (error) {
        deps.log(`customer:matches from ${user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        reply({ ok: false, error: { code: 'internal', message: 'The server failed to handle this request; it has been logged.' } });
      }
    });
  });
}

/** Most "possibly the same customer" suggestions one answer carries. */
const MAX_CUSTOMER_MATCHES = 20;
