/**
 * What a local write (a note, a status change) does before it answers and what it leaves
 * for after (issue 12 Speed): it answers once its rows and its outbox row are committed
 * (durable: the files as they are at the answer hold them), and the connection state's
 * counts and the push come after the answer, once per burst, while a state read right after
 * the call already counts the write.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { ConnectionState } from '../../shared/rpc.js';
import type { WorkstationCore } from './api.js';
import { openCache } from './cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('a local write answers after its commit and before its follow-up work', () => {
  let root: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;
  let coreDir: string;
  let userId: string;
  let ticketId: string;
  let url: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-local-write-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    url = `http://127.0.0.1:${String(server.port)}`;
    coreDir = path.join(root, 'agent1');
    core = await createWorkstationCore({ dataDir: coreDir, serverUrl: url });
    userId = (await call(core, 'session.signIn', { username: 'agent1', password: 'demo' })).user!.id;
    await waitUntil(core, 'online', onlineAndIdle(core));
    ticketId = (await call(core, 'inbox.list', { channel: null, status: 'in_progress', query: '' })).rows[0]!.id;
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('offline: the note and its outbox row are on disk when the call answers; the connection update follows it, and a state read right after counts the note', async () => {
    const active = core!;
    await server!.close();
    server = null;
    await waitUntil(active, 'offline', async () => (await connectionOf(active)).status === 'offline');
    const before = (await connectionOf(active)).pendingCount;

    const updates: ConnectionState[] = [];
    const off = active.onEvent((event, payload) => {
      if (event === 'connection') updates.push(payload as ConnectionState);
    });
    try {
      const text = '离线备注：客户要求明天上午回电';
      const note = await call(active, 'ticket.addNote', { ticketId, text });
      // Nothing of the event loop ran since the answer: what is on disk now is what the call promised.
      const file = userCacheFile(coreDir, userId);
      const copy = path.join(root, 'at-the-answer.sqlite');
      copyFileSync(file, copy);
      copyFileSync(`${file}-wal`, `${copy}-wal`);
      // The counts are not part of the answer: no connection update went out inside the call.
      expect(updates).toEqual([]);

      const key = (await unlockCacheKey(coreDir, userId, 'demo'))!;
      const reopened = openCache(copy, key);
      try {
        expect(reopened.reader.note(note.id)?.ticketId).toBe(ticketId);
        expect(reopened.reader.outbox(1_000).filter((entry) => entry.mutation.mutationId === note.id)).toHaveLength(1);
      } finally {
        reopened.close();
      }

      // Read right after the call, the state already counts the note (and says so to listeners once).
      expect((await connectionOf(active)).pendingCount).toBe(before + 1);
      expect(updates.map((update) => update.pendingCount)).toEqual([before + 1]);

      // A burst of writes: each answers, the state is brought up to date after them.
      updates.length = 0;
      await call(active, 'ticket.setStatus', { ticketId, status: 'awaiting_customer' });
      await call(active, 'ticket.addNote', { ticketId, text: '第二条' });
      expect(updates).toEqual([]);
      await waitUntil(active, 'the connection update after the burst', () => updates.some((update) => update.pendingCount === before + 3));
    } finally {
      off();
    }
  });

  it('online again: the notes written offline and one written online reach the server once each, the push coming after the answer', async () => {
    const active = core!;
    server = await startServer({ port: Number(new URL(url).port), dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    await waitUntil(active, 'online and idle', onlineAndIdle(active));
    const text = '在线备注：已回电';
    const note = await call(active, 'ticket.addNote', { ticketId, text });
    expect(note.pending).toBe(true);
    // Nothing here asks the core for its state: the push after the answer goes out on its own.
    const running = server;
    await waitUntil(active, 'the server holds the note', async () => (await running.store.getTicketBundle(ticketId))!.notes.some((n) => n.text === text));
    await waitUntil(active, 'the note is acknowledged', onlineAndIdle(active));
    const notes = (await server.store.getTicketBundle(ticketId))!.notes;
    expect(notes.filter((n) => n.text === text)).toHaveLength(1);
    expect(notes.filter((n) => n.text === '离线备注：客户要求明天上午回电')).toHaveLength(1);
    expect(notes.filter((n) => n.text === '第二条')).toHaveLength(1);
    expect((await call(active, 'ticket.get', { ticketId })).ticket.status).toBe('awaiting_customer');
  });
});
