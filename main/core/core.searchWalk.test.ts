/**
 * The core builds the search indexes after a bootstrap (cache migration 023) on its own: a
 * lead over 2,500 more tickets than the demo is online first, the header's progress
 * (`ConnectionState.searchIndex`) moves and goes, search answers throughout, and the cache
 * file ends with search live.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstContact } from '../../bench/sampleContacts.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { CHANNELS } from '../../shared/domain.js';
import type { ConnectionState } from '../../shared/rpc.js';
import type { WorkstationCore } from './api.js';
import { applyCacheKey } from './cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from './index.js';
import { call, waitUntil } from './testing/coreCalls.js';

const EXTRA_TICKETS = 2_500;

describe('the search walk in the core', () => {
  let root: string;
  let server: RunningServer;
  let lead: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-search-walk-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    await server.store.withTransaction(async () => {
      for (let index = 0; index < EXTRA_TICKETS; index++) {
        const channel = CHANNELS[index % CHANNELS.length]!;
        await server.store.ingestInbound({ ...firstContact(index, channel), proven: ['phone', 'email', 'socialId'] }, { now: Date.now() - 60_000 });
      }
    });
  }, 120_000);

  afterAll(async () => {
    await lead?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is online before the indexes are built, shows their progress, searches meanwhile, and ends with search live', async () => {
    const dataDir = path.join(root, 'lead1');
    lead = await createWorkstationCore({ dataDir, serverUrl: server.url });
    const connections: ConnectionState[] = [];
    lead.onEvent((event, payload) => {
      if (event === 'connection') connections.push(payload as ConnectionState);
    });
    const session = await call(lead, 'session.signIn', { username: 'lead1', password: 'demo' });
    const core = lead;
    await waitUntil(
      core,
      'the lead is online and the search indexes are built',
      () => {
        const last = connections.at(-1);
        return last?.status === 'online' && last.searchIndex === null && connections.some((c) => c.searchIndex !== null);
      },
      60_000,
    );
    const progress = connections.filter((c) => c.searchIndex !== null).map((c) => c.searchIndex!);
    // Online came first; the walk then reported how far it was, never past the whole.
    expect(connections.findIndex((c) => c.status === 'online')).toBeLessThan(connections.findIndex((c) => c.searchIndex !== null));
    for (const { done, total } of progress) {
      expect(total).toBeGreaterThan(EXTRA_TICKETS);
      expect(done).toBeLessThanOrEqual(total);
    }
    const list = await call(core, 'inbox.list', { channel: null, status: null, query: '发票' });
    expect(list.rows.length).toBeGreaterThan(0);
    await core.close();
    lead = null;

    const key = await unlockCacheKey(dataDir, session.user!.id, 'demo');
    const db = new Database(userCacheFile(dataDir, session.user!.id), { readonly: true });
    try {
      applyCacheKey(db, key!);
      expect(db.prepare('SELECT search_live FROM sync_state').pluck().get()).toBe(1);
      expect(db.prepare('SELECT count(*) FROM ticket_fts').pluck().get()).toBe(db.prepare('SELECT count(*) FROM tickets').pluck().get());
    } finally {
      db.close();
    }
  });
});
