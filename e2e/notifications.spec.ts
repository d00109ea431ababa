/**
 * Desktop notifications end to end: the real server process (demo organisation), one
 * workstation process, Chromium at 1280x800 with the notifications permission granted. The
 * page's `window.Notification` is recorded (e2e/notificationRecorder.ts): the real app code
 * path; the OS popup itself is not observable here. An
 * offered chat is notified once (a click on the notification puts the focus on the card's
 * Accept); after accepting, a new message from the customer is not notified while its ticket
 * is in front of the agent, and is notified once while they work on another ticket. The preferences popover opens from the header by keyboard,
 * keeps a choice across a reload, and is screenshotted in English and Chinese.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICIES } from '../shared/admin.js';
import { postDemoInbound, setSlaMinutesAsAdmin, signIn } from './demoApi.js';
import { clickNotification, recordedNotifications, recordNotifications, type RecordedNotification, type RecordingPage } from './notificationRecorder.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

/** Long enough for a loaded 2-core machine to look at the card and click Accept. */
const OFFER_TIMEOUT_MS = 45_000;
const ROUTED_MS = 20_000;

let server: RunningProcess;
let desk: RunningProcess;
let context: BrowserContext;
let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-notify-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, env: { OFFER_TIMEOUT_MS: String(OFFER_TIMEOUT_MS) } });
  // agent6 (Emily Chen): chat and email, orders group; the only agent signed in, so chats are offered to them.
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent6') });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  await recordNotifications(context);
  page = await context.newPage();
  await signIn(page, desk.url, 'agent6');
  await expect(page.getByRole('status').filter({ hasText: 'Online' })).toBeVisible({ timeout: ROUTED_MS });
  await expect(page.getByLabel('Presence', { exact: true })).toHaveValue('available', { timeout: ROUTED_MS });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

function recorded(tagPrefix: string): Promise<RecordedNotification[]> {
  return recordedNotifications(page, tagPrefix);
}

/** The demo leaves chats in the queue, offered to the first chat agent: decline them so the agent has room. */
async function declineDemoOffers(): Promise<void> {
  const decline = page.getByRole('alertdialog').getByRole('button', { name: 'Decline' });
  while ((await decline.count()) > 0) {
    await decline
      .first()
      .click({ timeout: 2_000 })
      .catch(() => undefined);
  }
}

let ticketId = '';
const customer = { name: '冯晓雨', phone: '+86 137 0000 1212' };

test('an offered chat is notified once, and a click on it puts the focus on Accept', async () => {
  test.setTimeout(90_000);
  await declineDemoOffers();
  ({ ticketId } = await postDemoInbound(server.url, {
    channel: 'chat',
    customer,
    subject: '订单物流查询延迟',
    text: '你好，我的订单三天没有物流更新了',
    externalMessageId: 'notify-e2e-1',
  }));
  const card = page.getByRole('alertdialog').filter({ hasText: ticketId });
  await expect(card).toBeVisible({ timeout: ROUTED_MS });
  await expect
    .poll(() => recorded(`offer:${ticketId}`), { timeout: ROUTED_MS })
    .toEqual([
      {
        title: 'Incoming Chat: 冯晓雨',
        body: `你好，我的订单三天没有物流更新了\n${ticketId} — accept it in OmniDesk before the offer runs out`,
        tag: `offer:${ticketId}`,
      },
    ]);

  // The click on the system popup runs the app's onclick.
  await clickNotification(page, `offer:${ticketId}`);
  await expect(card.getByRole('button', { name: 'Accept' })).toBeFocused();
  await card.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible({ timeout: ROUTED_MS });
  // Still once: the offer list changed around it (it left) without a second notification.
  expect(await recorded(`offer:${ticketId}`)).toHaveLength(1);
});

