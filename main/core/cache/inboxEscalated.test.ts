/**
 * The lead's ticket list on a real SQLite cache: the escalated filter (tier 2, a request
 * waiting for a lead, a request made offline still in the outbox) with the other filters and
 * the counts, and the ids of a filter for "select all N matching", bounded and in list order.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, defaultTicketRouting, type Customer, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { MAX_BULK_REASSIGN } from '../../../shared/routing.js';
import { RESOLUTION_SLA_MS } from '../../../shared/sla.js';
import { SEARCH_TEST_LEAD } from '../testing/cacheFixtures.js';
import { CACHE_KEY_BYTES, openCache, type Cache, type InboxFilter, type InboxViewer } from './cache.js';

/** A lead of tier 2 who sees every channel (the escalated tickets are theirs to see). */
const lead = SEARCH_TEST_LEAD;

const TICKETS = 300;
const BASE = Date.UTC(2024, 10, 8, 2, 0, 0);
const NOW = BASE + TICKETS * 60_000;

function ticketId(index: number): string {
  return `GD20241108${String(index).padStart(6, '0')}`;
}

const customer: Customer = { id: 'CUS202411080001', name: '客户', phone: null, email: null, socialId: null, vipTier: 0, createdAt: BASE, identities: [] };

/** Every 10th ticket was escalated to tier 2 (approved); every 10th + 5 is closed; the rest plain. */
function makeTicket(index: number): Ticket {
  const createdAt = BASE + index * 60_000;
  const escalated = index % 10 === 0;
  return {
    id: ticketId(index),
    customerId: customer.id,
    channel: CHANNELS[index % CHANNELS.length]!,
    type: 'consult',
    subject: `订单咨询 ${String(index)}`,
    priority: 'normal',
    status: index % 10 === 5 ? 'closed' : 'in_progress',
    assigneeId: 'agent1',
    assigneeName: '李娜',
    assignmentReason: null,
    createdAt,
    updatedAt: createdAt,
    assignedAt: createdAt,
    firstResponseAt: null,
    dueAt: createdAt + RESOLUTION_SLA_MS.normal,
    completedAt: null,
    lastMessagePreview: '您好',
    lastMessageAt: createdAt,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: escalated
      ? {
          ...defaultTicketRouting(),
          requiredTier: 2,
          escalation: { reason: '客户要求赔偿', byId: 'agent1', byName: '李娜', at: createdAt, dueAt: createdAt + 30 * 60_000 },
        }
      : defaultTicketRouting(),
  };
}

describe("the lead's ticket list over a real cache", () => {
  let dir: string;
  let cache: Cache;
  const tickets = Array.from({ length: TICKETS }, (_, index) => makeTicket(index));
  /** Requests waiting for a lead, as the core's alarms hold them. */
  const waiting = [ticketId(3), ticketId(7)];
  const viewer: InboxViewer = { userId: lead.id, heldOnly: false, now: NOW, escalationRequests: waiting };
  const filter = (patch: Partial<InboxFilter>): InboxFilter => ({ channel: null, status: null, query: '', ...patch });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-lead-list-'));
    cache = openCache(path.join(dir, 'lead1.sqlite'), randomBytes(CACHE_KEY_BYTES));
    cache.writer.beginBootstrap();
    const bundles: TicketBundle[] = tickets.map((ticket) => ({ ticket, customer, messages: [], notes: [] }));
    cache.writer.applyBootstrapPage({ seq: 1, total: TICKETS, next: null, bundles }, lead);
    // A request made offline: it waits in the outbox, and the ticket is unchanged.
    const queued = cache.writer.recordMutation(
      { mutationId: '0190a0b0-0000-7000-8000-000000000001', kind: 'requestEscalation', ticketId: ticketId(11), reason: '超出一线权限', createdAt: NOW },
      lead,
    );
    expect(queued.ok).toBe(true);
  });
  afterAll(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('filters escalated tickets: tier 2, a request waiting for a lead, a request still in the outbox', () => {
    const expected = [...tickets.filter((_, index) => index % 10 === 0).map((t) => t.id), ...waiting, ticketId(11)].sort();
    const result = cache.reader.inbox(filter({ escalated: true }), viewer);
    expect(result.total).toBe(expected.length);
    expect(result.rows.map((row) => row.id).sort()).toEqual(expected);
    // Without the filter every ticket is listed; without the waiting requests only the others.
    expect(cache.reader.inbox(filter({}), viewer).total).toBe(TICKETS);
    expect(cache.reader.inboxCounts(filter({ escalated: true }), { ...viewer, escalationRequests: [] }).total).toBe(expected.length - waiting.length);
  });

  it('combines the escalated filter with the others, and the counts follow it', () => {
    const phone = cache.reader.inboxCounts(filter({ escalated: true, channel: 'phone' }), viewer);
    const escalatedIndexes = [...tickets.keys()].filter((index) => index % 10 === 0 || [3, 7, 11].includes(index));
    expect(phone.total).toBe(escalatedIndexes.filter((index) => CHANNELS[index % CHANNELS.length] === 'phone').length);
    expect(phone.channelCounts.phone).toBe(phone.total);
    // Every 10th ticket is escalated and none of them is closed (those are the 10th + 5).
    const open = cache.reader.inboxWindow(filter({ escalated: true, status: 'open', limit: 500 }), viewer);
    expect(open.total).toBe(escalatedIndexes.length);
    expect(cache.reader.inboxWindow(filter({ escalated: true, status: 'closed' }), viewer).total).toBe(0);
  });

  it('answers the ids of a filter in the list order, at most the bulk limit, with how many match', () => {
    const escalated = cache.reader.inboxIds(filter({ escalated: true }), viewer, MAX_BULK_REASSIGN);
    const shown = cache.reader.inboxWindow(filter({ escalated: true, limit: 500 }), viewer);
    expect(escalated.total).toBe(shown.total);
    expect(escalated.ids).toEqual(shown.rows.map((row) => row.id));

    // Over the limit: the first MAX_BULK_REASSIGN of the list, and the true count.
    const open = cache.reader.inboxIds(filter({ status: 'open', sort: 'sla' }), viewer, MAX_BULK_REASSIGN);
    const openWindow = cache.reader.inboxWindow(filter({ status: 'open', sort: 'sla', limit: 500 }), viewer);
    expect(open.total).toBe(openWindow.total);
    expect(open.total).toBeGreaterThan(MAX_BULK_REASSIGN);
    expect(open.ids).toEqual(openWindow.rows.slice(0, MAX_BULK_REASSIGN).map((row) => row.id));
  });
});
