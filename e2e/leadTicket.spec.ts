/**
 * The lead's one-ticket reassignment end to end: the real demo server process and two
 * workstation processes (lead1 李主管, agent1 王芳), in Chromium at 1280x800. The lead opens
 * one mail ticket and transfers it to 王芳 from the ticket itself; the target list offers only
 * who can take it and says why the others cannot, in English and in Chinese; 王芳 finds it in
 * her inbox with the lead's note, and the lead finds it under her name in the assignee filter.
 * Then 王芳 signs out between the lead opening the dialog and confirming: the server refuses,
 * and the lead reads why in the UI's language. Last, the lead exports a report while the server
 * is held (its process stopped with SIGSTOP, as a server busy with a long export is): the
 * progress shows in the status region, both export buttons wait, and the file parses back.
 */
import { expect, test, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import { postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;
let lead: Page;
let agent: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startDemoStack('lead-ticket');
  lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  // 王芳 (every channel) is signed in but Away, so routing offers her nothing meanwhile; Away still takes transfers.
  agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/** A new mail ticket (nobody available takes mail, so it waits in the queue), by its subject. */
async function postMail(subject: string, customer: string, email: string): Promise<string> {
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject,
    customer: { name: customer, email },
    text: `${subject}，请尽快处理。`,
  });
  return ticketId;
}

/** Opens the ticket from the lead's inbox (leads see every ticket there), searching its subject. */
async function openInLeadInbox(subject: string, ticketId: string, words: { search: string; list: string }): Promise<void> {
  await lead.getByLabel(words.search).fill(subject);
  const row = lead.getByRole('listbox', { name: words.list }).getByRole('option').filter({ hasText: ticketId });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await row.click();
  await expect(lead.getByRole('region', { name: ticketId })).toBeVisible();
}

/** The Transfer dialog's colleague list: one radio per colleague, labelled by name, presence and (when they cannot) why. */
function colleague(page: Page, dialogName: string, name: string) {
  return page.getByRole('dialog', { name: dialogName }).locator('.transfer-agent-list li').filter({ hasText: name });
}

