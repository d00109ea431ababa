/**
 * One customer across channels, through real workstation cores against the real server
 * (demo organisation): his WeChat record, which only claims his number, suggested to agent1
 * as possibly the same customer as 张伟 on the phone and merged in; then his separate email
 * customer merged from agent1's core, what each viewer's cache then holds (the customer
 * panel's history across all channels), attachment downloads, and what needs the server
 * failing `offline` without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import { MAX_ATTACHMENT_DOWNLOAD_BYTES, type RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from '../testing/coreCalls.js';

let root: string;
let server: RunningServer;
let agent1: WorkstationCore;
let agent4: WorkstationCore;
let lead: WorkstationCore;
const agent1Changed: string[][] = [];
let phoneTicket: string;
let wechatTicket: string;
let emailTicket: string;
let keepId: string;
let mergeId: string;
let wechatId: string;

async function postInbound(body: unknown): Promise<{ ticketId: string }> {
  const response = await fetch(`${server.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { ticketId: string };
}

async function signedIn(username: string): Promise<WorkstationCore> {
  const core = await createWorkstationCore({ dataDir: path.join(root, username), serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  await call(core, 'session.signIn', { username, password: 'demo' });
  await waitUntil(core, `${username} is online`, onlineAndIdle(core));
  return core;
}

/** Whether the core has the ticket with its customer being `customerId` and the other tickets of theirs. */
function hasHistory(core: WorkstationCore, ticketId: string, customerId: string, others: string[]) {
  return async () => {
    const outcome = await core.invoke('ticket.get', { ticketId });
    if (!outcome.ok) return false;
    const detail = outcome.result as Awaited<ReturnType<typeof call<'ticket.get'>>>;
    const ids = detail.customerTickets.map((ticket) => ticket.id);
    return detail.customer.id === customerId && others.every((id) => ids.includes(id));
  };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'core-customers-'));
  server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  // Away agents get no routed tickets: what each one holds is what a lead gives them below.
  for (const agent of ['agent1', 'agent4']) await server.routing.setPresence(agent, 'away', 'lead', '李主管');
  // As the channels store them: the CTI proves the caller's number, WeChat the openid, a mail its From address.
  phoneTicket = (
    await server.store.ingestInbound(
      { channel: 'phone', customer: { name: '张伟', phone: '13812345678' }, text: '来电：订单物流查询延迟', source: 'cti', proven: ['phone'] },
      { now: Date.now() },
    )
  ).ticketId;
  // WeChat: the openid is new; the mobile he bound to the account (written the international way) is only his claim.
  wechatTicket = (
    await server.store.ingestInbound(
      {
        channel: 'social',
        customer: { name: '张伟', socialId: 'wechat:gh_demo:oZhangWei', phone: '+86 138-1234-5678' },
        text: '公众号留言：物流还没更新',
        source: 'wechat:gh_demo',
        proven: ['socialId'],
      },
      { now: Date.now() },
    )
  ).ticketId;
  emailTicket = (
    await server.store.ingestInbound(
      {
        channel: 'email',
        customer: { name: '张伟', email: 'ZhangWei.Work@Example.cn' },
        subject: '订单物流查询延迟',
        text: '快递三天没动了',
        source: 'email',
        proven: ['email'],
      },
      { now: Date.now() },
    )
  ).ticketId;
  // agent1 holds the phone and email tickets; the WeChat one waits in the social queue (agent1 and agent4 have that channel).
  const wang = (await server.store.getUser('agent1'))!;
  for (const ticketId of [phoneTicket, emailTicket]) {
    await server.store.assignTicket({
      ticketId,
      assignee: { id: wang.id, username: wang.username, displayName: wang.displayName },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
  }
  keepId = (await server.store.getTicket(phoneTicket))!.customerId;
  mergeId = (await server.store.getTicket(emailTicket))!.customerId;
  wechatId = (await server.store.getTicket(wechatTicket))!.customerId;
  agent1 = await signedIn('agent1');
  agent1.onEvent((event, payload) => {
    if (event === 'changed') agent1Changed.push((payload as RpcEvents['changed']).ticketIds);
  });
  agent4 = await signedIn('agent4');
  lead = await signedIn('lead1');
});

