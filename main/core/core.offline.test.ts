/**
 * The core when the server goes away: work written offline is delivered exactly once after
 * the server comes back on the same port and data; a must-refetch re-bootstrap keeps the
 * outbox; an expired token signs the agent out with a clear reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/app.js';
import type { ConnectionState } from '../../shared/rpc.js';
import { createWorkstationCore, userCacheFile } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { offlineAgentFixture } from './testing/offlineAgent.js';

describe('workstation core with the server away', () => {
  const fixture = offlineAgentFixture('offline', ({ port, dataDir }) => startServer({ port, dataDir, demo: true, log: () => {} }));
  let ticketId: string;

  it('keeps a reply written while the server is down as a draft, then sends it exactly once when the agent confirms online', async () => {
    const core = await fixture.signInAgent();
    const inbox = await call(core, 'inbox.list', { channel: null, status: 'in_progress', query: '' });
    ticketId = inbox.rows[0]!.id;

    const serverUrl = fixture.server().url;
    await fixture.goOffline(core);
    const active = core;
    // Why, as a code and the fact: the renderer words it in the agent's language (no English sentence from here).
    await waitUntil(core, 'the reason is known', async () => (await connectionOf(active)).lastError !== null);
    expect((await connectionOf(active)).lastError).toEqual({ code: 'server_unreachable', serverUrl });

    const text = '系统恢复后请查收：您的退款已提交，预计三个工作日到账';
    const replied = await call(core, 'ticket.reply', { ticketId, text });
    if (replied.kind !== 'draft') throw new Error('a reply written offline must stay a draft');
    const noteText = '离线时记录：客户情绪平稳，等待退款';
    const note = await call(core, 'ticket.addNote', { ticketId, text: noteText });
    expect(note.pending).toBe(true);
    // Only the note waits in the outbox; the reply waits for the agent.
    expect((await connectionOf(core)).pendingCount).toBe(1);
    const whileDown = await call(core, 'ticket.get', { ticketId });
    expect(whileDown.drafts).toEqual([replied.draft]);
    expect(whileDown.messages.some((m) => m.text === text)).toBe(false);
    expect((await call(core, 'inbox.list', { channel: null, status: null, query: '' })).rows.find((r) => r.id === ticketId)).toMatchObject({
      hasDraft: true,
      pending: true,
    });
    const early = await core.invoke('draft.send', { draftId: replied.draft.id });
    expect(early).toMatchObject({ ok: false, error: { code: 'offline' } });

    const restarted = await fixture.restartServer();
    await waitUntil(core, 'the note is acknowledged', onlineAndIdle(core));
    expect((await restarted.store.getTicketBundle(ticketId))!.notes.filter((n) => n.text === noteText)).toHaveLength(1);
    expect((await restarted.store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === text)).toHaveLength(0);
    expect((await call(core, 'ticket.get', { ticketId })).drafts).toHaveLength(1);

    const sent = await call(core, 'draft.send', { draftId: replied.draft.id });
    expect(sent).toMatchObject({ text, pending: true, direction: 'outbound' });
    // Sending it again (the first answer was lost) finds the message it became: still one reply.
    const again = await call(core, 'draft.send', { draftId: replied.draft.id });
    expect(again).toMatchObject({ id: sent.id, text });
    await waitUntil(core, 'the reply is acknowledged', onlineAndIdle(core));
    const onServer = (await restarted.store.getTicketBundle(ticketId))!;
    expect(onServer.messages.filter((m) => m.text === text)).toEqual([expect.objectContaining({ id: sent.id })]);
    const local = await call(core, 'ticket.get', { ticketId });
    expect(local.drafts).toEqual([]);
    expect(local.messages.filter((m) => m.text === text)).toEqual([expect.objectContaining({ id: sent.id, pending: false })]);

    const discarded = await call(core, 'ticket.reply', { ticketId, text: '这条不用发了' });
    expect(discarded.kind).toBe('sent');
    await waitUntil(core, 'the second reply is acknowledged', onlineAndIdle(core));
  });

  it('keeps the email subject of a reply written offline (issue 12) through the draft to the server; refuses a subject that would inject a header', async () => {
    const active = fixture.agent();
    const email = (await call(active, 'inbox.list', { channel: 'email', status: null, query: '' })).rows.find(
      (row) => row.subject === '发票抬头填错了，需要重开',
    )!;
    const injected = await active.invoke('ticket.reply', { ticketId: email.id, text: '您好', subject: '发票已重开\r\nBcc: everyone@example.cn' });
    expect(injected).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    expect(JSON.stringify(injected)).toContain('subject_control_chars');

    await fixture.goOffline(active);
    const text = '赵女士您好，发票已按新抬头重开，请查收附件。';
    const replied = await call(active, 'ticket.reply', { ticketId: email.id, text, subject: '  发票已重开  ' });
    if (replied.kind !== 'draft') throw new Error('a reply written offline must stay a draft');
    expect(replied.draft.subject).toBe('发票已重开');
    expect((await call(active, 'ticket.get', { ticketId: email.id })).drafts).toEqual([replied.draft]);

    const restarted = await fixture.restartServer();
    await waitUntil(active, 'back online', onlineAndIdle(active));
    const sent = await call(active, 'draft.send', { draftId: replied.draft.id });
    expect(sent).toMatchObject({ text, subject: '发票已重开', pending: true });
    await waitUntil(active, 'the reply is acknowledged', onlineAndIdle(active));
    expect((await restarted.store.getTicketBundle(email.id))!.messages.find((m) => m.id === sent.id)).toMatchObject({ text, subject: '发票已重开' });
    expect((await call(active, 'ticket.get', { ticketId: email.id })).messages.find((m) => m.id === sent.id)).toMatchObject({
      subject: '发票已重开',
      pending: false,
    });
  });

  it('bootstraps again when the server no longer has its changes, keeping the note written offline', async () => {
    const active = fixture.agent();
    await fixture.goOffline(active);
    const note = await call(active, 'ticket.addNote', { ticketId, text: '离线时记录：客户要求电话回访' });
    await active.close();

    // While this workstation is away the server moves on and forgets its old changes.
    const restarted = await fixture.restartServer();
    const posted = await fetch(`${restarted.url}/api/v1/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
      body: JSON.stringify({
        channel: 'email',
        customer: { name: '陈晓明', email: 'chen.xm@example.cn' },
        subject: '发票抬头修改',
        text: '请把发票抬头改为公司名称',
      }),
    });
    expect(posted.status).toBe(201);
    const { maxSeq } = await restarted.store.changeLogBounds();
    expect(await restarted.store.pruneChangesBefore(maxSeq + 1)).toBeGreaterThan(0);

    const core = await fixture.openCore();
    const progress: Array<{ done: number; total: number }> = [];
    core.onEvent((event, payload) => {
      if (event === 'connection' && (payload as ConnectionState).progress) progress.push((payload as ConnectionState).progress!);
    });
    expect((await connectionOf(core)).pendingCount).toBe(1);
    await waitUntil(core, 'the note is acknowledged after the re-bootstrap', onlineAndIdle(core));
    expect(progress.length).toBeGreaterThan(0);
    const onServer = (await restarted.store.getTicketBundle(ticketId))!;
    expect(onServer.notes.filter((n) => n.id === note.id)).toHaveLength(1);
    const local = await call(core, 'ticket.get', { ticketId });
    expect(local.notes.find((n) => n.id === note.id)?.pending).toBe(false);
  });

  it('signs out with a clear reason when the token expires, keeping the cache file', async () => {
    let clock = Date.now();
    const expiryDir = fixture.dataDir('expiry');
    const shortLived = await startServer({ port: 0, dataDir: path.join(expiryDir, 'server'), demo: true, now: () => clock, tokenTtlMs: 60_000, log: () => {} });
    const dataDir = path.join(expiryDir, 'agent2');
    const agent = await createWorkstationCore({ dataDir, serverUrl: shortLived.url });
    try {
      const session = await call(agent, 'session.signIn', { username: 'agent2', password: 'demo' });
      await waitUntil(agent, 'online', onlineAndIdle(agent));
      const someTicket = (await call(agent, 'inbox.list', { channel: null, status: null, query: '' })).rows[0]!.id;

      clock += 120_000;
      await call(agent, 'ticket.addNote', { ticketId: someTicket, text: '令牌过期前写的备注' });
      await waitUntil(agent, 'signed out', async () => (await call(agent, 'session.get', {})).user === null);
      const state = await call(agent, 'session.get', {});
      expect(state.connection).toMatchObject({ status: 'signed_out', lastError: { code: 'session_expired' } });
      const settings = JSON.parse(readFileSync(path.join(dataDir, 'workstation.json'), 'utf8')) as { session: unknown };
      expect(settings.session).toBeNull();
      expect(existsSync(userCacheFile(dataDir, session.user!.id))).toBe(true);
    } finally {
      await agent.close();
      await shortLived.close();
    }
  });
});