test("a new customer message on the agent's ticket is notified once while the agent works on another ticket", async () => {
  test.setTimeout(60_000);
  // The ticket is open in front of the agent: its message needs no popup.
  await page.bringToFront();
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as RecordingPage).document.hasFocus())).toBe(true);
  await postDemoInbound(server.url, { channel: 'chat', customer, text: '我看到了，谢谢', externalMessageId: 'notify-e2e-2' });
  await expect(page.getByRole('region', { name: ticketId }).getByText('我看到了，谢谢').first()).toBeVisible({ timeout: ROUTED_MS });
  expect(await recorded('message:')).toEqual([]);

  // The agent turns to another of their tickets (Playwright gives every page the focus, so another tab would not do).
  const otherRow = page.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasNotText: ticketId }).first();
  await otherRow.click();
  await expect(page.getByRole('region', { name: ticketId })).toHaveCount(0);
  const answer = await postDemoInbound(server.url, { channel: 'chat', customer, text: '还有一个问题：能开专票吗？', externalMessageId: 'notify-e2e-3' });
  expect(answer.ticketId).toBe(ticketId);
  await expect
    .poll(() => recorded('message:'), { timeout: ROUTED_MS })
    .toEqual([{ title: 'New message from 冯晓雨', body: `${ticketId} · 还有一个问题：能开专票吗？`, tag: `message:${ticketId}` }]);
});

test('the a key accepts the newest offer, in Chinese, and never while the agent types in a field', async () => {
  test.setTimeout(60_000);
  await page.getByLabel('Language').selectOption('zh-CN');
  await declineDemoOffers();
  const offered = await postDemoInbound(server.url, {
    channel: 'chat',
    customer: { name: '邵可欣', phone: '+86 137 0000 3434' },
    text: '你好，优惠券用不了',
    externalMessageId: 'notify-e2e-key-a',
  });
  const card = page.getByRole('alertdialog').filter({ hasText: offered.ticketId });
  await expect(card).toBeVisible({ timeout: ROUTED_MS });
  const accept = card.getByRole('button', { name: '接受' });
  await expect(accept).toHaveAttribute('aria-keyshortcuts', 'A');
  // Seen on the button too (hidden from screen readers, which hear aria-keyshortcuts instead).
  await expect(accept.locator('kbd')).toHaveText('A');
  await expect(accept).toHaveAccessibleName('接受');

  // Typed in the inbox search, `a` is a letter of the query: the offer stays.
  const search = page.locator('[data-shortcut="search"]');
  await search.focus();
  await page.keyboard.press('a');
  await expect(search).toHaveValue('a');
  await expect(card).toBeVisible();
  await search.fill('');
  await page.screenshot({ path: test.info().outputPath('offer-card-zh.png') });

  // Esc leaves the field; `a` on the page accepts: the ticket opens and the card leaves.
  await page.keyboard.press('Escape');
  await expect(search).not.toBeFocused();
  await page.keyboard.press('a');
  await expect(page.getByRole('region', { name: offered.ticketId })).toBeVisible({ timeout: ROUTED_MS });
  await expect(card).toHaveCount(0);

  // With no offer left, the key says so instead of doing nothing.
  await page.keyboard.press('a');
  await expect(page.getByRole('status').filter({ hasText: '没有可接受的接入邀请。' })).toBeVisible();
  await page.getByLabel('语言').selectOption('en');
});

test("an SLA warning on the agent's ticket is notified once, and a click on it opens the ticket", async () => {
  test.setTimeout(60_000);
  // The server's clock is not ours to move, and a ticket is dated by the server's receipt. The demo seeded Emily
  // Watson's email (agent6's, normal: 4 h) 95 minutes before the server started. An admin sets urgent to 110 minutes and
  // the agent makes the ticket urgent: its target, counted from its creation, is then at 86% or more (for the next
  // 15 minutes), past the 80% warning and before the breach, and the server's evaluator (every second) raises it.
  const row = page.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: 'Order #88231 not delivered' });
  await row.click();
  const slaTicketId = (await row.getAttribute('data-ticket-id'))!;
  const pane = page.getByRole('region', { name: slaTicketId });
  await expect(pane).toBeVisible();
  const priority = page.locator('[data-shortcut="priority"]');
  await expect(priority).toHaveValue('normal');
  const slaWarnings = async () => (await recorded('alarm:')).filter((n) => n.body.includes(slaTicketId));
  expect(await slaWarnings()).toEqual([]);
  await setSlaMinutesAsAdmin(server.url, 'urgent', 110);

  // P puts the cursor on the priority; urgent.
  await page.locator('body').press('p');
  await expect(priority).toBeFocused();
  await priority.selectOption('urgent');
  await expect.poll(slaWarnings, { timeout: ROUTED_MS }).toEqual([
    {
      title: 'SLA warning',
      body: expect.stringMatching(new RegExp(`^${slaTicketId} has used 80% of its resolution time \\(due .+\\)$`)) as unknown as string,
      tag: expect.stringMatching(/^alarm:\d+$/) as unknown as string,
    },
  ]);

  // Elsewhere, the click on the notification brings the ticket back.
  await page.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasNotText: slaTicketId }).first().click();
  await expect(pane).toHaveCount(0);
  const [warning] = await slaWarnings();
  await clickNotification(page, warning!.tag);
  await expect(pane).toBeVisible();
  // Still once: the evaluator has run again since, and the alarm list changed.
  expect(await slaWarnings()).toHaveLength(1);
  await setSlaMinutesAsAdmin(server.url, 'urgent', DEFAULT_POLICIES.slaMinutes.urgent);
});

