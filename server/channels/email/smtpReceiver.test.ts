/**
 * The SMTP receiver on the real server, fed by two real SMTP clients (swaks and
 * nodemailer): Chinese mail becomes a ticket with its raw source kept, replies thread back,
 * machine mail and duplicates are dropped, and oversized or malformed mail is refused
 * with the right SMTP code and nothing stored.
 */
import { randomUUID } from 'node:crypto';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { emailChannel, type EmailChannel } from './emailChannel.js';
import { parseMail } from './parseMail.js';
import { buildMail, sendWithNodemailer, sendWithSwaks } from './testMail.js';

let server: TestServer;
let port: number;
let sequence = 0;

beforeAll(async () => {
  server = await startTestServer({
    channels: [emailChannel({ addresses: ['support@demo.local', 'kefu@demo.local'], smtp: { host: '127.0.0.1', port: 0 }, maxAttachmentBytes: 64 * 1024 })],
  });
  port = (server.server.channels.get('email') as EmailChannel).smtpPort();
});
afterAll(async () => {
  await server.stop();
});

function nextId(): string {
  return `<t${String(++sequence)}.${String(Date.now())}@example.cn>`;
}

async function ticketOf(messageId: string): Promise<string> {
  const ticketId = await server.store.findTicketByExternalMessageIds('email', [messageId]);
  if (!ticketId) throw new Error(`no ticket holds ${messageId}; log:\n${server.logLines.join('\n')}`);
  return ticketId;
}

async function seq(): Promise<number> {
  return (await server.store.changeLogBounds()).maxSeq;
}

const ZHANG = { from: 'zhangwei@example.cn', fromName: '张伟' };

