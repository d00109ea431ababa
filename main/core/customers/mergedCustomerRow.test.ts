/**
 * A merge on the server reaches each workstation's cache as the kept customer followed by every
 * moved ticket (now naming the kept one). Through the real server and real cores: the cached
 * tickets follow, and the merged customer's row leaves the cache with its last ticket. Before,
 * the row stayed for good: the masked contact details of a customer who no longer exists.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { WorkstationCore } from '../api.js';
import { applyCacheKey } from '../cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from '../index.js';
import { call, onlineAndIdle, waitUntil } from '../testing/coreCalls.js';

let root: string;
let server: RunningServer;
const cores: WorkstationCore[] = [];

async function signedIn(username: string): Promise<WorkstationCore> {
  const core = await createWorkstationCore({ dataDir: path.join(root, username), serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  cores.push(core);
  await call(core, 'session.signIn', { username, password: 'demo' });
  await waitUntil(core, `${username} is online`, onlineAndIdle(core));
  return core;
}

/** The customer rows of a user's cache file as they are on disk, read through its key. */
async function cachedCustomerIds(username: string): Promise<string[]> {
  const key = await unlockCacheKey(path.join(root, username), username, 'demo');
  if (!key) throw new Error(`${username}'s password must open their cache key`);
  const db = new Database(userCacheFile(path.join(root, username), username), { readonly: true });
  try {
    applyCacheKey(db, key);
    return db
      .prepare<[], { id: string }>('SELECT id FROM customers ORDER BY id')
      .all()
      .map((row) => row.id);
  } finally {
    db.close();
  }
}

async function heldBy(username: string, contact: Parameters<RunningServer['store']['ingestInbound']>[0]): Promise<{ ticketId: string; customerId: string }> {
  const { ticketId } = await server.store.ingestInbound(contact, { now: Date.now() });
  const user = (await server.store.getUser(username))!;
  await server.store.assignTicket({
    ticketId,
    assignee: { id: user.id, username: user.username, displayName: user.displayName },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: Date.now(),
  });
  return { ticketId, customerId: (await server.store.getTicket(ticketId))!.customerId };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'core-merged-row-'));
  server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  await server.routing.setPresence('agent1', 'away', 'lead', '李主管');
});

afterAll(async () => {
  await Promise.all(cores.map((core) => core.close()));
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a customer merged on the server, in the workstation cache', () => {
  it('points the cached tickets at the kept customer and drops the merged one’s row', async () => {
    const phone = await heldBy('agent1', {
      channel: 'phone',
      customer: { name: '周敏', phone: '13912340001' },
      text: '来电：发票抬头要改',
      source: 'cti',
      proven: ['phone'],
    });
    const email = await heldBy('agent1', {
      channel: 'email',
      customer: { name: '周敏', email: 'zhou.min@example.cn' },
      subject: '发票抬头',
      text: '抬头写错了',
      source: 'email',
      proven: ['email'],
    });
    expect(email.customerId).not.toBe(phone.customerId);
    const agent1 = await signedIn('agent1');
    const lead = await signedIn('lead1');
    expect(await cachedCustomerIds('agent1')).toEqual(expect.arrayContaining([phone.customerId, email.customerId]));

    // The lead merges the email customer into the phone one; agent1's core hears it through the change log.
    await call(lead, 'customer.merge', { keepId: phone.customerId, mergeId: email.customerId });
    await waitUntil(agent1, 'agent1’s email ticket names the kept customer', async () => {
      const detail = await call(agent1, 'ticket.get', { ticketId: email.ticketId });
      return detail.customer.id === phone.customerId;
    });
    await waitUntil(agent1, 'idle', onlineAndIdle(agent1));

    const rows = await cachedCustomerIds('agent1');
    expect(rows).toContain(phone.customerId);
    expect(rows).not.toContain(email.customerId);
    // The lead's cache, which held both, follows the same way.
    await waitUntil(lead, 'the lead’s email ticket names the kept customer', async () => {
      const detail = await call(lead, 'ticket.get', { ticketId: email.ticketId });
      return detail.customer.id === phone.customerId;
    });
    expect(await cachedCustomerIds('lead1')).not.toContain(email.customerId);
  });
});
