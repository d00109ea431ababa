/**
 * Business hours and the channel registry end to end: the real server process (demo
 * organisation), the admin's workstation and agent6's (chat) in Chromium at 1280x800. The
 * admin sets the chat channel's hours so that it is now off-hours (closed every day); a web
 * chat visitor writes and sees the off-hours auto-reply in the widget; the admin switches the
 * chat channel off and the widget says it is unavailable. Screenshots in Chinese and English.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signIn } from './demoApi.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

const LIVE_MS = 20_000;
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

let server: RunningProcess;
let adminDesk: RunningProcess;
let agentDesk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-hours-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, env: { OFFER_TIMEOUT_MS: '60000' } });
  adminDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'admin1') });
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent6') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await agentDesk?.stop();
  await adminDesk?.stop();
  await server?.stop();
});

/** The widget lives in a shadow root; Playwright's locators pierce it. */
function widget(page: Page) {
  return page.locator('#omnidesk-chat');
}

test('off-hours: the visitor gets the auto-reply; switched off: the widget says the chat is unavailable', async ({ browser }) => {
  test.setTimeout(180_000);
  // A chat agent on shift, so the widget offers its composer rather than the offline form.
  const agent = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(agent, agentDesk.url, 'agent6');
  await expect(agent.getByLabel('Presence', { exact: true })).toHaveValue('available', { timeout: LIVE_MS });

  const admin = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(admin, adminDesk.url, 'admin1');
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  const chatForm = admin.getByRole('form', { name: 'Chat', exact: true });
  await expect(chatForm).toBeVisible({ timeout: LIVE_MS });
  await expect(chatForm.getByText('Open now')).toBeVisible();
  // Closed every day: whenever this runs, it is off-hours.
  await chatForm.getByLabel('Open around the clock (24 h, no auto-reply)').uncheck();
  for (const day of DAYS) await chatForm.getByLabel(day, { exact: true }).fill('');
  await chatForm.getByRole('button', { name: 'Save Chat' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('Saved the Chat channel.', { timeout: LIVE_MS });
  await expect(chatForm.getByText('Off-hours now')).toBeVisible();
  await expect(admin.getByRole('region', { name: 'Recent administrative changes' }).getByText(/changed a channel · Chat/)).toBeVisible();
  await chatForm.scrollIntoViewIfNeeded();
  await admin.screenshot({ path: test.info().outputPath('admin-hours-en.png') });

  // A Chinese visitor writes off-hours: the ticket is made and the auto-reply shows in the widget.
  const zhContext = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const visitor = await zhContext.newPage();
  await visitor.goto(`${server.url}/chat/?site=demo`);
  const chat = widget(visitor);
  const input = chat.getByLabel('消息');
  await expect(input).toBeVisible({ timeout: LIVE_MS });
  await input.fill('你好，周末可以退货吗？');
  await input.press('Enter');
  await expect(chat.getByText('您好，现在是非工作时间（工作时间：周一至周五 9:00–18:00），我们将在上班后尽快回复您。')).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByText(/^自动回复 · /)).toBeVisible();
  await visitor.screenshot({ path: test.info().outputPath('widget-autoreply-zh.png') });

  // The agent's offer carries the contact (nothing is lost off-hours); the timeline marks the automatic reply.
  // The demo's older queued chats are offered first: agent6 accepts them until the visitor's comes.
  const offers = agent.getByRole('alertdialog');
  await expect(async () => {
    await expect(offers.first()).toBeVisible();
    const ours = (await offers.first().textContent())?.includes('你好，周末可以退货吗？') ?? false;
    await offers.first().getByRole('button', { name: 'Accept' }).click();
    expect(ours).toBe(true);
  }).toPass({ timeout: 60_000 });
  await agent.locator('.inbox').getByText('你好，周末可以退货吗？').first().click();
  const timeline = agent.locator('section.ticket-pane .timeline');
  await expect(timeline.locator('.message-automatic').getByText('Automatic reply (off-hours)')).toBeVisible({ timeout: LIVE_MS });
  await agent.screenshot({ path: test.info().outputPath('agent-autoreply-en.png') });

  // The admin switches web chat off: the open widget says so within its availability check, and a new one at once.
  await chatForm.getByLabel('On: takes new contacts').uncheck();
  await chatForm.getByRole('button', { name: 'Save Chat' }).click();
  await expect(chatForm.getByText('Switched off', { exact: true })).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByText('在线客服暂时不可用，请稍后再来，或通过电话、邮件联系我们。')).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByLabel('消息')).toBeHidden();
  await visitor.screenshot({ path: test.info().outputPath('widget-unavailable-zh.png') });

  const enContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const english = await enContext.newPage();
  await english.goto(`${server.url}/chat/?site=demo`);
  await expect(widget(english).getByText('This chat is unavailable at the moment. Please come back later, or contact us by phone or email.')).toBeVisible({
    timeout: LIVE_MS,
  });
  await english.screenshot({ path: test.info().outputPath('widget-unavailable-en.png') });

  // The same Admin view in Chinese.
  await admin.getByLabel('Language').selectOption('zh-CN');
  const zhForm = admin.getByRole('form', { name: '在线客服', exact: true });
  await expect(zhForm.getByText('已停用', { exact: true })).toBeVisible({ timeout: LIVE_MS });
  await zhForm.scrollIntoViewIfNeeded();
  await admin.screenshot({ path: test.info().outputPath('admin-hours-zh.png') });
});
