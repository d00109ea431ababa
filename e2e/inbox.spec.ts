/**
 * The inbox past 10,000 tickets, by keyboard: a lead's workstation over a server seeded with
 * 10,000 extra contacts lists every one of them (the count says so exactly), scrolls to its
 * 10,000th row and to the very last, each showing the ticket the seeding put there, filters and sorts in the core, and is driven without the mouse — next/previous,
 * open, reply, note, take, status, priority, search and the `?` sheet — while keys typed
 * into the composer stay text. A new customer message shows as unread and in the window
 * title until the ticket is opened. The same inbox in Chinese (the count line, the 10,000th
 * row), on the same stack. Screenshots at 1280×800 in English and Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postDemoInbound, signIn } from './demoApi.js';
import { fitsItsBox } from './desk.js';
import type { SeedManifest } from './seedInbox.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SEEDED = 10_000;
/** The row the issue asks the inbox to be scrolled to (1-based, as aria-posinset counts). */
const TARGET_ROW = 10_000;
const SHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

let root: string;
let server: RunningProcess;
let desk: RunningProcess;
let manifest: SeedManifest;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-inbox-'));
  const dataDir = path.join(root, 'server');
  const manifestPath = path.join(root, 'seeded.json');
  const seeded = spawnSync(process.execPath, ['--import', 'tsx', 'e2e/seedInbox.ts', dataDir, String(SEEDED), manifestPath], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (seeded.status !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);
  manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as SeedManifest;
  server = await startServerProcess({ dataDir, demo: true });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
  mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
  // 10,000 seeded tickets leave ~42 MB behind per run otherwise.
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * "Showing 2,503 of 2,517" → [2503, 2517]; NaN while the core is still counting ("Showing 50+ of …"),
 * so a poll waits for the settled count instead of taking the first window's (a filter read as 50 matches, not 9,762).
 */
async function counts(page: Page): Promise<[number, number]> {
  const text = (await page.locator('.inbox-count').textContent()) ?? '';
  if (text.includes('+')) return [Number.NaN, Number.NaN];
  const numbers = [...text.matchAll(/[\d,]+/g)].map((match) => Number(match[0].replace(/,/g, '')));
  return [numbers[0] ?? -1, numbers[1] ?? -1];
}

/** The inbox's list, named in either language. */
const list = (page: Page) => page.getByRole('listbox', { name: /^(Tickets|工单)$/ });
const selectedRow = (page: Page) => list(page).locator('[aria-selected="true"]');

/** Scrolls the inbox of `size` rows so that the row at `index` (0-based) is at the top of the list (or the list at its end). */
async function scrollToIndex(page: Page, index: number, size: number): Promise<void> {
  await page.locator('.inbox-scroller').evaluate(
    (element: { scrollTop: number; scrollHeight: number; clientHeight: number }, [at, rows]) => {
      // Every row has the same height, so the list's full height divided by its rows is one row.
      element.scrollTop = Math.min(element.scrollHeight - element.clientHeight, (at * element.scrollHeight) / rows);
    },
    [index, size] as const,
  );
}

/** Every channel chip shows its whole label and count (past 10,000 tickets the counts cut the chips off at 1280x800). */
async function expectChannelChipsFit(page: Page): Promise<void> {
  const chips = page.getByRole('group', { name: /^(Channels|渠道)$/ }).getByRole('button');
  await expect(chips).toHaveCount(5);
  for (const chip of await chips.all()) expect(await fitsItsBox(chip), (await chip.textContent()) ?? '').toBe(true);
}

/** The row at `index` (0-based) shows this seeded ticket: its number, customer and subject, in view. */
async function expectSeededRow(page: Page, index: number, ticket: SeedManifest['seeded'][number], setSize: number): Promise<void> {
  const row = list(page).locator(`[data-index="${String(index)}"]`);
  // The window of these rows is fetched from the core after the scroll; on a shared, busy machine that can take more than 5 s.
  await expect(row).toHaveAttribute('data-ticket-id', ticket.id, { timeout: 30_000 });
  await expect(row).toBeInViewport();
  await expect(row).toHaveAttribute('aria-posinset', String(index + 1));
  await expect(row).toHaveAttribute('aria-setsize', String(setSize));
  await expect(row.locator('.ticket-id')).toHaveText(ticket.id);
  await expect(row.locator('.customer-name')).toHaveText(ticket.customer);
  await expect(row.locator('.subject')).toHaveText(ticket.subject);
}

test('lists every cached ticket past 10,000, scrolls to the 10,000th and the last, and filters in the core', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, desk.url, 'lead1');
  // The workstation first downloads all 10,000 seeded tickets into its cache: allowed 120 s on a shared, busy machine.
  await expect.poll(async () => (await counts(page))[0], { timeout: 120_000 }).toBe(manifest.openBefore + SEEDED);
  const [shown, exists] = await counts(page);
  expect(exists).toBe(manifest.visibleBefore + SEEDED);
  expect(shown).toBeGreaterThanOrEqual(TARGET_ROW);
  // Only what is on screen is rendered.
  expect(await list(page).getByRole('option').count()).toBeLessThan(60);
  await expectChannelChipsFit(page);

  // Newest first: the demo's open tickets and the newest seeded ones, then the seeded ones older than
  // anything of the demo's (its oldest activity is a day back; these are days older), newest first.
  // So the row at place p shows seeded ticket number openBefore + SEEDED - p (0-based, oldest first).
  const target = manifest.openBefore + SEEDED - TARGET_ROW;
  expect(target).toBeGreaterThanOrEqual(0);
  await scrollToIndex(page, TARGET_ROW - 1, shown);
  await expectSeededRow(page, TARGET_ROW - 1, manifest.seeded[target]!, shown);

  await scrollToIndex(page, shown - 1, shown);
  await expectSeededRow(page, shown - 1, manifest.seeded[0]!, shown);

  await page.getByRole('combobox', { name: 'SLA filter' }).selectOption('breached');
  // Each filter is a query over 10,000 cached tickets in the core: allowed 30 s on a shared, busy machine.
  await expect.poll(async () => (await counts(page))[0], { timeout: 30_000 }).toBeLessThan(shown);
  const [breached] = await counts(page);
  expect(breached).toBeGreaterThan(0);
  await page
    .getByRole('group', { name: 'Channels' })
    .getByRole('button', { name: /^Email/ })
    .click();
  await expect.poll(async () => (await counts(page))[0], { timeout: 30_000 }).toBeLessThan(breached);
  await page.getByRole('combobox', { name: 'Sort' }).selectOption('sla');
  await expect(list(page).locator('[data-index="0"]')).toHaveAttribute('data-ticket-id', /^GD/, { timeout: 30_000 });
  await expect(list(page).locator('[data-index="0"] .sla')).toHaveClass(/sla-breached/, { timeout: 30_000 });
  await page.getByRole('combobox', { name: 'SLA filter' }).selectOption('');
  await page.getByRole('group', { name: 'Channels' }).getByRole('button', { name: /^All/ }).click();
  await page.getByRole('combobox', { name: 'Sort' }).selectOption('activity');
  await expect.poll(async () => (await counts(page))[0], { timeout: 30_000 }).toBe(shown);
});