afterAll(async () => {
  await Promise.all([agent1, agent4, lead].map((core) => core?.close()));
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('one customer across channels, in the workstation', () => {
  it('suggests his WeChat record, which claims his number, as possibly the same customer; one merge puts both tickets in his panel', async () => {
    expect(wechatId).not.toBe(keepId);
    const { matches } = await call(agent1, 'customer.matches', { customerId: wechatId });
    expect(matches.map((match) => [match.customer.id, match.shared, match.channels])).toEqual([
      [keepId, [{ kind: 'phone', value: '+86138****5678', oursProven: false, theirsProven: true }], ['phone']],
    ]);
    expect((await call(agent1, 'customer.matches', { customerId: keepId })).matches.map((match) => match.customer.id)).toEqual([wechatId]);
    await call(agent1, 'customer.merge', { keepId, mergeId: wechatId });
    // The WeChat ticket is queued, not agent1's: the queue view fetches it when opened.
    await call(agent1, 'ticket.fetch', { ticketId: wechatTicket });
    await waitUntil(agent1, 'agent1 sees the WeChat ticket in his history', hasHistory(agent1, phoneTicket, keepId, [wechatTicket]));
    const detail = await call(agent1, 'ticket.get', { ticketId: phoneTicket });
    // An agent's cache holds contact details masked (shared/masking.ts).
    expect(detail.customer).toMatchObject({
      id: keepId,
      phone: '+86138****5678',
      identities: [
        { kind: 'phone', value: '+86138****5678' },
        { kind: 'social', value: 'wechat:gh_demo:oZhangWei' },
      ],
    });
    expect(detail.customerTickets.map((ticket) => ticket.id)).toEqual([wechatTicket]);
    // The email customer is someone else until an agent says otherwise, and nothing suggests otherwise.
    expect((await call(agent1, 'ticket.get', { ticketId: emailTicket })).customer.id).toBe(mergeId);
    expect((await call(agent1, 'customer.matches', { customerId: mergeId })).matches).toEqual([]);
    // A customer nobody has (or one the agent may not see) is not found.
    expect(await agent4.invoke('customer.matches', { customerId: 'CUS20991231001' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('finds the other 张伟 in the local cache by name, email or phone however typed', async () => {
    const byName = await call(agent1, 'customer.search', { query: '张伟', excludeId: keepId });
    const hit = byName.find((h) => h.customer.id === mergeId);
    expect(hit).toMatchObject({ ticketCount: 1, channels: ['email'], customer: { email: 'z***@example.cn' } });
    expect(byName.map((h) => h.customer.id)).not.toContain(keepId);
    // The whole address finds its masked form (z***@example.cn: other z… addresses of the domain too);
    // a part of the name no longer can (docs/technical/core.md).
    expect((await call(agent1, 'customer.search', { query: 'ZhangWei.Work@example.cn' })).map((h) => h.customer.id)).toContain(mergeId);
    for (const query of ['138 1234 5678', '+86 138-1234-5678', '13812345678', 'oZhangWei']) {
      expect(
        (await call(agent1, 'customer.search', { query })).map((h) => h.customer.id),
        query,
      ).toEqual([keepId]);
    }
    // agent4 (email + social) holds none of them; opening the queued WeChat ticket brings 张伟 into their cache, never the phone ticket.
    expect(await call(agent4, 'customer.search', { query: '13812345678' })).toEqual([]);
    await call(agent4, 'ticket.fetch', { ticketId: wechatTicket });
    expect((await call(agent4, 'customer.search', { query: '13812345678' })).map((h) => h.channels)).toEqual([['social']]);
  });

  it('merges the email customer into the phone one from agent1, and every viewer’s cache follows', async () => {
    const changedBefore = agent1Changed.length;
    const result = await call(agent1, 'customer.merge', { keepId, mergeId });
    expect(result).toMatchObject({ mergedId: mergeId, ticketIds: [emailTicket], customer: { id: keepId, email: 'z***@example.cn' } });
    expect(result.customer.identities.map((identity) => identity.kind)).toEqual(['phone', 'email', 'social']);

    // agent1's panel on the phone ticket now lists all three channels' tickets.
    await waitUntil(agent1, 'agent1 sees the merged history', hasHistory(agent1, phoneTicket, keepId, [wechatTicket, emailTicket]));
    const detail = await call(agent1, 'ticket.get', { ticketId: phoneTicket });
    expect(detail.customer.identities).toHaveLength(3);
    expect(new Set([detail.ticket.channel, ...detail.customerTickets.map((ticket) => ticket.channel)])).toEqual(new Set(['phone', 'social', 'email']));
    // The open phone ticket was announced too (its customer changed), so an open panel reloads.
    const announced = () => agent1Changed.slice(changedBefore).flat();
    await waitUntil(agent1, 'the merge is announced', () => announced().includes(phoneTicket) && announced().includes(emailTicket));

    // The lead sees everything; agent4 may not open agent1's email ticket, and the queued WeChat one, fetched again, is now that customer's.
    await waitUntil(lead, 'the lead sees the merged history', hasHistory(lead, emailTicket, keepId, [phoneTicket, wechatTicket]));
    expect(await agent4.invoke('ticket.fetch', { ticketId: emailTicket })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const agent4Detail = await call(agent4, 'ticket.fetch', { ticketId: wechatTicket });
    expect(agent4Detail.customer).toMatchObject({ id: keepId, phone: '+86138****5678', email: 'z***@example.cn' });
    expect(agent4Detail.customerTickets.map((ticket) => ticket.id)).not.toContain(phoneTicket);
    // The merged customer no longer turns up in searches: it has no tickets left.
    expect((await call(lead, 'customer.search', { query: '张伟' })).map((h) => h.customer.id)).not.toContain(mergeId);
  });

  it('refuses a second merge of the same customer with the server’s reason', async () => {
    const outcome = await agent1.invoke('customer.merge', { keepId, mergeId });
    expect(outcome).toEqual({ ok: false, error: { code: 'conflict', message: `Customer ${mergeId} was already merged into ${keepId}.` } });
    expect(await agent1.invoke('customer.merge', { keepId, mergeId: keepId })).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
  });

  it('downloads an attachment of a visible message, and refuses unknown and oversized ones', async () => {
    const invoice = Buffer.from('%PDF-1.4\n发票：订单 20241108-0042\n', 'utf8');
    const mail = await server.store.ingestInbound(
      {
        channel: 'email',
        customer: { email: 'zhangwei.work@example.cn' },
        text: '发票和快递单照片见附件',
        source: 'email',
        proven: ['email'],
        attachments: [
          { fileName: '发票.pdf', contentType: 'application/pdf', data: invoice },
          { fileName: '监控录像.mp4', contentType: 'video/mp4', data: Buffer.alloc(MAX_ATTACHMENT_DOWNLOAD_BYTES + 1) },
        ],
      },
      { now: Date.now() },
    );
    expect(mail.ticketId).toBe(emailTicket);
    const [pdf, video] = (await server.store.getTicketBundle(emailTicket))!.messages.at(-1)!.attachments;
    await waitUntil(agent1, 'agent1 has the attachments', async () => {
      const detail = await call(agent1, 'ticket.get', { ticketId: emailTicket });
      return detail.messages.some((message) => message.attachments.length === 2);
    });

    const download = await call(agent1, 'attachment.download', { attachmentId: pdf!.id });
    expect(download).toMatchObject({ fileName: '发票.pdf', contentType: 'application/pdf', size: invoice.length });
    expect(Buffer.from(download.base64, 'base64').equals(invoice)).toBe(true);

    expect(await agent1.invoke('attachment.download', { attachmentId: video!.id })).toEqual({
      ok: false,
      error: { code: 'too_large', message: '监控录像.mp4 is 10.0 MB; attachments over 10.0 MB cannot be downloaded here.' },
    });
    expect(await agent1.invoke('attachment.download', { attachmentId: 'no-such-attachment' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('uploads a file and sends it with a reply through the outbox; a dangerous type is refused before upload, a lost id by the server', async () => {
    const quote = Buffer.from('%PDF-1.4\n报价单 2024-11-08\n', 'utf8');
    const uploaded = await call(agent1, 'attachment.upload', {
      ticketId: emailTicket,
      uploadId: 'core-upload-0001',
      fileName: '报价单.pdf',
      contentType: 'application/pdf',
      base64: quote.toString('base64'),
    });
    expect(uploaded).toEqual({ id: 'core-upload-0001', fileName: '报价单.pdf', contentType: 'application/pdf', size: quote.length });
    // A retry of the same upload (its answer lost) is the same file.
    expect(
      await call(agent1, 'attachment.upload', {
        ticketId: emailTicket,
        uploadId: 'core-upload-0001',
        fileName: '报价单.pdf',
        contentType: 'application/pdf',
        base64: quote.toString('base64'),
      }),
    ).toEqual(uploaded);
    expect(
      await agent1.invoke('attachment.upload', {
        ticketId: emailTicket,
        uploadId: 'core-upload-exe',
        fileName: 'setup.exe',
        contentType: 'application/octet-stream',
        base64: 'TVo=',
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_params', refusal: { code: 'attachment_refused', reason: 'attachment_type_denied', fileName: 'setup.exe' } },
    });

    const sent = await call(agent1, 'ticket.reply', { ticketId: emailTicket, text: '报价单见附件', attachments: [uploaded] });
    expect(sent).toMatchObject({ kind: 'sent', message: { attachments: [uploaded] } });
    if (sent.kind !== 'sent') throw new Error('not sent');
    await waitUntil(
      agent1,
      'the server has the reply with its file',
      async () =>
        (await server.store.getTicketBundle(emailTicket))?.messages.some((message) => message.id === sent.message.id && message.attachments.length === 1) ??
        false,
    );
    expect((await server.store.getAttachment('core-upload-0001'))?.data.equals(quote)).toBe(true);

    // Its action id again: with the same file it is the same reply; without it (or with
    // another) it is refused, never answered "sent" for files that did not go.
    const retry = { ticketId: emailTicket, text: '报价单见附件', actionId: sent.message.id };
    expect(await call(agent1, 'ticket.reply', { ...retry, attachments: [uploaded] })).toMatchObject({ kind: 'sent', message: { id: sent.message.id } });
    expect(await agent1.invoke('ticket.reply', retry)).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    expect(await agent1.invoke('ticket.reply', { ...retry, attachments: [{ ...uploaded, id: 'core-upload-0002' }] })).toMatchObject({
      ok: false,
      error: { code: 'invalid_params' },
    });
    expect((await server.store.getTicketBundle(emailTicket))?.messages.filter((message) => message.text === '报价单见附件')).toHaveLength(1);
  });

  it('fails merges and uploads with `offline` without the server, while search and the kept attachments keep working', async () => {
    const another = await postInbound({ channel: 'email', customer: { name: '张伟', email: 'zw.third@example.cn' }, text: '第三个邮箱' });
    const thirdId = (await server.store.getTicket(another.ticketId))!.customerId;
    // Queued (agent1 is away): in agent1's cache once opened from the queue view.
    await call(agent1, 'ticket.fetch', { ticketId: another.ticketId });
    const pdfId = (await server.store.getTicketBundle(emailTicket))!.messages.at(-1)!.attachments[0]!.id;
    await waitUntil(agent1, 'the held ticket’s file is kept', async () =>
      (await call(agent1, 'ticket.get', { ticketId: emailTicket })).keptAttachmentIds.includes(pdfId),
    );

    await server.close();
    await waitUntil(agent1, 'agent1 is offline', async () => (await connectionOf(agent1)).status === 'offline');
    expect(await agent1.invoke('customer.merge', { keepId, mergeId: thirdId })).toMatchObject({ ok: false, error: { code: 'offline' } });
    // The file of a ticket agent1 holds was kept after sync: it opens offline (attachments/attachments.offline.test.ts has the rest).
    expect(await call(agent1, 'attachment.download', { attachmentId: pdfId })).toMatchObject({ fileName: '报价单.pdf', contentType: 'application/pdf' });
    // Files need the server: attaching offline is refused with its own code (the composer keeps the text).
    expect(
      await agent1.invoke('attachment.upload', {
        ticketId: emailTicket,
        uploadId: 'core-upload-offline',
        fileName: 'a.pdf',
        contentType: 'application/pdf',
        base64: 'JVBERg==',
      }),
    ).toMatchObject({ ok: false, error: { refusal: { code: 'attachment_refused', reason: 'attachment_offline' } } });
    expect(
      await agent1.invoke('ticket.reply', {
        ticketId: emailTicket,
        text: '附件稍后发送',
        attachments: [{ id: 'core-upload-offline', fileName: 'a.pdf', contentType: 'application/pdf', size: 4 }],
      }),
    ).toMatchObject({ ok: false, error: { refusal: { code: 'attachment_refused', reason: 'attachment_offline' } } });
    expect(await agent1.invoke('customer.matches', { customerId: keepId })).toMatchObject({ ok: false, error: { code: 'offline' } });
    expect((await call(agent1, 'customer.search', { query: '张伟', excludeId: keepId })).map((h) => h.customer.id)).toContain(thirdId);
  });
});
