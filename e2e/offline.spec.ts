/**
 * Outage continuity, end to end: the real server process is killed (SIGKILL) while agents
 * work; agent1 keeps working against the local cache, even across a crash and restart of
 * the workstation process; when the server comes back on the same data folder and port,
 * every change lands exactly once and lead1's workstation shows it. Replies written
 * offline stay drafts until the agent confirms them; a change the server refuses is undone
 * and listed under "needs attention"; and an agent can sign in while the server is down.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoToken, postDemoInbound, signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

interface ServerTicket {
  ticket: { id: string; status: string; priority: string; followUpAt: number | null };
  messages: { text: string; direction: string }[];
  notes: { text: string }[];
}

let root: string;
let server: RunningProcess;
let agentDesk: RunningProcess;
let leadDesk: RunningProcess;
/** The three tickets created for this run, all routed to agent1. */
const tickets: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-offline-'));
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

/** Kills the server like a power cut: no shutdown, no goodbye to the clients. */
async function killServer(): Promise<void> {
  await server.stop('SIGKILL');
}

/** The server again, on the same SQLite folder and the same port the workstations use. */
async function restartServer(): Promise<void> {
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, port: server.port });
}

/** The agent's workstation crashes and starts again on the same cache and port. */
async function restartAgentDesk(): Promise<void> {
  await agentDesk.stop('SIGKILL');
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1'), port: agentDesk.port });
}

function inboxRow(page: Page, ticketId: string) {
  return page.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId });
}

async function openTicket(page: Page, ticketId: string): Promise<void> {
  // Completed and closed tickets are out of the default view: these steps complete and close some.
  await page.getByRole('combobox', { name: 'Status filter' }).selectOption('');
  await inboxRow(page, ticketId).click();
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();
}

/** One entry of the open ticket's conversation (message, note or draft) by its text. */
/** A message, note or draft of the open ticket (not the customer history beside it, which lists the same messages). */
function entry(page: Page, text: string) {
  return page.locator('section.ticket-pane .timeline, section.ticket-pane .draft-list').getByRole('listitem').filter({ hasText: text });
}

const noteText = (n: number) => `离线备注（第 ${String(n)} 条）：客户来电催促物流进度`;
const DRAFT_TEXT = '您好，网络恢复后为您跟进：快递已在派送途中，请保持电话畅通。';

const postInbound = async (body: unknown) => (await postDemoInbound(server.url, body)).ticketId;

const tokenFor = (username: string) => demoToken(server.url, username);