test('the same 10,000-row inbox in Chinese: the count line, the 10,000th row in its place', async ({ page }) => {
  test.setTimeout(90_000);
  // The stack of the test before, its cache already filled: only the page's language changes.
  await signIn(page, desk.url, 'lead1');
  const open = manifest.openBefore + SEEDED;
  const all = manifest.visibleBefore + SEEDED;
  await expect.poll(async () => (await counts(page))[0], { timeout: 60_000 }).toBe(open);
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  const format = new Intl.NumberFormat('zh-CN');
  await expect(page.locator('.inbox-count')).toHaveText(`显示 ${format.format(open)} / 共 ${format.format(all)}`);
  await expect(page.getByRole('listbox', { name: '工单' })).toBeVisible();
  await expectChannelChipsFit(page);

  const target = manifest.openBefore + SEEDED - TARGET_ROW;
  await scrollToIndex(page, TARGET_ROW - 1, open);
  await expectSeededRow(page, TARGET_ROW - 1, manifest.seeded[target]!, open);
  // The row's own words are Chinese too: a seeded contact waits in the queue.
  const row = list(page).locator(`[data-index="${String(TARGET_ROW - 1)}"]`);
  await expect(row.locator('.status-label')).toHaveText('待分配');
  await expect(row.locator('.assignment-reason')).toHaveText('排队中');
  await page.screenshot({ path: path.join(SHOTS, 'inbox-10000th-zh-CN.png') });
});

