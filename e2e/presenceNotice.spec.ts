/**
 * An agent who lets offers go unanswered is set Away by routing (two time-outs in a row), and
 * their workstation says why, in their language, with one click back to Available: the real
 * demo server (offers time out after a few seconds; the demo leaves chats in the queue, offered
 * as soon as a chat agent connects; two new chats are posted), a real workstation process, Chromium.
 */
import { expect, test } from '@playwright/test';
import { postDemoInbound } from './demoApi.js';
import { signInWords, submitSignIn } from './desk.js';
import { closeContexts, reportRoutingOnFailure, startDemoStack, type DemoStack } from './stack.js';

const OFFER_TIMEOUT_MS = 3_000;
/** Two offers missed in a row, each after the time-out, on a loaded 2-core machine. */
const AWAY_MS = 60_000;

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('presence-notice', { OFFER_TIMEOUT_MS: String(OFFER_TIMEOUT_MS) });
});

// eslint-disable-next-line no-empty-pattern -- Playwright reads which fixtures a hook uses from its pattern
test.afterEach(async ({}, testInfo) => {
  await reportRoutingOnFailure(stack, testInfo);
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

test('offers left unanswered set the agent Away, the header says why in both languages, and one click makes them Available', async ({ browser }) => {
  test.setTimeout(150_000);
  const w = signInWords('en-US');
  const page = await submitSignIn(browser, stack.agentDesk.url, 'agent1', 'en-US');
  await expect(page.locator('.connection-badge')).toHaveText(/Online/, { timeout: 30_000 });
  const presence = page.getByLabel(w.presence, { exact: true });
  await expect(presence).toHaveValue('available', { timeout: 30_000 });
  // Two new chats for 王芳 (every channel, the orders group), offered one after the other and left to time out.
  for (const [name, phone] of [
    ['周杰', '13700137004'],
    ['黄丽', '13600136005'],
  ]) {
    await postDemoInbound(stack.server.url, { channel: 'chat', customer: { name, phone }, text: '你好，订单什么时候发货？' });
  }
  await expect(presence).toHaveValue('away', { timeout: AWAY_MS });
  const notice = page.getByTestId('presence-notice');
  await expect(notice).toContainText(WORDS['en-US'].notice);
  await page.screenshot({ path: test.info().outputPath('presence-notice-en-US.png') });

  await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  await expect(notice).toContainText(WORDS['zh-CN'].notice);
  await page.screenshot({ path: test.info().outputPath('presence-notice-zh-CN.png') });

  await notice.getByRole('button', { name: WORDS['zh-CN'].back }).click();
  const presenceZh = page.getByLabel(signInWords('zh-CN').presence, { exact: true });
  await expect(presenceZh).toHaveValue('available');
  await expect(page.getByTestId('presence-notice')).toHaveCount(0);
  // Their own Away (a meal) is no reason for the notice.
  await presenceZh.selectOption('away:meal');
  await expect(presenceZh).toHaveValue('away:meal');
  await expect(page.getByTestId('presence-notice')).toHaveCount(0);
  await page.context().close();
});
