/**
 * An agent set Away by the server's idle-away (no activity for `IDLE_AWAY_MS`) is told why under
 * the header, in their language, with the one click back to Available, as for offers left
 * unanswered (presenceNotice.spec.ts): the real demo server with idle-away on, a real workstation
 * process, Chromium at 1280x800. 陈静 (agent4: email and social, which routing assigns rather than
 * offers) signs in, does nothing, and is set Away.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signInWords, submitSignIn } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

/** Long enough that the notice's click is seen before the next idle-away, on a loaded machine. */
const IDLE_AWAY_MS = 15_000;

let server: RunningProcess;
let desk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-presence-idle-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, env: { IDLE_AWAY_MS: String(IDLE_AWAY_MS) } });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent4') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

const WORDS = {
  'en-US': {
    notice: 'You were idle for a while, so your status was set to Away. You get no new work until you are Available again.',
    back: 'Back to Available',
  },
  'zh-CN': { notice: '长时间无操作，状态已改为离开。恢复在线后才会收到新的分配。', back: '恢复在线' },
} as const;

test('an agent idle for a while is set Away, the header says why in both languages, and one click makes them Available', async ({ browser }) => {
  test.setTimeout(120_000);
  const w = signInWords('en-US');
  const page = await submitSignIn(browser, desk.url, 'agent4', 'en-US');
  await expect(page.locator('.connection-badge')).toHaveText(/Online/, { timeout: 30_000 });
  const presence = page.getByLabel(w.presence, { exact: true });
  // Available on connecting, then Away once the idle time has passed without activity.
  await expect(presence).toHaveValue('away', { timeout: 60_000 });
  const notice = page.getByTestId('presence-notice');
  await expect(notice).toContainText(WORDS['en-US'].notice);
  await page.screenshot({ path: test.info().outputPath('presence-idle-en-US.png') });

  await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  await expect(notice).toContainText(WORDS['zh-CN'].notice);
  await page.screenshot({ path: test.info().outputPath('presence-idle-zh-CN.png') });

  await notice.getByRole('button', { name: WORDS['zh-CN'].back }).click();
  await expect(page.getByLabel(signInWords('zh-CN').presence, { exact: true })).toHaveValue('available');
  await expect(page.getByTestId('presence-notice')).toHaveCount(0);
  await page.context().close();
});
