/**
 * Retries against the real server and real caches. Issue 9 item 16: one user action is
 * one mutation however often it is retried (the action id is the mutation id). Item 18:
 * "retry now" reaches a server that came back without waiting out a long backoff, for a
 * session with a token and for one signed in offline.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';

/** Ten minutes: without "retry now" nothing reconnects within any of these tests. */
const LONG_BACKOFF_MS = 600_000;
const LONG_BACKOFF = { reconnectDelayMs: LONG_BACKOFF_MS, reconnectDelayMaxMs: LONG_BACKOFF_MS, reconnectUnreachableMaxMs: LONG_BACKOFF_MS };
const AGENT1 = { username: 'agent1', displayName: '王芳' };

describe('retries', () => {
  const fixture = seededServerFixture('retry', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  const { newCore, stopServer, restartServer } = fixture;
  let ticketA: string;
  let ticketB: string;

  /** The messages on the server with this text (what the customer would receive). */
  async function serverMessagesWith(ticketId: string, text: string): Promise<number> {
    return (await fixture.server().store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === text).length;
  }

  beforeEach(async () => {
    const { store } = fixture.server();
    await seedTestOrganisation(store, [{ ...AGENT1, channels: ['chat'] }]);
    const open = async (name: string, phone: string, subject: string) => {
      const { ticketId } = await store.ingestInbound(
        { channel: 'chat', customer: { name, phone, email: `${phone}@example.cn` }, subject, text: `${subject}，麻烦尽快回复` },
        { now: Date.now() },
      );
      await assignByLead(store, ticketId, AGENT1);
      return ticketId;
    };
    ticketA = await open('张伟', '13800138000', '订单物流查询延迟');
    ticketB = await open('李娜', '13912340002', '退款进度咨询');
  });

  it('a reply and a note retried with their action ids are recorded once and land once, before and after the ack', async () => {
    const core = await newCore('agent1');
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));

    const replyText = '您好，已为您加急处理，预计明天送达。';
    const replyAction = randomUUID();
    const first = await call(core, 'ticket.reply', { ticketId: ticketA, text: replyText, actionId: replyAction });
    // The answer to the first call was lost; the renderer sends the same action again at once…
    const retried = await call(core, 'ticket.reply', { ticketId: ticketA, text: replyText, actionId: replyAction });
    expect(first.kind).toBe('sent');
    expect(retried).toEqual(first);
    expect((await connectionOf(core)).pendingCount).toBeLessThanOrEqual(1);

    const noteText = '客户要求明天上午送达';
    const noteAction = randomUUID();
    const note = await call(core, 'ticket.addNote', { ticketId: ticketA, text: noteText, actionId: noteAction });
    expect(await call(core, 'ticket.addNote', { ticketId: ticketA, text: noteText, actionId: noteAction })).toEqual(note);

    await waitUntil(core, 'the server acknowledged everything', onlineAndIdle(core));
    // …and once more after the server acknowledged it: the same message, now confirmed, nothing new queued.
    const afterAck = await call(core, 'ticket.reply', { ticketId: ticketA, text: replyText, actionId: replyAction });
    expect(afterAck).toMatchObject({ kind: 'sent', message: { id: first.kind === 'sent' ? first.message.id : '', pending: false } });
    expect((await connectionOf(core)).pendingCount).toBe(0);
    expect(await call(core, 'ticket.addNote', { ticketId: ticketA, text: noteText, actionId: noteAction })).toMatchObject({ id: note.id, pending: false });

    expect(await serverMessagesWith(ticketA, replyText)).toBe(1);
    expect((await fixture.server().store.getTicketBundle(ticketA))!.notes.filter((n) => n.text === noteText)).toHaveLength(1);
    const detail = await call(core, 'ticket.get', { ticketId: ticketA });
    expect(detail.messages.filter((m) => m.text === replyText)).toHaveLength(1);

    // An action id belongs to one action: the same id on another ticket is refused, not re-used.
    const misuse = await core.invoke('ticket.reply', { ticketId: ticketB, text: replyText, actionId: replyAction });
    expect(misuse).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    expect(await serverMessagesWith(ticketB, replyText)).toBe(0);
  });

  it('an action id used by a note is refused at once as a reply or a new ticket: nothing queued, no old ticket answered as made', async () => {
    const core = await newCore('agent1');
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const actionId = randomUUID();
    await call(core, 'ticket.addNote', { ticketId: ticketA, text: '客户要求明天上午送达', actionId });
    await waitUntil(core, 'the note is acknowledged', onlineAndIdle(core));

    const reused = { ok: false, error: { code: 'invalid_params', refusal: { code: 'mutation_id_reused', id: actionId } } };
    expect(await core.invoke('ticket.reply', { ticketId: ticketA, text: '您好，明天上午送达。', actionId })).toMatchObject(reused);
    // ticket.create with the note's id used to answer the note's ticket, as if this action had made it.
    const created = await core.invoke('ticket.create', {
      customer: { kind: 'new', name: '赵敏', phone: '13700137000', email: null },
      channel: 'phone',
      type: 'consult',
      priority: 'normal',
      subject: '来电咨询',
      note: '客户来电咨询退货流程',
      toQueue: false,
      actionId,
    });
    expect(created).toMatchObject(reused);
    expect((await connectionOf(core)).pendingCount).toBe(0);
    expect(await serverMessagesWith(ticketA, '您好，明天上午送达。')).toBe(0);
  });

  it('a note under an action id already used is answered from what that id made: the earlier note, or a refusal; nothing queued twice', async () => {
    const core = await newCore('agent1');
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const noteId = randomUUID();
    const replyId = randomUUID();
    const first = await call(core, 'ticket.addNote', { ticketId: ticketA, text: '客户要求明天上午送达', actionId: noteId });
    await call(core, 'ticket.reply', { ticketId: ticketA, text: '您好，已为您催促物流。', actionId: replyId });
    await waitUntil(core, 'both are acknowledged', onlineAndIdle(core));

    // The same note again: its first answer, nothing new.
    expect(await call(core, 'ticket.addNote', { ticketId: ticketA, text: '客户要求明天上午送达', actionId: noteId })).toMatchObject({
      id: first.id,
      ticketId: ticketA,
    });
    expect(await core.invoke('ticket.addNote', { ticketId: ticketB, text: '客户要求明天上午送达', actionId: noteId })).toMatchObject({
      ok: false,
      error: { code: 'invalid_params' },
    });
    expect(await core.invoke('ticket.addNote', { ticketId: ticketA, text: '已催促', actionId: replyId })).toMatchObject({
      ok: false,
      error: { code: 'invalid_params', refusal: { code: 'mutation_id_reused', id: replyId } },
    });
    expect((await connectionOf(core)).pendingCount).toBe(0);
    expect((await call(core, 'ticket.get', { ticketId: ticketA })).notes.map((n) => n.id)).toEqual([noteId]);
    expect((await call(core, 'ticket.get', { ticketId: ticketB })).notes).toEqual([]);
  });

  it('a reply under the id of an acknowledged note is refused by the server: never shown as sent, listed in "needs attention"', async () => {
    await fixture
      .server()
      .store.createUser({ id: 'agent2', username: 'agent2', password: TEST_PASSWORD, displayName: '张强', role: 'agent', channels: ['chat'] });
    const core = await newCore('agent1');
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));

    // A note on ticket B, acknowledged; then B goes to a colleague and leaves this cache, the note with it.
    const actionId = randomUUID();
    await call(core, 'ticket.addNote', { ticketId: ticketB, text: '客户要求退款到原卡', actionId });
    await waitUntil(core, 'the note is acknowledged', onlineAndIdle(core));
    await assignByLead(fixture.server().store, ticketB, { username: 'agent2', displayName: '张强' });
    await waitUntil(core, 'ticket B left the cache', async () => !(await core.invoke('ticket.get', { ticketId: ticketB })).ok);

    // A (buggy or hostile) renderer sends a reply on ticket A under that note's id: the core cannot tell, the server can.
    const replyText = '您好，退款已经原路退回。';
    const sent = await call(core, 'ticket.reply', { ticketId: ticketA, text: replyText, actionId });
    expect(sent).toMatchObject({ kind: 'sent', message: { id: actionId, pending: true } });
    await waitUntil(core, 'the push is answered', onlineAndIdle(core));

    expect(await serverMessagesWith(ticketA, replyText)).toBe(0);
    const detail = await call(core, 'ticket.get', { ticketId: ticketA });
    expect(detail.messages.filter((m) => m.text === replyText)).toEqual([]);
    expect((await call(core, 'attention.list', {})).items).toMatchObject([
      { ticketId: ticketA, kind: 'reply', code: 'invalid', refusal: { code: 'mutation_id_reused', ticketId: ticketA, id: actionId } },
    ]);
  });

  it('an offline reply retried is one draft, and sending that draft twice sends one message', async () => {
    const core = await newCore('agent1');
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');

    const text = '网络恢复后第一时间为您退款。';
    const actionId = randomUUID();
    const draft = await call(core, 'ticket.reply', { ticketId: ticketB, text, actionId });
    expect(await call(core, 'ticket.reply', { ticketId: ticketB, text, actionId })).toEqual(draft);
    expect((await call(core, 'ticket.get', { ticketId: ticketB })).drafts).toHaveLength(1);

    await restartServer();
    await waitUntil(core, 'online again', onlineAndIdle(core));
    const draftId = draft.kind === 'draft' ? draft.draft.id : '';
    const sent = await call(core, 'draft.send', { draftId });
    // The agent's "send" answer was lost and they press it again.
    expect(await call(core, 'draft.send', { draftId })).toMatchObject({ id: sent.id });
    await waitUntil(core, 'the draft is acknowledged', onlineAndIdle(core));
    expect(await call(core, 'draft.send', { draftId })).toMatchObject({ id: sent.id, pending: false });
    // A late retry of the original reply finds the message its draft became.
    expect(await call(core, 'ticket.reply', { ticketId: ticketB, text, actionId })).toMatchObject({ kind: 'sent', message: { id: sent.id } });
    expect(await serverMessagesWith(ticketB, text)).toBe(1);
  });

  it('"retry now" reaches a server that came back without waiting out a ten-minute backoff', async () => {
    const core = await newCore('agent1', LONG_BACKOFF);
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    expect(await call(core, 'connection.retryNow', {})).toEqual({ retrying: false });

    await stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    const offlineSince = (await connectionOf(core)).since;
    await restartServer();
    // The socket's next attempt is minutes away; the agent presses "retry now".
    expect(await call(core, 'connection.retryNow', {})).toEqual({ retrying: true });
    await waitUntil(core, 'online again', onlineAndIdle(core), 20_000);
    expect((await connectionOf(core)).since).toBeGreaterThanOrEqual(offlineSince);
  });

  it('"retry now" of a session signed in offline gets its token at once when the server is back', async () => {
    const first = await newCore('agent1');
    await call(first, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(first, 'online', onlineAndIdle(first));
    await call(first, 'session.signOut', {});
    await first.close();

    await stopServer();
    const core = await newCore('agent1', LONG_BACKOFF);
    const session = await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    expect(session.connection).toMatchObject({ status: 'offline', offlineSession: true });

    await restartServer();
    expect(await call(core, 'connection.retryNow', {})).toEqual({ retrying: true });
    await waitUntil(
      core,
      'online with a token',
      async () => {
        const state = await connectionOf(core);
        return state.status === 'online' && !state.offlineSession;
      },
      20_000,
    );
  });
});
