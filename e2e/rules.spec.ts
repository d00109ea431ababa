/**
 * The ticket rules as an agent meets them (issue 9, items 11 and 20), on the real demo
 * server, a real workstation and Chromium: a customer who came through the HTTP API with
 * only a phone number cannot be written to, and the composer says so before anything is
 * typed; a reply by e-mail on a server that sends no mail says why it waits; completing or
 * closing a queued ticket is not offered to an agent who has not taken it. In English and Chinese.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFromInboxOrQueue, openQueued, postDemoInbound, replyTakingIfQueued, signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, closeContexts } from './stack.js';

let server: Awaited<ReturnType<typeof startServerProcess>>;
let desk: Awaited<ReturnType<typeof startWorkstationProcess>>;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-rules-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent5') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

test('the composer says at once when no written reply can reach the customer, and what to do instead', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  // agent5 (赵磊) takes phone and e-mail; e-mail is not offered in real time: routed to them, or waiting in their e-mail queue.
  await signIn(page, desk.url, 'agent5');
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '孙丽', phone: '+86 135 0013 5009' },
    subject: '接口导入：退货咨询',
    text: '想退货，请电话联系我。',
  });
  await openFromInboxOrQueue(page, ticketId);

  const notice = page.getByRole('status').filter({ hasText: 'No written reply can reach this customer' });
  await expect(notice).toContainText('add an internal note, or call the customer back, or add the customer’s email address');
  // Said in an agent's words: where the customer came from, not the integration's technology.
  await expect(notice).toContainText('They called, or their request came in from another system, and left no address to write to.');
  await expect(notice).not.toContainText('HTTP');
  await expect(page.getByLabel('Reply')).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  // A note still works: that is one of the ways offered.
  await page.getByLabel('Internal note').fill('已致电客户，约好明天上门取件');
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.getByText('约好明天上门取件')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('no-route-en.png') });

  await page.getByLabel('Language').selectOption('zh-CN');
  const noticeZh = page.getByRole('status').filter({ hasText: '没有可以送达此客户的书面回复渠道' });
  await expect(noticeZh).toContainText('回电客户');
  await expect(noticeZh).toContainText('客户是来电或由其他系统转入的，未留下可书面回复的地址。');
  await expect(noticeZh).not.toContainText('HTTP');
  await page.screenshot({ path: test.info().outputPath('no-route-zh.png') });
  await page.getByLabel('语言').selectOption('en');
  await context.close();
});

test('a reply by e-mail on a server that sends no mail shows that it waits, and why', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await signIn(page, desk.url, 'agent5');
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '钱多多', email: 'qianduoduo@example.cn' },
    subject: '发票重开',
    text: '请把发票抬头改成公司名称。',
  });
  await openFromInboxOrQueue(page, ticketId);
  await page.getByLabel('Reply').fill('您好，发票已按新抬头重开。');
  await page.getByRole('button', { name: 'Send' }).click();
  await replyTakingIfQueued(page, '发票已按新抬头重开');

  const reply = page.getByRole('listitem').filter({ hasText: '发票已按新抬头重开' });
  await expect(reply.getByText('Queued', { exact: true })).toBeVisible();
  await expect(reply.getByText('Waiting to be sent: this server does not send Email replies yet')).toBeVisible({ timeout: 15_000 });
  await page.screenshot({ path: test.info().outputPath('delivery-waiting-en.png') });

  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(reply.getByText('待发送', { exact: true })).toBeVisible();
  await expect(reply.getByText(/^等待发送：本服务器尚未开通.+发送$/)).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('delivery-waiting-zh.png') });
  await page.getByLabel('语言').selectOption('en');
  await context.close();
});

test('completing or closing is the owner’s: an agent is not offered to close a queued ticket', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await signIn(page, desk.url, 'agent5');
  // agent5 goes Away so the phone contact stays queued, in their phone queue (summarised above the inbox, listed in the queue view).
  await page.getByLabel('Presence').selectOption('away');
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'phone',
    customer: { name: '周明', phone: '+86 136 0013 6011', email: 'zhouming@example.cn' },
    subject: '来电：安装预约',
    text: '想预约周六上门安装。',
  });
  await expect(page.getByRole('region', { name: 'Queues of your channels' })).toContainText('waiting');
  await openQueued(page, ticketId);
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.screenshot({ path: test.info().outputPath('queue-view-zh.png') });
  await page.getByLabel('语言').selectOption('en');
  const status = page.getByLabel('Status');
  await expect(status).toHaveValue('unassigned');
  await expect(status.locator('option[value="closed"]')).toBeDisabled();
  await expect(status.locator('option[value="closed"]')).toHaveText('Closed (take the ticket first)');
  await expect(status.locator('option[value="in_progress"]')).toBeEnabled();

  // Taking it (working on it) makes the agent the owner; then closing is theirs to do, and it is in their inbox.
  await status.selectOption('in_progress');
  await expect(status).toHaveValue('in_progress');
  await page.getByRole('group', { name: 'Tickets' }).getByRole('button', { name: 'My tickets' }).click();
  await expect(page.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId })).toBeVisible();
  await expect(status.locator('option[value="completed"]')).toBeEnabled();
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.screenshot({ path: test.info().outputPath('status-owner-zh.png') });
  await page.getByLabel('语言').selectOption('en');
  await page.getByLabel('Presence').selectOption('available');
  await context.close();
});
