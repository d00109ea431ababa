/**
 * `npm run test:unit`: Vitest with its usual output plus a JSON report, closed by one plain
 * `N passed, N failed` line read from that report (the line CI looks for). Fails when any
 * test or test file failed, or when no test ran at all.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, localBin } from './lib.mjs';

const reportFile = path.join(REPO_ROOT, 'test-results', 'vitest.json');
mkdirSync(path.dirname(reportFile), { recursive: true });
rmSync(reportFile, { force: true });

const result = spawnSync(localBin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
});

let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch (error) {
  console.error(`No Vitest JSON report at ${path.relative(REPO_ROOT, reportFile)} (${error.message}); vitest exited with ${result.status ?? result.signal}.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// numFailedTestSuites counts describe blocks too (one failed test in two nested describes made it 3): count files.
const failedFiles = (report.testResults ?? []).filter((file) => file.status === 'failed').length;
const total = report.numTotalTests ?? passed + failed + skipped;

const problems = [];
if (result.status !== 0) problems.push(`vitest exited with ${result.status ?? result.signal}`);
if (failedFiles > 0) problems.push(`${failedFiles} test file(s) failed`);
if (total === 0) problems.push('no tests ran');
console.log(`Vitest: ${total} tests in ${report.testResults?.length ?? '?'} files, ${skipped} skipped${problems.length ? `; ${problems.join('; ')}` : ''}`);
// A file that fails to load has no failed tests of its own; count it so the line never reads "0 failed" on a failure.
const failedCount = failed > 0 || problems.length === 0 ? failed : Math.max(failedFiles, 1);
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(problems.length > 0 || failed > 0 ? 1 : 0);
