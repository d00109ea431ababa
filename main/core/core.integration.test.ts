/**
 * The workstation core against the real server (demo organisation) on an ephemeral port,
 * with real SQLite caches in a temp dir: sign-in, bootstrap, live changes, the outbox, a
 * second user's view, restart, validation and search.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { CHANNELS, type User } from '../../shared/domain.js';
import { ATTENTION_PAGE_MAX, type ConnectionState, type RpcEventName, type RpcEvents } from '../../shared/rpc.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

function record(core: WorkstationCore) {
  const events: Array<{ event: RpcEventName; payload: RpcEvents[RpcEventName] }> = [];
  core.onEvent((event, payload) => events.push({ event, payload }));
  return {
    events,
    /** Whether a `changed` event covered the ticket (by id, or as "reload everything"). */
    changedCovers: (ticketId: string) =>
      events.some(
        (e) =>
          e.event === 'changed' &&
          ((e.payload as RpcEvents['changed']).ticketIds.length === 0 || (e.payload as RpcEvents['changed']).ticketIds.includes(ticketId)),
      ),
    connections: () => events.filter((e) => e.event === 'connection').map((e) => e.payload as ConnectionState),
  };
}

async function postInbound(server: RunningServer, body: unknown): Promise<{ ticketId: string; messageId: string }> {
  const response = await fetch(`${server.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { ticketId: string; messageId: string };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('workstation core against the real server', () => {
  let root: string;
  let server: RunningServer;
  let agent: WorkstationCore;
  let agentEvents: ReturnType<typeof record>;
  let lead: WorkstationCore | null = null;
  let agent1: User;
  let inboundTicketId: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-it-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    agent1 = (await server.store.getUserByUsername('agent1'))!;
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    agentEvents = record(agent);
  });

  afterAll(async () => {
    await agent?.close();
    await lead?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('signs agent1 in and bootstraps the cache with what the server lets agent1 see', async () => {
    expect((await call(agent, 'session.get', {})).user).toBeNull();
    const session = await call(agent, 'session.signIn', { username: 'agent1', password: 'demo' });
    expect(session.user?.username).toBe('agent1');
    await waitUntil(agent, 'agent1 is online', onlineAndIdle(agent));

    const expected = (await server.store.bootstrapPage(agent1, null, 5000)).bundles.map((b) => b.ticket);
    expect(expected.length).toBeGreaterThan(0);
    const inbox = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    expect(inbox.rows.map((r) => r.id).sort()).toEqual(expected.map((t) => t.id).sort());
    const times = inbox.rows.map((r) => r.lastMessageAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const channel of CHANNELS) {
      expect(inbox.channelCounts[channel]).toBe(expected.filter((t) => t.channel === channel).length);
    }
    const progress = agentEvents.connections().flatMap((c) => (c.progress ? [c.progress] : []));
    expect(progress.at(-1)).toEqual({ done: expected.length, total: expected.length });
    expect(agentEvents.connections().map((c) => c.status)).toContain('syncing');
  });

  it('shows an inbound contact posted over HTTP, and finds it by a two-character and a longer query', async () => {
    const posted = await postInbound(server, {
      channel: 'chat',
      customer: { name: '张伟', phone: '+86 186 0000 4321', email: 'zhangwei@example.cn' },
      subject: '订单物流查询延迟',
      text: '我的快递三天没有更新了，请帮忙查一下',
    });
    inboundTicketId = posted.ticketId;
    // The renderer refreshes on `changed`, so the ticket must be in the cache AND announced.
    await waitUntil(
      agent,
      'the inbound ticket reaches agent1 and is announced',
      async () => agentEvents.changedCovers(posted.ticketId) && (await agent.invoke('ticket.get', { ticketId: posted.ticketId })).ok,
    );

    const detail = await call(agent, 'ticket.get', { ticketId: posted.ticketId });
    expect(detail.customer.name).toBe('张伟');
    expect(detail.messages.map((m) => m.text)).toEqual(['我的快递三天没有更新了，请帮忙查一下']);

    const byName = await call(agent, 'inbox.list', { channel: null, status: null, query: '张伟' });
    expect(byName.rows.map((r) => r.id)).toContain(posted.ticketId);
    const byText = await call(agent, 'inbox.list', { channel: null, status: null, query: '三天没有更新' });
    expect(byText.rows.map((r) => r.id)).toEqual([posted.ticketId]);
    expect(byText.channelCounts).toEqual({ phone: 0, chat: 1, social: 0, email: 0 });
    const nothing = await call(agent, 'inbox.list', { channel: null, status: null, query: '完全不存在的内容' });
    expect(nothing.rows).toEqual([]);
  });

  it('shows a reply, a note and a status change at once as pending, then as acknowledged by the server', async () => {
    const replied = await call(agent, 'ticket.reply', { ticketId: inboundTicketId, text: '您好，已为您催促快递公司，请稍候' });
    if (replied.kind !== 'sent') throw new Error('an online reply must be sent, not kept as a draft');
    const reply = replied.message;
    const note = await call(agent, 'ticket.addNote', { ticketId: inboundTicketId, text: '客户第二次来问，需加急' });
    // Replying takes a queued (or offered) ticket, so the target follows the status after the reply.
    const current = (await call(agent, 'ticket.get', { ticketId: inboundTicketId })).ticket.status;
    const target = current === 'in_progress' ? 'awaiting_customer' : 'in_progress';
    const ticket = await call(agent, 'ticket.setStatus', { ticketId: inboundTicketId, status: target });
    expect(reply).toMatchObject({ pending: true, deliveryStatus: 'queued', direction: 'outbound', authorId: 'agent1' });
    expect(note.pending).toBe(true);
    expect(ticket.status).toBe(target);

    await waitUntil(agent, 'the three changes are acknowledged', async () => {
      const detail = await call(agent, 'ticket.get', { ticketId: inboundTicketId });
      return !detail.pending && detail.messages.every((m) => !m.pending) && detail.notes.every((n) => !n.pending);
    });
    const pendingSeen = agentEvents.connections().some((c) => c.pendingCount > 0);
    expect(pendingSeen).toBe(true);
    expect((await connectionOf(agent)).pendingCount).toBe(0);

    const onServer = (await server.store.getTicketBundle(inboundTicketId))!;
    expect(onServer.ticket.status).toBe(target);
    expect(onServer.messages.filter((m) => m.id === reply.id)).toHaveLength(1);
    expect(onServer.notes.map((n) => n.id)).toContain(note.id);
    const local = await call(agent, 'ticket.get', { ticketId: inboundTicketId });
    expect(local.ticket).toEqual(onServer.ticket);
  });

  it('lets a second core, signed in as lead1, see those changes and later ones live', async () => {
    lead = await createWorkstationCore({ dataDir: path.join(root, 'lead1'), serverUrl: server.url });
    const leadEvents = record(lead);
    await call(lead, 'session.signIn', { username: 'lead1', password: 'demo' });
    await waitUntil(lead, 'lead1 is online', onlineAndIdle(lead));
    const seen = await call(lead, 'ticket.get', { ticketId: inboundTicketId });
    expect(seen.messages.map((m) => m.text)).toContain('您好，已为您催促快递公司，请稍候');
    expect(seen.notes.map((n) => n.text)).toContain('客户第二次来问，需加急');

    const later = await call(agent, 'ticket.addNote', { ticketId: inboundTicketId, text: '已电话回访客户' });
    const leadCore = lead;
    await waitUntil(leadCore, 'the new note reaches lead1 and is announced', async () => {
      const detail = await call(leadCore, 'ticket.get', { ticketId: inboundTicketId });
      return detail.notes.some((n) => n.id === later.id) && leadEvents.changedCovers(inboundTicketId);
    });
  });

  it('refuses bad calls with a clear error and changes nothing', async () => {
    const inboxBefore = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    const detailBefore = await call(agent, 'ticket.get', { ticketId: inboundTicketId });
    const cases: Array<{ method: unknown; params: unknown; code: string; mentions: string }> = [
      { method: 'inbox.list', params: { channel: 'fax', status: null, query: '' }, code: 'invalid_params', mentions: 'channel' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', extra: 1 }, code: 'invalid_params', mentions: 'extra' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', offset: -1 }, code: 'invalid_params', mentions: 'offset' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', offset: 1e12 }, code: 'invalid_params', mentions: 'offset' },
      { method: 'inbox.window', params: { channel: null, status: null, query: '', offset: 1.5 }, code: 'invalid_params', mentions: 'offset' },
      { method: 'inbox.window', params: { channel: null, status: null, query: '', limit: 0 }, code: 'invalid_params', mentions: 'limit' },
      { method: 'inbox.window', params: { channel: null, status: null, query: '', limit: 100_000 }, code: 'invalid_params', mentions: 'limit' },
      { method: 'inbox.list', params: { channel: null, status: 'done', query: '' }, code: 'invalid_params', mentions: 'status' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', view: 'everyone' }, code: 'invalid_params', mentions: 'view' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', sort: 'random' }, code: 'invalid_params', mentions: 'sort' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', sla: 'late' }, code: 'invalid_params', mentions: 'sla' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', priority: 'high' }, code: 'invalid_params', mentions: 'priority' },
      { method: 'inbox.list', params: { channel: null, status: null, query: '', assigneeId: "x' OR 1=1" }, code: 'invalid_params', mentions: 'assigneeId' },
      { method: 'inbox.window', params: 'offset=0', code: 'invalid_params', mentions: 'inbox.window' },
      { method: 'inbox.rows', params: { channel: null, status: null, query: '', limit: 501 }, code: 'invalid_params', mentions: 'limit' },
      { method: 'inbox.rows', params: { channel: null, status: null, query: 'x'.repeat(201) }, code: 'invalid_params', mentions: 'query' },
      // The counts are of the whole list: a window is no part of what they are asked for.
      { method: 'inbox.counts', params: { channel: null, status: null, query: '', offset: 0 }, code: 'invalid_params', mentions: 'offset' },
      { method: 'inbox.counts', params: { channel: null, status: 'done', query: '' }, code: 'invalid_params', mentions: 'status' },
      // The id of a needs-attention item: a positive whole number, nothing beside it ("Invalid" holds "id": the path says `id:`).
      // A page of the list: a cursor that is an item's id, no more than ATTENTION_PAGE_MAX items.
      { method: 'attention.list', params: { before: 0 }, code: 'invalid_params', mentions: 'before' },
      { method: 'attention.list', params: { limit: ATTENTION_PAGE_MAX + 1 }, code: 'invalid_params', mentions: 'limit' },
      { method: 'attention.list', params: { limit: 10, offset: 0 }, code: 'invalid_params', mentions: 'offset' },
      { method: 'attention.content', params: { id: 0 }, code: 'invalid_params', mentions: 'id:' },
      { method: 'attention.content', params: { id: -1 }, code: 'invalid_params', mentions: 'id:' },
      { method: 'attention.content', params: { id: 1.5 }, code: 'invalid_params', mentions: 'id:' },
      { method: 'attention.content', params: { id: '1' }, code: 'invalid_params', mentions: 'id:' },
      { method: 'attention.content', params: {}, code: 'invalid_params', mentions: 'id:' },
      { method: 'attention.content', params: { id: 1, extra: 1 }, code: 'invalid_params', mentions: 'extra' },
      { method: 'ticket.markRead', params: { ticketId: 'GD20990101999' }, code: 'not_found', mentions: 'GD20990101999' },
      { method: 'ticket.reply', params: { ticketId: inboundTicketId, text: '   ' }, code: 'invalid_params', mentions: 'text' },
      { method: 'ticket.reply', params: { ticketId: inboundTicketId, text: '长'.repeat(1_000_000) }, code: 'invalid_params', mentions: 'text' },
      { method: 'ticket.addNote', params: { ticketId: 'not-a-ticket', text: '备注' }, code: 'invalid_params', mentions: 'ticketId' },
      { method: 'ticket.get', params: { ticketId: 'GD20990101999' }, code: 'not_found', mentions: 'GD20990101999' },
      { method: 'ticket.reply', params: { ticketId: 'GD20990101999', text: '您好' }, code: 'not_found', mentions: 'GD20990101999' },
      { method: 'ticket.setStatus', params: { ticketId: inboundTicketId, status: 'unassigned' }, code: 'invalid_transition', mentions: 'unassigned' },
      { method: 'ticket.delete', params: { ticketId: inboundTicketId }, code: 'unknown_method', mentions: 'ticket.delete' },
      { method: 42, params: {}, code: 'unknown_method', mentions: 'number' },
    ];
    for (const bad of cases) {
      const outcome = await agent.invoke(bad.method, bad.params);
      expect(outcome.ok, JSON.stringify(bad.method)).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.error.code).toBe(bad.code);
      expect(outcome.error.message).toContain(bad.mentions);
    }
    expect((await connectionOf(agent)).pendingCount).toBe(0);
    expect(await call(agent, 'inbox.list', { channel: null, status: null, query: '' })).toEqual(inboxBefore);
    expect(await call(agent, 'ticket.get', { ticketId: inboundTicketId })).toEqual(detailBefore);
  });

  it('marks a ticket unread when its customer writes, clears it when opened, and counts it for the window title', async () => {
    // The ticket came to agent1 with the customer's message: new to them.
    const first = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    const row = first.rows.find((r) => r.id === inboundTicketId)!;
    if (row.unread) expect(await call(agent, 'ticket.markRead', { ticketId: inboundTicketId })).toEqual({ wasUnread: true });
    expect(await call(agent, 'ticket.markRead', { ticketId: inboundTicketId })).toEqual({ wasUnread: false });
    const before = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    expect(before.rows.find((r) => r.id === inboundTicketId)?.unread).toBe(false);

    await postInbound(server, { channel: 'chat', customer: { name: '张伟', phone: '+86 186 0000 4321' }, text: '还在吗？快递还是没动' });
    await waitUntil(agent, 'the follow-up marks the ticket unread', async () => {
      const inbox = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
      return inbox.rows.find((r) => r.id === inboundTicketId)?.unread === true && inbox.unreadCount === before.unreadCount + 1;
    });
    expect((await call(agent, 'ticket.get', { ticketId: inboundTicketId })).unread).toBe(true);
    // The window answers the same rows without the counts.
    const window = await call(agent, 'inbox.window', { channel: null, status: 'open', query: '', sort: 'sla', offset: 0, limit: 2 });
    const listed = await call(agent, 'inbox.list', { channel: null, status: 'open', query: '', sort: 'sla', offset: 0, limit: 2 });
    expect(window).toEqual({ rows: listed.rows, offset: 0, total: listed.total });
  });

  it('keeps the session and the cache across a restart of the core', async () => {
    const inboxBefore = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    // The unread marker is in the cache, so it survives the restart (checked by the equality below).
    expect(inboxBefore.rows.find((r) => r.id === inboundTicketId)?.unread).toBe(true);
    await agent.close();
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    agentEvents = record(agent);
    const session = await call(agent, 'session.get', {});
    expect(session.user?.username).toBe('agent1');
    expect(await call(agent, 'inbox.list', { channel: null, status: null, query: '' })).toEqual(inboxBefore);
    await waitUntil(agent, 'agent1 is online again', onlineAndIdle(agent));
    // Resuming pulls from the stored seq: no second bootstrap.
    expect(agentEvents.connections().some((c) => c.progress !== null)).toBe(false);
  });

  it('keeps a ticket read across a restart of the core once it was opened (the read marker commits without an fsync of its own)', async () => {
    const before = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    expect(before.rows.find((r) => r.id === inboundTicketId)?.unread).toBe(true);
    expect(await call(agent, 'ticket.markRead', { ticketId: inboundTicketId })).toEqual({ wasUnread: true });
    // A durable write after the marker: both must be there after the restart.
    const note = await call(agent, 'ticket.addNote', { ticketId: inboundTicketId, text: '已读后的备注' });
    await agent.close();
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    agentEvents = record(agent);
    const after = await call(agent, 'inbox.list', { channel: null, status: null, query: '' });
    expect(after.rows.find((r) => r.id === inboundTicketId)?.unread).toBe(false);
    expect(after.unreadCount).toBe(before.unreadCount - 1);
    const detail = await call(agent, 'ticket.get', { ticketId: inboundTicketId });
    expect(detail.unread).toBe(false);
    expect(detail.notes.map((n) => n.id)).toContain(note.id);
    await waitUntil(agent, 'agent1 is online again', onlineAndIdle(agent));
  });

  it('signs lead1 out: calls need a session again, the cache file stays', async () => {
    const leadCore = lead!;
    const state = await call(leadCore, 'session.signOut', {});
    expect(state.user).toBeNull();
    expect(state.connection.status).toBe('signed_out');
    expect(await leadCore.invoke('ticket.get', { ticketId: inboundTicketId })).toMatchObject({ ok: false, error: { code: 'not_signed_in' } });
    expect(existsSync(userCacheFile(path.join(root, 'lead1'), 'lead1'))).toBe(true);
  });

  it('tells a wrong password and an unreachable server apart', async () => {
    const other = await createWorkstationCore({ dataDir: path.join(root, 'other'), serverUrl: server.url });
    const wrong = await other.invoke('session.signIn', { username: 'agent2', password: 'not-the-password' });
    expect(wrong).toEqual({ ok: false, error: { code: 'bad_credentials', message: 'Wrong username or password' } });
    expect((await call(other, 'session.get', {})).user).toBeNull();
    const notSignedIn = await other.invoke('inbox.list', { channel: null, status: null, query: '' });
    expect(notSignedIn).toMatchObject({ ok: false, error: { code: 'not_signed_in' } });
    await other.close();

    const deadUrl = `http://127.0.0.1:${String(await freePort())}`;
    const nowhere = await createWorkstationCore({ dataDir: path.join(root, 'nowhere'), serverUrl: deadUrl });
    const unreachable = await nowhere.invoke('session.signIn', { username: 'agent2', password: 'demo' });
    expect(unreachable).toEqual({ ok: false, error: { code: 'server_unreachable', message: `Cannot reach the server at ${deadUrl}` } });
    await nowhere.close();
  });
});
