/**
 * Report credentials end to end (issue 11): the real server process (demo organisation) and two
 * workstation processes, in Chromium at 1280x800. The demo admin creates a credential in the
 * Admin view and sees its secret once, with a copy button; another system (here: fetch) reads
 * the charts with it; a lead sees the list read-only; the admin revokes it and the next request
 * is refused. Screenshots in English and Chinese.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signIn } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
let adminDesk: RunningProcess;
let leadDesk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-reportcred-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  adminDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'admin1') });
  leadDesk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await leadDesk?.stop();
  await adminDesk?.stop();
  await server?.stop();
});

function charts(secret: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/reports/charts`, { headers: { authorization: `Bearer ${secret}` } });
}

test('an admin creates a report credential, sees its secret once, another system reads with it, the admin revokes it', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, adminDesk.url, 'admin1');
  await page.getByRole('button', { name: 'Admin', exact: true }).click();
  const section = page.getByRole('region', { name: 'Report credentials for other systems' });
  await section.scrollIntoViewIfNeeded();
  await expect(section.getByText('No report credentials.')).toBeVisible();

  await section.getByLabel('Name (which system uses it)').fill('BI 数据仓库');
  await section.getByRole('button', { name: 'Create credential' }).click();
  const secretBox = section.getByRole('textbox', { name: 'Secret of “BI 数据仓库”' });
  await expect(secretBox).toBeVisible();
  const secret = await secretBox.inputValue();
  expect(secret).toMatch(/^odr_[A-Za-z0-9_-]{43}$/);
  await section.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(section.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
  await expect(section.getByRole('table').getByRole('row', { name: /BI 数据仓库/ })).toContainText('Never');
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('report-credentials-en.png') });

  expect((await charts(secret)).status).toBe(200);
  await section.getByRole('button', { name: 'Done, I have copied it' }).click();
  await expect(secretBox).toHaveCount(0);

  // A lead sees the list, never a secret, and cannot create or revoke.
  const leadPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(leadPage, leadDesk.url, 'lead1');
  await leadPage.getByRole('button', { name: 'Admin', exact: true }).click();
  const leadSection = leadPage.getByRole('region', { name: 'Report credentials for other systems' });
  await expect(leadSection.getByRole('row', { name: /BI 数据仓库/ })).toBeVisible();
  await expect(leadSection.getByText('Read-only: only administrators create and revoke report credentials.')).toBeVisible();
  await expect(leadSection.getByRole('button', { name: 'Create credential' })).toHaveCount(0);
  await expect(leadSection.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await expect(leadSection).not.toContainText(secret);
  await leadPage.close();

  // In Chinese: revoke; the other system is refused from its next request.
  await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  const zhSection = page.getByRole('region', { name: '供其他系统使用的报表凭证' });
  await zhSection.getByLabel('名称（由哪个系统使用）').fill('数据仓库二');
  await zhSection.getByRole('button', { name: '创建凭证' }).click();
  await expect(zhSection.getByRole('textbox', { name: '“数据仓库二”的密钥' })).toBeVisible();
  await zhSection.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('report-credentials-zh.png') });
  await zhSection.getByRole('button', { name: '完成，我已复制' }).click();
  page.once('dialog', (dialog) => void dialog.accept());
  await zhSection
    .getByRole('row', { name: /BI 数据仓库/ })
    .getByRole('button', { name: '吊销' })
    .click();
  await expect(zhSection.getByRole('status')).toHaveText('已吊销“BI 数据仓库”。');
  await expect(zhSection.getByRole('row', { name: /BI 数据仓库/ })).toHaveCount(0);
  expect((await charts(secret)).status).toBe(401);
  await expect(page.getByRole('region', { name: '最近的管理变更' })).toContainText('吊销了报表凭证');
});
