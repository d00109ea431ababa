/**
 * The email channel against a real Dovecot (IMAP + LMTP) started for this file: mail
 * delivered over LMTP is picked up by the IMAP poller (waiting mail at start, new mail
 * through IDLE, again after the connection is cut) and flagged \Seen only once stored;
 * an agent's reply leaves through the sender into the customer's mailbox with our
 * threading headers, and the customer's answer to it comes back into the same ticket.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultChannelSettings, isAutomaticReply } from '../../../shared/admin.js';
import { seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { emailChannel } from './emailChannel.js';
import { PermanentDeliveryError } from '../delivery.js';
import { REFUSED_KEYWORD } from './imapPoller.js';
import { parseMail } from './parseMail.js';
import { createEmailSender } from './smtpSender.js';
import { startTestDovecot, type TestDovecot } from './testDovecot.js';
import { ticketIdFromSubject } from './threading.js';
import { buildMail, sendWithNodemailer, type TestMailSpec } from './testMail.js';

const SUPPORT = { address: 'support@demo.local', password: '客服-imap-pw' };
const ZHANG = { address: 'zhangwei@example.cn', password: 'zw-pw' };
const WAIT = { timeout: 15_000, interval: 50 };

let dovecot: TestDovecot;
let server: TestServer;

async function deliver(to: string, spec: Omit<TestMailSpec, 'to'>): Promise<void> {
  const sent = await sendWithNodemailer(dovecot.lmtpPort, buildMail({ ...spec, to }), { from: spec.from, to }, { lmtp: true });
  if (!sent.ok) throw new Error(`LMTP delivery to ${to} failed: ${sent.response}\n${dovecot.log()}`);
}

async function withMailbox<T>(user: { address: string; password: string }, use: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, auth: { user: user.address, pass: user.password }, logger: false });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    return await use(client);
  } finally {
    await client.logout();
  }
}

async function flagsOf(user: { address: string; password: string }): Promise<Map<string, string[]>> {
  return withMailbox(user, async (client) => {
    const flags = new Map<string, string[]>();
    for (const message of await client.fetchAll('1:*', { envelope: true, flags: true }))
      flags.set(message.envelope?.messageId ?? '', [...(message.flags ?? [])].sort());
    return flags;
  });
}

async function ticketOf(messageId: string): Promise<string | null> {
  return await server.store.findTicketByExternalMessageIds('email', [messageId]);
}

function startServer(options: { dataDir?: string } = {}): Promise<TestServer> {
  return startTestServer({
    ...options,
    deliveryRetryDelayMs: 20,
    channels: [
      emailChannel({
        addresses: [SUPPORT.address],
        maxMailBytes: 1024 * 1024,
        maxAttachmentBytes: 64 * 1024,
        imap: {
          host: dovecot.host,
          port: dovecot.imapPort,
          secure: false,
          user: SUPPORT.address,
          password: SUPPORT.password,
          mailbox: 'INBOX',
          reconnectDelayMs: 50,
        },
        smtpOut: { host: dovecot.host, port: dovecot.lmtpPort, secure: false, lmtp: true, from: SUPPORT.address, fromName: '客服中心' },
      }),
    ],
  });
}

const waiting = {
  from: ZHANG.address,
  fromName: '张伟',
  subject: '订单物流查询延迟',
  text: '我的订单E20241108001三天没有物流更新了。',
  messageId: '<waiting.1@example.cn>',
};

beforeAll(async () => {
  dovecot = await startTestDovecot([SUPPORT, ZHANG]);
  // Mail that arrived while the server was down is fetched when it starts.
  await deliver(SUPPORT.address, waiting);
  server = await startServer();
  await seedTestOrganisation(server.store, [
    { username: 'agent_wang', displayName: '王芳', channels: ['email'] },
    { username: 'admin_li', displayName: '李管理', channels: [], role: 'admin' },
  ]);
});
afterAll(async () => {
  await server?.stop();
  await dovecot?.stop();
});

describe('email channel with Dovecot', () => {
  it('fetches waiting mail at start and flags it \\Seen once stored', async () => {
    await vi.waitFor(async () => expect(await ticketOf(waiting.messageId)).not.toBeNull(), WAIT);
    const bundle = (await server.store.getTicketBundle((await ticketOf(waiting.messageId))!))!;
    expect(bundle.ticket.subject).toBe('订单物流查询延迟');
    expect(bundle.messages[0]).toMatchObject({ source: 'email', text: waiting.text, authorName: '张伟' });
    await vi.waitFor(async () => expect((await flagsOf(SUPPORT)).get(waiting.messageId)).toEqual(['\\Seen']), WAIT);
  });

  it('picks up new mail through IDLE, GBK included, and again after the connection is cut', async () => {
    await vi.waitFor(() => expect(server.logLines.some((line) => line.includes('waiting in IDLE'))).toBe(true), WAIT);
    await deliver(SUPPORT.address, {
      from: 'li.na@example.cn',
      fromName: '李娜',
      charset: 'gbk',
      subject: '发票抬头修改',
      text: '请把发票抬头改为上海某某贸易有限公司。',
      messageId: '<idle.1@example.cn>',
    });
    await vi.waitFor(async () => expect(await ticketOf('<idle.1@example.cn>')).not.toBeNull(), WAIT);
    expect((await server.store.getTicketBundle((await ticketOf('<idle.1@example.cn>'))!))!).toMatchObject({
      ticket: { subject: '发票抬头修改' },
      customer: { name: '李娜', email: 'li.na@example.cn' },
    });

    dovecot.kick(SUPPORT.address);
    await vi.waitFor(() => expect(server.logLines.some((line) => line.includes('reconnecting in'))).toBe(true), WAIT);
    await deliver(SUPPORT.address, {
      from: 'li.na@example.cn',
      fromName: '李娜',
      subject: '退货地址',
      text: '退货寄到哪里？',
      messageId: '<after-kick.1@example.cn>',
    });
    await vi.waitFor(async () => expect(await ticketOf('<after-kick.1@example.cn>')).not.toBeNull(), WAIT);
  });

  it('drops an auto-reply from the mailbox (flagged \\Seen, no ticket)', async () => {
    await deliver(SUPPORT.address, {
      from: 'wang@example.cn',
      subject: '自动回复：我正在休假',
      text: '11月11日回来',
      messageId: '<ooo.1@example.cn>',
      headers: ['Auto-Submitted: auto-replied'],
    });
    await vi.waitFor(async () => expect((await flagsOf(SUPPORT)).get('<ooo.1@example.cn>')).toEqual(['\\Seen']), WAIT);
    expect(await ticketOf('<ooo.1@example.cn>')).toBeNull();
    expect(server.logLines.some((line) => line.includes('dropped automatic mail wang@example.cn <ooo.1@example.cn> (Auto-Submitted: auto-replied)'))).toBe(
      true,
    );
  });

  it('flags malformed mail $OmniDeskRefused and stores nothing', async () => {
    const before = (await server.store.changeLogBounds()).maxSeq;
    const raw = Buffer.from(
      'From: broken@example.cn\r\nMessage-ID: <broken.1@example.cn>\r\nContent-Type: multipart/mixed; boundary="gone"\r\n\r\nno parts at all\r\n',
    );
    const sent = await sendWithNodemailer(dovecot.lmtpPort, raw, { from: 'broken@example.cn', to: SUPPORT.address }, { lmtp: true });
    expect(sent.ok).toBe(true);
    await vi.waitFor(async () => expect((await flagsOf(SUPPORT)).get('<broken.1@example.cn>')).toEqual([REFUSED_KEYWORD, '\\Seen'].sort()), WAIT);
    expect((await server.store.changeLogBounds()).maxSeq).toBe(before);
    expect(server.logLines.some((line) => line.startsWith('email(imap): refused a mail') && line.includes('never contains its boundary'))).toBe(true);
  });

  it('keeps a mail whose attachment is over the limit, without that file and with a note; refuses a mail over the size limit', async () => {
    const photo = Buffer.alloc(2000, 3);
    await deliver(SUPPORT.address, {
      from: 'li.na@example.cn',
      fromName: '李娜',
      subject: '安装问题',
      text: '安装视频和照片见附件。',
      messageId: '<big-attachment.1@example.cn>',
      attachments: [
        { fileName: '安装视频.mp4', contentType: 'video/mp4', data: Buffer.alloc(100 * 1024, 1) },
        { fileName: '照片.jpg', contentType: 'image/jpeg', data: photo },
      ],
    });
    await vi.waitFor(async () => expect(await ticketOf('<big-attachment.1@example.cn>')).not.toBeNull(), WAIT);
    const message = (await server.store.getTicketBundle((await ticketOf('<big-attachment.1@example.cn>'))!))!.messages.find(
      (stored) => stored.externalMessageId === '<big-attachment.1@example.cn>',
    )!;
    expect(message.attachments.map((file) => `${file.fileName}:${String(file.size)}`)).toEqual(['照片.jpg:2000']);
    expect(message.text).toBe('安装视频和照片见附件。\n\n[附件 安装视频.mp4 超过 0.1 MB 未保存 / attachment over the size limit, not stored]');

    const before = (await server.store.changeLogBounds()).maxSeq;
    await deliver(SUPPORT.address, {
      from: 'li.na@example.cn',
      subject: '更大的视频',
      text: '见附件',
      messageId: '<too-big.1@example.cn>',
      attachments: [{ fileName: '录像.mp4', contentType: 'video/mp4', data: Buffer.alloc(1024 * 1024, 2) }],
    });
    await vi.waitFor(async () => expect((await flagsOf(SUPPORT)).get('<too-big.1@example.cn>')).toEqual([REFUSED_KEYWORD, '\\Seen'].sort()), WAIT);
    expect((await server.store.changeLogBounds()).maxSeq).toBe(before);
    expect(server.logLines.some((line) => /refused uid \d+ of \d+ bytes \(limit 1048576\)/.test(line))).toBe(true);
  });

  it('sends an agent reply with its attachment (a Chinese file name) into the customer mailbox with our threading headers, and threads the answer back', async () => {
    const ticketId = (await ticketOf(waiting.messageId))!;
    const agent = (await server.store.getUser('agent_wang'))!;
    const replyId = randomUUID();
    const invoice = Buffer.from('%PDF-1.4\n发票 E20241108001\n%%EOF\n', 'utf8');
    expect(
      await server.store.putReplyUpload(
        agent.id,
        { id: 'upload-invoice', fileName: '发票.pdf', contentType: 'application/pdf', data: invoice },
        server.clock.now(),
      ),
    ).toBe('stored');
    const result = await server.store.applyMutation(
      agent,
      'client-1',
      {
        mutationId: randomUUID(),
        kind: 'reply',
        ticketId,
        messageId: replyId,
        text: '您好，已为您联系快递公司，预计明天送达。',
        createdAt: server.clock.now(),
        attachments: [{ id: 'upload-invoice', fileName: '发票.pdf', contentType: 'application/pdf', size: invoice.length }],
      },
      server.clock.now(),
    );
    expect(result.ok).toBe(true);
    const ourMessageId = `<${ticketId}.${replyId}@demo.local>`;
    await vi.waitFor(
      async () => expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)?.deliveryStatus).toBe('sent'),
      WAIT,
    );
    expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)!.externalMessageId).toBe(ourMessageId);

    const source = await withMailbox(ZHANG, async (client) => {
      const [message] = await client.fetchAll('1:*', { source: true });
      return message!.source!;
    });
    const received = await parseMail(source);
    // The customer's mailbox holds the file under its Chinese name (nodemailer encodes it for old and new clients alike).
    expect(received.attachments.map((file) => ({ fileName: file.fileName, contentType: file.contentType, data: file.data }))).toEqual([
      { fileName: '发票.pdf', contentType: 'application/pdf', data: invoice },
    ]);
    expect(source.toString('latin1')).toMatch(/filename\*0?\*?=utf-8''|filename="=\?UTF-8\?/i);
    expect(received).toMatchObject({
      messageId: ourMessageId,
      inReplyTo: [waiting.messageId],
      references: [waiting.messageId],
      subject: `Re: 订单物流查询延迟 [${ticketId}]`,
      from: { name: '客服中心', address: SUPPORT.address },
    });
    expect(received.text.trim()).toBe('您好，已为您联系快递公司，预计明天送达。');
    expect(received.headers.get('x-omnidesk-ticket')).toEqual([ticketId]);

    // The customer answers from their client a minute later: In-Reply-To our id, the quote below.
    server.clock.advance(60_000);
    await deliver(SUPPORT.address, {
      from: ZHANG.address,
      fromName: '张伟',
      subject: `回复：${received.subject}`,
      text: '好的，谢谢！\n\n-----原始邮件-----\n发件人: 客服中心 <support@demo.local>\n发送时间: 2024年11月8日 10:05\n\n您好，已为您联系快递公司，预计明天送达。',
      messageId: '<answer.1@example.cn>',
      inReplyTo: ourMessageId,
      references: [waiting.messageId, ourMessageId],
    });
    await vi.waitFor(async () => expect(await ticketOf('<answer.1@example.cn>')).toBe(ticketId), WAIT);
    const messages = (await server.store.getTicketBundle(ticketId))!.messages;
    expect(messages.map((message) => `${message.direction}:${message.text}`)).toEqual([
      `inbound:${waiting.text}`,
      'outbound:您好，已为您联系快递公司，预计明天送达。',
      'inbound:好的，谢谢！',
    ]);
    expect(server.logLines.some((line) => line.includes(`<answer.1@example.cn> → ${ticketId} (joined via in-reply-to)`))).toBe(true);
  });

  it("sends the agent's own subject (issue 12) with the ticket tag appended, so the answer still threads by subject", async () => {
    const ticketId = (await ticketOf(waiting.messageId))!;
    const agent = (await server.store.getUser('agent_wang'))!;
    const replyId = randomUUID();
    const result = await server.store.applyMutation(
      agent,
      'client-1',
      {
        mutationId: randomUUID(),
        kind: 'reply',
        ticketId,
        messageId: replyId,
        text: '退款已原路退回。',
        subject: '退款进度说明',
        createdAt: server.clock.now(),
      },
      server.clock.now(),
    );
    expect(result.ok).toBe(true);
    await vi.waitFor(
      async () => expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)?.deliveryStatus).toBe('sent'),
      WAIT,
    );
    expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)!.subject).toBe('退款进度说明');
    const received = await withMailbox(ZHANG, async (client) => {
      const mails = await Promise.all((await client.fetchAll('1:*', { source: true })).map((message) => parseMail(message.source!)));
      return mails.find((mail) => mail.messageId === `<${ticketId}.${replyId}@demo.local>`)!;
    });
    expect(received.subject).toBe(`退款进度说明 [${ticketId}]`);
    expect(ticketIdFromSubject(received.subject)).toBe(ticketId);
  });

  it('fails a reply at once when the mail server refuses the recipient (5xx), with its words', async () => {
    await deliver(SUPPORT.address, { from: 'ghost@example.cn', subject: '会员积分', text: '积分没到账', messageId: '<ghost.1@example.cn>' });
    await vi.waitFor(async () => expect(await ticketOf('<ghost.1@example.cn>')).not.toBeNull(), WAIT);
    const ticketId = (await ticketOf('<ghost.1@example.cn>'))!;
    const replyId = randomUUID();
    await server.store.applyMutation(
      (await server.store.getUser('agent_wang'))!,
      'client-1',
      { mutationId: randomUUID(), kind: 'reply', ticketId, messageId: replyId, text: '积分已补发', createdAt: server.clock.now() },
      server.clock.now(),
    );
    await vi.waitFor(
      async () => expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)?.deliveryStatus).toBe('failed'),
      WAIT,
    );
    expect((await server.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)!.deliveryError).toMatch(
      /^邮件服务器拒收 \/ refused by the mail server: 550 .*ghost@example\.cn/,
    );
    expect(server.logLines.some((line) => line.includes(`${replyId} on ${ticketId} failed via email after 1 attempt(s)`))).toBe(true);
  });

  it('refuses to send a reply whose attachment bytes are gone, instead of mailing it without the file', async () => {
    await vi.waitFor(async () => expect(await ticketOf(waiting.messageId)).not.toBeNull(), WAIT);
    const bundle = (await server.store.getTicketBundle((await ticketOf(waiting.messageId))!))!;
    const reply = {
      ...bundle.messages[0]!,
      direction: 'outbound' as const,
      deliveryStatus: 'queued' as const,
      text: '保修卡见附件。',
      externalMessageId: null,
    };
    const mailsBefore = await withMailbox(ZHANG, async (client) => (await client.fetchAll('1:*', { uid: true })).length);
    const sender = createEmailSender({
      config: { host: dovecot.host, port: dovecot.lmtpPort, secure: false, lmtp: true, from: SUPPORT.address },
      store: server.store,
      domain: 'demo.local',
    });
    try {
      const gone = { id: 'upload-never-stored', fileName: '保修卡.pdf', contentType: 'application/pdf', size: 10 };
      const sending = sender.send({ message: { ...reply, id: randomUUID(), attachments: [gone] }, ticket: bundle.ticket, customer: bundle.customer });
      await expect(sending).rejects.toBeInstanceOf(PermanentDeliveryError);
      await expect(sending).rejects.toThrow('attachment 保修卡.pdf is missing on the server');
    } finally {
      sender.close();
    }
    expect(await withMailbox(ZHANG, async (client) => (await client.fetchAll('1:*', { uid: true })).length)).toBe(mailsBefore);
  });

  it('after a restart, mail flagged unseen again is a duplicate: dropped, flagged \\Seen again', async () => {
    const dataDir = server.dataDir;
    await server.server.close();
    await withMailbox(SUPPORT, (client) => client.messageFlagsRemove('1:*', ['\\Seen']));
    server = await startServer({ dataDir });
    await vi.waitFor(async () => expect([...(await flagsOf(SUPPORT)).values()].every((flags) => flags.includes('\\Seen'))).toBe(true), WAIT);
    expect(server.logLines.filter((line) => line.startsWith('email(imap') && line.includes('duplicate')).length).toBeGreaterThanOrEqual(6);
    expect(
      (await server.store.getTicketBundle((await ticketOf(waiting.messageId))!))!.messages.filter((message) => message.direction === 'inbound'),
    ).toHaveLength(2);
  });

  it('answers mail that comes off-hours once, marked as an automatic reply; switched off, the mail waits unread', async () => {
    const admin = (await server.store.getUser('admin_li'))!;
    const open = defaultChannelSettings();
    const noDay: [] = [];
    const neverOpen = {
      ...open,
      hours: {
        ...open.hours,
        alwaysOpen: false,
        weekly: { mon: noDay, tue: noDay, wed: noDay, thu: noDay, fri: noDay, sat: noDay, sun: noDay },
        autoReplyText: '您好，现在是非工作时间，我们将在上班后尽快回复您。',
      },
    };
    expect(await server.store.admin.setChannel(admin, 'email', neverOpen, server.clock.now())).toMatchObject({ ok: true });
    const offHours = { from: ZHANG.address, fromName: '张伟', subject: '发票问题', text: '请问发票怎么开？', messageId: '<offhours.1@example.cn>' };
    await deliver(SUPPORT.address, offHours);
    await vi.waitFor(async () => expect(await ticketOf(offHours.messageId)).not.toBeNull(), WAIT);
    const ticketId = (await ticketOf(offHours.messageId))!;
    const automatic = async () => (await server.store.getTicketBundle(ticketId))!.messages.filter((message) => isAutomaticReply(message));
    await vi.waitFor(async () => expect((await automatic()).map((message) => message.deliveryStatus)).toEqual(['sent']), WAIT);
    const received = await withMailbox(ZHANG, async (client) => {
      const mails = await Promise.all((await client.fetchAll('1:*', { source: true })).map((message) => parseMail(message.source!)));
      return mails.filter((mail) => mail.inReplyTo.includes(offHours.messageId));
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.text.trim()).toBe('您好，现在是非工作时间，我们将在上班后尽快回复您。');
    // RFC 3834: the customer's own out-of-office does not answer it.
    expect(received[0]!.headers.get('auto-submitted')).toEqual(['auto-replied']);

    // Switched off: the mail stays unread in the mailbox and no ticket is made; back on, the next mail brings it in.
    expect(await server.store.admin.setChannel(admin, 'email', { ...open, enabled: false }, server.clock.now())).toMatchObject({ ok: true });
    const whileOff = { ...offHours, subject: '退货', text: '我想退货。', messageId: '<while-off.1@example.cn>' };
    await deliver(SUPPORT.address, whileOff);
    await vi.waitFor(() => expect(server.logLines.some((line) => line.includes('the email channel is switched off'))).toBe(true), WAIT);
    expect((await flagsOf(SUPPORT)).get(whileOff.messageId)).toEqual([]);
    expect(await ticketOf(whileOff.messageId)).toBeNull();
    expect(await server.store.admin.setChannel(admin, 'email', open, server.clock.now())).toMatchObject({ ok: true });
    await deliver(SUPPORT.address, { ...whileOff, text: '还在吗？', messageId: '<while-off.2@example.cn>' });
    await vi.waitFor(async () => expect(await ticketOf(whileOff.messageId)).not.toBeNull(), WAIT);
    expect((await flagsOf(SUPPORT)).get(whileOff.messageId)).toEqual(['\\Seen']);
    expect((await automatic()).length).toBe(1);
  });
});

describe('email sender when the mail server is unreachable', () => {
  it('retries (connection refused is not permanent) and marks the reply failed after the last attempt', async () => {
    // A port that was free a moment ago and that nothing listens on now.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const offline = await startTestServer({
      deliveryRetryDelayMs: 5,
      channels: [emailChannel({ addresses: [SUPPORT.address], smtpOut: { host: '127.0.0.1', port: closedPort, secure: false, from: SUPPORT.address } })],
    });
    try {
      await seedTestOrganisation(offline.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['email'] }]);
      const { ticketId } = await offline.store.ingestInbound(
        {
          channel: 'email',
          source: 'email',
          customer: { name: '张伟', email: ZHANG.address },
          subject: '订单物流查询延迟',
          text: '还没到',
          externalMessageId: '<x@example.cn>',
        },
        { now: offline.clock.now() },
      );
      const replyId = randomUUID();
      await offline.store.applyMutation(
        (await offline.store.getUser('agent_wang'))!,
        'client-1',
        { mutationId: randomUUID(), kind: 'reply', ticketId, messageId: replyId, text: '正在处理', createdAt: offline.clock.now() },
        offline.clock.now(),
      );
      await vi.waitFor(
        async () => expect((await offline.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)?.deliveryStatus).toBe('failed'),
        WAIT,
      );
      expect(offline.logLines.filter((line) => line.includes(`${replyId} via email attempt`) && line.includes('ECONNREFUSED'))).toHaveLength(3);
      expect(offline.logLines.some((line) => line.includes(`${replyId} on ${ticketId} failed via email after 4 attempt(s)`))).toBe(true);
    } finally {
      await offline.stop();
    }
  });
});
