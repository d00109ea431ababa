/**
 * One change a workstation cannot read must never stop it syncing (issue 9, item 12): a
 * stored contact dated 0001-01-01 once made every workstation that could see it stop at
 * "pull answer is not readable" and receive nothing new. Here such a change is written
 * straight into the REAL server's change log (as an older server stored it); the REAL core
 * skips it, lists it as needing attention, and goes on with the next change, live and on a
 * later bootstrap.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, seedTestOrganisation } from '../../server/testHarness.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

/** Year 1 in epoch ms: what `receivedAt: "0001-01-01T00:00:00Z"` used to become. */
const YEAR_ONE = Date.parse('0001-01-01T00:00:00Z');

async function postInbound(server: RunningServer, body: unknown): Promise<{ ticketId: string }> {
  const response = await fetch(`${server.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_INTEGRATION_TOKEN}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { ticketId: string };
}

describe('a change the workstation cannot read', () => {
  let root: string;
  let server: RunningServer;
  let core: WorkstationCore;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-unreadable-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), log: () => {} });
    await seedTestOrganisation(server.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
    core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'agent1 is online', onlineAndIdle(core));
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is skipped and listed as needing attention, and the next change still arrives', async () => {
    const first = await postInbound(server, { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '订单三天没物流' });
    await waitUntil(core, 'the first contact arrives', async () => (await core.invoke('ticket.get', { ticketId: first.ticketId })).ok);

    // What an older server logged: the ticket's bundle with a message dated year 1.
    const bundle = (await server.store.getTicketBundle(first.ticketId))!;
    const bad = { kind: 'bundle', bundle: { ...bundle, messages: bundle.messages.map((m) => ({ ...m, createdAt: YEAR_ONE })) } };
    const db = new Database(path.join(root, 'server', 'server.sqlite'));
    const badSeq = db.transaction(() => {
      const { last_seq: seq } = db.prepare('UPDATE change_log_state SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq').get() as { last_seq: number };
      db.prepare('INSERT INTO changes (seq, kind, body, created_at) VALUES (?, ?, ?, ?)').run(seq, 'bundle', JSON.stringify(bad), Date.now());
      // For agent1: an agent is sent what they hold or are offered (the contact was routed to them).
      db.prepare('INSERT INTO change_audience (seq, principal) VALUES (?, ?)').run(seq, 'agent:agent1');
      return seq;
    })();
    db.close();

    // The workstation comes back (a dropped link, a restart) and pulls from where it was: the bad change is in that answer.
    server.disconnectClients();
    await waitUntil(core, 'the core is back online after the drop', async () => (await connectionOf(core)).status !== 'online');
    await waitUntil(core, 'the core pulled past the unreadable change', async () => (await connectionOf(core)).status === 'online');
    const second = await postInbound(server, { channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '退款什么时候到账' });
    await waitUntil(core, 'the change after the unreadable one arrives', async () => (await core.invoke('ticket.get', { ticketId: second.ticketId })).ok);

    const { items } = await call(core, 'attention.list', {});
    expect(items).toEqual([
      expect.objectContaining({
        ticketId: first.ticketId,
        kind: 'change',
        code: 'unreadable_change',
        changeSeq: badSeq,
        refusal: null,
        reason: expect.stringMatching(/createdAt/) as string,
      }),
    ]);
    const state = await connectionOf(core);
    expect(state).toMatchObject({ status: 'online', attentionCount: 1 });
    // The ticket the bad change was about is still there as it was last read.
    expect((await call(core, 'ticket.get', { ticketId: first.ticketId })).messages.map((m) => m.text)).toEqual(['订单三天没物流']);

    // And later changes keep coming.
    const note = await call(core, 'ticket.addNote', { ticketId: second.ticketId, text: '已查询退款单' });
    await waitUntil(core, 'the note is acknowledged', onlineAndIdle(core));
    expect((await server.store.getTicketBundle(second.ticketId))!.notes.map((n) => n.id)).toEqual([note.id]);
  });
});
