/**
 * `npm run package -- [electron-builder args]`: builds the renderer and the main process,
 * then packages with electron-builder.yml. Extra arguments go to electron-builder, e.g.
 * the smoke test's `--linux dir -c.electronDist=<stub> -c.npmRebuild=false`.
 */
import { buildElectronMain, fail, localBin, run } from './lib.mjs';

const extra = process.argv.slice(2);
try {
  console.log('Building the renderer (vite build)…');
  await run(localBin('vite'), ['build']);
  await buildElectronMain();
  console.log(`Packaging (electron-builder --config electron-builder.yml ${extra.join(' ')})…`);
  await run(localBin('electron-builder'), ['--config', 'electron-builder.yml', ...extra]);
} catch (error) {
  fail(`Packaging failed: ${error.message}`);
}
