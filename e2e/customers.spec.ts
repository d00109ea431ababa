/**
 * One customer across channels, end to end: the real server process (demo organisation,
 * its SMTP receiver on a free port), a real workstation process and Chromium. 张伟's phone
 * contact arrives through the inbound API (his number only claimed: shown unverified) and his
 * two mails over SMTP (his address proven) as two customers; agent1 merges them from the
 * customer panel's search, after which the panel shows every ticket; the attachment shows and
 * downloads; a reply that the mail server refuses shows as failed with the reason; a CTI call
 * from his number (proven now) is a new caller whom the panel offers as possibly the same
 * customer, merged with one click. Screenshots at 1280x800 in English and Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { demoToken, openQueued, postDemoInbound, reassignAsLead } from './demoApi.js';
import { openDesk } from './desk.js';
import { findFreePort, startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let desk: RunningProcess;
let smtpPort: number;
let phoneTicket: string;
let emailTicket: string;
/** The ticket of his mail with the attachment (a mail without a thread opens its own ticket). */
let mailTicket: string;

const RUN = Date.now().toString(36);
const PHONE = '+86 139-1234-8888';
const EMAIL = `zhangwei.${RUN}@example.cn`;
/** How agent1 sees them (shared/masking.ts): masked until revealed. */
const MASKED_PHONE = '+86 139 **** 8888';
const MASKED_EMAIL = 'z***@example.cn';
const INVOICE = Buffer.from('%PDF-1.4\n% 快递单 SF1234567890 / 订单 20241108-0042\n', 'utf8');

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-customers-'));
  smtpPort = await findFreePort();
  server = await startServerProcess({
    dataDir: path.join(root, 'server'),
    demo: true,
    // Replies go out through the server's own receiver, which refuses any mailbox but support@: a permanent failure to show.
    env: { SMTP_PORT: String(smtpPort), SMTP_OUT_HOST: '127.0.0.1', SMTP_OUT_PORT: String(smtpPort) },
  });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

const postInbound = (body: unknown) => postDemoInbound(server.url, body);

