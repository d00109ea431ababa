/**
 * Attachments in email replies (issue 12), end to end through the UI: a real Dovecot (IMAP +
 * LMTP, server/channels/email/testDovecot.ts) holds the support mailbox and the customers'
 * mailboxes; the real server process reads support's INBOX over IMAP (the product's inbound path)
 * and sends replies over LMTP into Dovecot; agent4 陈静 (email) works on a real workstation
 * process in Chromium. The customer's mail becomes a ticket; a file over the size limit and a
 * program are refused in the composer (in Chinese, then in English) and never leave; the reply
 * with a Chinese-named PDF and an image lands in the customer's mailbox, parsed with mailparser:
 * both files with their names, types and bytes, and the reply's words. The timeline shows the
 * files with their sizes and "Sent" once the mail server took it; a reply to an address the mail
 * server refuses shows "Failed to send" with the server's words, never "Sent".
 */
import { expect, test, type Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import type { QueueListResult } from '../shared/queue.js';
import { workstationHandshakeAuth } from '../shared/sync.js';
import { startTestDovecot, type DovecotUser, type TestDovecot } from '../server/channels/email/testDovecot.js';
import { buildMail, sendWithNodemailer, type TestMailSpec } from '../server/channels/email/testMail.js';
import { demoToken, openFromInboxOrQueue, reassignAsLead } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

const SUPPORT: DovecotUser = { address: 'support@demo.local', password: 'support-imap-pw' };
const ZHANG: DovecotUser = { address: 'zhangwei@example.cn', password: 'zw-pw' };
/** A customer whose address the mail server does not know: it refuses the reply (LMTP 550). */
const NOBODY = 'nobody.here@example.cn';
const LIVE_MS = 30_000;

/** A real 1x1 PNG (red pixel), so the image is an image, not bytes named .png. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
/** A PDF with Chinese bytes inside and enough length for a size in KB. */
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n% 发票 E20241108001\n', 'utf8'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);

let dovecot: TestDovecot;
let server: RunningProcess;
let desk: RunningProcess;
let page: Page;
let ticketId = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  // Throws "Dovecot is not installed: apt-get install dovecot-imapd dovecot-lmtpd" where .ci/run has not installed it.
  dovecot = await startTestDovecot([SUPPORT, ZHANG]);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-mail-attachments-'));
  server = await startServerProcess({
    dataDir: path.join(root, 'server'),
    demo: true,
    env: {
      IMAP_URL: `imap://${encodeURIComponent(SUPPORT.address)}@${dovecot.host}:${String(dovecot.imapPort)}/INBOX`,
      IMAP_PASSWORD: SUPPORT.password,
      SMTP_OUT_HOST: dovecot.host,
      SMTP_OUT_PORT: String(dovecot.lmtpPort),
      SMTP_OUT_LMTP: '1',
      SMTP_OUT_FROM_NAME: '客服中心',
    },
  });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent4') });
  page = await openDesk(browser, desk.url, 'agent4', 'zh-CN');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
  await dovecot?.stop();
});

/** A customer's mail, delivered into support's mailbox by the mail server (LMTP), as from the internet. */
async function mailToSupport(spec: Omit<TestMailSpec, 'to'>): Promise<void> {
  const sent = await sendWithNodemailer(
    dovecot.lmtpPort,
    buildMail({ ...spec, to: SUPPORT.address }),
    { from: spec.from, to: SUPPORT.address },
    { lmtp: true },
  );
  if (!sent.ok) throw new Error(`LMTP delivery to ${SUPPORT.address} failed: ${sent.response}\n${dovecot.log()}`);
}

