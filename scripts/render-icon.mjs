/**
 * Renders resources/icon.svg to resources/icon.png (512×512, transparent corners) with
 * Debian's Chromium, for electron-builder. Run after editing the SVG:
 *   node scripts/render-icon.mjs
 */
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './lib.mjs';

const svg = readFileSync(path.join(REPO_ROOT, 'resources', 'icon.svg'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 512, height: 512 } });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(REPO_ROOT, 'resources', 'icon.png'), omitBackground: true });
  console.log('Wrote resources/icon.png');
} finally {
  await browser.close();
}