test('drives the inbox and the ticket pane by keyboard alone; keys typed into the composer stay text', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, desk.url, 'lead1');
  await expect.poll(async () => (await counts(page))[0]).toBeGreaterThan(SEEDED);
  // An e-mail contact (a written reply can reach it) arrives on top of the list.
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '吴磊', email: 'wulei@example.cn' },
    subject: '退货地址是哪里',
    text: '请问退货寄到哪个地址？',
  });
  await expect(list(page).locator('[data-index="0"]')).toHaveAttribute('data-ticket-id', ticketId);
  await page.locator('body').focus();

  // The selection stayed on the ticket it was on, now one further down.
  const start = Number(await selectedRow(page).getAttribute('data-index'));
  await page.keyboard.press('j');
  await expect(selectedRow(page)).toHaveAttribute('data-index', String(start + 1));
  await expect(selectedRow(page)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(selectedRow(page)).toHaveAttribute('data-index', '0');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('ArrowDown');
  await expect(selectedRow(page)).toHaveAttribute('data-index', '3');
  await page.keyboard.press('k');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('k');
  await expect(selectedRow(page)).toHaveAttribute('data-index', '0');
  await expect(selectedRow(page)).toHaveAttribute('data-ticket-id', ticketId);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();

  // r: the reply box; what is typed there is text, not shortcuts.
  await page.keyboard.press('r');
  const reply = page.locator('[data-shortcut="reply"]');
  await expect(reply).toBeFocused();
  await page.keyboard.type('jkrtsp?/e');
  await expect(reply).toHaveValue('jkrtsp?/e');
  await expect(selectedRow(page)).toHaveAttribute('data-index', '0');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await reply.fill('');

  // Esc leaves the field, then n: the note box.
  await page.keyboard.press('Escape');
  await expect(reply).not.toBeFocused();
  await page.keyboard.press('n');
  await expect(page.locator('[data-shortcut="note"]')).toBeFocused();
  await page.keyboard.press('Escape');

  // t: take the queued ticket (the lead becomes its assignee, in progress).
  await page.keyboard.press('t');
  const pane = page.getByRole('region', { name: ticketId });
  await expect(pane.getByLabel('Status')).toHaveValue('in_progress');
  await expect(pane.locator('.ticket-meta')).toContainText('李主管');

  await page.keyboard.press('s');
  await expect(pane.getByLabel('Status')).toBeFocused();
  await page.keyboard.press('Escape');
  await page.keyboard.press('p');
  await expect(pane.getByLabel('Priority')).toBeFocused();
  await page.keyboard.press('Escape');

  // e: escalate opens its form with the reason field.
  await page.keyboard.press('e');
  await expect(pane.getByRole('button', { name: /Escalate/ }).first()).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Escape');
  await expect(pane.getByRole('button', { name: /Escalate/ }).first()).toHaveAttribute('aria-expanded', 'false');

  // /: search, and Enter from the search box back into the list.
  await page.keyboard.press('/');
  const search = page.getByRole('searchbox', { name: 'Search' });
  await expect(search).toBeFocused();
  // With the closing bracket the term is the one message's text: bare 2499 is also inside ticket and customer
  // numbers once 10,000 tickets were numbered (GD20261202499), and those tickets match as well.
  await page.keyboard.type('客户编号 2499）');
  await expect.poll(async () => (await counts(page))[0]).toBe(1);
  await page.keyboard.press('Enter');
  await expect(selectedRow(page)).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('section.ticket-pane')).toContainText('（客户编号 2499）');
  // The rows mark what the search matched, where they show it (the customer's name, the subject).
  await search.fill('质量问题');
  await expect(page.locator('.inbox-row mark.search-hit').filter({ hasText: '质量问题' }).first()).toBeVisible();
  await page.keyboard.press('/');
  await page.keyboard.press('Escape');
  await expect.poll(async () => (await counts(page))[0]).toBeGreaterThan(SEEDED);
  await page.keyboard.press('Escape');
  await expect(search).not.toBeFocused();

  // ?: the sheet; a shortcut does nothing while it is open; Esc closes it.
  const before = await selectedRow(page).getAttribute('data-index');
  await page.keyboard.press('?');
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(sheet).toBeVisible();
  await expect(sheet).toContainText('Take the open ticket');
  await page.screenshot({ path: path.join(SHOTS, 'inbox-shortcuts-en.png') });
  await page.keyboard.press('j');
  await expect(selectedRow(page)).toHaveAttribute('data-index', before ?? '');
  await page.keyboard.press('Escape');
  await expect(sheet).toHaveCount(0);
});

test('marks a new customer message unread, counts it in the window title, and clears it on open', async ({ page }) => {
  await signIn(page, desk.url, 'lead1');
  await expect.poll(async () => (await counts(page))[0]).toBeGreaterThan(SEEDED);
  await expect(page).toHaveTitle('OmniDesk');
  const posted = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '周敏', email: 'zhoumin@example.cn' },
    subject: '发票抬头写错了',
    text: '您好，发票抬头写错了，麻烦重开一张',
  });
  const row = list(page).locator(`[data-ticket-id="${posted.ticketId}"]`);
  await expect(row).toHaveClass(/unread/);
  await expect(row.getByText('New customer message')).toBeAttached();
  await expect(page).toHaveTitle('(1) OmniDesk: 1 unread');
  await page.screenshot({ path: path.join(SHOTS, 'inbox-en.png') });

  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page).toHaveTitle('（1 条未读）OmniDesk');
  await expect(page.locator('.inbox-count')).toContainText('显示');
  await page.screenshot({ path: path.join(SHOTS, 'inbox-zh-CN.png') });
  await page.locator('body').focus();
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: '键盘快捷键' })).toBeVisible();
  await page.screenshot({ path: path.join(SHOTS, 'inbox-shortcuts-zh-CN.png') });
  await page.keyboard.press('Escape');
  await page.getByRole('combobox', { name: '语言' }).selectOption('en');

  await row.click();
  await expect(row).not.toHaveClass(/unread/);
  await expect(page).toHaveTitle('OmniDesk');
});