/** The ticket the server opened for a mail, found by its subject in the queue as lead1 sees it (the IMAP poller takes a moment). */
async function queuedTicketWithSubject(subject: string): Promise<string> {
  const token = await demoToken(server.url, 'lead1');
  const socket = io(server.url, { auth: workstationHandshakeAuth(token, randomUUID()), transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    let found = '';
    await expect
      .poll(
        async () => {
          const ack = (await socket.timeout(10_000).emitWithAck('queue:list', { channel: 'email', limit: 50, query: subject })) as {
            ok: boolean;
            result?: QueueListResult;
          };
          found = ack.result?.rows.find((row) => row.ticket.subject === subject)?.ticket.id ?? '';
          return found;
        },
        { timeout: LIVE_MS, message: `no ticket for the mail "${subject}"; Dovecot log:\n${dovecot.log()}` },
      )
      .not.toBe('');
    return found;
  } finally {
    socket.disconnect();
  }
}

/** Every mail in a customer's INBOX as it arrived, and parsed as their mail client would. */
async function mailboxOf(user: DovecotUser): Promise<Array<{ mail: ParsedMail; raw: Buffer }>> {
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, auth: { user: user.address, pass: user.password }, logger: false });
  await client.connect();
  try {
    const mailbox = await client.mailboxOpen('INBOX');
    if (mailbox.exists === 0) return [];
    const parsed: Array<{ mail: ParsedMail; raw: Buffer }> = [];
    for (const message of await client.fetchAll('1:*', { source: true })) parsed.push({ mail: await simpleParser(message.source!), raw: message.source! });
    return parsed;
  } finally {
    await client.logout();
  }
}

function timelineAttachment(fileName: string) {
  return page
    .locator('section.ticket-pane .timeline-message.outbound')
    .getByRole('list', { name: /^(Attachments|附件)$/ })
    .getByRole('listitem')
    .filter({ hasText: fileName });
}

