/**
 * `npm run test:e2e`: Playwright against Debian's Chromium, with the list reporter and a
 * JSON report, closed by one plain `N passed, N failed` line read from that report.
 * Fails when Chromium is missing, when any test failed, or when no test ran.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, localBin } from './lib.mjs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`Chromium is missing (${chromium}). Install it with: apt-get install -y chromium fonts-wqy-microhei (or set CHROMIUM_PATH).`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const reportFile = path.join(REPO_ROOT, 'test-results', 'playwright.json');
mkdirSync(path.dirname(reportFile), { recursive: true });
rmSync(reportFile, { force: true });

const result = spawnSync(localBin('playwright'), ['test', '--reporter=list,json', ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile },
});

let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch (error) {
  console.error(
    `No Playwright JSON report at ${path.relative(REPO_ROOT, reportFile)} (${error.message}); playwright exited with ${result.status ?? result.signal}.`,
  );
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const stats = report.stats ?? {};
const expected = stats.expected ?? 0;
const unexpected = stats.unexpected ?? 0;
const flaky = stats.flaky ?? 0;
const skipped = stats.skipped ?? 0;
const globalErrors = Array.isArray(report.errors) ? report.errors.length : 0;

const problems = [];
if (result.status !== 0) problems.push(`playwright exited with ${result.status ?? result.signal}`);
if (globalErrors > 0) problems.push(`${globalErrors} error(s) outside tests`);
if (expected + unexpected + flaky === 0) problems.push('no tests ran');
console.log(
  `Playwright: ${expected} expected, ${unexpected} unexpected, ${flaky} flaky, ${skipped} skipped${problems.length ? `; ${problems.join('; ')}` : ''}`,
);
// Flaky tests passed on a retry; they count as passed (the line above names them).
const failedCount = unexpected > 0 || problems.length === 0 ? unexpected : 1;
console.log(`${expected + flaky} passed, ${failedCount} failed`);
process.exit(problems.length > 0 || unexpected > 0 ? 1 : 0);
