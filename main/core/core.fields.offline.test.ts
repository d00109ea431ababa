/**
 * The ticket's own fields and a transfer made while the server is down: the core applies them
 * at once from its cache (the same rules as the server), keeps them in the outbox, and the
 * server applies each exactly once when it is back.
 */
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('ticket fields and transfer made offline', () => {
  const fixture = offlineAgentFixture('fields-offline', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));

  it('applies type, tags, result, completion and a transfer to a group once after reconnecting', async () => {
    const active = await fixture.signInAgent();
    const held = (await call(active, 'inbox.list', { channel: null, status: 'open', query: '' })).rows.filter((row) => row.assigneeId === 'agent1');
    expect(held.length).toBeGreaterThanOrEqual(2);
    const [done, passed] = [held[0]!.id, held[1]!.id];

    await fixture.goOffline(active);

    // Completing without a result is refused at once, offline too, with the code the UI says.
    expect(await active.invoke('ticket.setStatus', { ticketId: done, status: 'completed' })).toMatchObject({
      ok: false,
      error: { refusal: { code: 'result_required', ticketId: done } },
    });
    const fields = await call(active, 'ticket.setFields', {
      ticketId: done,
      type: 'after_sales',
      subCategory: '退货',
      tags: ['加急', '加急'],
      result: '已安排上门取件',
    });
    expect(fields).toMatchObject({ type: 'after_sales', subCategory: '退货', tags: ['加急'], result: '已安排上门取件' });
    expect(await call(active, 'ticket.setStatus', { ticketId: done, status: 'completed' })).toMatchObject({ status: 'completed' });
    expect(await active.invoke('ticket.transfer', { ticketId: passed, to: { kind: 'group', group: 'after_sales' }, note: '  ' })).toMatchObject({
      ok: false,
      error: { refusal: { code: 'note_required' } },
    });
    const transferred = await call(active, 'ticket.transfer', { ticketId: passed, to: { kind: 'group', group: 'after_sales' }, note: '客户要退货，转售后组' });
    expect(transferred).toMatchObject({ assigneeId: null, status: 'unassigned', handover: { note: '客户要退货，转售后组' } });
    expect((await connectionOf(active)).pendingCount).toBe(3);

    const restarted = await fixture.restartServer();
    await waitUntil(active, 'the outbox is acknowledged', onlineAndIdle(active));
    expect(await restarted.store.getTicket(done)).toMatchObject({
      type: 'after_sales',
      subCategory: '退货',
      tags: ['加急'],
      result: '已安排上门取件',
      status: 'completed',
    });
    const moved = (await restarted.store.getTicket(passed))!;
    expect(moved).toMatchObject({ routing: { group: 'after_sales' }, handover: { note: '客户要退货，转售后组', byId: 'agent1' } });
    expect(moved.assigneeId).not.toBe('agent1');
    // Exactly once: one transfer in the routing history.
    expect((await restarted.store.routing.listAudit(passed)).filter((entry) => entry.decision === 'transferred')).toHaveLength(1);
    expect((await connectionOf(active)).pendingCount).toBe(0);
  });
});
