/**
 * Working through an outage with the real server and real caches: a lead's reassignment
 * and closing during the outage make the agent's changes come back refused, reverted and
 * listed with their reasons; signing in offline from the local verifier, then getting a
 * token and syncing when the server returns; and kill -9 of the core mid-write losing
 * nothing the agent was shown.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { openServerStore } from '../../server/store.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import type { RpcEvents } from '../../shared/rpc.js';
import { openCache } from './cache/cache.js';
import { unlockCacheKey, userCacheFile } from './index.js';
import { SETTINGS_FILE } from './settings.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AGENT1 = { username: 'agent1', displayName: '王芳' };

describe('the core through an outage', () => {
  const fixture = seededServerFixture('outage', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  const { newCore, stopServer, restartServer } = fixture;
  let ticketA: string;
  let ticketB: string;

  beforeEach(async () => {
    const { store } = fixture.server();
    await seedTestOrganisation(store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { ...AGENT1, channels: ['chat'] },
      { username: 'agent2', displayName: '张强', channels: ['chat'] },
    ]);
    const open = async (name: string, phone: string, subject: string) => {
      // With an address a reply has a way to the customer (the ticket rules refuse one with none, drafts included).
      const email = `${phone}@example.cn`;
      const { ticketId } = await store.ingestInbound(
        { channel: 'chat', customer: { name, phone, email }, subject, text: `${subject}，麻烦尽快回复` },
        { now: Date.now() },
      );
      await assignByLead(store, ticketId, AGENT1);
      return ticketId;
    };
    ticketA = await open('张伟', '13800138000', '订单物流查询延迟');
    ticketB = await open('李娜', '13912340002', '退款进度咨询');
  });

  it('refuses, reverts and lists the changes a lead overtook during the outage, naming the new assignee', async () => {
    const core = await newCore();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const attention: Array<RpcEvents['attention']> = [];
    core.onEvent((event, payload) => {
      if (event === 'attention') attention.push(payload as RpcEvents['attention']);
    });

    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    const changed = await call(core, 'ticket.setStatus', { ticketId: ticketA, status: 'awaiting_customer' });
    expect(changed.status).toBe('awaiting_customer');
    const prioritised = await call(core, 'ticket.setPriority', { ticketId: ticketA, priority: 'urgent' });
    const note = await call(core, 'ticket.addNote', { ticketId: ticketA, text: '客户说下午三点后方便接电话' });
    const lastOffline = await call(core, 'ticket.setStatus', { ticketId: ticketB, status: 'awaiting_customer' });
    // The agent's changes are dated by its estimate of the server's clock, which may run up to half a round trip
    // ahead (a busy machine): the lead's changes below come after them by that reckoning too, as they do in time.
    const leadActsAt = Math.max(Date.now(), prioritised.updatedAt, note.createdAt, lastOffline.updatedAt) + 1;
    expect((await connectionOf(core)).pendingCount).toBe(4);
    expect((await call(core, 'ticket.get', { ticketId: ticketA })).ticket).toMatchObject({ status: 'awaiting_customer', priority: 'urgent' });

    // Meanwhile, with this agent still cut off, the lead reassigns one ticket and closes the other.
    const store = openServerStore({ filePath: path.join(fixture.serverDir(), 'server.sqlite') });
    const lead = (await store.getUser('lead1'))!;
    await assignByLead(store, ticketA, { username: 'agent2', displayName: '张强' }, leadActsAt);
    expect(
      await store.applyMutation(
        lead,
        'lead-console',
        { mutationId: 'lead-close-1', kind: 'setStatus', ticketId: ticketB, status: 'closed', createdAt: leadActsAt },
        leadActsAt,
      ),
    ).toMatchObject({ ok: true });
    await store.close();

    const restarted = await restartServer();
    await waitUntil(core, 'the outbox is settled', onlineAndIdle(core));

    const { items } = await call(core, 'attention.list', {});
    expect(items.map((i) => [i.ticketId, i.kind]).sort()).toEqual(
      [
        [ticketA, 'setPriority'],
        [ticketA, 'setStatus'],
        [ticketB, 'setStatus'],
      ].sort(),
    );
    const statusItem = items.find((i) => i.ticketId === ticketA && i.kind === 'setStatus')!;
    expect(statusItem.reason).toBe(`${ticketA} was reassigned to 张强 while you were offline; your change was not applied`);
    expect(items.find((i) => i.ticketId === ticketB)!.reason).toMatch(/closed.*awaiting_customer.*while you were offline/);
    expect(attention.map((a) => a.ticketId).sort()).toEqual([ticketA, ticketA, ticketB].sort());
    expect((await connectionOf(core)).attentionCount).toBe(3);

    // Reverted: the reassigned ticket left this agent's view; the closed one shows the server's status.
    expect(await core.invoke('ticket.get', { ticketId: ticketA })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await call(core, 'ticket.get', { ticketId: ticketB })).ticket.status).toBe('closed');
    const onServer = (await restarted.store.getTicketBundle(ticketA))!;
    expect(onServer.ticket).toMatchObject({ assigneeId: 'agent2', status: 'in_progress', priority: 'normal' });
    // Notes never conflict: the former owner's note reached the ticket, once.
    expect(onServer.notes.filter((n) => n.id === note.id)).toHaveLength(1);

    await call(core, 'attention.dismiss', { id: statusItem.id });
    expect((await call(core, 'attention.list', {})).items.map((i) => i.id)).not.toContain(statusItem.id);
    expect((await connectionOf(core)).attentionCount).toBe(2);
    expect(await core.invoke('attention.dismiss', { id: statusItem.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('signs in offline from the local verifier after a sign-out, then gets a token and syncs when the server returns', async () => {
    const dataDir = fixture.dataDir();
    const first = await newCore();
    await call(first, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(first, 'online', onlineAndIdle(first));
    await call(first, 'session.signOut', {});
    const afterSignOut = readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8');
    expect(afterSignOut).not.toContain(TEST_PASSWORD);
    expect(JSON.parse(afterSignOut)).toMatchObject({
      session: null,
      offlineVerifiers: [{ username: 'agent1', user: { id: 'agent1' }, verifier: expect.stringMatching(/^scrypt\$/) as string }],
    });

    await stopServer();
    expect(await first.invoke('session.signIn', { username: 'agent1', password: 'wrong-密码' })).toMatchObject({
      ok: false,
      error: { code: 'bad_credentials' },
    });
    // Nobody else ever signed in here online, so there is nothing to check their password against.
    expect(await first.invoke('session.signIn', { username: 'agent2', password: TEST_PASSWORD })).toMatchObject({
      ok: false,
      error: { code: 'server_unreachable' },
    });

    const session = await call(first, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect(session.user?.id).toBe('agent1');
    expect(session.connection).toMatchObject({ status: 'offline', offlineSession: true, lastError: { code: 'server_unreachable' } });
    expect((await call(first, 'inbox.list', { channel: null, status: null, query: '物流' })).rows.map((r) => r.id)).toEqual([ticketA]);
    const note = await call(first, 'ticket.addNote', { ticketId: ticketA, text: '离线登录后记录：客户地址已更正' });
    const followUpAt = Date.now() + 24 * 60 * 60 * 1000;
    expect((await call(first, 'ticket.setFollowUp', { ticketId: ticketA, followUpAt })).followUpAt).toBe(followUpAt);
    expect((await call(first, 'ticket.reply', { ticketId: ticketA, text: '您好，地址已为您更正' })).kind).toBe('draft');
    expect((await connectionOf(first)).pendingCount).toBe(2);

    const restarted = await restartServer();
    await waitUntil(first, 'a token is fetched and the outbox drains', async () => {
      const state = await connectionOf(first);
      return state.status === 'online' && state.pendingCount === 0 && !state.offlineSession;
    });
    const bundle = (await restarted.store.getTicketBundle(ticketA))!;
    expect(bundle.notes.filter((n) => n.id === note.id)).toHaveLength(1);
    expect(bundle.ticket.followUpAt).toBe(followUpAt);
    expect(bundle.messages.some((m) => m.text === '您好，地址已为您更正')).toBe(false);
    const stored = JSON.parse(readFileSync(path.join(dataDir, SETTINGS_FILE), 'utf8')) as { session: { token: string } | null };
    expect(stored.session?.token).toEqual(expect.any(String));

    // An app restart while the server is down resumes that stored session from the cache.
    await stopServer();
    await first.close();
    const second = await newCore();
    expect((await call(second, 'session.get', {})).user?.id).toBe('agent1');
    expect((await call(second, 'ticket.get', { ticketId: ticketA })).drafts).toHaveLength(1);
  });

  it('loses no acknowledged note when the core is killed with SIGKILL mid-write', { timeout: 60_000 }, async () => {
    const dataDir = fixture.dataDir();
    const setup = await newCore();
    await call(setup, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(setup, 'online', onlineAndIdle(setup));
    await setup.close();
    await stopServer();

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(HERE, 'testing', 'writeNotesUntilKilled.ts'), dataDir, `http://127.0.0.1:${String(fixture.port)}`, ticketA],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const printed: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killAfter = 40 + Math.floor(Math.random() * 60);
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line !== 'ready') printed.push(line);
      if (printed.length >= killAfter && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exited;
    expect(signal, stderr).toBe('SIGKILL');
    expect(printed.length).toBeGreaterThanOrEqual(killAfter);

    const key = await unlockCacheKey(dataDir, 'agent1', TEST_PASSWORD);
    if (!key) throw new Error("agent1's password must open their cache key");
    const cache = openCache(userCacheFile(dataDir, 'agent1'), key);
    try {
      const notes = new Set(cache.reader.ticketDetail(ticketA)!.notes.map((n) => n.id));
      const queued = new Set(cache.reader.outbox(10_000).map((e) => (e.mutation.kind === 'note' ? e.mutation.noteId : '')));
      expect(printed.filter((id) => !notes.has(id) || !queued.has(id))).toEqual([]);
    } finally {
      cache.close();
    }

    // And after the restart every one of them reaches the server exactly once.
    const restarted = await restartServer();
    const core = await newCore();
    await waitUntil(core, 'the outbox drains', onlineAndIdle(core), 40_000);
    const serverNotes = (await restarted.store.getTicketBundle(ticketA))!.notes.map((n) => n.id);
    expect(printed.filter((id) => serverNotes.filter((n) => n === id).length !== 1)).toEqual([]);
  });
});
