/**
 * The cache's customer rows follow its tickets: a customer is cached for the tickets the
 * workstation holds, so once the last of them leaves (an offer that moved on, a queued ticket
 * looked at in the queue view, a ticket transferred away) the row goes too. Before, every such
 * ticket left its customer behind for good: a workstation open for weeks kept the (masked)
 * contact details of every customer it ever saw an offer or a queue entry of.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Customer, type Ticket, type TicketBundle } from '../../../shared/domain.js';
import { TEST_AGENT as agent, heldTicket } from '../testing/cacheFixtures.js';
import { openCache, type Cache } from './cache.js';

function customer(id: string): Customer {
  return { id, name: `客户${id}`, phone: null, email: null, socialId: null, vipTier: 0, createdAt: 1_000, identities: [] };
}

/** A chat ticket in the queue (override the assignee or the routing to hold or offer it). */
function ticket(id: string, customerId: string, overrides: Partial<Ticket> = {}): Ticket {
  return heldTicket(0, customerId, `咨询 ${id}`, {
    id,
    channel: 'chat',
    status: 'unassigned',
    assigneeId: null,
    assigneeName: null,
    assignedAt: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    lastMessagePreview: '你好',
    lastMessageAt: 1_000,
    ...overrides,
  });
}

function offeredTo(agentId: string) {
  return { ...defaultTicketRouting(), offer: { agentId, agentName: agentId, offeredAt: 2_000, expiresAt: 32_000 } };
}

function bundle(t: Ticket): TicketBundle {
  return { ticket: t, customer: customer(t.customerId), messages: [], notes: [] };
}

describe('customer rows of tickets that left the cache', () => {
  let dir: string;
  let file: string;
  let cache: Cache;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cache-customers-'));
    file = path.join(dir, 'cache.sqlite');
    cache = openCache(file, null);
  });
  afterEach(() => {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function customerIds(): string[] {
    const raw = new Database(file, { readonly: true });
    try {
      return raw
        .prepare<[], { id: string }>('SELECT id FROM customers ORDER BY id')
        .all()
        .map((row) => row.id);
    } finally {
      raw.close();
    }
  }

  it('go with the last ticket of theirs: offers that moved on leave no customer behind, one still held keeps its own', () => {
    let seq = 0;
    // A ticket the agent holds, and a second one of the same customer offered and moved on.
    cache.writer.applyChanges(
      [{ seq: ++seq, kind: 'bundle', bundle: bundle(ticket('GD20240501000', 'CUS0', { status: 'in_progress', assigneeId: 'agent1', assigneeName: '李娜' })) }],
      seq,
      agent,
    );
    const OFFERS = 50;
    for (let i = 1; i <= OFFERS; i++) {
      const id = `GD20240501${String(i).padStart(3, '0')}`;
      const customerId = i === OFFERS ? 'CUS0' : `CUS${String(i)}`;
      cache.writer.applyChanges([{ seq: ++seq, kind: 'bundle', bundle: bundle(ticket(id, customerId, { routing: offeredTo('agent1') })) }], seq, agent);
      // Declined or expired: offered to someone else now, out of this agent's sight.
      cache.writer.applyChanges(
        [{ seq: ++seq, kind: 'ticket', ticket: ticket(id, customerId, { routing: offeredTo('agent2'), updatedAt: 2_000 }) }],
        seq,
        agent,
      );
      expect(cache.reader.ticket(id)).toBeNull();
    }
    expect(customerIds()).toEqual(['CUS0']);
    expect(cache.reader.ticketDetail('GD20240501000')?.customer?.id).toBe('CUS0');
  });

  it('go with the queued tickets the queue view fetched, once a refresh drops them', () => {
    const QUEUED = 30;
    const ids = Array.from({ length: QUEUED }, (_, i) => `GD20240502${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) expect(cache.writer.storeFetchedBundle(bundle(ticket(id, `CUS${String(i)}`)), agent)).toBe(true);
    expect(customerIds()).toHaveLength(QUEUED);
    expect(cache.writer.dropFetched(agent)).toHaveLength(QUEUED);
    expect(customerIds()).toEqual([]);
  });

  it('go when a bootstrap page moves a cached ticket to another customer, first or last of the page, among tickets not cached yet', () => {
    const held = (id: string, customerId: string) => bundle(ticket(id, customerId, { status: 'in_progress', assigneeId: 'agent1', assigneeName: '李娜' }));
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage({ seq: 1, total: 2, next: null, bundles: [held('GD20240504002', 'CUS2'), held('GD20240504004', 'CUS4')] }, agent);
    expect(customerIds()).toEqual(['CUS2', 'CUS4']);
    // Bootstrapped again (a must-refetch): a merge on the server moved both tickets, and new ones came between and after them.
    cache.writer.beginBootstrap();
    const page = [held('GD20240504002', 'CUS8'), held('GD20240504003', 'CUS3'), held('GD20240504004', 'CUS9')];
    cache.writer.applyBootstrapPage({ seq: 2, total: 4, next: 'GD20240504004', bundles: page }, agent);
    cache.writer.applyBootstrapPage({ seq: 2, total: 4, next: null, bundles: [held('GD20240504005', 'CUS5')] }, agent);
    expect(customerIds()).toEqual(['CUS3', 'CUS5', 'CUS8', 'CUS9']);
    expect(cache.reader.ticketDetail('GD20240504004')?.customer?.id).toBe('CUS9');
  });

  it('go when a bundle of a ticket out of sight brings its customer', () => {
    // Reassigned to another agent between two pulls: the bundle arrives already out of sight.
    cache.writer.applyChanges(
      [{ seq: 1, kind: 'bundle', bundle: bundle(ticket('GD20240503001', 'CUS9', { status: 'in_progress', assigneeId: 'agent2', assigneeName: '赵强' })) }],
      1,
      agent,
    );
    expect(cache.reader.ticket('GD20240503001')).toBeNull();
    expect(customerIds()).toEqual([]);
  });
});
