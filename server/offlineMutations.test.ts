/**
 * The store's rules for work that was written offline and arrives late: priority and
 * follow-up (last writer wins in server order), and refusals that tell the agent what
 * happened in the meantime (reassigned, closed), while the former owner's notes still land.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { dueAtFor } from '../shared/sla.js';
import { openServerStore, type ServerStore } from './store.js';
import { TEST_EPOCH, makeTempDir } from './testHarness.js';

let dir: string;
let store: ServerStore;
let lead: User;
let agent1: User;
let agent2: User;
let outsider: User;
let ticketId: string;

const HOUR = 60 * 60 * 1000;

beforeEach(async () => {
  dir = makeTempDir('server-offline-mutations-');
  store = openServerStore({ filePath: path.join(dir, 'server.sqlite') });
  lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
  agent1 = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
  agent2 = await store.createUser({ id: 'agent2', username: 'agent2', password: 'pw', displayName: '张强', role: 'agent', channels: ['chat'] });
  outsider = await store.createUser({ id: 'agent3', username: 'agent3', password: 'pw', displayName: '刘洋', role: 'agent', channels: ['email'] });
  ticketId = (
    await store.ingestInbound(
      { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, subject: '订单物流查询延迟', text: '快递三天没动了' },
      { now: TEST_EPOCH },
    )
  ).ticketId;
  await store.assignTicket({
    ticketId,
    assignee: { id: agent1.id, username: agent1.username, displayName: agent1.displayName },
    reason: { code: 'assigned_by_lead', byName: lead.displayName },
    now: TEST_EPOCH + 1,
  });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('offline mutations on the server', () => {
  it('sets priority with a recomputed SLA, last writer wins, and the same value twice is a no-op', async () => {
    const first = await store.applyMutation(
      agent1,
      'c1',
      { mutationId: 'p-1', kind: 'setPriority', ticketId, priority: 'urgent', createdAt: TEST_EPOCH + 10 },
      TEST_EPOCH + 20,
    );
    expect(first).toMatchObject({ ok: true });
    expect(await store.getTicket(ticketId)).toMatchObject({ priority: 'urgent', dueAt: dueAtFor(TEST_EPOCH, 'urgent') });
    // The lead's later change wins even though the agent's was written earlier.
    await store.applyMutation(lead, 'c2', { mutationId: 'p-2', kind: 'setPriority', ticketId, priority: 'low', createdAt: TEST_EPOCH + 5 }, TEST_EPOCH + 30);
    expect(await store.getTicket(ticketId)).toMatchObject({ priority: 'low', dueAt: dueAtFor(TEST_EPOCH, 'low') });
    const seqBefore = (await store.changeLogBounds()).maxSeq;
    expect(
      await store.applyMutation(lead, 'c2', { mutationId: 'p-3', kind: 'setPriority', ticketId, priority: 'low', createdAt: TEST_EPOCH + 40 }, TEST_EPOCH + 40),
    ).toMatchObject({ ok: true });
    expect((await store.changeLogBounds()).maxSeq).toBe(seqBefore);
  });

  it('sets and clears a follow-up reminder for the assignee, and refuses it to a queue agent', async () => {
    const at = TEST_EPOCH + 24 * HOUR;
    expect(
      await store.applyMutation(agent1, 'c1', { mutationId: 'f-1', kind: 'setFollowUp', ticketId, followUpAt: at, createdAt: TEST_EPOCH + 2 }, TEST_EPOCH + 2),
    ).toMatchObject({ ok: true });
    expect((await store.getTicket(ticketId))!.followUpAt).toBe(at);
    expect((await store.getTicketBundle(ticketId))!.ticket.followUpAt).toBe(at);
    await store.applyMutation(agent1, 'c1', { mutationId: 'f-2', kind: 'setFollowUp', ticketId, followUpAt: null, createdAt: TEST_EPOCH + 3 }, TEST_EPOCH + 3);
    expect((await store.getTicket(ticketId))!.followUpAt).toBeNull();

    const queued = (
      await store.ingestInbound({ channel: 'chat', customer: { name: '陈晓明', phone: '13900139000' }, text: '发票抬头修改' }, { now: TEST_EPOCH + 4 })
    ).ticketId;
    const refused = await store.applyMutation(
      agent2,
      'c3',
      { mutationId: 'f-3', kind: 'setFollowUp', ticketId: queued, followUpAt: at, createdAt: TEST_EPOCH + 5 },
      TEST_EPOCH + 5,
    );
    expect(refused).toMatchObject({ ok: false, code: 'forbidden', ticket: { id: queued, followUpAt: null } });
  });

  it('refuses a former owner’s status change after a reassignment, naming the new assignee, but keeps their note', async () => {
    const writtenOffline = TEST_EPOCH + 100;
    await store.assignTicket({
      ticketId,
      assignee: { id: agent2.id, username: agent2.username, displayName: agent2.displayName },
      reason: { code: 'assigned_by_lead', byName: lead.displayName },
      now: TEST_EPOCH + 200,
    });
    const status = await store.applyMutation(
      agent1,
      'c1',
      { mutationId: 's-1', kind: 'setStatus', ticketId, status: 'awaiting_customer', createdAt: writtenOffline },
      TEST_EPOCH + 300,
    );
    expect(status).toEqual({
      mutationId: 's-1',
      ok: false,
      code: 'forbidden',
      reason: `${ticketId} was reassigned to 张强 while you were offline; your change was not applied`,
      refusal: { code: 'reassigned', ticketId, channel: 'chat', assigneeName: '张强', meanwhile: true },
      ticket: null,
    });
    expect((await store.getTicket(ticketId))!.status).toBe('in_progress');

    const note = await store.applyMutation(
      agent1,
      'c1',
      { mutationId: 'n-1', kind: 'note', ticketId, noteId: 'note-1', text: '客户说下午方便接电话', createdAt: writtenOffline },
      TEST_EPOCH + 300,
    );
    expect(note).toMatchObject({ ok: true });
    expect((await store.getTicketBundle(ticketId))!.notes.map((n) => n.text)).toEqual(['客户说下午方便接电话']);

    // Someone who never had the ticket learns nothing about it.
    const hidden = await store.applyMutation(
      outsider,
      'c4',
      { mutationId: 'n-2', kind: 'note', ticketId, noteId: 'note-2', text: '偷看', createdAt: TEST_EPOCH + 300 },
      TEST_EPOCH + 300,
    );
    expect(hidden).toMatchObject({ ok: false, code: 'not_found', ticket: null });
    expect(!hidden.ok && hidden.reason).not.toContain('张强');
  });

  it('explains a refused transition on a ticket closed in the meantime, and repeats the refusal with today’s ticket', async () => {
    await store.applyMutation(
      lead,
      'c2',
      { mutationId: 'close', kind: 'setStatus', ticketId, status: 'closed', createdAt: TEST_EPOCH + 200 },
      TEST_EPOCH + 200,
    );
    const mutation = { mutationId: 's-2', kind: 'setStatus', ticketId, status: 'awaiting_customer', createdAt: TEST_EPOCH + 100 } as const;
    const refused = await store.applyMutation(agent1, 'c1', mutation, TEST_EPOCH + 300);
    expect(refused).toMatchObject({ ok: false, code: 'invalid_transition', ticket: { status: 'closed' } });
    expect(!refused.ok && refused.reason).toMatch(/closed.*awaiting_customer.*while you were offline/);
    expect(await store.applyMutation(agent1, 'c1', mutation, TEST_EPOCH + 400)).toEqual(refused);
  });
});
