/**
 * A workstation whose clock runs ahead of the server's (review-7, "clock skew"). The core dates
 * its optimistic writes with its own clock; the server's copies carry the server's. A queued
 * ticket the agent opened from the queue view and classified (allowed without taking it) must
 * still show what the customer wrote afterwards when the agent opens it again: before, the
 * cached row's local time looked newer than the server's copy, which was thrown away.
 *
 * And one whose clock runs behind (clock-1): the core dates its writes in server time (its clock
 * plus the offset sync measured, kept in the cache), and neither side dates a write before the
 * message it follows, so an answer never sorts before its question, restarted offline too.
 *
 * And the screens (clock-2): the core tells them its offset in the connection state, restarted
 * offline too, so their countdowns count on the clock its overdue filter judges by; and it judges
 * its stored session's and queued sign-outs' expiry, the server's times, by the server's clock.
 */
import { describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { ConnectionState } from '../../shared/rpc.js';
import { readSettings } from './settings.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture, type StartTestServer } from './testing/offlineAgent.js';

/** Ten minutes ahead: a workstation whose clock is not synchronised. */
const SKEW_MS = 10 * 60_000;

/** The demo server the first two blocks share (the third gives its tokens a shorter life). */
const startDemoServer: StartTestServer<RunningServer> = ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} });

describe('a workstation clock ahead of the server', () => {
  const fixture = offlineAgentFixture('clock-skew', startDemoServer);

  it('shows the server copy of a queued ticket opened again after classifying it, with the message the customer wrote since', async () => {
    const active = await fixture.signInAgent({ now: () => Date.now() + SKEW_MS });
    const server = fixture.server();
    // Busy: routing offers agent1 nothing, so the contact waits in the queue, outside their cache.
    await call(active, 'presence.set', { presence: 'busy' });
    const customer = { name: '林冲', phone: '13755550188' };
    const { ticketId } = await server.store.ingestInbound({ channel: 'chat', customer, text: '洗衣机不脱水', proven: ['phone'] }, { now: Date.now() });

    await call(active, 'ticket.fetch', { ticketId });
    // Classifying a queued ticket does not take it (any agent of its channel may): it stays a fetched ticket.
    expect(await call(active, 'ticket.setFields', { ticketId, tags: ['脱水'] })).toMatchObject({ assigneeId: null, tags: ['脱水'] });
    await waitUntil(active, 'the tags are acknowledged', onlineAndIdle(active));
    expect(await server.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, tags: ['脱水'] });

    // The customer writes again, on the same ticket.
    const again = await server.store.ingestInbound({ channel: 'chat', customer, text: '型号是 XQG100', proven: ['phone'] }, { now: Date.now() });
    expect(again.ticketId).toBe(ticketId);

    const reopened = await call(active, 'ticket.fetch', { ticketId });
    expect(reopened.messages.map((message) => message.text)).toEqual(['洗衣机不脱水', '型号是 XQG100']);
    expect(reopened.ticket.tags).toEqual(['脱水']);
    expect((await call(active, 'ticket.get', { ticketId })).messages).toHaveLength(2);
  });
});

