/**
 * Personal data masking at the server's edge: everything a user receives passes through
 * `forRole(role, …)` with the masker of its shape, so agents get masked values
 * (shared/masking.ts) and leads and admins clear ones. Stored data and the change log stay
 * clear — leads, channels and delivery need the real addresses; only what leaves for an
 * agent is masked, once per recipient role (the live fan-out masks each change once per batch).
 */
import type { CtiCall } from '../shared/cti.js';
import type { CustomerHistoryPage, CustomerMatchesResult, CustomerMergeResult } from '../shared/customers.js';
import type { Role, Ticket } from '../shared/domain.js';
import type { TicketListResponse } from '../shared/httpApi.js';
import { maskBundle, maskCustomer, maskIdentities, maskMessage, maskNote, maskPhone, maskPiiInText, maskTicket, piiViewOf } from '../shared/masking.js';
import type { QueueListResult, TicketFetchResult } from '../shared/queue.js';
import type { OfferResponseResult, RoutingAuditResult, RoutingOffer } from '../shared/routing.js';
import type { BootstrapPage, Change, MutationResult, PullResult, PushResult } from '../shared/sync.js';

/** `value` as a user of `role` may receive it; an unknown role (null) is masked. */
export function forRole<T>(role: Role | null, value: T, mask: (value: T) => T): T {
  return role !== null && piiViewOf(role) === 'clear' ? value : mask(value);
}

export function maskChange(change: Change): Change {
  switch (change.kind) {
    case 'ticket':
      return { ...change, ticket: maskTicket(change.ticket) };
    case 'bundle':
      return { ...change, bundle: maskBundle(change.bundle) };
    case 'message':
      return { ...change, message: maskMessage(change.message), ticket: maskTicket(change.ticket) };
    case 'note':
      return { ...change, note: maskNote(change.note), ticket: maskTicket(change.ticket) };
    case 'customer':
      return { ...change, customer: maskCustomer(change.customer) };
  }
}

export function maskPullResult(result: PullResult): PullResult {
  return result.mustRefetch ? result : { ...result, changes: result.changes.map(maskChange) };
}

export function maskBootstrapPage(page: BootstrapPage): BootstrapPage {
  return { ...page, bundles: page.bundles.map(maskBundle) };
}

function maskMutationResult(result: MutationResult): MutationResult {
  return result.ok || result.ticket === null ? result : { ...result, ticket: maskTicket(result.ticket) };
}

export function maskPushResult(result: PushResult): PushResult {
  return { results: result.results.map(maskMutationResult) };
}

export function maskOffer(offer: RoutingOffer): RoutingOffer {
  return { ...offer, bundle: maskBundle(offer.bundle) };
}

export function maskOfferResponse(result: OfferResponseResult): OfferResponseResult {
  return result.outcome === 'accepted' ? { ...result, ticket: maskTicket(result.ticket) } : result;
}

export function maskTicketResult(result: { ticket: Ticket }): { ticket: Ticket } {
  return { ticket: maskTicket(result.ticket) };
}

export function maskCtiCall(call: CtiCall): CtiCall {
  return {
    ...call,
    from: maskPhone(call.from),
    to: maskPhone(call.to),
    customer: call.customer ? maskCustomer(call.customer) : null,
    recentTickets: call.recentTickets.map(maskTicket),
  };
}

export function maskMergeResult(result: CustomerMergeResult): CustomerMergeResult {
  return { ...result, customer: maskCustomer(result.customer) };
}

export function maskCustomerMatches(result: CustomerMatchesResult): CustomerMatchesResult {
  return { matches: result.matches.map((match) => ({ ...match, customer: maskCustomer(match.customer), shared: maskIdentities(match.shared) })) };
}

export function maskTicketList(list: TicketListResponse): TicketListResponse {
  return { ...list, tickets: list.tickets.map(maskTicket) };
}

/** A queue listing: each ticket as in a change, the customer's name by the text rules (as `maskCustomer` does). */
export function maskQueueList(result: QueueListResult): QueueListResult {
  return {
    ...result,
    rows: result.rows.map((row) => ({
      ticket: maskTicket(row.ticket),
      customerName: maskPiiInText(row.customerName),
      ...(row.excerpt === undefined ? {} : { excerpt: maskPiiInText(row.excerpt) }),
    })),
  };
}

export function maskTicketFetch(result: TicketFetchResult): TicketFetchResult {
  return { bundle: maskBundle(result.bundle) };
}

/** A transfer's hand-over note in the routing history can quote the customer, as the ticket's copy of it does. */
export function maskRoutingAudit(result: RoutingAuditResult): RoutingAuditResult {
  return {
    entries: result.entries.map((entry) =>
      entry.reason?.code === 'transferred'
        ? { ...entry, reason: { ...entry.reason, note: maskPiiInText(entry.reason.note) }, text: maskPiiInText(entry.text) }
        : entry,
    ),
  };
}

/** A history page: every earlier ticket and its messages as in a change (the same rules as everywhere). */
export function maskCustomerHistory(page: CustomerHistoryPage): CustomerHistoryPage {
  return {
    ...page,
    entries: page.entries.map((entry) => ({
      ...entry,
      ticket: maskTicket(entry.ticket),
      messages: entry.messages.map(maskMessage),
      // The comment is the customer's free text: masked for agents exactly like the ticket's CSAT note.
      csat: entry.csat && entry.csat.comment !== null ? { ...entry.csat, comment: maskPiiInText(entry.csat.comment) } : entry.csat,
    })),
  };
}