test('a refused file never leaves; a reply with a Chinese-named PDF and an image reaches the customer’s mailbox intact and shows as sent', async () => {
  test.setTimeout(90_000);
  const subject = `发票和照片 ${randomUUID().slice(0, 8)}`;
  await mailToSupport({
    from: ZHANG.address,
    fromName: '张伟',
    subject,
    text: '你好，请把发票和商品照片发给我。',
    messageId: `<ask.${randomUUID()}@example.cn>`,
  });
  ticketId = await queuedTicketWithSubject(subject);
  await reassignAsLead(server.url, [ticketId], 'agent4');
  await openFromInboxOrQueue(page, ticketId);
  const pane = page.locator('section.ticket-pane');
  await expect(pane.locator('.timeline').getByText('你好，请把发票和商品照片发给我。')).toBeVisible({ timeout: LIVE_MS });

  // Refused in the composer, in the agent's language, before anything is uploaded: over the 10 MB limit, then a program.
  const fileInput = page.getByTestId('reply-file-input');
  await fileInput.setInputFiles({ name: '扫描件.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
  await expect(pane.getByRole('alert').filter({ hasText: '扫描件.pdf 超过 10.0 MB，未添加。' })).toBeVisible();
  await fileInput.setInputFiles({ name: '安装程序.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await expect(pane.getByRole('alert').filter({ hasText: '安装程序.exe 不能发送：程序、脚本和网页文件会被拒绝。' })).toBeVisible();
  await expect(pane.locator('.file-chip')).toHaveCount(0);
  await page.screenshot({ path: '/tmp/h4-refused-zh.png' });
  await page.getByLabel('语言').selectOption('en');
  await fileInput.setInputFiles({ name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
  await expect(pane.getByRole('alert').filter({ hasText: 'scan.pdf is larger than 10.0 MB; it was not attached.' })).toBeVisible();
  await fileInput.setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await expect(pane.getByRole('alert').filter({ hasText: 'setup.exe cannot be sent: programs, scripts and web pages are refused.' })).toBeVisible();
  await expect(pane.locator('.file-chip')).toHaveCount(0);
  await page.screenshot({ path: '/tmp/h4-refused-en.png' });

  // The reply with the two files it may carry.
  await fileInput.setInputFiles([
    { name: '发票.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: '商品照片.png', mimeType: 'image/png', buffer: PNG },
  ]);
  await expect(pane.locator('.file-chip')).toHaveCount(2, { timeout: LIVE_MS });
  await page.screenshot({ path: '/tmp/h4-chips-en.png' });
  const replyText = '张先生您好，发票和商品照片见附件。';
  await page.getByLabel('Reply').fill(replyText);
  await page.getByRole('button', { name: 'Send', exact: true }).click();

  // The mail the customer's client shows: one reply, the two files with their names, types and bytes.
  await expect.poll(async () => (await mailboxOf(ZHANG)).length, { timeout: LIVE_MS, message: `no mail reached ${ZHANG.address}:\n${dovecot.log()}` }).toBe(1);
  const [{ mail, raw: rawSource }] = (await mailboxOf(ZHANG)) as [{ mail: ParsedMail; raw: Buffer }];
  expect(mail.subject).toContain(subject);
  expect(mail.text?.trim()).toBe(replyText);
  expect(mail.from?.value[0]).toMatchObject({ address: SUPPORT.address, name: '客服中心' });
  // Both places a client may read the name from carry it (the type's `name`, read by older Outlook and Foxmail, and the disposition's `filename`).
  const files = mail.attachments.map((file) => ({
    name: file.filename,
    typeName: (file.headers.get('content-type') as { params?: Record<string, string> } | undefined)?.params?.name,
    dispositionName: (file.headers.get('content-disposition') as { params?: Record<string, string> } | undefined)?.params?.filename,
    type: file.contentType,
    bytes: file.content.toString('base64'),
  }));
  expect(files).toEqual([
    { name: '发票.pdf', typeName: '发票.pdf', dispositionName: '发票.pdf', type: 'application/pdf', bytes: PDF.toString('base64') },
    { name: '商品照片.png', typeName: '商品照片.png', dispositionName: '商品照片.png', type: 'image/png', bytes: PNG.toString('base64') },
  ]);
  // Encoded, not raw UTF-8: a mail server without SMTPUTF8 may refuse or garble 8-bit headers.
  expect(rawSource.every((byte) => byte < 0x80)).toBe(true);

  // The timeline: both files with their sizes, and "Sent" (the mail server took it).
  const sent = pane.locator('.timeline-message.outbound').filter({ hasText: replyText });
  await expect(sent.getByText('Sent', { exact: true })).toBeVisible({ timeout: LIVE_MS });
  await expect(timelineAttachment('发票.pdf').getByText('3.0 KB', { exact: true })).toBeVisible();
  await expect(timelineAttachment('商品照片.png').getByText(`${String(PNG.length)} B`, { exact: true })).toBeVisible();
  await page.screenshot({ path: '/tmp/h4-sent-en.png' });
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(sent.getByText('已发送', { exact: true })).toBeVisible();
  await page.screenshot({ path: '/tmp/h4-sent-zh.png' });
});

test('a reply the mail server refuses shows as failed with its words, never as sent', async () => {
  test.setTimeout(60_000);
  const subject = `退货单 ${randomUUID().slice(0, 8)}`;
  await mailToSupport({ from: NOBODY, fromName: '刘洋', subject, text: '请把退货单发给我。', messageId: `<ask.${randomUUID()}@example.cn>` });
  const refusedTicket = await queuedTicketWithSubject(subject);
  await reassignAsLead(server.url, [refusedTicket], 'agent4');
  await openFromInboxOrQueue(page, refusedTicket);
  const pane = page.locator('section.ticket-pane');
  // The first test leaves the page in Chinese; run alone, this one starts there too.
  await expect(page.getByLabel('语言')).toHaveValue('zh-CN');
  await page.getByTestId('reply-file-input').setInputFiles({ name: '退货单.pdf', mimeType: 'application/pdf', buffer: PDF });
  await expect(pane.locator('.file-chip')).toHaveCount(1, { timeout: LIVE_MS });
  const replyText = '刘先生您好，退货单见附件。';
  await page.getByLabel('回复').fill(replyText);
  await page.getByRole('button', { name: '发送', exact: true }).click();
  const reply = pane.locator('.timeline-message.outbound').filter({ hasText: replyText });
  await expect(reply.getByText('发送失败', { exact: true })).toBeVisible({ timeout: LIVE_MS });
  await expect(reply.getByRole('alert')).toContainText('未能送达客户');
  await expect(reply.getByText('已发送', { exact: true })).toHaveCount(0);
  await page.screenshot({ path: '/tmp/h4-failed-zh.png' });
});
