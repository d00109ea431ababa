/**
 * The ticket's own fields and a transfer made while the server is down: the core applies them
 * at once from its cache (the same rules as the server), keeps them in the outbox, and the
 * server applies each exactly once when it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('ticket fields and transfer made offline', () => {
  let root: string;
  let serverDir: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-fields-offline-'));
    serverDir = path.join(root, 'server');
    server = await startServer({ port: 0, dataDir: serverDir, demo: true, log: () => {} });
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('applies type, tags, result, completion and a transfer to a group once after reconnecting', async () => {
    const port = server!.port;
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: `http://127.0.0.1:${String(port)}` });
    const active = core;
    await call(active, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(active, 'online', onlineAndIdle(active));
    const held = (await call(active, 'inbox.list', { channel: null, status: 'open', query: '' })).rows.filter((row) => row.assigneeId === 'agent1');
    expect(held.length).toBeGreaterThanOrEqual(2);
    const [done, passed] = [held[0]!.id, held[1]!.id];

    await server!.close();
    server = null;
    await waitUntil(active, 'the core notices the server is gone', async () => (await connectionOf(active)).status === 'offline');

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

    const restarted = await startServer({ port, dataDir: serverDir, demo: true, log: () => {} });
    server = restarted;
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
