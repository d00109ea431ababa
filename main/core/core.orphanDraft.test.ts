/**
 * A reply drafted offline on a ticket the lead gives to someone else meanwhile, with the real
 * server and the real SQLite cache: once back online the ticket leaves the agent's view, but the
 * draft must not stay behind in the cache for good, shown nowhere. The ticket stays (as the
 * server has it now) with its draft until the agent copies or discards it; then it goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import type { WorkstationCore } from './api.js';
import { openCache } from './cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('a reply drafted offline on a ticket that went to a colleague', () => {
  let root: string;
  let dataDir: string;
  let serverDir: string;
  let port: number;
  let server: RunningServer | null;
  let core: WorkstationCore | null = null;
  let ticketId: string;

  async function stopServer(): Promise<void> {
    await server?.close();
    server = null;
  }

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-orphan-draft-'));
    dataDir = path.join(root, 'workstation');
    serverDir = path.join(root, 'server');
    server = await startServer({ port: 0, dataDir: serverDir, log: () => {} });
    port = server.port;
    await seedTestOrganisation(server.store, [
      { username: 'agent1', displayName: '王芳', channels: ['email'] },
      { username: 'agent2', displayName: '张强', channels: ['email'] },
    ]);
    ({ ticketId } = await server.store.ingestInbound(
      { channel: 'email', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, subject: '退款进度', text: '退款什么时候到账？' },
      { now: Date.now() },
    ));
    await server.store.assignTicket({
      ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
  });

  afterEach(async () => {
    await core?.close();
    core = null;
    await stopServer();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the ticket with its draft in view until the draft is discarded, then drops both', async () => {
    core = await createWorkstationCore({ dataDir, serverUrl: `http://127.0.0.1:${String(port)}`, reconnectDelayMs: 20, reconnectDelayMaxMs: 200 });
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core!)).status === 'offline');

    const text = '您好，退款已经提交，预计三个工作日内原路退回。';
    const replied = await call(core, 'ticket.reply', { ticketId, text });
    if (replied.kind !== 'draft') throw new Error('offline, a reply is a draft');

    // Meanwhile the lead gives the ticket to 张强; the workstation hears it when it is back.
    server = await startServer({ port, dataDir: serverDir, log: () => {} });
    await server.store.assignTicket({
      ticketId,
      assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    await waitUntil(core, 'online again', onlineAndIdle(core));
    await waitUntil(core, 'the reassignment is heard', async () => {
      const shown = await core!.invoke('ticket.get', { ticketId });
      return !shown.ok || (shown.result as { ticket: { assigneeId: string | null } }).ticket.assigneeId === 'agent2';
    });

    // The draft is still where the agent can see it, on the ticket as it is now.
    const detail = await call(core, 'ticket.get', { ticketId });
    expect(detail.ticket.assigneeId).toBe('agent2');
    expect(detail.drafts.map((draft) => [draft.id, draft.text])).toEqual([[replied.draft.id, text]]);
    // It cannot be sent any more: refused, and still there to copy.
    expect((await core.invoke('draft.send', { draftId: replied.draft.id })).ok).toBe(false);
    expect((await call(core, 'ticket.get', { ticketId })).drafts).toHaveLength(1);

    // Discarded, the ticket goes with the next catch-up, and nothing of the draft is left in the file.
    await call(core, 'draft.discard', { draftId: replied.draft.id });
    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core!)).status === 'offline');
    server = await startServer({ port, dataDir: serverDir, log: () => {} });
    await waitUntil(core, 'online after discarding', onlineAndIdle(core));
    expect((await core.invoke('ticket.get', { ticketId })).ok).toBe(false);
    await core.close();
    core = null;
    const cache = openCache(userCacheFile(dataDir, 'agent1'), await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD));
    try {
      expect(cache.reader.draft(replied.draft.id)).toBeNull();
      expect(cache.reader.ticket(ticketId)).toBeNull();
    } finally {
      cache.close();
    }
  });
});
