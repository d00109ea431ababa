/**
 * Issue 12: one workstation in browser mode, two people side by side. agent1 and lead1 sign
 * in from two browser profiles (contexts) on the same `npm start`; neither signs the other
 * out, each sees their own name, a reload keeps each in their own seat, and a profile beyond
 * the seat limit is told that every seat is taken. In English and Chinese, at 1280x800.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signIn } from './demoApi.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

let server: RunningProcess;
let desk: RunningProcess;

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-seats-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  // Two seats, so a third profile meets the limit.
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'desk'), env: { WORKSTATION_SEATS: '2' } });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

test('an agent and a lead sign in side by side on one workstation; a third profile is told every seat is taken', async ({ browser }) => {
  test.setTimeout(120_000);
  const viewport = { width: 1280, height: 800 };
  const agent = await (await browser.newContext({ locale: 'en-US', viewport })).newPage();
  const lead = await (await browser.newContext({ locale: 'zh-CN', viewport })).newPage();
  await signIn(agent, desk.url, 'agent1');
  await lead.goto(desk.url);
  await lead.getByLabel('用户名').fill('lead1');
  await lead.getByLabel('密码').fill('demo');
  await lead.getByRole('button', { name: '登录' }).click();

  // Both stay signed in, each as themselves.
  await expect(lead.getByText('当前用户：李主管')).toBeVisible();
  await expect(agent.getByText('Signed in as 王芳')).toBeVisible();
  await expect(agent.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });
  // A reload (or a second tab of the same profile) comes back to the profile's own seat.
  await agent.reload();
  await expect(agent.getByText('Signed in as 王芳')).toBeVisible();
  await expect(lead.getByText('当前用户：李主管')).toBeVisible();
  const agentTab = await agent.context().newPage();
  await agentTab.goto(desk.url);
  await expect(agentTab.getByText('Signed in as 王芳')).toBeVisible();
  await agentTab.close();
  await agent.screenshot({ path: test.info().outputPath('side-by-side-agent-en.png') });
  await lead.screenshot({ path: test.info().outputPath('side-by-side-lead-zh.png') });

  // A third profile while both pages are open: no seat left, and never someone else's session.
  const third = await (await browser.newContext({ locale: 'en-US', viewport })).newPage();
  await third.goto(desk.url);
  await expect(third.getByRole('heading', { name: 'Every seat of this workstation is taken' })).toBeVisible();
  await expect(third.getByRole('alert')).toContainText('reload this page');
  await expect(third.getByLabel('Username')).toHaveCount(0);
  await expect(third.getByText(/Signed in as/)).toHaveCount(0);
  await third.screenshot({ path: test.info().outputPath('seats-full-en.png') });
  await third.getByLabel('Language').selectOption('zh-CN');
  await expect(third.getByRole('heading', { name: '工作台的席位已全部占用' })).toBeVisible();
  await third.screenshot({ path: test.info().outputPath('seats-full-zh.png') });

  // The agent and the lead are still who they were.
  await expect(agent.getByText('Signed in as 王芳')).toBeVisible();
  await expect(lead.getByText('当前用户：李主管')).toBeVisible();
});