test('the lead reassigns one ticket from the ticket: only who can take it is offered, each refusal said in English and Chinese', async () => {
  test.setTimeout(120_000);
  const subject = `发票抬头需要更改 ${String(Date.now())}`;
  const ticketId = await postMail(subject, '孙丽', 'sunli.lead@example.cn');
  await openInLeadInbox(subject, ticketId, { search: 'Search', list: 'Tickets' });
  const pane = lead.getByRole('region', { name: ticketId });
  await pane.getByRole('button', { name: 'Transfer…' }).click();
  const title = `Transfer ${ticketId}`;
  const dialog = lead.getByRole('dialog', { name: title });
  await dialog.getByLabel('A colleague').check();

  // 王芳 serves mail and is signed in (Away still takes a transfer); 张强 and 刘洋 do not serve mail; the other mail agents are offline.
  await expect(colleague(lead, title, '王芳').getByRole('radio')).toBeEnabled();
  await expect(colleague(lead, title, '王芳')).toHaveText(/^\s*王芳 Away$/);
  for (const name of ['张强', '刘洋']) {
    await expect(colleague(lead, title, name)).toHaveText(new RegExp(`^\\s*${name} Offline — cannot take it: they do not serve this channel$`));
    await expect(colleague(lead, title, name).getByRole('radio')).toBeDisabled();
  }
  for (const name of ['赵磊', '陈静', 'Emily Chen']) {
    await expect(colleague(lead, title, name)).toHaveText(new RegExp(`^\\s*${name} Offline — cannot take it: they are offline$`));
    await expect(colleague(lead, title, name).getByRole('radio')).toBeDisabled();
  }
  await expect(dialog.getByRole('radio', { disabled: false })).toHaveCount(3);
  // Behind the dialog, at 1280x800: the customer panel's "Email via API demo" label stays beside the address, not under it.
  const identityKind = pane.locator('.customer-identities .identity-kind').filter({ hasText: 'Email via API demo' });
  await expect(identityKind).toBeVisible();
  expect(await identityKind.evaluate((label: { scrollWidth: number; clientWidth: number }) => label.scrollWidth <= label.clientWidth)).toBe(true);
  await lead.screenshot({ path: test.info().outputPath('transfer-targets-en.png') });

  // The same list in Chinese: the dialog again after switching the language.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await lead.getByLabel('Language').selectOption('zh-CN');
  await pane.getByRole('button', { name: '转办…' }).click();
  const titleZh = `转办 ${ticketId}`;
  const dialogZh = lead.getByRole('dialog', { name: titleZh });
  await dialogZh.getByLabel('同事').check();
  await expect(colleague(lead, titleZh, '王芳')).toHaveText(/^\s*王芳 离开$/);
  await expect(colleague(lead, titleZh, '张强')).toHaveText(/^\s*张强 离线 — 无法接收：对方不负责此渠道$/);
  await expect(colleague(lead, titleZh, '赵磊')).toHaveText(/^\s*赵磊 离线 — 无法接收：对方离线$/);
  await lead.screenshot({ path: test.info().outputPath('transfer-targets-zh.png') });

  // One action: pick 王芳, say why, transfer.
  await colleague(lead, titleZh, '王芳').getByRole('radio').check();
  await dialogZh.getByLabel('转办说明（必填）').fill('客户要求把发票抬头改为公司名称，请核对后重开发票。');
  await dialogZh.getByRole('button', { name: '转办', exact: true }).click();
  await expect(dialogZh).toHaveCount(0);
  // The pane closes on the transfer and says where the ticket went; the lead's row says who holds it now and why.
  await expect(lead.getByRole('status').filter({ hasText: `工单 ${ticketId} 已转给王芳。` })).toBeVisible();
  const leadRow = lead.getByRole('listbox', { name: '工单' }).getByRole('option').filter({ hasText: ticketId });
  await expect(leadRow).toContainText('分配原因：由李主管转办给王芳');

  // 王芳 finds it in her inbox and reads the lead's note first.
  const row = agent.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await row.click();
  const note = agent.getByRole('complementary', { name: 'Handover note from 李主管' });
  await expect(note).toContainText('客户要求把发票抬头改为公司名称');

  // The lead's list by assignee: 王芳's tickets include this one, and the row says who holds it.
  const assigneeFilter = lead.getByTitle('处理人筛选');
  const wangOption = assigneeFilter.locator('option').filter({ hasText: /^王芳 \(\d+\)$/ });
  await expect(wangOption).toHaveCount(1);
  await assigneeFilter.selectOption({ label: (await wangOption.innerText()).trim() });
  await expect(leadRow).toBeVisible();
  await lead.getByLabel('搜索').fill('');
  await expect(lead.getByRole('listbox', { name: '工单' }).getByRole('option').filter({ hasNotText: '王芳' })).toHaveCount(0);
  await assigneeFilter.selectOption('');

  // At risk (not covered by the other specs; breached is, in inbox.spec.ts): only tickets whose countdown shows at risk are left.
  const rows = lead.getByRole('listbox', { name: '工单' }).getByRole('option');
  await lead.getByTitle('SLA 筛选').selectOption({ label: '即将超时' });
  await expect(rows.first().locator('.sla')).toHaveClass(/\bsla-at_risk\b/, { timeout: 15_000 });
  await expect(rows.locator('.sla:not(.sla-at_risk)')).toHaveCount(0);
  await lead.screenshot({ path: test.info().outputPath('at-risk-zh.png') });
  await lead.getByTitle('SLA 筛选').selectOption('');
});

