/**
 * `npm run desktop -- [--server <url>]`: the real Electron app from this checkout. Builds
 * the renderer and the main process, rebuilds better-sqlite3-multiple-ciphers for Electron's ABI, launches
 * Electron. The rebuild happens here (and in packaging), never in postinstall: on machines
 * that cannot fetch Electron's headers it silently builds for the wrong ABI.
 *
 * Afterwards better-sqlite3-multiple-ciphers is built for Electron; "npm rebuild better-sqlite3-multiple-ciphers" returns it
 * to Node for the server and the tests.
 */
import { buildElectronMain, createSupervisor, fail, findElectronBinary, localBin, readArg, run } from './lib.mjs';

const argv = process.argv.slice(2);
const electron = findElectronBinary();
if (!electron.path) {
  fail(
    `Electron is not installed on this machine (${electron.reason}). Install its binary ("npx install-electron" on a machine that can download it), ` +
      'or use browser mode: npm run workstation -- --browser',
  );
}
const serverUrl = readArg(argv, 'server') ?? process.env.OMNIDESK_SERVER_URL ?? 'http://127.0.0.1:4780';

try {
  console.log('Building the renderer (vite build)…');
  await run(localBin('vite'), ['build']);
  await buildElectronMain();
  console.log("Rebuilding native modules for Electron's ABI (electron-builder install-app-deps)…");
  await run(localBin('electron-builder'), ['install-app-deps']);
} catch (error) {
  fail(`Could not prepare the desktop app: ${error.message}`);
}

console.log(
  'Note: better-sqlite3-multiple-ciphers is now built for Electron; run "npm rebuild better-sqlite3-multiple-ciphers" before using it from Node (server, tests).',
);
const supervisor = createSupervisor();
supervisor.start('desktop app', electron.path, ['.', '--server', serverUrl], { finalOnExit: true });
