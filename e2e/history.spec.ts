/**
 * The customer's whole history and collision, end to end: the real server process (demo
 * organisation), two real workstation processes (agent1 in Chinese, lead1 in English) and
 * Chromium. 张伟's phone ticket is agent1's; his chat ticket is agent2's: agent1's panel shows
 * it read-only with its messages. On an email ticket of agent1's, the lead opening it shows
 * "李主管 正在查看" on agent1's screen and typing shows too; the lead's reply arriving while
 * agent1 writes makes agent1's send ask first ("ticket changed — send anyway?"), answered
 * from the keyboard. Screenshots at 1280x800 in Chinese and English.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postDemoInbound, reassignAsLead, signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let agentDesk: RunningProcess;
let leadDesk: RunningProcess;
let agent: Page;
let lead: Page;

test.describe.configure({ mode: 'serial' });

/** agent1 in Chinese, set Away so the demo's queued contacts are not offered while they work. */
async function openAgentDesk(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(agentDesk.url);
  await page.getByLabel('用户名').fill('agent1');
  await page.getByLabel('密码').fill('demo');
  await page.getByRole('button', { name: '登录' }).click();
  const presence = page.getByLabel('在线状态', { exact: true });
  await expect(presence).toBeVisible();
  await presence.selectOption('away');
  await expect
    .poll(
      async () => {
        for (const dismiss of await page.locator('.call-card .call-dismiss').all()) await dismiss.click();
        return page.getByRole('alertdialog').count();
      },
      { timeout: 15_000 },
    )
    .toBe(0);
  return page;
}

function inboxRow(page: Page, ticketId: string) {
  return page.locator(`[role="option"][data-ticket-id="${ticketId}"]`);
}

/** The lead's inbox holds every ticket: found by its id through the search box. */
async function leadOpens(ticketId: string): Promise<void> {
  await lead.getByPlaceholder(/^Ticket ID, customer, subject/).fill(ticketId);
  await expect(inboxRow(lead, ticketId)).toBeVisible({ timeout: 20_000 });
  await inboxRow(lead, ticketId).click();
  await expect(lead.getByRole('region', { name: ticketId })).toBeVisible();
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-history-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') });
  leadDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
  agent = await openAgentDesk(browser);
  lead = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(lead, leadDesk.url, 'lead1');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await agentDesk?.stop();
  await leadDesk?.stop();
  await server?.stop();
});

test('the customer panel shows his ticket on another channel, held by another agent, read-only with its messages', async () => {
  test.setTimeout(90_000);
  await agent.getByRole('option').filter({ hasText: '订单物流查询延迟' }).click();
  const history = agent.locator('.customer-history');
  await expect(history.getByRole('heading', { name: '全渠道历史' })).toBeVisible();
  const chat = history.locator('.history-entry').filter({ hasText: '更改收货地址' });
  await expect(chat).toBeVisible({ timeout: 20_000 });
  await expect(chat).toContainText('只读');
  await expect(chat).toContainText('在线客服');
  await expect(chat.locator('.history-open')).toHaveCount(0);
  await expect(history.locator('.history-current')).toContainText('当前工单');
  await expect(history).toContainText(/已显示 \d+ \/ 共 \d+ 个工单/);
  // Opened from the keyboard: its messages show.
  await chat.locator('summary').focus();
  await agent.keyboard.press('Enter');
  await expect(chat).toContainText('改到公司');
  await agent.screenshot({ path: test.info().outputPath('history-panel-zh-CN.png') });

  // The lead sees the same history in English, every ticket openable.
  const ticketId = (await agent.locator('.ticket-pane').getAttribute('aria-label'))!;
  await leadOpens(ticketId);
  const leadHistory = lead.locator('.customer-history');
  await expect(leadHistory.getByRole('heading', { name: 'History on every channel' })).toBeVisible();
  await expect(leadHistory.locator('.history-entry').filter({ hasText: '更改收货地址' }).locator('button.history-open')).toBeVisible({
    timeout: 20_000,
  });
  await lead.screenshot({ path: test.info().outputPath('history-panel-en.png') });
});

test('a second person viewing and typing on the ticket shows live, and a reply on a changed ticket asks first', async () => {
  test.setTimeout(120_000);
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '冯磊', email: 'fenglei.history@example.cn' },
    subject: '退款进度',
    text: '上周申请的退款什么时候到账？',
  });
  await reassignAsLead(server.url, [ticketId], 'agent1');
  await expect(inboxRow(agent, ticketId)).toBeVisible({ timeout: 20_000 });
  await inboxRow(agent, ticketId).click();
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();
  const reply = agent.locator('textarea[data-shortcut="reply"]');
  await reply.fill('您好，退款已提交，');

  await leadOpens(ticketId);
  await expect(agent.locator('.collision-bar')).toContainText('李主管 正在查看', { timeout: 20_000 });
  await expect(lead.locator('.collision-bar')).toContainText(/typing a reply|viewing/);

  const leadReply = lead.locator('textarea[data-shortcut="reply"]');
  await leadReply.fill('冯先生您好，');
  await expect(agent.locator('.collision-bar')).toContainText('李主管 正在输入回复', { timeout: 20_000 });
  await agent.screenshot({ path: test.info().outputPath('collision-typing-zh-CN.png') });
  await lead.screenshot({ path: test.info().outputPath('collision-viewing-en.png') });

  // The lead's reply lands while agent1 is still writing theirs.
  await leadReply.fill('冯先生您好，退款将在三个工作日内到账。');
  await leadReply.press('Control+Enter');
  await expect(agent.locator('.timeline')).toContainText('退款将在三个工作日内到账', { timeout: 20_000 });

  await reply.focus();
  await agent.keyboard.press('Control+Enter');
  const warning = agent.getByRole('dialog', { name: '客户有新消息 / 工单已变化 — 仍要发送？' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('新到 1 条消息');
  await expect(warning.getByRole('button', { name: '先看新消息' })).toBeFocused();
  await agent.screenshot({ path: test.info().outputPath('collision-warning-zh-CN.png') });
  await agent.keyboard.press('Tab');
  await expect(warning.getByRole('button', { name: '仍然发送' })).toBeFocused();
  await agent.keyboard.press('Enter');
  await expect(warning).toHaveCount(0);
  await expect(reply).toHaveValue('');
  await expect(agent.locator('.timeline')).toContainText('您好，退款已提交，');

  // The lead signing out (their workstation's socket goes) takes them off agent1's screen.
  await lead.getByRole('button', { name: 'Sign out' }).click();
  await expect(agent.locator('.collision-bar')).toHaveCount(0, { timeout: 20_000 });
});