test('the preferences popover opens from the header by keyboard, keeps a choice across a reload, in English and Chinese', async () => {
  test.setTimeout(60_000);
  const bell = page.getByRole('button', { name: 'Notification settings' });
  await bell.focus();
  await page.keyboard.press('Enter');
  const popover = page.getByRole('dialog', { name: 'Notifications' });
  await expect(popover).toBeVisible();
  // Offers and SLA ring by default; messages are silent; leads' alarms are not offered to an agent.
  await expect(popover.getByRole('checkbox', { name: 'Offers to me: play a sound' })).toBeChecked();
  await expect(popover.getByRole('checkbox', { name: 'Customer messages on my tickets: play a sound' })).not.toBeChecked();
  await expect(popover.getByRole('checkbox', { name: 'Alarms for leads: show a desktop notification' })).toHaveCount(0);
  await expect(popover.getByRole('status')).toHaveText('Desktop notifications are allowed.');
  // Focus starts inside; Space toggles.
  await expect(popover.getByRole('checkbox', { name: 'Offers to me: show a desktop notification' })).toBeFocused();
  await popover.getByRole('checkbox', { name: 'Customer messages on my tickets: play a sound' }).focus();
  await page.keyboard.press('Space');
  await expect(popover.getByRole('checkbox', { name: 'Customer messages on my tickets: play a sound' })).toBeChecked();
  await page.screenshot({ path: test.info().outputPath('notification-settings-en.png') });
  await page.keyboard.press('Escape');
  await expect(popover).toHaveCount(0);
  await expect(bell).toBeFocused();

  await page.reload();
  await expect(page.getByRole('status').filter({ hasText: 'Online' })).toBeVisible({ timeout: ROUTED_MS });
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByRole('button', { name: '通知设置' }).click();
  const zhPopover = page.getByRole('dialog', { name: '通知' });
  await expect(zhPopover.getByRole('checkbox', { name: '我的工单有客户新消息：播放提示音' })).toBeChecked();
  await expect(zhPopover.getByRole('status')).toHaveText('已允许桌面通知。');
  await page.screenshot({ path: test.info().outputPath('notification-settings-zh.png') });
  await page.keyboard.press('Escape');
  await page.getByLabel('语言').selectOption('en');
});

test('a browser that has not allowed notifications gets the button that asks, and a clear sentence when it refuses', async ({ browser }) => {
  test.setTimeout(60_000);
  const fresh = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })).newPage();
  await signIn(fresh, desk.url, 'agent6');
  await fresh.getByRole('button', { name: 'Notification settings' }).click();
  const popover = fresh.getByRole('dialog', { name: 'Notifications' });
  await expect(popover.getByRole('status')).toContainText('Your browser has not been allowed to show notifications yet.');
  // Headless Chromium answers the request itself (there is no prompt to click): denied.
  await popover.getByRole('button', { name: 'Allow desktop notifications' }).click();
  await expect(popover.getByRole('status')).toContainText('Your browser blocks notifications for this page.');
  await fresh.screenshot({ path: test.info().outputPath('notification-settings-denied.png') });
});
