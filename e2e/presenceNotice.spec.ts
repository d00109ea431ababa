/**
 * An agent who lets offers go unanswered is set Away by routing (two time-outs in a row), and
 * their workstation says why, in their language, with one click back to Available: the real
 * demo server (offers time out after a few seconds; the demo leaves chats in the queue, offered
 * as soon as a chat agent connects), a real workstation process, Chromium.
 */
import { expect, test, type Page } from '@playwright/test';
import { signInWords, type Locale } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

const OFFER_TIMEOUT_MS = 3_000;
/** Two offers missed in a row, each after the time-out, on a loaded 2-core machine. */
const AWAY_MS = 60_000;

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('presence-notice', { OFFER_TIMEOUT_MS: String(OFFER_TIMEOUT_MS) });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

const WORDS = {
  'en-US': {
    notice: 'Offers were not accepted in time, so your status was set to Away. You get no new work until you are Available again.',
    back: 'Back to Available',
  },
  'zh-CN': { notice: '推送超时未接受，状态已改为离开。恢复在线后才会收到新的分配。', back: '恢复在线' },
} as const;

for (const [locale, username] of [
  ['en-US', 'agent1'],
  ['zh-CN', 'agent2'],
] as const satisfies ReadonlyArray<readonly [Locale, string]>) {
  test(`${locale}: offers left unanswered set ${username} Away, the header says why, and one click makes them Available`, async ({ browser }) => {
    test.setTimeout(150_000);
    const w = signInWords(locale);
    const page: Page = await (await browser.newContext({ locale, viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(stack.agentDesk.url);
    await page.getByLabel(w.username).fill(username);
    await page.getByLabel(w.password).fill('demo');
    await page.getByRole('button', { name: w.signIn }).click();
    const presence = page.getByLabel(w.presence, { exact: true });
    // The queued demo chats are offered and left to time out.
    await expect(presence).toHaveValue('away', { timeout: AWAY_MS });
    const notice = page.getByTestId('presence-notice');
    await expect(notice).toContainText(WORDS[locale].notice);
    await page.screenshot({ path: test.info().outputPath(`presence-notice-${locale}.png`) });

    await notice.getByRole('button', { name: WORDS[locale].back }).click();
    await expect(presence).toHaveValue('available');
    await expect(page.getByText(WORDS[locale].notice)).toHaveCount(0);
    // Their own Away (a meal) is no reason for the notice. Set right away, before the next offers time out.
    await presence.selectOption('away:meal');
    await expect(presence).toHaveValue('away:meal');
    await expect(page.getByText(WORDS[locale].notice)).toHaveCount(0);
    await page.context().close();
  });
}
