/**
 * The screens count time on the server's clock (clock-2), end to end: the real demo server and a
 * workstation process whose clock is ten minutes behind (the process's and the page's: one
 * machine), in Chromium at 1280x800. With every resolution target five minutes, a new ticket's
 * badge in the ticket pane counts down from five minutes, as the server and the core judge it,
 * not from fifteen (the workstation's own clock). In English and in Chinese.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { changePoliciesAsAdmin, openQueued, postDemoInbound } from './demoApi.js';
import { fillSignIn, signInWords, type Locale } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

const BEHIND_MS = 10 * 60_000;
const SKEWED_CLOCK = fileURLToPath(new URL('./skewedClock.mjs', import.meta.url));

let server: RunningProcess;
let desk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-server-clock-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  desk = await startWorkstationProcess({
    serverUrl: server.url,
    dataDir: path.join(root, 'agent1'),
    env: { NODE_OPTIONS: `--import=${SKEWED_CLOCK}`, WORKSTATION_CLOCK_SKEW_MS: String(-BEHIND_MS) },
  });
  // Every resolution target five minutes: a new ticket is due five minutes after it arrives.
  await changePoliciesAsAdmin(server.url, (policies) => ({
    ...policies,
    slaMinutes: { urgent: 5, normal: 5, low: 5 },
    complaintSlaMinutes: null,
  }));
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

/** agent1 signed in on the skewed workstation, in a page whose clock is the same ten minutes behind; Away, so routing offers nothing. */
async function openSkewedDesk(browser: Browser, locale: Locale): Promise<Page> {
  const w = signInWords(locale);
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  await context.addInitScript((skewMs: number) => {
    const trueNow = Date.now.bind(Date);
    Date.now = () => trueNow() + skewMs;
  }, -BEHIND_MS);
  const page = await context.newPage();
  await page.goto(desk.url);
  const signOut = page.getByRole('button', { name: w.signOut, exact: true });
  await expect(page.getByLabel(w.username).or(signOut)).toBeVisible();
  if (await signOut.isVisible()) await signOut.click();
  await fillSignIn(page, 'agent1', locale);
  await expect(page.getByLabel(w.username)).toHaveCount(0, { timeout: 15_000 });
  await page.getByLabel(w.presence, { exact: true }).selectOption('away');
  return page;
}

for (const locale of ['en-US', 'zh-CN'] as const) {
  test(`the ticket pane's SLA badge counts down on the server's clock (${locale})`, async ({ browser }) => {
    const page = await openSkewedDesk(browser, locale);
    // Mail waits in the queue (nobody available takes it); opened from there, it shows in the pane.
    const { ticketId } = await postDemoInbound(server.url, {
      channel: 'email',
      subject: locale === 'en-US' ? 'Invoice title wrong' : '发票抬头开错了',
      customer: { name: '花荣', email: `huarong.${locale}@example.com` },
      text: '发票抬头开错了，请重开。',
    });
    await openQueued(page, ticketId);
    const badge = page.getByRole('region', { name: ticketId }).locator('.sla');
    // Due in five minutes on the server's clock, not fifteen: 0:0x:xx, never 0:1x:xx.
    await expect(badge).toHaveText(/^0:0[0-5]:\d\d$/, { timeout: 15_000 });
    await expect(badge).toHaveClass(/\bsla-at_risk\b/);
    await page.screenshot({ path: test.info().outputPath(`sla-badge-${locale}.png`) });
    await page.context().close();
  });
}
