/**
 * `npm start` as a newcomer tries the offline promise (issue 9 items 2 and 18): the real
 * `scripts/start.mjs` in browser mode starts the demo server and the workstation; a page
 * opened without the launch link is locked and says what to do; the server dies and the
 * workstation stays up, saying so with the command that brings the server back; that
 * command, run as printed, brings back the demo server WITH its demo channels; the page
 * offers "Retry now" while offline and is Online again; Ctrl-C of npm start stops the rest.
 */
import { expect, test } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort, closeContexts } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_MS = 120_000;

/** A child whose stdout and stderr are kept, so the test can wait for a line. */
interface Watched {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output (now or later); rejects after `timeoutMs` or when the child exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function watch(child: ChildProcess): Watched {
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const wake of [...waiters]) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = STARTUP_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No ${String(pattern)} within ${String(timeoutMs / 1000)} s; output so far:\n${text}`));
        }, timeoutMs);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`Exited before printing ${String(pattern)}; output:\n${text}`));
        });
        waiters.add(check);
        check();
      });
    },
  };
}

/** The child of `parentPid` running `script` (npm start's server child). */
function childRunning(parentPid: number, script: string): number {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parentPid)], { encoding: 'utf8' }).split('\n');
  const line = lines.find((l) => l.includes(script));
  if (!line) throw new Error(`No child of ${String(parentPid)} runs ${script}:\n${lines.join('\n')}`);
  return Number(line.trim().split(/\s+/)[0]);
}

async function status(url: string): Promise<number | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? error.message) : String(error);
  }
}

let start: Watched | null = null;
let restarted: Watched | null = null;

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  // Whatever a failed run left: npm start stops its own children; the restarted server's
  // process group is the one this test made for it (as a terminal makes for a command).
  const running = (watched: Watched | null) => watched !== null && watched.child.exitCode === null && watched.child.signalCode === null;
  if (running(restarted) && restarted!.child.pid) process.kill(-restarted!.child.pid, 'SIGINT');
  if (running(start)) start!.child.kill('SIGINT');
  await Promise.all([restarted?.exited, start?.exited]);
});

test('npm start keeps the workstation when the server dies, prints the command that brings the demo server back, and retries on demand', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-start-'));
  const serverPort = await findFreePort();
  const deskPort = await findFreePort();
  const serverUrl = `http://127.0.0.1:${String(serverPort)}`;
  const deskUrl = `http://127.0.0.1:${String(deskPort)}`;
  start = watch(
    spawn(process.execPath, ['scripts/start.mjs', '--browser'], {
      cwd: REPO_ROOT,
      // SMTP_PORT 0: the demo mail receiver takes a free port, not the shared 2525.
      env: { ...process.env, PORT: String(serverPort), WORKSTATION_PORT: String(deskPort), DATA_DIR: root, SMTP_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const launchUrl = (await start.waitFor(/Open this link in a browser .*: (http\S+)/))[1]!;
  expect(launchUrl).toMatch(new RegExp(`^${deskUrl}/#k=[A-Za-z0-9_-]{43}$`));
  expect(start.output()).toContain(`restart it with: PORT=${String(serverPort)} DATA_DIR=${root} SMTP_PORT=0 npm run demo:server`);

  // ---- Without the launch link the page is locked and says what to do. -------------
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(deskUrl);
  await expect(page.getByRole('heading', { name: 'Open the workstation from its launch link' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Open the link printed by npm start');
  await expect(page.getByLabel('Username')).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('launch-link-needed-en.png') });
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.getByRole('heading', { name: '请通过启动链接打开工作台' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('launch-link-needed-zh.png') });
  await page.getByLabel('语言').selectOption('en');

  // ---- With it: sign in, online. -----------------------------------------------------
  await page.goto(launchUrl);
  await expect(page).toHaveURL(`${deskUrl}/`); // the key leaves the address bar
  await page.getByLabel('Username').fill('agent1');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });
  // A reload keeps the key this tab holds.
  await page.reload();
  await expect(page.getByText('Online', { exact: true })).toBeVisible({ timeout: 30_000 });

  // ---- The server dies; the workstation stays and says how to bring the server back. ---
  process.kill(childRunning(start.child.pid!, 'server/main.ts'), 'SIGKILL');
  const notice = await start.waitFor(/The server stopped \(signal SIGKILL\)\. The workstation keeps running[^\n]*\n[^\n]*\n {2}([^\n]+)\n/);
  const command = notice[1]!;
  expect(command).toBe(`PORT=${String(serverPort)} DATA_DIR=${root} SMTP_PORT=0 npm run demo:server`);
  expect(start.child.exitCode).toBeNull();
  expect(await status(`${deskUrl}/`)).toBe(200);
  await expect(page.getByText(/^Offline since \d{2}:\d{2}$/)).toBeVisible({ timeout: 30_000 });
  const retry = page.getByRole('button', { name: 'Retry now' });
  await expect(retry).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('offline-retry-en.png') });
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.getByRole('button', { name: '立即重试' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('offline-retry-zh.png') });
  await page.getByLabel('语言').selectOption('en');
  // Retrying while the server is still down changes nothing but does no harm.
  await retry.click();
  await expect(retry).toBeEnabled();
  await expect(page.getByText(/^Offline since \d{2}:\d{2}$/)).toBeVisible();

  // ---- The printed command, run as printed, brings back the server WITH the demo channels. ---
  restarted = watch(spawn('sh', ['-c', command], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  await restarted.waitFor(/Demo server at http:\/\/127\.0\.0\.1:\d+/);
  expect(await status(`${serverUrl}/chat/?site=demo`)).toBe(200);
  // The agent presses "Retry now" whenever it shows (between two attempts of the backoff, which
  // by now waits up to 45 s): Online, without waiting the backoff out. One look at the button
  // could fall on an attempt in flight ("Connecting", no button) and then wait out the backoff.
  const online = page.getByText('Online', { exact: true });
  await expect(async () => {
    if (await retry.isVisible()) await retry.click({ timeout: 1_000 }).catch(() => undefined);
    const badge = page.locator('.connection-badge');
    const shown = `${(await badge.textContent()) ?? ''} (${(await badge.getAttribute('title')) ?? 'no problem named'})`;
    await expect(online, `the connection badge reads ${shown}`).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(retry).toHaveCount(0);

  // ---- Ctrl-C of npm start stops what it still runs. ---------------------------------
  start.child.kill('SIGINT');
  expect(await start.exited).toBe(0);
  expect(await status(`${deskUrl}/`)).toBe('ECONNREFUSED');
  process.kill(-restarted.child.pid!, 'SIGINT');
  await restarted.exited;
  await context.close();
});