describe('a workstation clock behind the server', () => {
  /** Ten minutes behind: the clock-1 defect's workstation. */
  const BEHIND_MS = 10 * 60_000;
  /** How far a write may be from the server's clock once the offset is known: far less than the skew, far more than a round trip here. */
  const NEAR_MS = 60_000;
  const fixture = offlineAgentFixture('clock-behind', startDemoServer);
  /** The ticket the agent wrote on offline (the second test; the third goes on with it). */
  let offlineTicketId = '';

  const behind = (skewMs = BEHIND_MS) => ({ now: () => Date.now() - skewMs });

  it("sorts a reply written right after the customer's question after it, on the server and in the core", async () => {
    const active = await fixture.signInAgent(behind());
    const server = fixture.server();
    await call(active, 'presence.set', { presence: 'busy' });
    const customer = { name: '鲁智深', phone: '13755550611' };
    const { ticketId } = await server.store.ingestInbound(
      { channel: 'chat', source: 'webchat', customer, text: '空调不制冷', proven: ['phone'] },
      { now: Date.now() },
    );
    await call(active, 'ticket.fetch', { ticketId });

    const replied = await call(active, 'ticket.reply', { ticketId, text: '请问是哪个型号？' });
    expect(replied.kind).toBe('sent');
    // The optimistic copy first, then the server's copy and the core's once acknowledged.
    expect((await call(active, 'ticket.get', { ticketId })).messages.map((message) => message.text)).toEqual(['空调不制冷', '请问是哪个型号？']);
    await waitUntil(active, 'the reply is acknowledged', onlineAndIdle(active));
    const onServer = (await server.store.getTicketBundle(ticketId))!.messages;
    expect(onServer.map((message) => message.text)).toEqual(['空调不制冷', '请问是哪个型号？']);
    expect(onServer[1]!.createdAt).toBeGreaterThan(onServer[0]!.createdAt);
    const local = (await call(active, 'ticket.get', { ticketId })).messages;
    expect(local.map((message) => message.text)).toEqual(['空调不制冷', '请问是哪个型号？']);
    expect(local.map((message) => message.createdAt)).toEqual(onServer.map((message) => message.createdAt));
  });

  it("judges a ticket's service level by the server's clock: a reply due five minutes ago is overdue, not five minutes from due", async () => {
    const active = fixture.agent();
    const server = fixture.server();
    // The demo's first-response target for chat, read off a contact received now.
    const probe = await server.store.ingestInbound(
      { channel: 'chat', customer: { name: '林冲', phone: '13755550633' }, text: '查一下订单', proven: ['phone'] },
      { now: Date.now() },
    );
    const probeTicket = (await server.store.getTicket(probe.ticketId))!;
    const target = probeTicket.dueAt - probeTicket.createdAt;
    const { ticketId } = await server.store.ingestInbound(
      { channel: 'chat', customer: { name: '花荣', phone: '13755550644' }, text: '发票开错了', proven: ['phone'] },
      { now: Date.now() - target - 5 * 60_000 },
    );
    const dueAt = (await server.store.getTicket(ticketId))!.dueAt;
    // Overdue by the server's clock, not yet by this workstation's own (ten minutes behind).
    expect(dueAt).toBeLessThan(Date.now() - 60_000);
    expect(dueAt).toBeGreaterThan(Date.now() - BEHIND_MS + 60_000);
    await call(active, 'ticket.fetch', { ticketId });
    await call(active, 'ticket.setStatus', { ticketId, status: 'in_progress' });
    await waitUntil(active, 'the ticket is taken', onlineAndIdle(active));

    const overdue = await call(active, 'inbox.list', { channel: null, status: 'open', query: '', sla: 'breached' });
    expect(overdue.rows.map((row) => row.id)).toContain(ticketId);
  });

  it('dates a note written offline after a restart in server time (the offset is kept), before what the customer wrote meanwhile', async () => {
    const first = fixture.agent();
    const server = fixture.server();
    await call(first, 'presence.set', { presence: 'busy' });
    const customer = { name: '武松', phone: '13755550622' };
    // Asked three minutes ago: a note that only followed it (no offset) would be dated then, not now.
    const { ticketId } = await server.store.ingestInbound(
      { channel: 'chat', customer, text: '热水器漏水', proven: ['phone'] },
      { now: Date.now() - 3 * 60_000 },
    );
    offlineTicketId = ticketId;
    await call(first, 'ticket.fetch', { ticketId });
    await call(first, 'ticket.setStatus', { ticketId, status: 'in_progress' });
    await waitUntil(first, 'the ticket is taken', onlineAndIdle(first));
    const question = (await server.store.getTicketBundle(ticketId))!.messages[0]!;
    await first.close();
    await fixture.stopServer();

    // Restarted with the server away: the offset comes from the cache.
    const restarted = await fixture.openCore(behind());
    await waitUntil(restarted, 'offline', async () => (await connectionOf(restarted)).status === 'offline');
    const before = Date.now();
    const note = await call(restarted, 'ticket.addNote', { ticketId, text: '离线记录：已约上门检修' });
    const after = Date.now();
    expect(note.createdAt).toBeGreaterThan(question.createdAt);
    expect(note.createdAt).toBeGreaterThanOrEqual(before - NEAR_MS);
    expect(note.createdAt).toBeLessThanOrEqual(after + NEAR_MS);

    // The customer writes again while the agent is still away from the server.
    const back = await fixture.restartServer();
    const again = await back.store.ingestInbound({ channel: 'chat', customer, text: '什么时候能到？', proven: ['phone'] }, { now: Date.now() });
    expect(again.ticketId).toBe(ticketId);
    await waitUntil(restarted, 'the note is acknowledged', onlineAndIdle(restarted));
    const bundle = (await back.store.getTicketBundle(ticketId))!;
    const stored = bundle.notes.find((entry) => entry.id === note.id)!;
    const later = bundle.messages.find((message) => message.text === '什么时候能到？')!;
    // The true order: the question, the note written offline, then what the customer wrote after it.
    expect(stored.createdAt).toBeGreaterThan(question.createdAt);
    expect(stored.createdAt).toBeLessThan(later.createdAt);
  });
  it('never dates a write before what the agent saw, even when the clock was set back after the offset was measured (offline)', async () => {
    const ticketId = offlineTicketId;
    await fixture.agent().close();
    await fixture.stopServer();
    // Set back ten more minutes while the app was closed: the stored offset is ten minutes short now.
    const restarted = await fixture.openCore(behind(BEHIND_MS + 10 * 60_000));
    await waitUntil(restarted, 'offline', async () => (await connectionOf(restarted)).status === 'offline');
    const seen = await call(restarted, 'ticket.get', { ticketId });
    const newestSeen = Math.max(...seen.messages.map((message) => message.createdAt), ...seen.notes.map((entry) => entry.createdAt));
    const note = await call(restarted, 'ticket.addNote', { ticketId, text: '离线补记：师傅明早九点到' });
    expect(note.createdAt).toBeGreaterThan(newestSeen);

    const back = await fixture.restartServer();
    await waitUntil(restarted, 'the note is acknowledged', onlineAndIdle(restarted));
    const bundle = (await back.store.getTicketBundle(ticketId))!;
    const stored = bundle.notes.find((entry) => entry.id === note.id)!;
    const others = [
      ...bundle.messages.map((message) => message.createdAt),
      ...bundle.notes.filter((entry) => entry.id !== note.id).map((entry) => entry.createdAt),
    ];
    expect(stored.createdAt).toBeGreaterThan(Math.max(...others));
    // And the core shows the server's copy, last.
    const local = await call(restarted, 'ticket.get', { ticketId });
    expect(local.notes.find((entry) => entry.id === note.id)!.createdAt).toBe(stored.createdAt);
  });
});

