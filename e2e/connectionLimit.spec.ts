/**
 * The per-address connection caps (server/connectionLimits.ts) as people meet them: the real
 * server process with small caps, a real workstation process, and Chromium. Web chat visitors
 * over the visitor cap see that their network has too many chat connections and the widget
 * tries again by itself, getting in once a visitor leaves; agents whose network holds the cap of
 * connections not signed in see the server turning their network away (not "unreachable"), in
 * their language, and come online by themselves once the slots free.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { workstationHandshakeAuth } from '../shared/sync.js';
import { demoToken } from './demoApi.js';
import { submitSignIn, type Locale } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

const PREAUTH_CAP = 3;
/** Signed-in connections one user may hold (CONNECTIONS_SIGNED_IN_PER_USER). */
const PER_USER_CAP = 2;

let server: RunningProcess;
let desk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-connlimit-'));
  server = await startServerProcess({
    dataDir: path.join(root, 'server'),
    demo: true,
    env: {
      CONNECTIONS_PREAUTH_PER_ADDRESS: String(PREAUTH_CAP),
      CONNECTIONS_WEBCHAT_PER_ADDRESS: '1',
      CONNECTIONS_SIGNED_IN_PER_USER: String(PER_USER_CAP),
    },
  });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

/** The widget lives in a shadow root; Playwright's locators pierce it. */
function widget(page: Page) {
  return page.locator('#omnidesk-chat');
}

async function chatPage(locale: Locale): Promise<Page> {
  const page = await (await browserContext(locale)).newPage();
  await page.goto(`${server.url}/chat/?site=demo`);
  return page;
}

let browserContext: (locale: Locale) => Promise<BrowserContext>;

test.beforeEach(({ browser }) => {
  browserContext = (locale) => browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
});

/** A script's engine.io connection from this machine (a raw WebSocket upgrade, no namespace): one of the address's slots. */
function holdConnection(): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    request.once('upgrade', (_res, socket) => {
      socket.on('error', () => undefined);
      resolve(socket);
    });
    request.once('response', (res) => reject(new Error(`refused with ${String(res.statusCode)}`)));
    request.once('error', reject);
    request.end();
  });
}

test('a visitor over the visitor cap is told why, in their language, and gets in once a visitor leaves', async () => {
  test.setTimeout(180_000);
  const first = await chatPage('zh-CN');
  await expect(widget(first).getByText('客服暂时不在线').first()).toBeVisible({ timeout: 20_000 });

  const english = await chatPage('en-US');
  await expect(widget(english).getByText(/Too many chat connections from your network; trying again in \d+ s…/)).toBeVisible({ timeout: 20_000 });
  await english.screenshot({ path: test.info().outputPath('widget-crowded-en.png') });
  const chinese = await chatPage('zh-CN');
  await expect(widget(chinese).getByText(/您所在网络的聊天连接过多，\d+ 秒后自动重试…/)).toBeVisible({ timeout: 20_000 });
  await chinese.screenshot({ path: test.info().outputPath('widget-crowded-zh.png') });
  await chinese.context().close();

  // The first visitor leaves: the English widget's own retry gets in, without a reload.
  await first.context().close();
  await expect(widget(english).getByText('No agent online right now').first()).toBeVisible({ timeout: 120_000 });
  await expect(widget(english).getByText(/Too many chat connections/)).toHaveCount(0);
  await english.context().close();
});

test('agents whose network holds the cap of connections not signed in are told so, and come online once slots free', async ({ browser }) => {
  test.setTimeout(180_000);
  const held: NetSocket[] = [];
  for (let i = 0; i < PREAUTH_CAP; i++) held.push(await holdConnection());
  const pages: Array<{ page: Page; locale: Locale }> = [];
  for (const [locale, username] of [
    ['en-US', 'agent1'],
    ['zh-CN', 'agent2'],
  ] as const) {
    pages.push({ page: await submitSignIn(browser, desk.url, username, locale), locale });
  }
  for (const { page, locale } of pages) {
    const problem = page.locator('.connection-error');
    await expect(problem).toHaveText(locale === 'en-US' ? 'Server busy; retrying' : '服务器繁忙，正在重试', {
      timeout: 30_000,
    });
    await expect(problem).toHaveAttribute('title', new RegExp(server.url.replace(/[.:/]/g, '\\$&')));
    await page.screenshot({ path: test.info().outputPath(`header-crowded-${locale}.png`) });
  }
  for (const socket of held.splice(0)) socket.destroy();
  for (const { page, locale } of pages) {
    await expect(page.locator('.connection-badge')).toHaveText(locale === 'en-US' ? /Online/ : /在线/, { timeout: 60_000 });
    await expect(page.locator('.connection-error')).toHaveCount(0);
  }
});

/** One of `username`'s other windows, signed in on the socket (a slot of the user's cap). */
async function otherWindow(username: string, index: number): Promise<Socket> {
  const socket = connect(server.url, {
    auth: workstationHandshakeAuth(await demoToken(server.url, username), `other-window-${username}-${String(index)}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

test('agents signed in on as many windows as the server allows are told so, and come online once one closes', async ({ browser }) => {
  test.setTimeout(180_000);
  const held: Socket[] = [];
  const pages: Array<{ page: Page; locale: Locale }> = [];
  for (const [locale, username] of [
    ['en-US', 'agent3'],
    ['zh-CN', 'agent4'],
  ] as const) {
    for (let i = 0; i < PER_USER_CAP; i++) held.push(await otherWindow(username, i));
    pages.push({ page: await submitSignIn(browser, desk.url, username, locale), locale });
  }
  for (const { page, locale } of pages) {
    const problem = page.locator('.connection-error');
    await expect(problem).toHaveText(locale === 'en-US' ? 'Signed in on too many windows; retrying' : '登录窗口过多，正在重试', { timeout: 30_000 });
    await expect(problem).toHaveAttribute('title', /too many windows or devices|过多的窗口或设备/);
    await page.screenshot({ path: test.info().outputPath(`header-sessions-${locale}.png`) });
  }
  for (const socket of held.splice(0)) socket.disconnect();
  for (const { page, locale } of pages) {
    await expect(page.locator('.connection-badge')).toHaveText(locale === 'en-US' ? /Online/ : /在线/, { timeout: 60_000 });
    await expect(page.locator('.connection-error')).toHaveCount(0);
  }
});
