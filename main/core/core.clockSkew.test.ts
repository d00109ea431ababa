/**
 * A workstation whose clock runs ahead of the server's (review-7, "clock skew"). The core dates
 * its optimistic writes with its own clock; the server's copies carry the server's. A queued
 * ticket the agent opened from the queue view and classified (allowed without taking it) must
 * still show what the customer wrote afterwards when the agent opens it again: before, the
 * cached row's local time looked newer than the server's copy, which was thrown away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

/** Ten minutes ahead: a workstation whose clock is not synchronised. */
const SKEW_MS = 10 * 60_000;

describe('a workstation clock ahead of the server', () => {
  let root: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-clock-skew-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('shows the server copy of a queued ticket opened again after classifying it, with the message the customer wrote since', async () => {
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server!.url, now: () => Date.now() + SKEW_MS });
    const active = core;
    await call(active, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(active, 'online', onlineAndIdle(active));
    // Busy: routing offers agent1 nothing, so the contact waits in the queue, outside their cache.
    await call(active, 'presence.set', { presence: 'busy' });
    const customer = { name: '林冲', phone: '13755550188' };
    const { ticketId } = await server!.store.ingestInbound({ channel: 'chat', customer, text: '洗衣机不脱水', proven: ['phone'] }, { now: Date.now() });

    await call(active, 'ticket.fetch', { ticketId });
    // Classifying a queued ticket does not take it (any agent of its channel may): it stays a fetched ticket.
    expect(await call(active, 'ticket.setFields', { ticketId, tags: ['脱水'] })).toMatchObject({ assigneeId: null, tags: ['脱水'] });
    await waitUntil(active, 'the tags are acknowledged', onlineAndIdle(active));
    expect(await server!.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, tags: ['脱水'] });

    // The customer writes again, on the same ticket.
    const again = await server!.store.ingestInbound({ channel: 'chat', customer, text: '型号是 XQG100', proven: ['phone'] }, { now: Date.now() });
    expect(again.ticketId).toBe(ticketId);

    const reopened = await call(active, 'ticket.fetch', { ticketId });
    expect(reopened.messages.map((message) => message.text)).toEqual(['洗衣机不脱水', '型号是 XQG100']);
    expect(reopened.ticket.tags).toEqual(['脱水']);
    expect((await call(active, 'ticket.get', { ticketId })).messages).toHaveLength(2);
  });
});
