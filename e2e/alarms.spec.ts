/**
 * Alarms and escalation approval end to end: the real server process (demo organisation)
 * and two workstation processes, in Chromium at 1280x800. The lead sets a channel's backlog
 * threshold under what waits there and the backlog alarm appears in their Alerts list live
 * (raised by the server), with the badge; they acknowledge it and the list says who and when.
 * Then an agent asks to escalate a ticket; the lead sees the request and approves it, and
 * the ticket goes to tier 2. Screenshots of the list and the approval in English and Chinese.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postDemoInbound, reassignAsLead, signIn } from './demoApi.js';
import { clickNotification, recordedNotifications, recordNotifications } from './notificationRecorder.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let leadDesk: RunningProcess;
let agentDesk: RunningProcess;
let lead: Page;
let agent: Page;
/** The ticket 王芳 asked to escalate and the lead approved (tier 2 now, back in the queue). */
let escalatedTicketId = '';

test.describe.configure({ mode: 'serial' });

async function openPage(browser: Browser, url: string, username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await recordNotifications(context);
  const page = await context.newPage();
  await signIn(page, url, username);
  return page;
}

test.beforeAll(async ({ browser }) => {
  // agent1 (王芳) takes every channel: they sign in only for the escalation, so the backlog waits meanwhile.
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-alarms-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  leadDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') });
  lead = await openPage(browser, leadDesk.url, 'lead1');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await agentDesk?.stop();
  await leadDesk?.stop();
  await server?.stop();
});

function alarmRows(page: Page, kind: string) {
  return page.locator(`tr[data-alarm="${kind}"]`);
}

test('a lead sees a backlog alarm appear live when contacts arrive past the threshold, and acknowledges it', async () => {
  test.setTimeout(90_000);
  // Social waits with nobody on social signed in. A threshold of 5 with three waiting (the demo's one and two more) raises
  // nothing; the four contacts after it cross it.
  const socialContact = (index: number) =>
    postDemoInbound(server.url, {
      channel: 'social',
      customer: { name: `微博用户${String(index)}`, socialId: `weibo-alarm-${String(index)}` },
      text: '在吗？',
    });
  for (const index of [1, 2]) await socialContact(index);
  await lead.getByRole('button', { name: /^Alerts/ }).click();
  await expect(lead.getByRole('heading', { name: 'Alerts' })).toBeVisible();
  await lead.getByLabel('Threshold for Social').fill('5');
  await lead.getByLabel('Threshold for Social').press('Enter');
  await expect(lead.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const backlog = alarmRows(lead, 'backlog').filter({ hasText: 'Social' });
  await expect(backlog).toHaveCount(0);

  for (const index of [3, 4, 5, 6]) await socialContact(index);
  // Raised by the server's evaluator and pushed: no reload, no click.
  await expect(backlog).toHaveCount(1, { timeout: 15_000 });
  await expect(backlog).toContainText('contacts waiting (threshold 5)');
  await expect(backlog).toContainText('Not acknowledged');
  await expect(lead.locator('.alarm-badge')).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('alerts-en.png') });
  // The desktop notification (the browser's, in browser mode): once for the crossing, and a click opens Social's tickets.
  const backlogNotified = async () => (await recordedNotifications(lead, 'alarm:')).filter((n) => n.title === 'Backlog');
  await expect.poll(async () => (await backlogNotified()).length).toBe(1);
  const [notified] = await backlogNotified();
  expect(notified!.body).toContain('Social');
  await clickNotification(lead, notified!.tag);
  await expect(lead.getByRole('group', { name: 'Channels' }).getByRole('button', { name: /Social/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(lead.locator('.inbox-row').first()).toContainText('微博用户');
  await lead.getByRole('group', { name: 'Channels' }).getByRole('button', { name: /^All/ }).click();
  await lead.getByRole('button', { name: /^Alerts/ }).click();

  await backlog.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(backlog).toContainText('Acknowledged by 李主管');
  await expect(backlog.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);
  expect(await backlogNotified()).toHaveLength(1);

  // The same list in Chinese.
  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(lead.getByRole('heading', { name: '告警' })).toBeVisible();
  await expect(alarmRows(lead, 'backlog').filter({ hasText: '社交媒体' })).toContainText('李主管 于');
  await lead.screenshot({ path: test.info().outputPath('alerts-zh.png') });
  await lead.getByLabel('语言').selectOption('en');
});

test('an agent requests an escalation; the lead approves it and the ticket goes to tier 2', async ({ browser }) => {
  test.setTimeout(90_000);
  agent = await openPage(browser, agentDesk.url, 'agent1');
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    subject: '设备反复死机',
    customer: { name: '孙丽', email: 'sunli.alarms@example.cn' },
    text: '设备反复死机，已经重启多次',
  });
  await reassignAsLead(server.url, [ticketId], 'agent1');
  const row = agent.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId });
  await row.click();
  await agent.getByRole('button', { name: 'Escalate', exact: true }).click();
  await agent.getByLabel('Escalation reason').fill('需要二线工程师远程诊断');
  await agent.getByRole('button', { name: 'Escalate to tier 2' }).click();
  await expect(agent.getByRole('status').filter({ hasText: 'Escalation requested' })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('agent-requested-en.png') });

  const request = alarmRows(lead, 'escalation_request').filter({ hasText: ticketId });
  await expect(request).toContainText('王芳 asks to escalate', { timeout: 15_000 });
  await expect(request).toContainText('Waiting for a lead');
  await lead.screenshot({ path: test.info().outputPath('approval-en.png') });
  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(request).toContainText('申请将');
  await lead.screenshot({ path: test.info().outputPath('approval-zh.png') });
  await lead.getByLabel('语言').selectOption('en');

  await request.getByRole('button', { name: 'Approve' }).click();
  await expect(request).toContainText('Approved by 李主管');
  // One click to the ticket: escalated to tier 2, with the agent's reason and the 30-minute target.
  await request.getByRole('button', { name: `Open ${ticketId}` }).click();
  await expect(lead.getByText('Escalated by 王芳: 需要二线工程师远程诊断')).toBeVisible({ timeout: 15_000 });
  await expect(lead.getByText('Tier-2 target')).toBeVisible();
  escalatedTicketId = ticketId;
});

