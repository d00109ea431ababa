/**
 * The email channel as `npm run server` configures it from the environment: the demo
 * receives for support@demo.local on loopback (2525 unless SMTP_PORT says otherwise),
 * IMAP and outbound SMTP run only when configured, and without outbound SMTP replies stay
 * queued with one log line saying why.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir, seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { configuredChannels } from '../index.js';
import { emailConfigFromEnv, type EmailChannel } from './emailChannel.js';
import { buildMail, sendWithSwaks } from './testMail.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('email configuration from the environment', () => {
  it('runs nothing outside the demo unless configured', () => {
    expect(emailConfigFromEnv({}, { demo: false })).toBeNull();
  });

  it('receives for support@demo.local on 127.0.0.1:2525 in the demo, with 10 MB mail and no outbound', () => {
    expect(emailConfigFromEnv({}, { demo: true })).toEqual({ addresses: ['support@demo.local'], smtp: { host: '127.0.0.1', port: 2525 } });
  });

  it('reads IMAP_URL, SMTP_OUT_* and the limits', () => {
    const config = emailConfigFromEnv(
      {
        EMAIL_ADDRESSES: 'kefu@shop.example.cn, support@shop.example.cn',
        IMAP_URL: 'imaps://kefu%40shop.example.cn@imap.example.cn/%E5%AE%A2%E6%9C%8D',
        IMAP_PASSWORD: 'p@ss word',
        SMTP_OUT_HOST: 'smtp.example.cn',
        SMTP_OUT_PORT: '465',
        SMTP_OUT_USER: 'kefu@shop.example.cn',
        SMTP_OUT_PASSWORD: 'secret',
        SMTP_OUT_FROM_NAME: '客服中心',
        MAIL_MAX_BYTES: '5000000',
        MAIL_MAX_ATTACHMENT_BYTES: '1000000',
      },
      { demo: false },
    );
    expect(config).toEqual({
      addresses: ['kefu@shop.example.cn', 'support@shop.example.cn'],
      maxMailBytes: 5_000_000,
      maxAttachmentBytes: 1_000_000,
      imap: { host: 'imap.example.cn', port: 993, secure: true, user: 'kefu@shop.example.cn', password: 'p@ss word', mailbox: '客服' },
      smtpOut: {
        host: 'smtp.example.cn',
        port: 465,
        secure: true,
        lmtp: false,
        from: 'kefu@shop.example.cn',
        user: 'kefu@shop.example.cn',
        password: 'secret',
        fromName: '客服中心',
      },
    });
  });

  it('refuses configuration it cannot use, saying which variable is wrong', () => {
    expect(() => emailConfigFromEnv({ SMTP_PORT: '2525' }, { demo: false })).toThrow(/EMAIL_ADDRESSES/);
    expect(() => emailConfigFromEnv({ SMTP_PORT: 'abc' }, { demo: true })).toThrow(/SMTP_PORT must be/);
    expect(() => emailConfigFromEnv({ IMAP_URL: 'http://x' }, { demo: true })).toThrow(/IMAP_URL must start with imap/);
    expect(() => emailConfigFromEnv({ IMAP_URL: 'imap://host' }, { demo: true })).toThrow(/needs a user and a password/);
  });
});

describe('the demo server', () => {
  it('accepts mail for support@demo.local through configuredChannels and keeps replies queued without outbound SMTP', async () => {
    server = await startTestServer({ demo: true, channels: configuredChannels({ SMTP_PORT: '0' }, { demo: true }) });
    const port = (server.server.channels.get('email') as EmailChannel).smtpPort();
    expect(server.logLines).toContain('email: no outbound SMTP configured (SMTP_OUT_HOST unset); replies to mail stay queued until it is');

    const sent = await sendWithSwaks(
      port,
      buildMail({ from: 'zhangwei@example.cn', fromName: '张伟', subject: '订单物流查询延迟', text: '三天没有物流更新了', messageId: '<demo.1@example.cn>' }),
      {
        from: 'zhangwei@example.cn',
        to: 'support@demo.local',
      },
    );
    expect(sent, sent.transcript).toMatchObject({ ok: true, code: 250 });
    const ticketId = (await server.store.findTicketByExternalMessageIds('email', ['<demo.1@example.cn>']))!;
    expect((await server.store.getTicketBundle(ticketId))!.ticket.channel).toBe('email');

    await seedTestOrganisation(server.store, [{ username: 'agent_mail', displayName: '赵敏', channels: ['email'] }]);
    const replyId = randomUUID();
    const result = await server.store.applyMutation(
      (await server.store.getUser('agent_mail'))!,
      'client-1',
      { mutationId: randomUUID(), kind: 'reply', ticketId, messageId: replyId, text: '已为您催促快递', createdAt: server.clock.now() },
      server.clock.now(),
    );
    expect(result.ok).toBe(true);
    // Nothing can send it: it stays queued, saying why (and leaves as soon as a sender exists after a restart).
    const reply = async () => (await server!.store.getTicketBundle(ticketId))!.messages.find((message) => message.id === replyId)!;
    await vi.waitFor(async () => expect((await reply()).deliveryError).toMatch(/^no_sender\(email\): /));
    expect((await reply()).deliveryStatus).toBe('queued');
    expect((await server.store.listQueuedDeliveries(['email'], 10)).map((delivery) => delivery.message.id)).toEqual([replyId]);
  });

  it('fails to start with a clear reason when the SMTP port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    const dataDir = makeTempDir();
    try {
      await expect(startTestServer({ dataDir, channels: configuredChannels({ SMTP_PORT: String(port) }, { demo: true }) })).rejects.toThrow(
        `email: the SMTP receiver cannot listen on 127.0.0.1:${String(port)}`,
      );
    } finally {
      taken.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
