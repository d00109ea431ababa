/**
 * A workstation whose sign-in on the socket takes longer than the server's sign-in deadline
 * (CONNECTIONS_SIGNIN_DEADLINE_SECONDS, server/connectionLimits.ts) is told so in its own
 * words, in the agent's language, not "cannot reach the server", and comes online by itself once
 * sign-ins are quick again. The real server process (deadline 1 s), a real workstation process,
 * Chromium; between the workstation and the server a TCP relay that, while it stalls, holds
 * everything a new socket connection sends after its WebSocket upgrade (the sign-in), as a very
 * slow network would. HTTP (the password sign-in) passes untouched.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { submitSignIn, type Locale } from './desk.js';
import { closeContexts, startServerProcess, startWorkstationProcess, type RunningProcess } from './stack.js';

let server: RunningProcess;
let desk: RunningProcess;
let relay: net.Server;
let relayUrl = '';
/** While true, a new WebSocket connection's frames after the upgrade request are held until the server closes it. */
let stall = true;

function startRelay(target: number): Promise<void> {
  relay = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    let first = true;
    let holding = false;
    client.on('data', (chunk) => {
      if (first) {
        first = false;
        holding = stall && /upgrade:\s*websocket/i.test(chunk.toString('latin1'));
        upstream.write(chunk);
        return;
      }
      if (!holding) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) =>
    relay.listen(0, '127.0.0.1', () => {
      const address = relay.address();
      relayUrl = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`;
      resolve();
    }),
  );
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-signin-deadline-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, env: { CONNECTIONS_SIGNIN_DEADLINE_SECONDS: '1' } });
  await startRelay(server.port);
  desk = await startWorkstationProcess({ serverUrl: relayUrl, dataDir: path.join(root, 'desk') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
  await new Promise((resolve) => relay?.close(resolve));
});

const SHORT: Record<Locale, string> = {
  'en-US': 'Server slow to sign you in; retrying',
  'zh-CN': '服务器登录响应过慢，正在重试',
};

test('agents whose sign-in outlasts the deadline are told the server is slow (not unreachable), and come online once it is quick again', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const pages: Array<{ page: Page; locale: Locale }> = [];
  for (const [locale, username] of [
    ['en-US', 'agent1'],
    ['zh-CN', 'agent2'],
  ] as const) {
    pages.push({ page: await submitSignIn(browser, desk.url, username, locale), locale });
  }
  for (const { page, locale } of pages) {
    const problem = page.locator('.connection-error');
    await expect(problem).toHaveText(SHORT[locale], { timeout: 30_000 });
    await expect(problem).toHaveAttribute('title', new RegExp(relayUrl.replace(/[.:/]/g, '\\$&')));
    await page.screenshot({ path: test.info().outputPath(`header-signin-slow-${locale}.png`) });
  }
  // Sign-ins are quick again: the core's own retries (the refusal's pace, up to ~23 s) get them online.
  stall = false;
  for (const { page, locale } of pages) {
    await expect(page.locator('.connection-badge')).toHaveText(locale === 'en-US' ? /Online/ : /在线/, { timeout: 90_000 });
    await expect(page.locator('.connection-error')).toHaveCount(0);
  }
});
