/**
 * A ticket created by hand while the server is down (issue 12): the core shows it at once
 * under a pending number, takes a note and a status change on it, and when the server is back
 * the ticket is created once with its GD id, holding both, and the local row is renamed.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isProvisionalCustomerId, isProvisionalTicketId } from '../../shared/manualTicket.js';
import { startServer } from '../../server/app.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('a ticket created by hand offline', () => {
  const fixture = offlineAgentFixture('manual-offline', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));

  it('shows it at once with a pending number, and on reconnect it becomes one GD ticket holding the note and the status change', async () => {
    const active = await fixture.signInAgent();

    await fixture.goOffline(active);

    const actionId = randomUUID();
    const request = {
      customer: { kind: 'new' as const, name: '赵敏', phone: '139 0013 9000', email: null },
      channel: 'phone' as const,
      type: 'after_sales' as const,
      priority: 'urgent' as const,
      subject: '停电期间来电：洗衣机漏水',
      note: '客户来电反映洗衣机漏水，约明天上门',
      toQueue: false,
      actionId,
    };
    const made = await call(active, 'ticket.create', request);
    expect(isProvisionalTicketId(made.id)).toBe(true);
    expect(isProvisionalCustomerId(made.customerId)).toBe(true);
    expect(made).toMatchObject({ status: 'in_progress', assigneeId: 'agent1', priority: 'urgent', channel: 'phone' });
    // The same action again (its answer lost) makes nothing new.
    expect((await call(active, 'ticket.create', request)).id).toBe(made.id);
    // A new customer with neither phone nor email is refused with the fields named.
    expect(
      await active.invoke('ticket.create', { ...request, actionId: undefined, customer: { kind: 'new', name: '赵敏', phone: null, email: null } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_params' },
    });

    const inbox = await call(active, 'inbox.list', { channel: null, status: 'open', query: '' });
    expect(inbox.rows.find((row) => row.id === made.id)).toMatchObject({ pending: true, customerName: '赵敏' });
    const detail = await call(active, 'ticket.get', { ticketId: made.id });
    // The agent's cache holds the phone masked, as the server will send it back.
    expect(detail.customer).toMatchObject({ name: '赵敏', phone: expect.stringContaining('*') as string });
    expect(detail.notes).toHaveLength(1);

    const note = await call(active, 'ticket.addNote', { ticketId: made.id, text: '已约师傅，明早九点' });
    expect(note).toMatchObject({ ticketId: made.id, pending: true });
    expect(await call(active, 'ticket.setStatus', { ticketId: made.id, status: 'awaiting_customer' })).toMatchObject({
      id: made.id,
      status: 'awaiting_customer',
    });
    expect((await connectionOf(active)).pendingCount).toBe(3);

    const restarted = await fixture.restartServer();
    await waitUntil(active, 'the outbox is acknowledged', onlineAndIdle(active));

    // Exactly one ticket came of it, with its GD id, holding both the first note and the later one.
    const drafts = await restarted.store.sql.all<{ ticket_id: string }>('SELECT ticket_id FROM ticket_drafts WHERE draft_id = ?', [made.id]);
    expect(drafts).toHaveLength(1);
    const gd = drafts[0]!.ticket_id;
    expect(gd).toMatch(/^GD\d{11,}$/);
    expect(isProvisionalTicketId(gd)).toBe(false);
    const bundle = (await restarted.store.getTicketBundle(gd))!;
    expect(bundle.ticket).toMatchObject({ status: 'awaiting_customer', assigneeId: 'agent1', subject: request.subject });
    expect(bundle.notes.map((n) => n.text)).toEqual([request.note, '已约师傅，明早九点']);
    expect((await restarted.store.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE subject = '停电期间来电：洗衣机漏水'"))!.n).toBe(1);

    // The local row was renamed: the old number leads to the GD ticket, nothing is pending, no provisional row is left.
    const renamed = await call(active, 'ticket.get', { ticketId: made.id });
    expect(renamed.ticket).toMatchObject({ id: gd, status: 'awaiting_customer', customerId: bundle.customer.id });
    expect(renamed.pending).toBe(false);
    expect(renamed.notes.map((n) => [n.ticketId, n.pending])).toEqual([
      [gd, false],
      [gd, false],
    ]);
    const after = await call(active, 'inbox.list', { channel: null, status: null, query: '' });
    expect(after.rows.filter((row) => isProvisionalTicketId(row.id))).toEqual([]);
    expect(after.rows.filter((row) => row.id === gd)).toHaveLength(1);
    // A note written on the old number after the rename reaches the GD ticket.
    expect(await call(active, 'ticket.addNote', { ticketId: made.id, text: '客户确认时间' })).toMatchObject({ ticketId: gd });
    await waitUntil(active, 'the late note is acknowledged', onlineAndIdle(active));
    expect((await restarted.store.getTicketBundle(gd))!.notes).toHaveLength(3);
  });

  it('creates online too: the GD id arrives without a restart', async () => {
    const active = fixture.agent();
    const made = await call(active, 'ticket.create', {
      customer: { kind: 'new', name: 'Alice Chen', phone: null, email: 'alice@example.com' },
      channel: 'phone',
      type: 'consult',
      priority: 'normal',
      subject: 'Walk-in: invoice question',
      note: 'Asked for a copy of the March invoice',
      toQueue: false,
    });
    await waitUntil(active, 'the creation is acknowledged', onlineAndIdle(active));
    const detail = await call(active, 'ticket.get', { ticketId: made.id });
    expect(isProvisionalTicketId(detail.ticket.id)).toBe(false);
    expect(isProvisionalCustomerId(detail.customer.id)).toBe(false);
    expect(await fixture.server().store.getTicket(detail.ticket.id)).toMatchObject({ subject: 'Walk-in: invoice question', assigneeId: 'agent1' });
  });
});