test('王芳 signs out between the lead opening the dialog and confirming: the server refuses, and the lead reads why in Chinese', async () => {
  test.setTimeout(120_000);
  const subject = `快递丢件理赔 ${String(Date.now())}`;
  const ticketId = await postMail(subject, '钱进', 'qianjin.lead@example.cn');
  await openInLeadInbox(subject, ticketId, { search: '搜索', list: '工单' });
  const pane = lead.getByRole('region', { name: ticketId });
  await pane.getByRole('button', { name: '转办…' }).click();
  const titleZh = `转办 ${ticketId}`;
  const dialogZh = lead.getByRole('dialog', { name: titleZh });
  await dialogZh.getByLabel('同事').check();
  await expect(colleague(lead, titleZh, '王芳').getByRole('radio')).toBeEnabled();
  await colleague(lead, titleZh, '王芳').getByRole('radio').check();
  await dialogZh.getByLabel('转办说明（必填）').fill('客户快递丢件，需要按理赔流程处理。');

  // Meanwhile 王芳 signs out: her workstation leaves the server, which now counts her offline.
  await agent.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(agent.getByLabel('Username')).toBeVisible();
  // The lead's workstation does not know yet: the dialog still offers her, and the lead confirms.
  await expect(colleague(lead, titleZh, '王芳').getByRole('radio')).toBeChecked();
  await dialogZh.getByRole('button', { name: '转办', exact: true }).click();
  await expect(dialogZh).toHaveCount(0);

  // The server refuses (she is offline now) and the core undoes the transfer: the pane, which stayed
  // open while the server had not answered, says so in place, in Chinese, instead of "transferred".
  const refused = pane.getByRole('alert').filter({ hasText: `工单 ${ticketId} 无法转给 王芳：对方离线。` });
  await expect(refused).toBeVisible({ timeout: 20_000 });
  await expect(pane).not.toHaveAttribute('aria-busy', 'true');
  await expect(pane.getByRole('button', { name: '转办…' })).toBeEnabled();
  await expect(lead.getByText(`工单 ${ticketId} 已转给王芳。`)).toHaveCount(0);
  const row = lead.getByRole('listbox', { name: '工单' }).getByRole('option').filter({ hasText: ticketId });
  await expect(row).toContainText('待分配');
  await lead.screenshot({ path: test.info().outputPath('transfer-refused-zh.png') });

  // The same refusal in English.
  await lead.getByLabel('语言').selectOption('en');
  await expect(lead.getByRole('alert').filter({ hasText: `${ticketId} cannot be transferred to 王芳: they are offline.` })).toBeVisible();
});

test('a long export shows its progress in the status region, with both export buttons waiting, and the file parses back', async () => {
  test.setTimeout(120_000);
  await lead.getByRole('button', { name: 'Reports', exact: true }).click();
  const table = lead.getByRole('table', { name: /^KPIs of the tickets/ });
  await expect(table).toBeVisible({ timeout: 20_000 });
  const exportArea = lead.locator('.reports-export');
  // The live region is there, silent, before the export: so what is said in it later is announced.
  const status = exportArea.getByRole('status');
  await expect(status).toHaveCount(1);
  await expect(status).toHaveText('');

  // The server holds the answer (its process stopped) for as long as the test needs to look: no race with a fast export.
  const download = lead.waitForEvent('download', { timeout: 60_000 });
  process.kill(stack.server.pid, 'SIGSTOP');
  try {
    await exportArea.getByRole('button', { name: 'Export XLSX' }).click();
    await expect(status).toHaveText('Exporting XLSX…');
    await expect(status.getByRole('progressbar', { name: 'Exporting XLSX…' })).toBeVisible();
    await expect(exportArea.getByRole('button', { name: 'Export XLSX' })).toBeDisabled();
    await expect(exportArea.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
    await expect(exportArea).toHaveAttribute('aria-busy', 'true');
    await lead.screenshot({ path: test.info().outputPath('export-progress-en.png') });
  } finally {
    process.kill(stack.server.pid, 'SIGCONT');
  }
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await (await download).path());
  const sheet = workbook.worksheets[0]!;
  expect(sheet.getRow(1).getCell(2).value).toBe('Channel');
  expect(sheet.getRow(sheet.rowCount).getCell(2).value).toBe('Total');
  await expect(status).toContainText(/^Saved report-day-.+\.xlsx\.$/);
  await expect(exportArea.getByRole('button', { name: 'Export CSV' })).toBeEnabled();

  // In Chinese: the same, for CSV (UTF-8 with BOM, Chinese header).
  await lead.getByLabel('Language').selectOption('zh-CN');
  const csvDownload = lead.waitForEvent('download', { timeout: 60_000 });
  process.kill(stack.server.pid, 'SIGSTOP');
  try {
    await exportArea.getByRole('button', { name: '导出 CSV' }).click();
    await expect(status).toHaveText('正在导出 CSV…');
    await expect(exportArea.getByRole('button', { name: '导出 XLSX' })).toBeDisabled();
    await lead.screenshot({ path: test.info().outputPath('export-progress-zh.png') });
  } finally {
    process.kill(stack.server.pid, 'SIGCONT');
  }
  const csvBytes = readFileSync(await (await csvDownload).path());
  expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(csvBytes.subarray(3).toString('utf8').split('\r\n')[0]!.split(',').slice(0, 3)).toEqual(['统计周期', '渠道', '工单量']);
  await expect(status).toContainText('已保存');
});
