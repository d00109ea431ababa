/**
 * Starting the workstation for `npm start` and `npm run workstation`: Electron when it can
 * run here, otherwise browser mode (core + browser host) with one line saying why.
 */
import path from 'node:path';
import {
  DEFAULT_WORKSTATION_PORT,
  buildElectronMain,
  canLoadBetterSqlite,
  electronAsNodeRuntime,
  fail,
  findElectronBinary,
  nodeRuntime,
  waitForHttp,
} from './lib.mjs';

/**
 * Decides how the workstation runs. Electron needs its binary AND better-sqlite3-multiple-ciphers built for
 * its ABI (`npm run desktop` does that); browser mode needs it built for Node.
 * Returns `{ mode: 'electron', electron, runtime }` or `{ mode: 'browser', port, url, runtime }`,
 * where `runtime` is what TypeScript entry points (the server too) must run on.
 */
export function chooseWorkstationMode({ forceBrowser }) {
  const port = Number(process.env.WORKSTATION_PORT ?? DEFAULT_WORKSTATION_PORT);
  const url = `http://127.0.0.1:${port}`;
  const browser = { mode: 'browser', port, url, runtime: nodeRuntime() };
  if (!forceBrowser) {
    const electron = findElectronBinary();
    if (!electron.path) {
      console.log(`Electron is not installed on this machine (${electron.reason}) — starting the workstation in browser mode at ${url}`);
    } else if (!canLoadBetterSqlite(electronAsNodeRuntime(electron.path))) {
      console.log(`Electron is installed, but better-sqlite3-multiple-ciphers is built for Node, not Electron (run "npm run desktop" once to rebuild it) — starting the workstation in browser mode at ${url}`);
    } else {
      return { mode: 'electron', electron: electron.path, runtime: electronAsNodeRuntime(electron.path) };
    }
  }
  if (!canLoadBetterSqlite(browser.runtime)) {
    fail('better-sqlite3-multiple-ciphers cannot be loaded by Node (it was probably rebuilt for Electron by "npm run desktop"): run "npm rebuild better-sqlite3-multiple-ciphers" and try again.');
  }
  return browser;
}

/** Compiles what the chosen mode needs before anything is started. */
export async function prepareWorkstation(choice) {
  if (choice.mode === 'electron') await buildElectronMain();
}

/** Starts the workstation under the supervisor and waits until it is up (browser mode) or launched (Electron). */
export async function startWorkstation(supervisor, choice, { serverUrl, dataDir }) {
  if (choice.mode === 'electron') {
    supervisor.start('workstation (Electron)', choice.electron, ['.', '--server', serverUrl], { finalOnExit: true });
    console.log(`Workstation (Electron) started — server ${serverUrl}`);
    return;
  }
  const { command, args, env } = choice.runtime;
  const workstation = supervisor.start(
    'workstation',
    command,
    [...args, '--import', 'tsx', 'main/web/main.ts', '--server', serverUrl, '--port', String(choice.port)],
    { env: { ...env, DATA_DIR: path.resolve(dataDir) } },
  );
  try {
    await waitForHttp(`${choice.url}/`, { isDead: workstation.isDead });
  } catch (error) {
    console.error(`The workstation did not come up: ${error.message}`);
    await supervisor.stopAll(1);
  }
  console.log(`Open ${choice.url} in a browser.`);
}
