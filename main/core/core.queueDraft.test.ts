/**
 * A reply drafted offline on a queued ticket the agent opened from the queue view (review-7).
 * A fetched ticket is dropped after each catch-up unless unsent work names it; a draft is
 * unsent work like an outbox row (the agent's words, waiting for their confirmation), so the
 * ticket and its draft must still be there once the server is back, and the draft sent once.
 * Before, the catch-up dropped the ticket: the draft was shown nowhere and `draft.send` said
 * `not_found`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('a reply drafted offline on a ticket opened from the queue', () => {
  let root: string;
  let serverDir: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-queue-draft-'));
    serverDir = path.join(root, 'server');
    server = await startServer({ port: 0, dataDir: serverDir, demo: true, log: () => {} });
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the ticket and its draft through the catch-up, and the confirmed draft reaches the customer once', async () => {
    const port = server!.port;
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server!.url });
    const active = core;
    await call(active, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(active, 'online', onlineAndIdle(active));
    // Busy: routing offers agent1 nothing, so the contact waits in the queue, outside their cache.
    await call(active, 'presence.set', { presence: 'busy' });
    const { ticketId } = await server!.store.ingestInbound(
      { channel: 'chat', customer: { name: '武松', phone: '13755550177', email: 'wusong@example.cn' }, text: '发票什么时候开？', proven: ['phone'] },
      { now: Date.now() },
    );
    await call(active, 'ticket.fetch', { ticketId });

    await server!.close();
    server = null;
    await waitUntil(active, 'the core notices the server is gone', async () => (await connectionOf(active)).status === 'offline');
    const written = await call(active, 'ticket.reply', { ticketId, text: '您好，发票三个工作日内开出。' });
    expect(written.kind).toBe('draft');

    server = await startServer({ port, dataDir: serverDir, demo: true, log: () => {} });
    await waitUntil(active, 'online again', onlineAndIdle(active));

    // The catch-up kept the ticket: the pane still shows it with the draft waiting for confirmation.
    const detail = await call(active, 'ticket.get', { ticketId });
    expect(detail.drafts.map((draft) => draft.text)).toEqual(['您好，发票三个工作日内开出。']);
    // So does a queue listing, which drops the fetched tickets it does not show unchanged.
    await call(active, 'queue.list', { limit: 50 });
    expect((await call(active, 'ticket.get', { ticketId })).drafts).toHaveLength(1);

    const draftId = detail.drafts[0]!.id;
    await call(active, 'draft.send', { draftId });
    await waitUntil(active, 'the reply is acknowledged', onlineAndIdle(active));
    const onServer = (await server.store.getTicketBundle(ticketId))!;
    expect(onServer.messages.filter((message) => message.text === '您好，发票三个工作日内开出。')).toHaveLength(1);
    expect(onServer.ticket).toMatchObject({ assigneeId: 'agent1' });
  });
});