/** Asks the server (as the lead, over the HTTP API) for 张伟's email tickets: his first mail's, and the one holding the attachment. */
async function mailTickets(): Promise<{ first: string; withAttachment: string }> {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lead1', password: 'demo' }),
  });
  const { token } = (await login.json()) as { token: string };
  let first: string | null = null;
  let withAttachment: string | null = null;
  await expect
    .poll(async () => {
      const list = await fetch(`${server.url}/api/v1/tickets?channel=email&customer=${encodeURIComponent(EMAIL)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { tickets } = (await list.json()) as { tickets: Array<{ id: string }> };
      for (const ticket of tickets) {
        const detail = await fetch(`${server.url}/api/v1/tickets/${ticket.id}`, { headers: { authorization: `Bearer ${token}` } });
        const bundle = (await detail.json()) as { messages: Array<{ text: string; attachments: unknown[] }> };
        if (bundle.messages.some((message) => message.attachments.length > 0)) withAttachment = ticket.id;
        if (bundle.messages.some((message) => message.text.includes('快递三天没动了'))) first = ticket.id;
      }
      return first !== null && withAttachment !== null;
    })
    .toBe(true);
  return { first: first!, withAttachment: withAttachment! };
}

/** Sends one of 张伟's mails through the server's own SMTP receiver. */
async function mailFromZhangWei(mail: {
  subject: string;
  text: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: `张伟 <${EMAIL}>`, to: 'support@demo.local', ...mail });
  transport.close();
}

/** The customer of a ticket, as the lead reads it over the HTTP API. */
async function customerOf(ticketId: string): Promise<string> {
  const token = await demoToken(server.url, 'lead1');
  const detail = await fetch(`${server.url}/api/v1/tickets/${ticketId}`, { headers: { authorization: `Bearer ${token}` } });
  return ((await detail.json()) as { customer: { id: string } }).customer.id;
}

function inboxRow(page: Page, ticketId: string) {
  return page.getByRole('option').filter({ hasText: ticketId });
}

function panel(page: Page) {
  return page.locator('.customer-panel');
}

test('张伟 by phone and by email are merged from the panel, which then shows both tickets', async ({ browser }) => {
  const page = await openDesk(browser, desk.url, 'agent1', 'en-US');

  // The integration only claims his number: the panel says so.
  phoneTicket = (
    await postInbound({ channel: 'phone', customer: { name: '张伟', phone: PHONE }, subject: '订单物流查询延迟', text: '来电：我的订单三天没有物流更新' })
  ).ticketId;
  // His mails come in through the real SMTP receiver (his address proven), the second with the waybill.
  await mailFromZhangWei({ subject: '订单物流查询延迟（邮件）', text: '快递三天没动了，订单号 20241108-0042' });
  await mailFromZhangWei({
    subject: '订单物流查询延迟（邮件）',
    text: '快递单见附件，请帮忙催一下。',
    attachments: [{ filename: '快递单.pdf', content: INVOICE, contentType: 'application/pdf' }],
  });
  ({ first: emailTicket, withAttachment: mailTicket } = await mailTickets());

  const emailCustomer = await customerOf(emailTicket);
  // agent1 is Away, so routing gives them nothing: a lead hands them 张伟's mails (an agent is sent what they hold);
  // the call waits in the phone queue (agent1 is at phone capacity), where agent1 opens it.
  await reassignAsLead(server.url, [...new Set([emailTicket, mailTicket])], 'agent1');

  await openQueued(page, phoneTicket);
  await expect(panel(page)).toContainText('张伟');
  await expect(panel(page)).toContainText(MASKED_PHONE);
  await expect(panel(page).locator('.customer-fields .unverified-mark')).toHaveText('Unverified');
  await expect(panel(page)).toContainText('No other tickets.');
  // One click shows the number in full (the server records that agent1 looked).
  await panel(page).getByRole('button', { name: 'Show the phone number in full (your viewing is recorded)' }).click();
  await expect(panel(page)).toContainText('+86 139 1234 8888');

  await panel(page).getByRole('button', { name: 'Merge customer' }).click();
  const search = page.getByRole('dialog', { name: 'Merge customer' });
  // The agent's cache holds the address masked: the whole address finds it (a part of the name would not).
  await search.getByLabel('Search customers').fill(EMAIL);
  const hit = search.getByRole('button').filter({ hasText: emailCustomer });
  await expect(hit).toBeVisible();
  await expect(hit).toContainText(MASKED_EMAIL);
  await expect(hit).toContainText(mailTicket === emailTicket ? 'Tickets: 1' : 'Tickets: 2');
  await search.getByLabel('Search customers').fill('张伟');
  await expect(hit).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('merge-search-en.png') });
  await hit.click();

  const confirm = page.getByRole('dialog', { name: 'Merge these two customers?' });
  await expect(confirm.getByRole('region', { name: /^Kept: 张伟/ })).toContainText(MASKED_PHONE);
  await expect(confirm.getByRole('region', { name: /^Merged into the kept one: 张伟/ })).toContainText(MASKED_EMAIL);
  await page.screenshot({ path: test.info().outputPath('merge-confirm-en.png') });
  await confirm.getByRole('button', { name: 'Merge', exact: true }).click();
  await expect(confirm).toHaveCount(0);

  await expect(panel(page).getByRole('status')).toContainText('Merged into 张伟');
  await expect(panel(page).getByRole('button').filter({ hasText: emailTicket })).toBeVisible();
  await expect(panel(page).getByRole('button').filter({ hasText: mailTicket })).toBeVisible();
  await expect(panel(page)).toContainText(MASKED_EMAIL);
  // His address came from a mail (proven); his number only from the integration.
  await expect(panel(page).locator('.customer-fields .unverified-mark')).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('panel-after-merge-en.png') });
});

test('the mail’s attachment shows with its size and source, and downloads', async ({ browser }) => {
  const page = await openDesk(browser, desk.url, 'agent1', 'en-US');
  // The mail is agent1's (the call only waits in the queue).
  await inboxRow(page, mailTicket).click();
  await expect(page.getByRole('region', { name: mailTicket })).toBeVisible();

  const attachment = page.getByRole('list', { name: 'Attachments' }).getByRole('listitem').filter({ hasText: '快递单.pdf' });
  await expect(attachment).toContainText(`${String(INVOICE.length)} B`);
  await expect(page.locator('.timeline-message').filter({ has: attachment }).locator('.message-source')).toHaveText('Email');
  const downloading = page.waitForEvent('download');
  await attachment.getByRole('button', { name: /Download 快递单\.pdf/ }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('快递单.pdf');
  expect(readFileSync(await download.path()).equals(INVOICE)).toBe(true);

  // A reply the mail server refuses is shown as failed, with its reason.
  await page.getByPlaceholder(/Write a reply to the customer/).fill('您好，已为您催促快递公司。');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const failure = page.locator('.timeline-message.outbound').filter({ hasText: '已为您催促快递公司' }).getByRole('alert');
  await expect(failure).toContainText('Not delivered to the customer', { timeout: 30_000 });
  await expect(page.locator('.timeline-message.outbound .delivery-failed')).toHaveText('Failed to send');
  await page.screenshot({ path: test.info().outputPath('timeline-attachment-failed-en.png') });
});

test('a CTI call from his number is offered as possibly the same customer and merged with one click; the screens read in Chinese', async ({ browser }) => {
  const secret = 'demo-cti-secret';
  const callId = `e2e-call-${RUN}`;
  let answeredTicket: string | null = null;
  for (const [event, extra] of [
    ['offered', {}],
    ['answered', { agentExtension: '8001' }],
    ['ended', { agentExtension: '8001', durationSec: 192 }],
  ] as const) {
    const body = JSON.stringify({ callId, event, at: Date.now(), from: '13912348888', to: '4008208820', ...extra });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `sha256=${createHmac('sha256', secret)
      .update(`${String(timestamp)}.${body}`)
      .digest('hex')}`;
    const response = await fetch(`${server.url}/channels/cti/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-omnidesk-timestamp': String(timestamp), 'x-omnidesk-signature': signature },
      body,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    answeredTicket = ((await response.json()) as { ticketId: string | null }).ticketId ?? answeredTicket;
  }
  expect(answeredTicket).not.toBeNull();

  const page = await openDesk(browser, desk.url, 'agent1', 'zh-CN');
  await inboxRow(page, answeredTicket!).click();
  const call = page.locator('.message-call');
  await expect(call).toContainText('来电');
  await expect(call).toContainText('通话 3分12秒');
  await expect(call).toContainText('分机 8001');
  await expect(page.locator('.timeline-message').filter({ has: call }).locator('.message-source')).toHaveText('电话');
  // The call proves the number 张伟's record only claimed: a new caller, offered as possibly the same customer.
  expect(answeredTicket).not.toBe(phoneTicket);
  const suggestion = panel(page).getByRole('region', { name: '可能是同一客户' }).getByRole('listitem').filter({ hasText: '张伟' });
  await expect(suggestion).toContainText('电话相同 +86 139 **** 8888 · 对方未验证', { timeout: 15_000 });
  await page.screenshot({ path: test.info().outputPath('call-panel-suggestion-zh.png') });
  await suggestion.getByRole('button', { name: '合并…' }).click();
  const confirmation = page.getByRole('dialog', { name: '确认合并这两位客户？' });
  // The older record (his) is kept; the caller's proven number moves to it.
  await expect(confirmation.getByRole('region', { name: /^保留: 张伟/ })).toContainText(MASKED_EMAIL);
  await page.screenshot({ path: test.info().outputPath('merge-suggestion-confirm-zh.png') });
  await confirmation.getByRole('button', { name: '确认合并', exact: true }).click();
  await expect(confirmation).toHaveCount(0);
  await expect(panel(page).getByRole('button').filter({ hasText: phoneTicket })).toBeVisible();
  await expect(panel(page).getByRole('button').filter({ hasText: emailTicket })).toBeVisible();
  await expect(panel(page).getByRole('button').filter({ hasText: mailTicket })).toBeVisible();
  // Both his number and address are proven now.
  await expect(panel(page).locator('.customer-fields .unverified-mark')).toHaveCount(0);
  await expect(panel(page).getByRole('region', { name: '可能是同一客户' })).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('call-panel-zh.png') });

  await panel(page).getByRole('button').filter({ hasText: mailTicket }).click();
  await expect(page.getByRole('list', { name: '附件' })).toContainText('快递单.pdf');
  await expect(page.locator('.timeline-message.outbound').getByRole('alert')).toContainText('未能送达客户');
  await page.screenshot({ path: test.info().outputPath('timeline-attachment-failed-zh.png') });

  await panel(page).getByRole('button', { name: '合并客户' }).click();
  const dialog = page.getByRole('dialog', { name: '合并客户' });
  await dialog.getByLabel('搜索客户').fill('张伟');
  await expect(dialog.getByRole('list', { name: '匹配的客户' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('merge-search-zh.png') });
  await dialog.getByRole('list', { name: '匹配的客户' }).getByRole('button').first().click();
  await expect(page.getByRole('dialog', { name: '确认合并这两位客户？' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('merge-confirm-zh.png') });
  await page.getByRole('dialog', { name: '确认合并这两位客户？' }).getByRole('button', { name: '返回' }).click();
  await page.getByRole('dialog', { name: '合并客户' }).getByRole('button', { name: '取消' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
});
