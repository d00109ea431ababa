/**
 * `npm run typecheck`: `tsc --noEmit` for every runtime's tsconfig (one per runtime, so
 * Node types cannot leak into the renderer and DOM types cannot leak into the server).
 */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, localBin } from './lib.mjs';

const PROJECTS = ['tsconfig.shared.json', 'tsconfig.node.json', 'tsconfig.electron.json', 'tsconfig.renderer.json', 'tsconfig.tests.json'];
const failed = [];
for (const project of PROJECTS) {
  console.log(`tsc --noEmit -p ${project}`);
  const result = spawnSync(localBin('tsc'), ['--noEmit', '-p', project], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) failed.push(project);
}
if (failed.length > 0) {
  console.error(`Type errors in: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`Types OK in all ${PROJECTS.length} projects.`);
