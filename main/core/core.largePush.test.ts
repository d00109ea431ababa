/**
 * The largest outbox a workstation pushes (MAX_PUSH_BATCH notes of MAX_TEXT_LENGTH characters,
 * ~12 MB) reaches the real server, whose connections start at a 64 KiB frame limit until they
 * sign in and then take frames of at most MAX_PUSH_FRAME_BYTES (1 MiB, server/frameLimits.ts):
 * the core cuts it into pushes that fit (shared/sync.ts pushBatchLength). Sent in one 12 MB
 * push, as before protocol 3, the server would close the connection at every attempt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { MAX_TEXT_LENGTH } from '../../shared/domain.js';
import { MAX_PUSH_BATCH } from '../../shared/sync.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('workstation core pushing its largest batch', () => {
  let root: string;
  let serverDir: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-large-push-'));
    serverDir = path.join(root, 'server');
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(`sends ${String(MAX_PUSH_BATCH)} notes of ${String(MAX_TEXT_LENGTH)} characters written offline, in pushes that fit the frame, once the server is back`, async () => {
    server = await startServer({ port: 0, dataDir: serverDir, demo: true, log: () => {} });
    const { port } = server;
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const ticketId = (await call(core, 'inbox.list', { channel: null, status: 'in_progress', query: '' })).rows[0]!.id;

    await server.close();
    server = null;
    const active = core;
    await waitUntil(core, 'offline', async () => (await connectionOf(active)).status === 'offline');
    const notes: string[] = [];
    for (let i = 0; i < MAX_PUSH_BATCH; i++)
      notes.push((await call(core, 'ticket.addNote', { ticketId, text: `${String(i)}:${'长'.repeat(MAX_TEXT_LENGTH - 4)}` })).id);
    expect((await connectionOf(core)).pendingCount).toBe(MAX_PUSH_BATCH);

    server = await startServer({ port, dataDir: serverDir, demo: true, log: () => {} });
    await waitUntil(core, 'every note acknowledged', onlineAndIdle(core), 60_000);
    const onServer = (await server.store.getTicketBundle(ticketId))!.notes.map((note) => note.id);
    expect(notes.every((id) => onServer.includes(id))).toBe(true);
  }, 120_000);
});
