/**
 * Attachments offline (issue 12), end to end: agent1 replies on a ticket they hold with two
 * files; the workstation keeps the small one in its encrypted cache after sync (marked "Saved
 * offline") and not the one larger than its budget (4 KB here, WORKSTATION_ATTACHMENT_BUDGET_BYTES).
 * With the server killed, the kept file downloads with the same bytes, and the other says why it
 * cannot be opened, in English and in Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFromInboxOrQueue, postDemoInbound, reassignAsLead } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

let server: RunningProcess;
let desk: RunningProcess;
let ticketId: string;

const SMALL = Buffer.concat([Buffer.from('%PDF-1.4 保修卡\n', 'utf8'), Buffer.alloc(1000, 0x20)]);
const BIG = Buffer.concat([Buffer.from('%PDF-1.4 检测报告\n', 'utf8'), Buffer.alloc(8000, 0x20)]);

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-attachments-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1'), env: { WORKSTATION_ATTACHMENT_BUDGET_BYTES: '4096' } });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

function attachmentRow(page: Page, fileName: string) {
  return page
    .locator('.timeline-message.outbound')
    .getByRole('list', { name: /^(Attachments|附件)$/ })
    .getByRole('listitem')
    .filter({ hasText: fileName });
}

test('a file of a held ticket opens offline from the cache; one over the budget says why, in English and Chinese', async ({ browser }) => {
  test.setTimeout(90_000);
  const page = await openDesk(browser, desk.url, 'agent1', 'en-US');
  // agent1 is signed in (and away, so routing offers nothing): the lead hands them the customer's mail.
  ({ ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '吴倩', email: 'wuqian@example.cn' },
    subject: '保修卡和检测报告',
    text: '你好，请把保修卡和检测报告发给我。',
    externalMessageId: `e2e-attachments-${String(Date.now())}`,
  }));
  await reassignAsLead(server.url, [ticketId], 'agent1');
  await openFromInboxOrQueue(page, ticketId);
  const pane = page.locator('section.ticket-pane');
  const fileInput = page.getByTestId('reply-file-input');
  await fileInput.setInputFiles([
    { name: '保修卡.pdf', mimeType: 'application/pdf', buffer: SMALL },
    { name: '检测报告.pdf', mimeType: 'application/pdf', buffer: BIG },
  ]);
  await expect(pane.locator('.file-chip')).toHaveCount(2, { timeout: 15_000 });
  await page.getByLabel('Reply').fill('保修卡和检测报告见附件。');
  await page.getByRole('button', { name: 'Send', exact: true }).click();

  // After sync the small file is kept (marked); the big one, over the 4 KB budget, is not.
  const small = attachmentRow(page, '保修卡.pdf');
  const big = attachmentRow(page, '检测报告.pdf');
  await expect(small.getByText('Saved offline', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(big).toBeVisible();
  await expect(big.getByText('Saved offline', { exact: true })).toHaveCount(0);

  await server.stop('SIGKILL');
  await expect(page.getByText(/^Offline since \d{2}:\d{2}$/)).toBeVisible({ timeout: 30_000 });

  const downloading = page.waitForEvent('download');
  await small.getByRole('button', { name: /^Download 保修卡\.pdf/ }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('保修卡.pdf');
  expect(readFileSync(await download.path()).equals(SMALL)).toBe(true);

  await big.getByRole('button', { name: /^Download 检测报告\.pdf/ }).click();
  const alert = pane.getByRole('alert').filter({ hasText: '检测报告.pdf' });
  await expect(alert).toHaveText(
    /You are offline and 检测报告\.pdf \(7\.8 KB\) is larger than the 4\.0 KB this computer keeps for offline use, so it was not saved here\. It can be downloaded once the connection is back\./,
  );
  await big.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('attachment-offline-en.png') });

  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(small.getByText('已存本机', { exact: true })).toBeVisible();
  await expect(alert).toHaveText(/当前离线，检测报告\.pdf（7\.8 KB）超过本机为离线使用保留的 4\.0 KB，因此未保存在本机。恢复连接后即可下载。/);
  await page.screenshot({ path: test.info().outputPath('attachment-offline-zh.png') });
  // Back in English for whoever reads the page next.
  await page.getByLabel('语言').selectOption('en');
});