test('the lead refuses an escalation with a reason, and the agent reads who refused it and why, in English and Chinese', async () => {
  test.setTimeout(90_000);
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    subject: '发票抬头填错',
    customer: { name: '钱进', email: 'qianjin.alarms@example.cn' },
    text: '发票抬头填错了，能重开吗',
  });
  await reassignAsLead(server.url, [ticketId], 'agent1');
  await agent.getByRole('button', { name: 'Inbox', exact: true }).click();
  await agent.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId }).click();
  await agent.getByRole('button', { name: 'Escalate', exact: true }).click();
  // Without a reason the form says so in the UI's language (not the browser's own bubble).
  await agent.getByRole('button', { name: 'Escalate to tier 2' }).click();
  await expect(agent.getByRole('alert').filter({ hasText: 'Enter a reason.' })).toBeVisible();
  await agent.getByLabel('Escalation reason').fill('客户要求二线处理');
  await agent.getByRole('button', { name: 'Escalate to tier 2' }).click();
  await expect(agent.getByRole('status').filter({ hasText: 'Escalation requested' })).toBeVisible();

  await lead.getByRole('button', { name: /^Alerts/ }).click();
  const request = alarmRows(lead, 'escalation_request').filter({ hasText: ticketId });
  await expect(request).toContainText('Waiting for a lead', { timeout: 15_000 });
  await request.getByRole('button', { name: 'Refuse', exact: true }).click();
  // A refusal needs a reason: the agent must learn what to do instead.
  await request.getByRole('button', { name: 'Refuse escalation' }).click();
  await expect(request.getByText('Say why, so the agent knows what to do.')).toBeVisible();
  await expect(request.getByLabel('Reason for refusing')).toBeFocused();
  await request.getByLabel('Reason for refusing').fill('一线可处理：按发票重开流程操作');
  await request.getByRole('button', { name: 'Refuse escalation' }).click();
  await expect(request).toContainText('Refused by 李主管: 一线可处理：按发票重开流程操作');

  // The agent reads it on the ticket, live; the ticket stays theirs, at tier 1.
  await expect(agent.getByText('Escalation refused by 李主管: 一线可处理：按发票重开流程操作')).toBeVisible({ timeout: 15_000 });
  await agent.screenshot({ path: test.info().outputPath('agent-refused-en.png') });
  await agent.getByLabel('Language').selectOption('zh-CN');
  await expect(agent.getByText('李主管 驳回了升级申请：一线可处理：按发票重开流程操作')).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('agent-refused-zh.png') });
  await agent.getByLabel('语言').selectOption('en');
});

/** The bulk bar's target list with its options shown as a list box, for a screenshot (a native select's popup is not in one). */
/** What the screenshot changes on the select (the specs have no DOM types). */
interface ListBoxLike {
  size: number;
  style: { maxWidth: string };
}

