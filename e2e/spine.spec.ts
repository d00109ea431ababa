/**
 * The spine, end to end, as agents use it: the real server process with its SQLite file,
 * two real workstation processes (core + browser host, each with its own cache), and
 * Chromium driving the real renderer. agent1 works tickets; lead1 watches from a second
 * workstation and must see every change without a refresh.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoToken, openFromInboxOrQueue, postDemoInbound, replyTakingIfQueued, signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, closeContexts } from './stack.js';

type Running = Awaited<ReturnType<typeof startServerProcess>>;

let server: Running;
let agentDesk: Awaited<ReturnType<typeof startWorkstationProcess>>;
let leadDesk: Awaited<ReturnType<typeof startWorkstationProcess>>;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') });
  leadDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await agentDesk?.stop();
  await leadDesk?.stop();
  await server?.stop();
});

/**
 * Signs in on an English page. The core keeps its session across page loads (as the
 * desktop app does across restarts), so a desk signed in earlier is signed out first.
 */

const postInbound = (body: unknown) => postDemoInbound(server.url, body);

function inboxRows(page: Page, name = 'Tickets') {
  return page.getByRole('listbox', { name }).getByRole('option');
}

/** The inbox row that shows this ticket ID as text. */
function inboxRow(page: Page, ticketId: string) {
  return inboxRows(page).filter({ hasText: ticketId });
}

test('an agent signs in and sees one inbox across all four channels', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await signIn(page, agentDesk.url, 'agent1');

  const rows = inboxRows(page);
  await expect(rows.first()).toBeVisible();
  await expect(rows.first()).toContainText(/GD\d{11,}/);
  for (const channel of ['Phone', 'Chat', 'Social', 'Email']) {
    await expect(page.getByRole('img', { name: channel }).first()).toBeVisible();
  }

  // Filtering by channel leaves only that channel's rows, and the filter shows its count.
  const emailFilter = page.getByRole('button', { name: /^Email\b/ });
  await expect(emailFilter).toContainText(/\d+/);
  await emailFilter.click();
  await expect(rows.first()).toBeVisible();
  const emailRows = await rows.count();
  expect(emailRows).toBeGreaterThan(0);
  await expect(rows.getByRole('img', { name: 'Phone' })).toHaveCount(0);

  // Keyboard: move down the list and open a ticket with Enter.
  await page.getByRole('button', { name: /^All\b/ }).click();
  await rows.first().focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Reply', { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('inbox-en.png') });
  await context.close();
});

test('an inbound contact appears routed in the agent inbox without a refresh, and the lead sees the agent work it', async ({ browser }) => {
  const agentContext = await browser.newContext({ locale: 'en-US' });
  const agent = await agentContext.newPage();
  await signIn(agent, agentDesk.url, 'agent1');
  const leadContext = await browser.newContext({ locale: 'en-US' });
  const lead = await leadContext.newPage();
  await signIn(lead, leadDesk.url, 'lead1');

  const contact = await postInbound({
    channel: 'chat',
    customer: { name: '周晓明', phone: '+86 139 2288 7766', email: 'zhouxm@example.cn' },
    subject: '订单物流查询延迟',
    text: '你好，我的订单 #88231 三天没有物流更新了，能帮我查一下吗？',
    externalMessageId: `e2e-${String(Date.now())}`,
  });
  expect(contact.created).toBe(true);
  expect(contact.ticketId).toMatch(/^GD\d{11,}$/);

  // Routed to agent1 (the only online agent with the chat skill) and pushed live, or, while agent1 is at
  // chat capacity with the demo's chats, waiting in the chat queue where agent1 opens it (and replying takes it).
  await openFromInboxOrQueue(agent, contact.ticketId);
  await expect(agent.locator('.customer-panel')).toContainText('周晓明');
  await expect(agent.locator('section.ticket-pane .timeline').getByText('三天没有物流更新了', { exact: false })).toBeVisible();

  await agent.getByLabel('Reply', { exact: true }).fill('您好，已为您联系快递公司，今天下午前回复您。');
  await agent.getByRole('button', { name: 'Send' }).click();
  await replyTakingIfQueued(agent, '已为您联系快递公司');
  await agent.getByLabel('Internal note').fill('客户情绪稳定，已提交物流工单 WL-5521');
  await agent.getByRole('button', { name: 'Add note' }).click();
  await agent.getByLabel('Status').selectOption('awaiting_customer');
  // In the timeline: once the reply has taken the ticket, the customer panel's history lists the same words.
  await expect(agent.locator('section.ticket-pane .timeline').getByText('已为您联系快递公司')).toBeVisible();

  // The lead's workstation receives all three changes live.
  const leadRow = inboxRow(lead, contact.ticketId);
  await expect(leadRow).toBeVisible();
  await leadRow.click();
  // In the ticket's timeline (the customer panel's history lists the same words).
  const leadTimeline = lead.locator('section.ticket-pane .timeline');
  await expect(leadTimeline.getByText('已为您联系快递公司')).toBeVisible();
  await expect(leadTimeline.getByText('已提交物流工单 WL-5521')).toBeVisible();
  await expect(lead.getByLabel('Status')).toHaveValue('awaiting_customer');

  // And the server agrees, exactly once.
  const detail = await fetch(`${server.url}/api/v1/tickets/${contact.ticketId}`, {
    headers: { authorization: `Bearer ${await tokenFor('lead1')}` },
  }).then((r) => r.json() as Promise<{ ticket: { status: string }; messages: { text: string }[]; notes: { text: string }[] }>);
  expect(detail.ticket.status).toBe('awaiting_customer');
  expect(detail.messages.filter((m) => m.text.includes('已为您联系快递公司'))).toHaveLength(1);
  expect(detail.notes.filter((n) => n.text.includes('WL-5521'))).toHaveLength(1);

  // A follow-up from the same customer joins the same ticket and shows up live.
  const followUp = await postInbound({
    channel: 'chat',
    customer: { phone: '13922887766' },
    text: '好的，谢谢，我等你们消息',
  });
  expect(followUp).toMatchObject({ ticketId: contact.ticketId, created: false });
  // On the timeline (the open ticket's entry in the customer history follows it live too).
  await expect(agent.locator('section.ticket-pane .timeline').getByText('我等你们消息')).toBeVisible();
  await agentContext.close();
  await leadContext.close();
});

test('the workstation speaks Chinese and keeps working with Chinese search', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(agentDesk.url);
  await expect(page.getByRole('button', { name: '登录' }).or(page.getByLabel('回复'))).toBeVisible();
  if (await page.getByRole('button', { name: '登录' }).isVisible()) {
    await page.getByLabel('用户名').fill('agent1');
    await page.getByLabel('密码').fill('demo');
    await page.getByRole('button', { name: '登录' }).click();
  }
  await expect(inboxRows(page, '工单').first()).toBeVisible();

  // Two-character Chinese search (below FTS5 trigram's reach) still finds the ticket.
  await page.getByLabel('搜索').fill('物流');
  await expect(inboxRows(page, '工单').filter({ hasText: '周晓明' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('inbox-zh.png') });
  await context.close();
});

const tokenFor = (username: string) => demoToken(server.url, username);
