/**
 * The cache's WAL is copied into its database between the agent's calls, not inside them:
 * SQLite's own auto-checkpoint runs in whichever commit crosses 1,000 pages, so one note in
 * ~150 paid the copy and two more fsyncs. Calls here are separate turns of the event loop, as
 * each RPC message is in the app.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('the cache WAL between calls', () => {
  let root: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-wal-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('copies the WAL after a call has answered, so no note copies it inside its own call', async () => {
    const dataDir = path.join(root, 'agent1');
    core = await createWorkstationCore({ dataDir, serverUrl: `http://127.0.0.1:${String(server!.port)}` });
    const { user } = await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const ticketId = (await call(core, 'inbox.list', { channel: null, status: 'in_progress', query: '' })).rows[0]!.id;
    await server!.close();
    server = null;
    const active = core;
    await waitUntil(core, 'offline', async () => (await connectionOf(active)).status === 'offline');

    const databaseFile = userCacheFile(dataDir, user!.id);
    const written = () => statSync(databaseFile, { bigint: true }).mtimeNs;
    let insideCalls = 0;
    let betweenCalls = 0;
    // ~6 WAL pages a note: 400 notes cross SQLite's 1,000-page threshold twice.
    for (let i = 0; i < 400; i++) {
      const before = written();
      await call(core, 'ticket.addNote', { ticketId, text: `检查点测试备注 ${String(i)}` });
      const answered = written();
      if (answered !== before) insideCalls += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (written() !== answered) betweenCalls += 1;
    }
    expect({ insideCalls, copiedBetweenCalls: betweenCalls > 0 }).toEqual({ insideCalls: 0, copiedBetweenCalls: true });
    expect((await connectionOf(core)).pendingCount).toBe(400);
  });
});
