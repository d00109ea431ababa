/**
 * The session's edges as an agent meets them, on the real server process (short token
 * lifetime, small sign-in budget) and a real workstation: too many wrong passwords say how
 * long to wait, signing out revokes the token on the server, and an expired session comes
 * back to the sign-in screen saying why. In Chinese and English.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServerProcess, startWorkstationProcess, closeContexts } from './stack.js';

let server: Awaited<ReturnType<typeof startServerProcess>>;
let desk: Awaited<ReturnType<typeof startWorkstationProcess>>;
let deskDir: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-auth-'));
  deskDir = path.join(root, 'desk');
  server = await startServerProcess({
    dataDir: path.join(root, 'server'),
    demo: true,
    env: { RATE_LIMITS: 'signInFailuresPerUser=2/900,signInFailuresPerDevice=2/900', TOKEN_TTL_MS: '15000' },
  });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: deskDir });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

test('too many wrong passwords: the sign-in screen says how long to wait', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(desk.url);
  await page.getByLabel('用户名').fill('agent2');
  for (const password of ['wrong-1', 'wrong-2']) {
    await page.getByLabel('密码').fill(password);
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page.getByRole('alert')).toHaveText('用户名或密码错误。');
  }
  await page.getByLabel('密码').fill('demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('登录尝试次数过多，请 15 分钟后再试。');
  await page.screenshot({ path: test.info().outputPath('rate-limited-zh.png') });

  await page.getByLabel('语言').selectOption('en');
  await expect(page.getByRole('alert')).toHaveText('Too many sign-in attempts. Try again in 15 min.');
  await page.screenshot({ path: test.info().outputPath('rate-limited-en.png') });
  await context.close();
});

test('signing out revokes the token on the server', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(desk.url);
  await page.getByLabel('Language').selectOption('en');
  await page.getByLabel('Username').fill('agent1');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const { token } = (JSON.parse(readFileSync(path.join(deskDir, 'workstation.json'), 'utf8')) as { session: { token: string } }).session;
  const ticketsWith = async () => (await fetch(`${server.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${token}` } })).status;
  expect(await ticketsWith()).toBe(200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Username')).toBeVisible();
  await expect.poll(ticketsWith).toBe(401);
  // The agent's own sign-out is not a session that "ended": no notice.
  await expect(page.getByRole('status')).toHaveCount(0);
  await context.close();
});

test('an expired session comes back to the sign-in screen saying so', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(desk.url);
  await page.getByLabel('语言').selectOption('zh-CN');
  await page.getByLabel('用户名').fill('agent3');
  await page.getByLabel('密码').fill('demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('button', { name: '退出' })).toBeVisible();
  // The server ends the session when its 15 s token expires.
  await expect(page.getByRole('status')).toHaveText('登录已过期，请重新登录。', { timeout: 40_000 });
  await page.screenshot({ path: test.info().outputPath('session-expired-zh.png') });

  await page.getByLabel('语言').selectOption('en');
  await expect(page.getByRole('status')).toHaveText('Your session expired. Please sign in again.');
  await page.screenshot({ path: test.info().outputPath('session-expired-en.png') });
  await context.close();
});
