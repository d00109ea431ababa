/**
 * Two tickets made by hand offline for the same new customer (review-7): a walk-in calls back
 * about a second matter during the outage, and the agent picks the customer the first ticket
 * made (the new-ticket dialog searches the cache, which holds them under their pending id). The
 * server's push schema refuses a provisional id as an existing customer, and before, the whole
 * push was refused as `invalid_request` again and again: nothing in the outbox, before or after
 * it, ever reached the server. Now the second creation waits for the first one's ack, names the
 * customer's real id, and both tickets land once on one customer.
 */
import { describe, expect, it } from 'vitest';
import { isProvisionalCustomerId, isProvisionalTicketId } from '../../shared/manualTicket.js';
import { startServer } from '../../server/app.js';
import { call, connectionOf, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('two tickets made by hand offline for one new customer', () => {
  const fixture = offlineAgentFixture('manual-same-customer', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));

  it('sends both once, the second on the customer the first one made, and the work queued after them too', async () => {
    const active = await fixture.signInAgent();
    const held = (await call(active, 'inbox.list', { channel: null, status: 'in_progress', query: '' })).rows[0]!.id;

    await fixture.goOffline(active);

    const common = { channel: 'phone' as const, type: 'after_sales' as const, priority: 'normal' as const, toQueue: false };
    const first = await call(active, 'ticket.create', {
      ...common,
      customer: { kind: 'new', name: '扈三娘', phone: '139 0013 9111', email: null },
      subject: '停电期间来电：冰箱不制冷',
      note: '客户来电反映冰箱不制冷',
    });
    // The dialog's customer search finds the customer the first ticket made, under its pending id.
    const found = await call(active, 'customer.search', { query: '扈三娘' });
    const picked = found.find((hit) => hit.customer.id === first.customerId);
    expect(picked).toBeDefined();
    expect(isProvisionalCustomerId(first.customerId)).toBe(true);
    const second = await call(active, 'ticket.create', {
      ...common,
      customer: { kind: 'existing', customerId: first.customerId },
      subject: '停电期间来电：洗衣机漏水',
      note: '同一客户再次来电，洗衣机也漏水',
    });
    expect(second.customerId).toBe(first.customerId);
    // Work queued behind the two creations, on a ticket the server already has.
    const later = await call(active, 'ticket.addNote', { ticketId: held, text: '停电期间的备注' });

    const back = await fixture.restartServer();
    // Either everything is acknowledged, or a push failed (before: every push, forever).
    await waitUntil(active, 'the outbox is sent or a push fails', async () => {
      const state = await connectionOf(active);
      return (state.status === 'online' && state.pendingCount === 0) || state.lastError?.code === 'send_failed';
    });
    expect((await connectionOf(active)).lastError).toBeNull();
    expect((await connectionOf(active)).pendingCount).toBe(0);

    const drafts = await back.store.sql.all<{ draft_id: string; ticket_id: string; customer_id: string }>(
      'SELECT draft_id, ticket_id, customer_id FROM ticket_drafts WHERE draft_id IN (?, ?)',
      [first.id, second.id],
    );
    expect(drafts).toHaveLength(2);
    const [a, b] = [drafts.find((row) => row.draft_id === first.id)!, drafts.find((row) => row.draft_id === second.id)!];
    // One customer for both tickets: the one the first ticket created.
    expect(b.customer_id).toBe(a.customer_id);
    expect((await back.store.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM customers WHERE name = '扈三娘'"))!.n).toBe(1);
    expect((await back.store.getTicketBundle(b.ticket_id))!.notes.map((note) => note.text)).toEqual(['同一客户再次来电，洗衣机也漏水']);
    expect((await back.store.getTicketBundle(held))!.notes.filter((note) => note.id === later.id)).toHaveLength(1);

    // The cache holds both under their GD ids, on the real customer; nothing is left pending or provisional.
    for (const [made, row] of [
      [first, a],
      [second, b],
    ] as const) {
      const detail = await call(active, 'ticket.get', { ticketId: made.id });
      expect(detail.ticket).toMatchObject({ id: row.ticket_id, customerId: a.customer_id });
      expect(detail.pending).toBe(false);
    }
    const inbox = await call(active, 'inbox.list', { channel: null, status: null, query: '' });
    expect(inbox.rows.filter((row) => isProvisionalTicketId(row.id))).toEqual([]);
    expect((await call(active, 'attention.list', {})).items).toEqual([]);
  });
});
