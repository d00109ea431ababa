/**
 * The Board's trend charts end to end (issue 11): the real server process (demo organisation)
 * and a workstation process, in Chromium at 1280x800. The lead opens the Board and reads the
 * charts' data tables (their text alternative); contacts then arrive through the real
 * `POST /api/v1/inbound` and, after a refresh, today's row of the hour each ticket was created
 * in (China time, read from the ticket) has gone up by exactly those contacts, per channel.
 * Screenshots in English and Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Channel } from '../shared/domain.js';
import { DEFAULT_ORG_TIME_ZONE, wallClockOf } from '../shared/timeZone.js';
import { demoToken, postDemoInbound, signIn } from './demoApi.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('charts');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

const CHANNELS_SEEN: Channel[] = ['phone', 'chat', 'social', 'email'];

/** Today's contacts per channel and hour as the hourly data table shows them ("·" = hour not begun → null). */
async function hourlyTable(page: Page): Promise<Map<string, number | null>> {
  type Cell = { closest(selector: string): { dataset: Record<string, string> } | null; dataset: Record<string, string>; textContent: string | null };
  const cells = await page
    .locator('table[data-chart="hourly"] tbody td[data-series="today"]')
    .evaluateAll((tds: Cell[]) =>
      tds.map((td) => ({ hour: td.closest('tr')?.dataset['hour'] ?? '', channel: td.dataset['channel'] ?? '', text: td.textContent ?? '' })),
    );
  return new Map(cells.map((cell) => [`${cell.hour}:${cell.channel}`, /^\d+$/.test(cell.text) ? Number(cell.text) : null]));
}

/** The China-local hour of an instant. */
function chinaHour(epochMs: number): number {
  return new Date(wallClockOf(DEFAULT_ORG_TIME_ZONE, epochMs)).getUTCHours();
}

test('a lead reads the charts’ data tables, and contacts posted now show in the hour they arrived', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, stack.leadDesk.url, 'lead1');
  await page.getByRole('button', { name: 'Board', exact: true }).click();
  const charts = page.getByRole('region', { name: 'Trends' });
  // Right after sign-in the core may still be connecting: the charts then load once it is online (or 10 s later).
  await expect(charts.getByTestId('charts-as-of')).toBeVisible({ timeout: 30_000 });
  // Each chart is an image described in words, with its numbers one keyboard press away.
  await expect(charts.getByRole('img', { name: /contacts per hour and channel/ })).toBeVisible();
  await expect(charts.getByRole('img', { name: /SLA compliance per day/ })).toBeVisible();
  await expect(charts.locator('canvas')).toHaveCount(2);
  const hourlySummary = charts.getByText('Data table: Contacts per hour and channel, today and the same weekday last week');
  await hourlySummary.focus();
  await page.keyboard.press('Enter');
  const hourly = charts.getByRole('table', { name: 'Contacts per hour and channel, today and the same weekday last week' });
  await expect(hourly.getByRole('rowheader')).toHaveCount(25);
  await expect(hourly.getByRole('columnheader', { name: 'Chat' })).toBeVisible();
  const before = await hourlyTable(page);

  // Contacts through the real inbound API: 3 chats, 2 emails, 1 phone call, each from a new customer.
  const seeded: Array<{ channel: Channel; ticketId: string }> = [];
  const plan: Channel[] = ['chat', 'chat', 'chat', 'email', 'email', 'phone'];
  for (const [index, channel] of plan.entries()) {
    const customer =
      channel === 'email'
        ? { name: `图表客户${String(index)}`, email: `charts${String(index)}@example.cn` }
        : { name: `图表客户${String(index)}`, phone: `+86 139 1000 ${String(2000 + index)}` };
    const { ticketId, created } = await postDemoInbound(stack.server.url, { channel, customer, text: '想咨询一下会员积分' });
    expect(created).toBe(true);
    seeded.push({ channel, ticketId });
  }
  // The hour each ticket was created in, China time, as the server recorded it.
  const token = await demoToken(stack.server.url, 'lead1');
  const added = new Map<string, number>();
  for (const { channel, ticketId } of seeded) {
    const response = await fetch(`${stack.server.url}/api/v1/tickets/${encodeURIComponent(ticketId)}`, { headers: { authorization: `Bearer ${token}` } });
    const { ticket } = (await response.json()) as { ticket: { createdAt: number } };
    const key = `${String(chinaHour(ticket.createdAt))}:${channel}`;
    added.set(key, (added.get(key) ?? 0) + 1);
  }

  await charts.getByRole('button', { name: 'Refresh charts' }).click();
  for (const [key, count] of added) {
    // An hour not begun when first read ("·", i.e. just past the hour) counted nothing then.
    await expect.poll(async () => (await hourlyTable(page)).get(key), { timeout: 15_000 }).toBe((before.get(key) ?? 0) + count);
  }
  // Every other hour and channel of today is what it was.
  const after = await hourlyTable(page);
  for (const [key, value] of before) if (!added.has(key) && value !== null) expect(after.get(key), key).toBe(value);
  for (const channel of CHANNELS_SEEN) expect(after.has(`0:${channel}`)).toBe(true);

  const slaSummary = charts.getByText('Data table: SLA compliance per due day');
  await slaSummary.click();
  const sla = charts.getByRole('table', { name: 'SLA compliance per due day' });
  await expect(sla.getByRole('rowheader')).toHaveCount(14);
  await expect(sla.locator('td[data-figure="compliance"]').first()).toHaveText(/^(\d+\.\d%|—)$/);
  await charts.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('charts-en.png') });
  await hourly.screenshot({ path: test.info().outputPath('charts-table-en.png') });

  await page.getByLabel('Language').selectOption('zh-CN');
  const chartsZh = page.getByRole('region', { name: '趋势图' });
  await expect(chartsZh.getByRole('table', { name: '各渠道每小时接入量，今日与上周同日' }).getByRole('columnheader', { name: '在线客服' })).toBeVisible();
  await expect(chartsZh.getByRole('table', { name: '每个到期日的 SLA 达成率' }).getByRole('columnheader', { name: '达成率' })).toBeVisible();
  // The charts' own words (legend, axes) are redrawn in Chinese.
  await expect(chartsZh.locator('.u-legend').first()).toContainText('在线客服 今日');
  await expect(chartsZh.locator('.u-legend').first()).toContainText('在线客服 上周同日');
  await chartsZh.getByRole('button', { name: '刷新图表' }).click();
  await expect(chartsZh.getByText('数据表：各渠道每小时接入量，今日与上周同日')).toBeVisible();
  await chartsZh.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('charts-zh.png') });
});
