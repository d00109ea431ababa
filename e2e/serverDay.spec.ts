/**
 * The screens' day and "since" are the server's, end to end: the real demo server and a
 * workstation process whose clock is still on yesterday's date in China time (an hour before
 * today's midnight there, whatever the time now; the process's clock and the page's: one machine),
 * in Chromium at 1280x800, in English and in Chinese. The lead's Reports view opens on the
 * server's today, its "as of" time is today's (no date), and when the server goes the header's
 * "Offline since" is the server's time of it, not the computer's.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shanghaiDayOf } from '../shared/businessHours.js';
import { localDateOf } from '../shared/kpi.js';
import { fillSignIn, signInWords, type Locale } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

const SKEWED_CLOCK = fileURLToPath(new URL('./skewedClock.mjs', import.meta.url));
const LOCALES = ['en-US', 'zh-CN'] as const;

let server: RunningProcess | null = null;
let desk: RunningProcess;
/** An hour before today's midnight in China: the workstation's clock is on yesterday's date there. */
let behindMs = 0;
const pages = new Map<Locale, Page>();

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-server-day-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  const now = Date.now();
  behindMs = now - shanghaiDayOf(now).midnight + 60 * 60_000;
  desk = await startWorkstationProcess({
    serverUrl: server.url,
    dataDir: path.join(root, 'lead1'),
    env: { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, WORKSTATION_CLOCK_SKEW_MS: String(-behindMs) },
  });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

/** lead1 signed in on the skewed workstation, in a page whose clock is behind by as much (each page its own seat). */
async function openSkewedLead(browser: Browser, locale: Locale): Promise<Page> {
  const w = signInWords(locale);
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  await context.addInitScript((skewMs: number) => {
    const trueNow = Date.now.bind(Date);
    Date.now = () => trueNow() + skewMs;
  }, -behindMs);
  const page = await context.newPage();
  await page.goto(desk.url);
  await fillSignIn(page, 'lead1', locale);
  await expect(page.getByLabel(w.username)).toHaveCount(0, { timeout: 15_000 });
  return page;
}

/** A time as the workstation shows it in China time ("21:07"). */
function chinaClock(epochMs: number): string {
  return new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(epochMs);
}

const WORDS = {
  'en-US': { reports: 'Reports', date: 'Date (YYYY-MM-DD)', asOf: /; overdue as of (\d\d:\d\d)$/, offline: 'Offline since' },
  'zh-CN': { reports: '报表', date: '日期（YYYY-MM-DD）', asOf: /；超时判定截至 (\d\d:\d\d)$/, offline: '离线（自' },
} as const;

for (const locale of LOCALES) {
  test(`the Reports view opens on the server's today, "as of" a time of today (${locale})`, async ({ browser }) => {
    expect(localDateOf(Date.now() - behindMs)).not.toBe(localDateOf(Date.now()));
    const page = await openSkewedLead(browser, locale);
    pages.set(locale, page);
    const w = WORDS[locale];
    await page.getByRole('button', { name: w.reports, exact: true }).click();
    const today = localDateOf(Date.now());
    await expect(page.getByRole('textbox', { name: w.date })).toHaveValue(today);
    const range = page.locator('.reports-range');
    await expect(range).toContainText(`${today} `);
    // Today's time alone, as every time of today is shown; not "12/07, 20:01".
    await expect(range).toHaveText(w.asOf);
    await page.screenshot({ path: test.info().outputPath(`reports-server-day-${locale}.png`) });
  });
}

test('"Offline since" is the server\'s time the server went, in both languages', async () => {
  const before = Date.now();
  // The core notices at once (the socket closes); three minutes of China time are more than enough on a loaded machine.
  const clocks = [0, 1, 2].map((minutes) => chinaClock(before + minutes * 60_000));
  await server!.stop();
  server = null;
  for (const locale of LOCALES) {
    const page = pages.get(locale)!;
    const badge = page.locator('.app-header .connection-badge');
    await expect(badge).toContainText(WORDS[locale].offline, { timeout: 30_000 });
    const shown = /(\d\d:\d\d)/.exec(await badge.innerText())?.[1];
    expect(clocks, `the badge says ${String(shown)}`).toContain(shown);
    await page.screenshot({ path: test.info().outputPath(`offline-since-${locale}.png`) });
  }
});
