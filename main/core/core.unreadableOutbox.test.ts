/**
 * An outbox row this version cannot read (review-7). The previous version queued a second ticket
 * made offline for a customer another queued creation makes with that customer's pending id as
 * an existing customer; the outbox's schema refuses it, so reading the outbox failed and no push
 * ever left again — an update alone did not help, the row stayed. Now such a row is read as the
 * customer typed (the other creation still queued), and a row that cannot be read at all is taken
 * out, reverted and listed in "needs attention": the rest of the outbox goes.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { provisionalIdsOf } from '../../shared/manualTicket.js';
import { startServer } from '../../server/app.js';
import { applyCacheKey, openCache } from './cache/cache.js';
import { unlockCacheKey, userCacheFile } from './index.js';
import { loadSettings } from './settings.js';
import { call, connectionOf, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('an outbox row this version cannot read', () => {
  const fixture = offlineAgentFixture('unreadable-outbox', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));

  it('is repaired or taken out and listed, and the rest of the outbox reaches the server once', async () => {
    const dataDir = fixture.agentDir;
    let active = await fixture.signInAgent();
    const held = (await call(active, 'inbox.list', { channel: null, status: 'in_progress', query: '' })).rows[0]!.id;
    await fixture.goOffline(active);

    const common = { channel: 'phone' as const, type: 'after_sales' as const, priority: 'normal' as const, toQueue: false };
    const first = await call(active, 'ticket.create', {
      ...common,
      customer: { kind: 'new', name: '孙二娘', phone: '139 0013 9222', email: null },
      subject: '停电期间来电：空调不制冷',
      note: '客户来电反映空调不制冷',
    });
    await active.close();

    // What the previous version wrote: the second creation names the first one's pending customer as existing.
    const user = loadSettings(dataDir).session!.user;
    const key = (await unlockCacheKey(dataDir, 'agent1', 'demo'))!;
    const file = userCacheFile(dataDir, 'agent1');
    const legacy = openCache(file, key);
    const secondId = randomUUID();
    const secondTicket = provisionalIdsOf(Date.now(), '000000000001').ticketId;
    const written = legacy.writer.createTicket(
      {
        ...common,
        mutationId: secondId,
        kind: 'createTicket',
        ticketId: secondTicket,
        customer: { kind: 'existing', customerId: first.customerId },
        subject: '停电期间来电：热水器漏水',
        noteId: secondId,
        note: '同一客户再次来电，热水器漏水',
        createdAt: Date.now(),
      },
      user,
    );
    expect(written.ok).toBe(true);
    legacy.close();
    // And one that cannot be read at all (its customer is gone from everywhere).
    const lostId = randomUUID();
    const lost = provisionalIdsOf(Date.now(), '000000000002');
    const raw = new Database(file);
    applyCacheKey(raw, key);
    raw.prepare('INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)').run(
      lostId,
      lost.ticketId,
      'createTicket',
      JSON.stringify({
        ...common,
        mutationId: lostId,
        kind: 'createTicket',
        ticketId: lost.ticketId,
        customer: { kind: 'existing', customerId: lost.customerId },
        subject: '无法读取的工单',
        noteId: lostId,
        note: '客户说明：燃气灶打不着火',
        createdAt: Date.now(),
      }),
      Date.now(),
    );
    raw.close();

    active = await fixture.openCore();
    const note = await call(active, 'ticket.addNote', { ticketId: held, text: '更新之后写的备注' });
    expect((await connectionOf(active)).pendingCount).toBe(4);

    const back = await fixture.restartServer();
    await waitUntil(active, 'the outbox is sent or a push fails', async () => {
      const state = await connectionOf(active);
      return (state.status === 'online' && state.pendingCount === 0) || state.lastError?.code === 'send_failed';
    });
    expect((await connectionOf(active)).lastError).toBeNull();
    expect((await connectionOf(active)).pendingCount).toBe(0);

    const drafts = await back.store.sql.all<{ draft_id: string; customer_id: string }>('SELECT draft_id, customer_id FROM ticket_drafts ORDER BY created_at');
    expect(drafts.map((row) => row.draft_id).sort()).toEqual([first.id, secondTicket].sort());
    expect(new Set(drafts.map((row) => row.customer_id)).size).toBe(1);
    expect((await back.store.getTicketBundle(held))!.notes.filter((n) => n.id === note.id)).toHaveLength(1);
    // The unreadable one is listed, never silently dropped; its provisional ticket is gone.
    const attention = (await call(active, 'attention.list', {})).items;
    expect(attention.map((item) => [item.ticketId, item.code])).toEqual([[lost.ticketId, 'unsendable_change']]);
    // What the agent wrote in it is kept for them, as a refused change's text is.
    expect(attention[0]!.content).toEqual({ text: '客户说明：燃气灶打不着火', textChars: 12, subject: '无法读取的工单' });
    expect(await active.invoke('ticket.get', { ticketId: lost.ticketId })).toMatchObject({ ok: false });
  });
});
