/**
 * Administration end to end: the real server process (demo organisation) and two workstation
 * processes, in Chromium at 1280x800. The demo admin opens the Admin view, creates an agent
 * with an initial password; that agent signs in on another workstation; the admin deactivates
 * them and their workstation is signed out at once; deactivating oneself is refused with the
 * reason in the UI's language, as is a form the schema refuses. Screenshots in English and Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let adminDesk: RunningProcess;
let agentDesk: RunningProcess;
let leadDesk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-admin-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  adminDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'admin1') });
  agentDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent9') });
  leadDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await agentDesk?.stop();
  await leadDesk?.stop();
  await adminDesk?.stop();
  await server?.stop();
});

async function signInWith(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an admin creates a user who signs in, then deactivates them; deactivating oneself is refused', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, adminDesk.url, 'admin1');
  await page.getByRole('button', { name: 'Admin', exact: true }).click();
  const users = page.getByRole('table');
  // What the Admin view says after a write (the header's connection badge is a status too).
  const outcome = page.locator('.admin-view [role=status]');
  await expect(users.getByRole('row', { name: /lead1/ })).toBeVisible();
  await expect(page.getByText('Defaults (never changed)')).toBeVisible();

  // A lead watches the same view, read-only; the admin's change reaches it without a refresh.
  const leadPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(leadPage, leadDesk.url, 'lead1');
  await leadPage.getByRole('button', { name: 'Admin', exact: true }).click();
  await expect(leadPage.getByText('Read-only: only administrators change users and policies.', { exact: false })).toBeVisible();
  await expect(leadPage.getByRole('button', { name: 'New user' })).toHaveCount(0);

  await page.getByRole('button', { name: 'New user' }).click();
  const form = page.getByRole('form', { name: 'Create user' });
  await form.getByLabel('Username').fill('agent9');
  await form.getByLabel('Initial password (at least 8 characters)').fill('welcome-2024');
  await form.getByLabel('Display name').fill('孙丽');
  await form.getByRole('checkbox', { name: 'Chat' }).check();
  await form.getByRole('checkbox', { name: 'Email' }).check();
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(outcome).toHaveText('Created agent9.');
  await expect(users.getByRole('row', { name: /agent9/ })).toContainText('Active');
  await page.screenshot({ path: test.info().outputPath('admin-en.png') });
  await expect(leadPage.getByRole('table').getByRole('row', { name: /agent9/ })).toBeVisible();
  await leadPage
    .getByRole('table')
    .getByRole('row', { name: /agent9/ })
    .click();
  // The lead reads the new user as text: no form, no field.
  const shown = leadPage.getByRole('region', { name: 'User 孙丽', exact: true });
  await expect(shown.getByText('Only an administrator can change users.')).toBeVisible();
  await expect(shown.getByRole('row', { name: /^Channels/ })).toContainText('Chat, Email');
  await expect(shown.locator('input, select, textarea')).toHaveCount(0);
  await expect(leadPage.getByRole('form', { name: 'Edit 孙丽' })).toHaveCount(0);
  await leadPage.screenshot({ path: test.info().outputPath('admin-lead-en.png') });
  await leadPage.close();

  // The new agent signs in on their own workstation with the password the admin gave.
  const agentPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signInWith(agentPage, agentDesk.url, 'agent9', 'welcome-2024');
  await expect(agentPage.getByRole('button', { name: 'Sign out' })).toBeVisible();

  // Deactivating them ends their session at once: their workstation is back at sign-in.
  await users.getByRole('row', { name: /agent9/ }).click();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await expect(outcome).toHaveText('孙丽 was deactivated; their tickets are back in the queue.');
  await expect(users.getByRole('row', { name: /agent9/ })).toContainText('Deactivated');
  await expect(agentPage.getByLabel('Username')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('region', { name: 'History' })).toContainText('deactivated');
  // And they cannot sign in again.
  await signInWith(agentPage, agentDesk.url, 'agent9', 'welcome-2024');
  await expect(agentPage.getByRole('alert')).toBeVisible();
  await expect(agentPage.getByLabel('Username')).toBeVisible();
  await agentPage.close();

  // An admin cannot deactivate themself: the refusal in the UI's language.
  await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  await users.getByRole('row', { name: /admin1/ }).click();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: '停用' }).click();
  await expect(outcome).toHaveText('不能停用自己的账号。');
  await users.getByRole('row', { name: /agent9/ }).click();
  await expect(page.getByRole('region', { name: '变更记录' })).toContainText('停用了用户');

  // A form the schema refuses says why in Chinese, by the field's label: not zod's English, not "password: …".
  await page.getByRole('button', { name: '新建用户' }).click();
  const zhForm = page.getByRole('form', { name: '创建用户' });
  await zhForm.getByLabel('用户名').fill('agent10');
  await zhForm.getByLabel('初始密码（至少 8 位）').fill('short');
  await zhForm.getByLabel('显示名称').fill('周杰');
  await zhForm.getByRole('button', { name: '创建用户' }).click();
  await expect(zhForm.getByRole('alert')).toHaveText('请检查表单：初始密码：至少 8 个字符');
  await page.screenshot({ path: test.info().outputPath('admin-zh.png') });
});
