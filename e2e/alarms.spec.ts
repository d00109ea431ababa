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
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let leadDesk: RunningProcess;
let agentDesk: RunningProcess;
let lead: Page;
let agent: Page;

test.describe.configure({ mode: 'serial' });

async function openPage(browser: Browser, url: string, username: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
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

test('a lead sees a backlog alarm appear live and acknowledges it', async () => {
  test.setTimeout(90_000);
  // Two social contacts wait (nobody on social is signed in); a threshold of 1 puts the channel over it.
  for (const index of [1, 2]) {
    await postDemoInbound(server.url, {
      channel: 'social',
      customer: { name: `微博用户${String(index)}`, socialId: `weibo-alarm-${String(index)}` },
      text: '在吗？',
    });
  }
  await lead.getByRole('button', { name: /^Alerts/ }).click();
  await expect(lead.getByRole('heading', { name: 'Alerts' })).toBeVisible();
  await expect(alarmRows(lead, 'backlog')).toHaveCount(0);

  await lead.getByLabel('Threshold for Social').fill('1');
  await lead.getByLabel('Threshold for Social').press('Enter');
  await expect(lead.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  // Raised by the server's evaluator and pushed: no reload, no click.
  const backlog = alarmRows(lead, 'backlog').filter({ hasText: 'Social' });
  await expect(backlog).toHaveCount(1, { timeout: 15_000 });
  await expect(backlog).toContainText('contacts waiting (threshold 1)');
  await expect(backlog).toContainText('Not acknowledged');
  await expect(lead.locator('.alarm-badge')).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('alerts-en.png') });

  await backlog.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(backlog).toContainText('Acknowledged by 李主管');
  await expect(backlog.getByRole('button', { name: 'Acknowledge' })).toHaveCount(0);

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
});