describe('SMTP receiver', () => {
  it('turns a GBK mail sent with swaks into a ticket, keeping the raw source', async () => {
    const messageId = nextId();
    const raw = buildMail({ ...ZHANG, charset: 'gbk', subject: '订单物流查询延迟', text: '你好，我的订单E20241108001三天没有物流更新了。', messageId });
    const sent = await sendWithSwaks(port, raw, { from: ZHANG.from, to: 'support@demo.local' });
    expect(sent, sent.transcript).toMatchObject({ ok: true, code: 250 });

    const bundle = (await server.store.getTicketBundle(await ticketOf(messageId)))!;
    expect(bundle.ticket).toMatchObject({ channel: 'email', subject: '订单物流查询延迟' });
    expect(bundle.customer).toMatchObject({ name: '张伟', email: 'zhangwei@example.cn' });
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({
      source: 'email',
      authorName: '张伟',
      text: '你好，我的订单E20241108001三天没有物流更新了。',
      externalMessageId: messageId,
    });
    const kept = (await server.store.getMessageSource(bundle.messages[0]!.id))!;
    expect(kept.includes(iconv.encode('你好，我的订单', 'gbk').toString('base64').slice(0, 12))).toBe(true);
    expect(kept.toString('latin1')).toContain(`Message-ID: ${messageId}`);
  });

  it('threads a reply by In-Reply-To into the same ticket and shows only the new words', async () => {
    const first = nextId();
    await sendWithNodemailer(port, buildMail({ ...ZHANG, subject: '退款进度查询', text: '我申请的退款到哪一步了？', messageId: first }), {
      from: ZHANG.from,
      to: 'support@demo.local',
    });
    const ticketId = await ticketOf(first);

    const reply = nextId();
    const text =
      '还没有收到退款，请尽快处理。\n\n------------------ 原始邮件 ------------------\n发件人: "张伟"<zhangwei@example.cn>;\n发送时间: 2024年11月8日(星期五) 上午10:00\n\n我申请的退款到哪一步了？';
    const sent = await sendWithNodemailer(
      port,
      buildMail({ ...ZHANG, subject: 'Re: 退款进度查询', text, messageId: reply, inReplyTo: first, references: [first] }),
      {
        from: ZHANG.from,
        to: 'support@demo.local',
      },
    );
    expect(sent).toMatchObject({ ok: true, code: 250 });
    expect(await ticketOf(reply)).toBe(ticketId);
    const messages = (await server.store.getTicketBundle(ticketId))!.messages;
    expect(messages.map((message) => message.text)).toEqual(['我申请的退款到哪一步了？', '还没有收到退款，请尽快处理。']);
    // The quoted history is only hidden: the kept source still has it.
    expect((await parseMail((await server.store.getMessageSource(messages[1]!.id))!)).text).toContain('------------------ 原始邮件 ------------------');
  });

  it('threads by References (newest first) and by a [GD…] subject tag from the same customer only', async () => {
    const first = nextId();
    await sendWithNodemailer(port, buildMail({ ...ZHANG, subject: '发票抬头修改', text: '请把发票抬头改为北京某某科技有限公司', messageId: first }), {
      from: ZHANG.from,
      to: 'kefu@demo.local',
    });
    const ticketId = await ticketOf(first);

    const byReferences = nextId();
    await sendWithNodemailer(
      port,
      buildMail({
        ...ZHANG,
        subject: '补充',
        text: '税号是 91110000XXXXXXXX',
        messageId: byReferences,
        inReplyTo: '<unknown@elsewhere.cn>',
        references: ['<older@elsewhere.cn>', first],
      }),
      {
        from: ZHANG.from,
        to: 'support@demo.local',
      },
    );
    expect(await ticketOf(byReferences)).toBe(ticketId);

    const byTag = nextId();
    await sendWithNodemailer(port, buildMail({ ...ZHANG, subject: `Re: 发票抬头修改 [${ticketId}]`, text: '地址也要改', messageId: byTag }), {
      from: ZHANG.from,
      to: 'support@demo.local',
    });
    expect(await ticketOf(byTag)).toBe(ticketId);

    const stranger = nextId();
    await sendWithNodemailer(
      port,
      buildMail({ from: 'li.na@example.cn', fromName: '李娜', subject: `[${ticketId}] 我也想改发票`, text: '我的发票也要改', messageId: stranger }),
      {
        from: 'li.na@example.cn',
        to: 'support@demo.local',
      },
    );
    expect(await ticketOf(stranger)).not.toBe(ticketId);
    expect((await server.store.getTicketBundle(await ticketOf(stranger)))!.ticket.subject).toBe('我也想改发票');
  });

  // Ticket ids are a date and a counter, and our domain is in every mail we send: a stranger can
  // type `<GD….anything@demo.local>`. Only the message id after the dot is a participant's secret.
  it('threads by one of our Message-IDs only when it names a reply we sent on that ticket; a forged one opens its own ticket', async () => {
    const first = nextId();
    await sendWithNodemailer(port, buildMail({ ...ZHANG, subject: '收货地址', text: '我的地址是北京市朝阳区某某路1号', messageId: first }), {
      from: ZHANG.from,
      to: 'support@demo.local',
    });
    const ticketId = await ticketOf(first);
    await seedTestOrganisation(server.store, [{ username: 'agent_thread', displayName: '赵敏', channels: ['email'] }]);
    const replyId = randomUUID();
    const replied = await server.store.applyMutation(
      (await server.store.getUserByUsername('agent_thread'))!,
      'client-thread',
      { mutationId: randomUUID(), kind: 'reply', ticketId, messageId: replyId, text: '已收到您的地址', createdAt: server.clock.now() },
      server.clock.now(),
    );
    expect(replied.ok).toBe(true);

    const forged = async (header: { inReplyTo?: string; references?: string[] }, text: string) => {
      const messageId = nextId();
      const sent = await sendWithNodemailer(
        port,
        buildMail({ from: 'mallory@evil.example', fromName: '张伟', subject: 'Re: 收货地址', text, messageId, ...header }),
        { from: 'mallory@evil.example', to: 'support@demo.local' },
      );
      expect(sent).toMatchObject({ ok: true, code: 250 });
      return (await ticketOf(messageId)) === ticketId ? 'joined the customer’s ticket' : 'a ticket of its own';
    };
    expect({
      madeUpMessage: await forged({ inReplyTo: `<${ticketId}.x@demo.local>` }, '地址改成上海'),
      uuidOfAnotherTicket: await forged({ inReplyTo: `<${ticketId}.${randomUUID()}@demo.local>` }, '地址改成广州'),
      // The id of the customer's own message on the ticket (agents see it; we never sent a mail with it).
      inboundMessageId: await forged(
        { inReplyTo: `<${ticketId}.${(await server.store.getTicketBundle(ticketId))!.messages[0]!.id}@demo.local>` },
        '地址改成深圳',
      ),
      inReferences: await forged({ references: [`<${ticketId}.0193a1b2@demo.local>`] }, '地址改成杭州'),
    }).toEqual({
      madeUpMessage: 'a ticket of its own',
      uuidOfAnotherTicket: 'a ticket of its own',
      inboundMessageId: 'a ticket of its own',
      inReferences: 'a ticket of its own',
    });
    // The customer answering our real reply still threads.
    const answer = nextId();
    await sendWithNodemailer(
      port,
      buildMail({ ...ZHANG, subject: 'Re: 收货地址', text: '谢谢', messageId: answer, inReplyTo: `<${ticketId}.${replyId}@demo.local>` }),
      { from: ZHANG.from, to: 'support@demo.local' },
    );
    expect(await ticketOf(answer)).toBe(ticketId);
  });

  it.each([
    ['Auto-Submitted: auto-replied', { headers: ['Auto-Submitted: auto-replied'] }],
    ['Precedence: bulk', { headers: ['Precedence: bulk'] }],
    ['X-Autoreply', { headers: ['X-Autoreply: yes'] }],
    ['X-Autorespond', { headers: ['X-Autorespond: 休假中'] }],
    ['a 自动回复 subject', { subject: '自动回复: 我正在休假，11月11日回来' }],
    ['an Out of Office subject', { subject: 'Out of Office: back on Monday' }],
    ['a mailing list', { headers: ['List-Id: 促销 <promo.example.cn>'] }],
    ['MAILER-DAEMON', { from: 'MAILER-DAEMON@mx.example.cn' }],
    ['our own outbound mail looping back', { headers: ['X-OmniDesk-Ticket: GD20241108001'], messageId: '<GD20241108001.0193a1b2@demo.local>' }],
    ['our own address as sender', { from: 'kefu@demo.local' }],
  ])('accepts and drops an automatic mail (%s): no ticket', async (_name, overrides) => {
    const before = await seq();
    const spec = { ...ZHANG, subject: '订单物流查询延迟', text: '我现在不在办公室。', messageId: nextId(), ...overrides };
    const sent = await sendWithNodemailer(port, buildMail(spec), { from: spec.from, to: 'support@demo.local' });
    expect(sent).toMatchObject({ ok: true, code: 250 });
    expect(await seq()).toBe(before);
    expect(server.logLines.at(-1)).toMatch(/^email\(smtp\): dropped automatic mail .* no ticket$/);
  });

  it('drops a bounce sent with the null envelope sender, via swaks', async () => {
    const before = await seq();
    const sent = await sendWithSwaks(port, buildMail({ ...ZHANG, subject: '订单', text: '退回的邮件', messageId: nextId() }), {
      from: '',
      to: 'support@demo.local',
    });
    expect(sent, sent.transcript).toMatchObject({ ok: true, code: 250 });
    expect(await seq()).toBe(before);
    expect(server.logLines.at(-1)).toContain('null envelope sender');
  });

  it('drops a duplicate (same Message-ID) without storing it again', async () => {
    const messageId = nextId();
    const raw = buildMail({ ...ZHANG, subject: '会员积分', text: '积分没到账', messageId });
    await sendWithNodemailer(port, raw, { from: ZHANG.from, to: 'support@demo.local' });
    const before = await seq();
    const again = await sendWithSwaks(port, raw, { from: ZHANG.from, to: 'support@demo.local' });
    expect(again, again.transcript).toMatchObject({ ok: true, code: 250 });
    expect(await seq()).toBe(before);
    expect((await server.store.getTicketBundle(await ticketOf(messageId)))!.messages.filter((message) => message.externalMessageId === messageId)).toHaveLength(
      1,
    );
    expect(server.logLines.at(-1)).toContain(`duplicate zhangwei@example.cn ${messageId}`);
  });

  it('refuses a 20 MB mail with 552 (swaks streams it; nodemailer too) and stores nothing', async () => {
    const before = await seq();
    const big = buildMail({
      ...ZHANG,
      subject: '大附件',
      text: '见附件',
      messageId: nextId(),
      attachments: [{ fileName: '录像.mp4', contentType: 'video/mp4', data: Buffer.alloc(15 * 1024 * 1024, 7) }],
    });
    expect(big.length).toBeGreaterThan(20 * 1024 * 1024);
    const bySwaks = await sendWithSwaks(port, big, { from: ZHANG.from, to: 'support@demo.local' });
    expect(bySwaks.code, bySwaks.transcript.slice(-2000)).toBe(552);
    expect(bySwaks.response).toMatch(/message exceeds fixed maximum message size|too big/i);
    const byNodemailer = await sendWithNodemailer(port, big, { from: ZHANG.from, to: 'support@demo.local' });
    expect(byNodemailer).toMatchObject({ ok: false, code: 552 });
    expect(await seq()).toBe(before);
    expect(server.logLines.some((line) => line.startsWith('email(smtp): refused a mail from zhangwei@example.cn over 10.0 MB (552)'))).toBe(true);
  });

  it('refuses malformed MIME with 554 and a log line, storing nothing', async () => {
    const before = await seq();
    const sent = await sendWithSwaks(port, Buffer.from('这不是邮件头\r\n只是一些文字\r\n'), { from: ZHANG.from, to: 'support@demo.local' });
    expect(sent.code, sent.transcript).toBe(554);
    expect(sent.response).toContain('malformed MIME');
    const multipart = await sendWithNodemailer(
      port,
      Buffer.from('From: zhangwei@example.cn\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\nno parts\r\n'),
      {
        from: ZHANG.from,
        to: 'support@demo.local',
      },
    );
    expect(multipart).toMatchObject({ ok: false, code: 554 });
    expect(await seq()).toBe(before);
    expect(server.logLines.filter((line) => line.includes('refused a mail') && line.includes('malformed MIME'))).toHaveLength(2);
  });

  it('refuses recipients that are not ours with 550', async () => {
    const sent = await sendWithNodemailer(port, buildMail({ ...ZHANG, subject: '你好', text: '你好', messageId: nextId() }), {
      from: ZHANG.from,
      to: 'someone@elsewhere.cn',
    });
    expect(sent).toMatchObject({ ok: false, code: 550 });
    expect(server.logLines.at(-1)).toContain('refused recipient someone@elsewhere.cn');
  });

  it('stores attachments with the message and refuses one over the per-attachment limit with 552', async () => {
    const messageId = nextId();
    const photo = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    await sendWithNodemailer(
      port,
      buildMail({
        ...ZHANG,
        charset: 'gbk',
        subject: '商品破损',
        text: '收到的杯子碎了，见照片。',
        messageId,
        attachments: [{ fileName: '破损照片.jpg', contentType: 'image/jpeg', data: photo }],
      }),
      { from: ZHANG.from, to: 'support@demo.local' },
    );
    const message = (await server.store.getTicketBundle(await ticketOf(messageId)))!.messages.find((stored) => stored.externalMessageId === messageId)!;
    expect(message.attachments).toEqual([{ id: expect.any(String) as string, fileName: '破损照片.jpg', contentType: 'image/jpeg', size: 3000 }]);
    expect((await server.store.getAttachment(message.attachments[0]!.id))!.data.equals(photo)).toBe(true);

    const before = await seq();
    const tooBig = await sendWithNodemailer(
      port,
      buildMail({
        ...ZHANG,
        subject: '安装视频',
        text: '见附件',
        messageId: nextId(),
        attachments: [{ fileName: '安装.mov', contentType: 'video/quicktime', data: Buffer.alloc(100 * 1024, 1) }],
      }),
      { from: ZHANG.from, to: 'support@demo.local' },
    );
    expect(tooBig.ok).toBe(false);
    expect(tooBig.code).toBe(552);
    expect(tooBig.response).toContain('the limit per attachment is 0.1 MB');
    expect(await seq()).toBe(before);
  });
});
