/**
 * Issue 12: an agent's search reaches the queued tickets they could take. The workstation
 * caches only what the agent holds or is offered, so the inbox search cannot find a queued
 * ticket; `queue.list` with a `query` asks the server, and offline says it needs the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('searching the queue from the workstation', () => {
  let root: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-queue-search-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('finds a queued ticket by two Chinese characters of a message the cache does not hold, opens it, and offline says it needs the server', async () => {
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server!.url });
    const active = core;
    await call(active, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(active, 'online', onlineAndIdle(active));
    // Busy: routing offers agent1 nothing, so the contact waits in the queue, outside their cache.
    await call(active, 'presence.set', { presence: 'busy' });
    const { ticketId } = await server!.store.ingestInbound(
      { channel: 'chat', customer: { name: '鲁智深', phone: '13755550123' }, text: '你好', proven: ['phone'] },
      { now: Date.now() },
    );
    await server!.store.ingestInbound(
      { channel: 'chat', customer: { name: '鲁智深', phone: '13755550123' }, text: '我买的鲸鱼玩具坏了', proven: ['phone'] },
      { now: Date.now() },
    );
    expect(await server!.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, routing: { offer: null } });

    expect((await call(active, 'inbox.list', { channel: null, status: 'open', query: '鲸鱼' })).rows).toEqual([]);
    const found = await call(active, 'queue.list', { limit: 50, query: '鲸鱼' });
    expect(found.rows.map((row) => [row.ticket.id, row.customerName, row.excerpt])).toEqual([[ticketId, '鲁智深', '我买的鲸鱼玩具坏了']]);
    expect(found.rows[0]!.ticket.subject).not.toContain('鲸鱼');
    expect((await call(active, 'queue.list', { limit: 50, query: '鲸鱼 发票' })).rows).toEqual([]);

    const opened = await call(active, 'ticket.fetch', { ticketId });
    expect(opened.messages.map((message) => message.text)).toContain('我买的鲸鱼玩具坏了');

    await server!.close();
    server = null;
    await waitUntil(active, 'the core notices the server is gone', async () => (await connectionOf(active)).status === 'offline');
    expect(await active.invoke('queue.list', { limit: 50, query: '鲸鱼' })).toMatchObject({ ok: false, error: { code: 'offline' } });
  });
});