async function serverTicket(ticketId: string): Promise<ServerTicket> {
  const response = await fetch(`${server.url}/api/v1/tickets/${ticketId}`, {
    headers: { authorization: `Bearer ${await tokenFor('lead1')}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ServerTicket;
}

test('an agent keeps working through a server outage and a workstation crash, and every change lands exactly once', async ({ browser }) => {
  test.setTimeout(240_000);
  const agentContext = await browser.newContext({ locale: 'en-US' });
  const agent = await agentContext.newPage();
  await signIn(agent, agentDesk.url, 'agent1');
  const leadContext = await browser.newContext({ locale: 'en-US' });
  const lead = await leadContext.newPage();
  await signIn(lead, leadDesk.url, 'lead1');
  await expect(agent.getByText('Online', { exact: true })).toBeVisible();

  const customers = [
    { name: '孙丽', email: 'sunli@example.cn', subject: '订单物流查询延迟' },
    { name: '钱伟', email: 'qianwei@example.cn', subject: '退货运费谁来承担' },
    { name: '周敏', email: 'zhoumin@example.cn', subject: '会员积分没有到账' },
  ];
  for (const [i, customer] of customers.entries()) {
    tickets.push(
      await postInbound({
        channel: 'email',
        customer: { name: customer.name, email: customer.email },
        subject: customer.subject,
        text: `你好，${customer.subject}，麻烦帮我看一下。`,
        externalMessageId: `e2e-offline-${String(Date.now())}-${String(i)}`,
      }),
    );
  }
  const [first, second, third] = tickets as [string, string, string];
  // Whatever routing did with them, agent1 works all three (taking any still queued). Routing's
  // pacing gives an agent 2 new tickets per 5 s drain tick: the third arrives at the next tick,
  // up to 5 s later (CI failed once waiting the default 5 s for it).
  for (const ticketId of tickets) {
    await expect(inboxRow(agent, ticketId)).toBeVisible({ timeout: 20_000 });
    await openTicket(agent, ticketId);
    if ((await agent.getByLabel('Status').inputValue()) === 'unassigned') await agent.getByLabel('Status').selectOption('in_progress');
    await expect(agent.getByLabel('Status')).toHaveValue('in_progress');
  }
  await expect(agent.getByText(/^\d+ pending$/)).toHaveCount(0);

  // ---- The server dies. ------------------------------------------------------------
  await killServer();
  await expect(agent.getByText(/^Offline since \d{2}:\d{2}$/)).toBeVisible({ timeout: 30_000 });

  // Browsing and search work from the cache.
  await agent.getByLabel('Search').fill('积分');
  await expect(inboxRow(agent, third)).toBeVisible();
  await expect(inboxRow(agent, first)).toHaveCount(0);
  await agent.getByLabel('Search').fill('');

  // Twenty notes, each shown at once and marked pending.
  await openTicket(agent, first);
  for (let n = 1; n <= 20; n++) {
    await agent.getByLabel('Internal note').fill(noteText(n));
    await agent.getByRole('button', { name: 'Add note' }).click();
    await expect(entry(agent, noteText(n)).getByText('Pending sync')).toBeVisible();
  }
  await expect(agent.getByText('20 pending', { exact: true })).toBeVisible();

  // Status on three tickets; priority and a follow-up reminder on the first.
  for (const ticketId of tickets) {
    await openTicket(agent, ticketId);
    await agent.getByLabel('Status').selectOption('awaiting_customer');
    await expect(agent.getByLabel('Status')).toHaveValue('awaiting_customer');
    await expect(inboxRow(agent, ticketId).getByText('Pending sync')).toBeVisible();
  }
  await openTicket(agent, first);
  await agent.getByLabel('Priority').selectOption('urgent');
  await expect(agent.getByLabel('Priority')).toHaveValue('urgent');
  // Tomorrow 10:30 on the organisation's clock (Asia/Shanghai), whatever this machine's zone is.
  const tomorrowInShanghai = new Date(Date.now() + (8 + 24) * 3600_000).toISOString().slice(0, 10);
  const followUpAt = Date.parse(`${tomorrowInShanghai}T10:30:00+08:00`);
  await agent.getByLabel('Follow-up reminder').fill('');
  await agent.getByLabel('Follow-up reminder').fill(`${tomorrowInShanghai}T10:30`);
  await agent.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(inboxRow(agent, first).getByText(/^Follow-up /)).toBeVisible();
  await expect(agent.getByText('25 pending', { exact: true })).toBeVisible();

  // A reply written offline becomes a draft, clearly labelled, never sent by itself.
  await expect(agent.getByText('will send when online', { exact: true })).toBeVisible();
  await agent.getByLabel('Reply').fill(DRAFT_TEXT);
  await agent.getByRole('button', { name: 'Save draft' }).click();
  const draft = entry(agent, DRAFT_TEXT);
  await expect(draft.getByText('Draft — will send when online')).toBeVisible();
  await expect(draft.getByRole('button', { name: 'Send now' })).toBeDisabled();
  await expect(agent.getByLabel('Reply')).toHaveValue('');
  await expect(inboxRow(agent, first).getByText('Draft', { exact: true })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('offline-en.png') });

  // ---- The workstation crashes and restarts, still offline. --------------------------
  await restartAgentDesk();
  // A restarted workstation has a new launch key: the open page is refused and says so…
  await expect(agent.getByRole('alert')).toContainText('It was probably restarted', { timeout: 30_000 });
  await agent.screenshot({ path: test.info().outputPath('launch-key-refused-en.png') });
  // …and the new launch link, opened in the same tab, brings it back.
  await agent.goto(agentDesk.url);
  await expect(agent.getByLabel('Username')).toHaveCount(0);
  await expect(agent.getByText(/^Offline since \d{2}:\d{2}$/)).toBeVisible({ timeout: 30_000 });
  await expect(agent.getByText('25 pending', { exact: true })).toBeVisible();
  await openTicket(agent, first);
  await expect(entry(agent, noteText(20)).getByText('Pending sync')).toBeVisible();
  await expect(entry(agent, DRAFT_TEXT).getByText('Draft — will send when online')).toBeVisible();

  // ---- The server comes back on the same data and port. -------------------------------
  await restartServer();
  await expect(agent.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(agent.getByText(/^\d+ pending$/)).toHaveCount(0, { timeout: 30_000 });
  await expect(entry(agent, noteText(20)).getByText('Pending sync')).toHaveCount(0);

  const firstOnServer = await serverTicket(first);
  for (let n = 1; n <= 20; n++) {
    expect(
      firstOnServer.notes.filter((note) => note.text === noteText(n)),
      noteText(n),
    ).toHaveLength(1);
  }
  expect(firstOnServer.ticket.priority).toBe('urgent');
  expect(firstOnServer.ticket.followUpAt).toBe(followUpAt);
  for (const ticketId of tickets) expect((await serverTicket(ticketId)).ticket.status).toBe('awaiting_customer');
  // The draft stayed on this computer.
  expect(firstOnServer.messages.filter((m) => m.text === DRAFT_TEXT)).toHaveLength(0);

  // The lead's workstation shows all of it.
  await openTicket(lead, first);
  await expect(entry(lead, noteText(1))).toBeVisible({ timeout: 30_000 });
  await expect(entry(lead, noteText(20))).toBeVisible();
  await expect(lead.getByLabel('Status')).toHaveValue('awaiting_customer');
  await expect(lead.getByLabel('Priority')).toHaveValue('urgent');
  await openTicket(lead, second);
  await expect(lead.getByLabel('Status')).toHaveValue('awaiting_customer');
  await expect(lead.getByText(DRAFT_TEXT)).toHaveCount(0);

  // ---- Online again, the agent sends the draft after confirming. ----------------------
  const onlineDraft = entry(agent, DRAFT_TEXT);
  await expect(onlineDraft.getByText('Draft written offline — not sent yet')).toBeVisible();
  await onlineDraft.getByRole('button', { name: 'Send now' }).click();
  const confirm = agent.getByRole('dialog', { name: 'Send the draft?' });
  await expect(confirm).toContainText('The ticket may have changed while you were offline. Send this reply now?');
  await expect(confirm.getByRole('button', { name: 'Confirm' })).toBeFocused();
  await agent.screenshot({ path: test.info().outputPath('confirm-en.png') });
  await agent.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  expect((await serverTicket(first)).messages.filter((m) => m.text === DRAFT_TEXT)).toHaveLength(0);

  await onlineDraft.getByRole('button', { name: 'Send now' }).click();
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(agent.getByText('Draft written offline — not sent yet')).toHaveCount(0);
  await expect(entry(agent, DRAFT_TEXT)).toBeVisible();
  await expect.poll(async () => (await serverTicket(first)).messages.filter((m) => m.text === DRAFT_TEXT).length, { timeout: 30_000 }).toBe(1);
  await openTicket(lead, first);
  await expect(lead.locator('section.ticket-pane .timeline').getByText(DRAFT_TEXT)).toBeVisible();

  await agentContext.close();
  await leadContext.close();
});

test('a change the server refuses is undone and listed under "needs attention", with the reason', async ({ browser }) => {
  test.setTimeout(180_000);
  const agentContext = await browser.newContext({ locale: 'en-US' });
  const agent = await agentContext.newPage();
  await agent.goto(agentDesk.url);
  const leadContext = await browser.newContext({ locale: 'en-US' });
  const lead = await leadContext.newPage();
  await lead.goto(leadDesk.url);
  const ticketId = tickets[1]!;

  await expect(agent.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // The agent, offline, completes the ticket...
  await killServer();
  await expect(agent.getByText(/^Offline since/)).toBeVisible({ timeout: 30_000 });
  await openTicket(agent, ticketId);
  await agent.getByLabel('Status').selectOption('completed');
  // Completing asks for the result (处理结果) first; both changes wait in the outbox.
  const prompt = agent.getByRole('dialog', { name: `Complete ${ticketId}` });
  await prompt.getByLabel('Result').fill('已电话告知客户处理进度');
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(inboxRow(agent, ticketId).getByText('Pending sync')).toBeVisible();
  // ...and the workstation is shut down before it could send that change.
  await agentDesk.stop();

  // Meanwhile the lead closes the ticket, so "completed" is no longer a valid next step.
  await restartServer();
  await expect(lead.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });
  await openTicket(lead, ticketId);
  await lead.getByLabel('Status').selectOption('closed');
  await expect.poll(async () => (await serverTicket(ticketId)).ticket.status, { timeout: 30_000 }).toBe('closed');

  // The agent's workstation comes back and sends the change; the server refuses it.
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1'), port: agentDesk.port });
  await agent.goto(agentDesk.url);
  await expect(agent.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(agent.getByText(/^\d+ pending$/)).toHaveCount(0, { timeout: 30_000 });
  expect((await serverTicket(ticketId)).ticket.status).toBe('closed');

  // Undone locally, and listed with the reason until the agent dismisses it.
  await openTicket(agent, ticketId);
  await expect(agent.getByLabel('Status')).toHaveValue('closed');
  const attention = agent.getByRole('button', { name: 'Needs attention (1)' });
  await expect(attention).toBeVisible();
  await attention.click();
  const list = agent.getByRole('dialog', { name: 'Needs attention' });
  const item = list.getByRole('row').filter({ hasText: ticketId });
  await expect(item).toContainText('Status change');
  await expect(item.getByRole('cell').nth(2)).not.toBeEmpty();
  await agent.screenshot({ path: test.info().outputPath('attention-en.png') });
  await agent.getByLabel('Language').selectOption('zh-CN');
  const zhList = agent.getByRole('dialog', { name: '需处理' });
  await expect(zhList).toBeVisible();
  // The refusal arrives as facts and is said in the agent's language, not the server's English.
  const zhReason = zhList.getByRole('row').filter({ hasText: ticketId }).getByRole('cell').nth(2);
  await expect(zhReason).toContainText('不能从“已关闭”改为“已完成”：您离线期间工单已被更改');
  // Its hover text too (the whole reason where the cell cuts it short).
  await expect(zhReason).toHaveAttribute('title', /不能从“已关闭”改为“已完成”/);
  await agent.screenshot({ path: test.info().outputPath('attention-zh.png') });
  await agent.getByLabel('语言').selectOption('en');

  // Escape closes the list; the ticket ID opens the ticket.
  await agent.keyboard.press('Escape');
  await expect(list).toHaveCount(0);
  await attention.click();
  await item.getByRole('button', { name: ticketId }).click();
  await expect(list).toHaveCount(0);
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();

  await attention.click();
  await item.getByRole('button', { name: 'Dismiss' }).click();
  await expect(item).toHaveCount(0);
  await list.getByRole('button', { name: 'Close' }).click();
  await expect(attention).toHaveCount(0);

  await agentContext.close();
  await leadContext.close();
});

test('with the server down an agent signs in again from the cached session', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(agentDesk.url);
  // The desk is still signed in from the previous test (the core keeps its session).
  await expect(page.getByRole('button', { name: '退出' })).toBeVisible();

  await killServer();
  await expect(page.getByText(/^离线（自 \d{2}:\d{2}）$/)).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: '退出' }).click();
  await page.getByLabel('用户名').fill('agent1');
  await page.getByLabel('密码').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toBeVisible();

  await page.getByLabel('密码').fill('demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByText('离线登录', { exact: true })).toBeVisible();
  const rows = page.getByRole('listbox', { name: '工单' }).getByRole('option');
  await expect(rows.filter({ hasText: tickets[0]! })).toBeVisible();

  // Working offline in Chinese: a pending note, a draft, the header saying so.
  await rows.filter({ hasText: tickets[2]! }).click();
  await page.getByLabel('内部备注').fill('离线登录后补记：客户同意明天回电');
  await page.getByRole('button', { name: '添加备注' }).click();
  await expect(entry(page, '客户同意明天回电').getByText('待同步')).toBeVisible();
  await page.getByLabel('回复').fill('您好，积分问题已登记，预计 24 小时内到账。');
  await page.getByRole('button', { name: '存为草稿' }).click();
  await expect(entry(page, '积分问题已登记').getByText('草稿 — 联网后发送')).toBeVisible();
  await expect(page.getByText('1 项待同步', { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('offline-zh.png') });
  await context.close();
});