async function screenshotTargets(page: Page, name: string): Promise<void> {
  const select = page.locator('.bulk-controls select');
  await select.evaluate((element: ListBoxLike) => {
    element.size = 8;
    element.style.maxWidth = 'none';
  });
  await page.screenshot({ path: test.info().outputPath(name) });
  await select.evaluate((element: ListBoxLike) => {
    element.size = 0;
    element.style.maxWidth = '';
  });
}

test('the lead filters the escalated tickets, ticks with x, selects all matching, and the target list says who cannot take them and why', async () => {
  test.setTimeout(90_000);
  // 王芳 busy: two more mails about the same device wait in the queue (nobody else with email is signed in).
  await agent.getByLabel('Presence', { exact: true }).selectOption('busy');
  await expect(agent.getByLabel('Presence', { exact: true })).toHaveValue('busy');
  const queued: string[] = [];
  for (const index of [1, 2]) {
    const { ticketId } = await postDemoInbound(server.url, {
      channel: 'email',
      subject: `设备反复死机（第 ${String(index)} 台）`,
      customer: { name: `周敏${String(index)}`, email: `zhoumin${String(index)}.alarms@example.cn` },
      text: '设备反复死机',
    });
    queued.push(ticketId);
  }
  await lead.getByRole('button', { name: 'Inbox', exact: true }).click();
  const search = lead.getByLabel('Search');
  await search.fill('设备反复死机');
  const list = lead.getByRole('listbox', { name: 'Tickets' });
  const row = (ticketId: string) => list.getByRole('option').filter({ hasText: ticketId });
  await expect(list.getByRole('option')).toHaveCount(3, { timeout: 15_000 });

  // Escalated: only the approved one.
  await lead.getByRole('button', { name: 'Escalated', exact: true }).click();
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(row(escalatedTicketId)).toBeVisible();

  // Keyboard only: ↓ from the search box selects the row, x ticks it.
  await search.focus();
  await search.press('ArrowDown');
  await expect(row(escalatedTicketId)).toBeFocused();
  await lead.keyboard.press('x');
  await expect(row(escalatedTicketId).getByRole('checkbox', { name: `Select ${escalatedTicketId}` })).toBeChecked();
  await expect(lead.getByText('1 selected')).toBeVisible();
  const target = lead.getByLabel('Reassign to');
  const option = (name: string) => target.locator('option').filter({ hasText: name });
  await expect(option('王芳')).toHaveText(/^王芳 · Busy — cannot take it: they escalated it themselves$/);
  await expect(option('王芳')).toBeDisabled();
  await lead.keyboard.press('x');
  await expect(lead.getByText('1 selected')).toHaveCount(0);

  // The whole search: tick one, then select all 3 matching; nobody can take them all, each says why.
  await lead.getByRole('button', { name: 'Escalated', exact: true }).click();
  await expect(list.getByRole('option')).toHaveCount(3);
  await row(queued[0]!)
    .getByRole('checkbox', { name: `Select ${queued[0]!}` })
    .check();
  await lead.getByRole('button', { name: 'Select all 3 matching' }).click();
  await expect(lead.getByText('3 selected')).toBeVisible();
  await expect(lead.getByText('All 3 matching tickets are selected.')).toBeVisible();
  await expect(option('王芳')).toHaveText(/^王芳 · Busy — can take 2 of 3; the others: they escalated it themselves$/);
  await expect(option('王芳')).toBeDisabled();
  await expect(option('赵磊')).toHaveText(/^赵磊 · .+ — cannot take it: they are offline$/);
  await expect(target.locator('option:not([disabled])')).toHaveText(['Choose an agent…', 'Back to queue']);
  await screenshotTargets(lead, 'bulk-targets-en.png');

  // The same in Chinese.
  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(lead.getByRole('button', { name: '已升级', exact: true })).toBeVisible();
  await expect(lead.getByText('已选择全部 3 个符合条件的工单。')).toBeVisible();
  const targetZh = lead.getByLabel('转派给');
  await expect(targetZh.locator('option').filter({ hasText: '王芳' })).toHaveText(/^王芳 · 忙碌 — 可接收 2\/3 个；其余：工单是对方自己升级的$/);
  await expect(targetZh.locator('option').filter({ hasText: '赵磊' })).toHaveText(/ — 无法接收：对方离线$/);
  await screenshotTargets(lead, 'bulk-targets-zh.png');
  await lead.getByLabel('语言').selectOption('en');
  await lead.getByRole('button', { name: 'Clear selection' }).click();
});