describe("the server's clock, told to the screens and used for the session's expiry", () => {
  const SKEW = 10 * 60_000;
  /** Far less than the skew, far more than a round trip here. */
  const NEAR_MS = 60_000;
  // Tokens that last five minutes: on a clock ten minutes ahead, expired from the start by the local clock alone.
  const fixture = offlineAgentFixture('clock-screens', ({ port, dataDir }) =>
    startServer({ port, dataDir, demo: true, log: () => {}, tokenTtlMs: 5 * 60_000 }),
  );

  const skewed = (dir: string, skewMs: number) => fixture.openCore({ dataDir: fixture.dataDir(dir), now: () => Date.now() + skewMs });

  it('tells the screens the offset with the connection state, and after a restart offline the one the cache kept', async () => {
    const first = await skewed('behind', -SKEW);
    const heard: ConnectionState[] = [];
    first.onEvent((event, payload) => {
      if (event === 'connection') heard.push(payload as ConnectionState);
    });
    await call(first, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(first, 'online', onlineAndIdle(first));
    const told = (await connectionOf(first)).serverClockOffsetMs;
    expect(told).not.toBeNull();
    expect(Math.abs(told! - SKEW)).toBeLessThan(NEAR_MS);
    // Pushed, not only there for the asking.
    expect(heard.some((state) => state.serverClockOffsetMs !== null && Math.abs(state.serverClockOffsetMs - SKEW) < NEAR_MS)).toBe(true);
    await first.close();
    await fixture.stopServer();

    // No server to ask: the offset is the one kept in the cache, before any answer.
    const restarted = await skewed('behind', -SKEW);
    await waitUntil(restarted, 'offline', async () => (await connectionOf(restarted)).status === 'offline');
    const kept = (await connectionOf(restarted)).serverClockOffsetMs;
    expect(kept).not.toBeNull();
    expect(Math.abs(kept! - SKEW)).toBeLessThan(NEAR_MS);
    await restarted.close();
    await fixture.restartServer();
  });

  it('on a clock ahead, resumes a stored session the server still honours, and has its token revoked at sign-out', async () => {
    const first = await skewed('ahead', SKEW);
    await call(first, 'session.signIn', { username: 'agent2', password: 'demo' });
    await waitUntil(first, 'online', onlineAndIdle(first));
    await first.close();

    // Five minutes left on the server's clock; five minutes past by this workstation's own.
    const restarted = await skewed('ahead', SKEW);
    expect((await call(restarted, 'session.get', {})).user?.username).toBe('agent2');
    await waitUntil(restarted, 'online again', onlineAndIdle(restarted));
    const token = readSettings(fixture.dataDir('ahead'))!.session!.token;
    expect((await fixture.server().store.lookupToken(token, Date.now())).status).toBe('valid');

    await call(restarted, 'session.signOut', {});
    // Queued and sent, not skipped as expired: the token no longer works on the server.
    expect((await fixture.server().store.lookupToken(token, Date.now())).status).not.toBe('valid');
  });
});
