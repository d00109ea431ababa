/**
 * The inbox of a lead holding 100,000 tickets, in Chromium: a workstation process (core +
 * browser host, as `npm start` runs it) bootstraps the bench server's tickets, then the
 * list is scrolled from the first row to the last in 200 steps, one per animation frame,
 * and the page's long tasks (> 50 ms, the Long Tasks API) are counted meanwhile. Reports
 * `inbox_scroll_longtasks` (the target is 0), `inbox_scroll_longtask_max_ms` and the time
 * until the last row is shown. Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 * `BENCH_TRACE=<file.json>` also records a Chromium performance trace of the scroll (tasks,
 * JavaScript samples), to see what runs in each long task.
 */
import { chromium, type Page } from '@playwright/test';
import { copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorkstationProcess } from '../e2e/stack.js';
import { makeBenchDir, progress, removeDir, reportMetric, scaled, startBenchChild } from './benchSupport.js';
import type { SeededBootstrapServer } from './bootstrapServer.js';

const SCROLL_STEPS = 200;

export async function measureInboxScroll(): Promise<void> {
  const tickets = scaled(100_000, 1000);
  progress(`inbox scroll: seeding ${String(tickets)} tickets in a server child process`);
  const child = startBenchChild('bootstrapServer.ts', [String(tickets)]);
  const dir = makeBenchDir('inbox-scroll');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  let desk: Awaited<ReturnType<typeof startWorkstationProcess>> | null = null;
  let page: Page | null = null;
  try {
    const seeded = await child.next<SeededBootstrapServer>(15 * 60_000);
    desk = await startWorkstationProcess({ serverUrl: seeded.url, dataDir: path.join(dir, 'lead') });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await page.goto(desk.url);
    await page.getByLabel('Username').fill(seeded.lead.username);
    await page.getByLabel('Password').fill(seeded.lead.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    progress('inbox scroll: the workstation bootstraps the cache');
    // Signing in and the first screen can take minutes on a machine shared with other jobs.
    await page.getByRole('combobox', { name: 'Status filter' }).selectOption('', { timeout: 5 * 60_000 });
    const count = page.locator('.inbox-count');
    const everything = `Showing ${tickets.toLocaleString('en')} of ${tickets.toLocaleString('en')}`;
    await count.filter({ hasText: everything }).waitFor({ timeout: 15 * 60_000 });
    await page.waitForTimeout(2000);

    progress(`inbox scroll: ${String(SCROLL_STEPS)} steps from the first row to the last`);
    await page.evaluate(() => {
      // The page's PerformanceObserver (the bench compiles against Node's types, which know no `longtask`).
      const state = globalThis as unknown as {
        longTasks: number[];
        PerformanceObserver: new (callback: (list: { getEntries(): Array<{ duration: number }> }) => void) => { observe(options: { type: string }): void };
      };
      state.longTasks = [];
      new state.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) state.longTasks.push(entry.duration);
      }).observe({ type: 'longtask' });
    });
    const tracePath = process.env.BENCH_TRACE;
    if (tracePath) {
      await browser.startTracing(page, {
        path: tracePath,
        categories: [
          'toplevel',
          'devtools.timeline',
          'disabled-by-default-devtools.timeline',
          'v8',
          'v8.execute',
          'disabled-by-default-v8.cpu_profiler',
          'blink.user_timing',
        ],
      });
    }
    const start = performance.now();
    // No named functions inside: tsx would wrap them in a helper the page does not have.
    await page.locator('.inbox-scroller').evaluate(async (element: { scrollTop: number; scrollHeight: number; clientHeight: number }, steps: number) => {
      const page = globalThis as unknown as { requestAnimationFrame: (callback: () => void) => number };
      for (let step = 1; step <= steps; step++) {
        element.scrollTop = ((element.scrollHeight - element.clientHeight) * step) / steps;
        await new Promise<void>((resolve) => {
          page.requestAnimationFrame(resolve);
        });
      }
    }, SCROLL_STEPS);
    await page.locator(`.inbox-list [data-index="${String(tickets - 1)}"][data-ticket-id]`).waitFor({ timeout: 180_000 });
    const lastRowMs = performance.now() - start;
    await page.waitForTimeout(500);
    if (tracePath) await browser.stopTracing();
    const longTasks = await page.evaluate(() => (globalThis as unknown as { longTasks: number[] }).longTasks);
    reportMetric('inbox_scroll_tickets', tickets);
    reportMetric('inbox_scroll_longtasks', longTasks.length);
    reportMetric('inbox_scroll_longtask_max_ms', longTasks.length === 0 ? 0 : Math.max(...longTasks));
    reportMetric('inbox_scroll_to_last_row_ms', lastRowMs);
  } catch (error) {
    // What the page showed and what the workstation logged, kept past the bench directory's removal.
    const kept = path.join(os.tmpdir(), 'inbox-scroll-failure');
    await page?.screenshot({ path: `${kept}.png` }).catch(() => undefined);
    try {
      copyFileSync(path.join(dir, 'lead', 'workstation.log'), `${kept}-workstation.log`);
    } catch {
      // No workstation log yet.
    }
    progress(`inbox scroll: failed; the page and the workstation's log are in ${kept}.png / ${kept}-workstation.log`);
    throw error;
  } finally {
    await browser.close();
    await desk?.stop();
    await child.stop();
    removeDir(dir);
  }
}
