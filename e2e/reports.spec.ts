/**
 * The lead's Reports view end to end: the real server process (demo organisation) and a
 * workstation process, in Chromium at 1280x800. The lead opens Reports, picks the demo's
 * busiest day and sees its volume and overdue counted from the demo data (worked out here from the ticket list, not
 * from the report), switches to Chinese, exports CSV (checked: UTF-8 BOM, Chinese header,
 * the same total) and XLSX (read back with ExcelJS), then loses the server and is told the
 * report needs it. Screenshots in both languages.
 */
import { expect, test, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import type { TicketListResponse } from '../shared/httpApi.js';
import { localDateOf } from '../shared/kpi.js';
import { demoToken, signIn } from './demoApi.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('reports');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/**
 * The China-local day holding most demo tickets (the demo is seeded relative to now, so just
 * after midnight in Beijing that is yesterday) and its figures, counted from the ticket list:
 * the report must agree.
 */
async function busiestDemoDay(): Promise<{ day: string; volume: number; chat: number; overdue: number; assignee: string | null }> {
  const token = await demoToken(stack.server.url, 'lead1');
  const response = await fetch(`${stack.server.url}/api/v1/tickets?limit=500`, { headers: { authorization: `Bearer ${token}` } });
  const { tickets } = (await response.json()) as TicketListResponse;
  const days = new Map<string, typeof tickets>();
  for (const ticket of tickets) days.set(localDateOf(ticket.createdAt), [...(days.get(localDateOf(ticket.createdAt)) ?? []), ticket]);
  const [day, onDay] = [...days.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
  const now = Date.now();
  const overdue = onDay.filter((ticket) => (ticket.completedAt === null ? now > ticket.dueAt : ticket.completedAt > ticket.dueAt));
  // A row the by-agent report must have: an agent of that day's tickets, or the unassigned row when none was assigned.
  const assignee = onDay.find((ticket) => ticket.assigneeName !== null)?.assigneeName ?? null;
  return { day, volume: onDay.length, chat: onDay.filter((ticket) => ticket.channel === 'chat').length, overdue: overdue.length, assignee };
}

/** The cells of a row of the KPI table, after its name: Tickets, first response, handling, SLA, Overdue, Overdue rate, … */
function kpiCells(page: Page, tableName: string, rowName: string) {
  return page
    .getByRole('table', { name: tableName })
    .getByRole('row', { name: new RegExp(`^${rowName} `) })
    .getByRole('cell');
}

test('a lead reads a day’s KPIs, exports them as CSV and XLSX, and is told when the server is gone', async ({ page }) => {
  test.setTimeout(120_000);
  const expected = await busiestDemoDay();
  expect(expected.volume).toBeGreaterThan(0);

  await signIn(page, stack.leadDesk.url, 'lead1');
  await page.getByRole('button', { name: 'Reports', exact: true }).click();
  const table = 'KPIs of the tickets created in the period';
  // It opens on today (China time); the demo's busiest day is today or, just after midnight, yesterday.
  // The date is a text field with its format in the label: a date field would be written in the
  // browser's locale (年/月/日 on a Chinese system) whatever the UI language.
  const date = page.getByRole('textbox', { name: 'Date (YYYY-MM-DD)' });
  await expect(date).toHaveValue(localDateOf(Date.now()));
  await date.fill('2026-02-30');
  await expect(date).toHaveAttribute('aria-invalid', 'true');
  await date.fill(expected.day);
  await expect(date).not.toHaveAttribute('aria-invalid');
  await expect(page.getByText(`Tickets created ${expected.day} – ${expected.day} (China time)`, { exact: false })).toBeVisible();
  const total = kpiCells(page, table, 'Total');
  await expect(total.nth(0)).toHaveText(String(expected.volume));
  await expect(total.nth(4)).toHaveText(String(expected.overdue));
  await expect(total.nth(5)).toHaveText(`${((expected.overdue / expected.volume) * 100).toFixed(2)}%`);
  // No satisfaction survey exists yet: never a made-up number.
  await expect(total.nth(7)).toHaveText('—');
  await expect(kpiCells(page, table, 'Chat').nth(0)).toHaveText(String(expected.chat));
  await page.screenshot({ path: test.info().outputPath('reports-en.png') });

  // The same report by agent, then back by channel.
  await page.getByLabel('Group by').selectOption('agent');
  await expect(page.getByRole('table', { name: table }).getByRole('rowheader', { name: expected.assignee ?? 'Unassigned' })).toBeVisible();
  await page.getByLabel('Group by').selectOption('channel');
  await expect(kpiCells(page, table, 'Chat').nth(0)).toHaveText(String(expected.chat));

  // In Chinese the screen and the files say the words of the templates.
  await page.getByLabel('Language').selectOption('zh-CN');
  const tableZh = '本周期新建工单的 KPI';
  await expect(page.getByRole('textbox', { name: '日期（YYYY-MM-DD）' })).toHaveValue(expected.day);
  await expect(page.getByRole('table', { name: tableZh }).getByRole('columnheader', { name: '超时率' })).toBeVisible();
  await expect(kpiCells(page, tableZh, '合计').nth(0)).toHaveText(String(expected.volume));
  await page.screenshot({ path: test.info().outputPath('reports-zh.png') });

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: '导出 CSV' }).click();
  const csv = await csvDownload;
  expect(csv.suggestedFilename()).toBe(`report-day-${expected.day}-channel.csv`);
  const csvBytes = readFileSync(await csv.path());
  expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = csvBytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
  expect(lines[0]!.split(',').slice(0, 3)).toEqual(['统计周期', '渠道', '工单量']);
  expect(lines.at(-1)!.split(',')[1]).toBe('合计');
  expect(lines.at(-1)!.split(',')[2]).toBe(String(expected.volume));
  await expect(page.getByRole('status').filter({ hasText: '已保存' })).toBeVisible();

  // The week by agent, as a lead reviews the team (the week holds the day).
  await page.getByLabel('统计周期').selectOption('week');
  await page.getByLabel('分组方式').selectOption('agent');
  await expect(page.getByRole('table', { name: tableZh }).getByRole('rowheader', { name: expected.assignee ?? '未分配' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('reports-week-agent-zh.png') });
  await page.getByLabel('统计周期').selectOption('day');
  await page.getByLabel('分组方式').selectOption('channel');
  await expect(kpiCells(page, tableZh, '在线客服').nth(0)).toHaveText(String(expected.chat));

  const xlsxDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: '导出 XLSX' }).click();
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(await (await xlsxDownload).path());
  const sheet = workbook.getWorksheet('报表')!;
  expect(sheet.getRow(1).getCell(2).value).toBe('渠道');
  expect(sheet.getRow(sheet.rowCount).getCell(2).value).toBe('合计');
  expect(sheet.getRow(sheet.rowCount).getCell(3).value).toBe(expected.volume);

  // Without the server there is no report: the view says so instead of showing stale or empty figures.
  await stack.server.stop();
  await expect(page.getByText(/^离线（自/).first()).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: '刷新' }).click();
  await expect(page.getByRole('alert')).toHaveText('报表加载失败：报表由服务器计算，当前无法连接服务器。请连接后重试。');
  await page.screenshot({ path: test.info().outputPath('reports-offline-zh.png') });
});
