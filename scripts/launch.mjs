/**
 * Starting the parts for `npm start`, `npm run workstation` and `npm run demo:server`: the
 * workstation (Electron when it can run here, otherwise browser mode — core + browser host —
 * with one line saying why), and the demo server exactly as `npm start` runs it.
 */
import path from 'node:path';
import {
  DEFAULT_SERVER_PORT,
  DEFAULT_WORKSTATION_PORT,
  buildElectronMain,
  canLoadBetterSqlite,
  electronAsNodeRuntime,
  fail,
  findElectronBinary,
  nodeRuntime,
  shellQuote,
} from './lib.mjs';

/** How long browser mode may take to print its launch link. */
const WORKSTATION_STARTUP_MS = 60_000;
/** The launch link browser mode prints (main/web/main.ts): the host's URL with this start's key. */
const LAUNCH_LINK = /https?:\/\/[^\s#]+\/#k=[A-Za-z0-9_-]+/;

/**
 * Where `npm start` puts its demo server, read from the same environment by `npm start` and
 * `npm run demo:server`: PORT (default 4780) and DATA_DIR (the root; the server's data is
 * DATA_DIR/server, default ./.data/server).
 */
export function demoServerSettings(env = process.env) {
  const port = Number(env.PORT ?? DEFAULT_SERVER_PORT);
  const dataRoot = path.resolve(env.DATA_DIR ?? './.data');
  return { port, url: `http://127.0.0.1:${port}`, dataRoot, dataDir: path.join(dataRoot, 'server') };
}

/** Starts the demo server (demo organisation and demo channels) under the supervisor. */
export function startDemoServer(supervisor, runtime, settings, options = {}) {
  const { command, args, env } = runtime;
  return supervisor.start('server', command, [...args, '--import', 'tsx', 'server/main.ts', '--demo'], {
    ...options,
    env: { ...env, PORT: String(settings.port), DATA_DIR: settings.dataDir },
  });
}

/** Settings of the demo server that a restart must repeat when they were given (secrets are left to the environment). */
const DEMO_SERVER_ENV = ['PORT', 'DATA_DIR', 'HOST', 'SMTP_PORT', 'SMTP_HOST', 'RATE_LIMITS', 'OFFER_TIMEOUT_MS', 'IDLE_AWAY_MS'];

/**
 * The command that brings back the demo server `npm start` ran — same port, same data,
 * same demo channels — for the user to paste into another terminal.
 */
export function demoServerCommand(env = process.env) {
  const given = DEMO_SERVER_ENV.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => {
    const value = name === 'DATA_DIR' ? path.resolve(env[name]) : env[name];
    return `${name}=${shellQuote(value)}`;
  });
  return [...given, 'npm run demo:server'].join(' ');
}

/**
 * What TypeScript entry points run on for `npm run demo:server`: Node when better-sqlite3
 * is built for it, else Electron acting as Node (after `npm run desktop`), as `npm start` does.
 */
export function chooseServerRuntime() {
  const node = nodeRuntime();
  if (canLoadBetterSqlite(node)) return node;
  const electron = findElectronBinary();
  if (electron.path && canLoadBetterSqlite(electronAsNodeRuntime(electron.path))) return electronAsNodeRuntime(electron.path);
  return fail('better-sqlite3 cannot be loaded by Node or Electron here: run "npm rebuild better-sqlite3" and try again.');
}

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
      console.log(
        `Electron is installed, but better-sqlite3-multiple-ciphers is built for Node, not Electron (run "npm run desktop" once to rebuild it) — starting the workstation in browser mode at ${url}`,
      );
    } else {
      return { mode: 'electron', electron: electron.path, runtime: electronAsNodeRuntime(electron.path) };
    }
  }
  if (!canLoadBetterSqlite(browser.runtime)) {
    fail(
      'better-sqlite3-multiple-ciphers cannot be loaded by Node (it was probably rebuilt for Electron by "npm run desktop"): run "npm rebuild better-sqlite3-multiple-ciphers" and try again.',
    );
  }
  return browser;
}

/** Compiles what the chosen mode needs before anything is started. */
export async function prepareWorkstation(choice) {
  if (choice.mode === 'electron') await buildElectronMain();
}

/**
 * Starts the workstation under the supervisor and waits until it is up (browser mode: until
 * it prints its launch link) or launched (Electron); stops everything when it does not come up.
 */
export async function startWorkstation(supervisor, choice, { serverUrl, dataDir }) {
  if (choice.mode === 'electron') {
    supervisor.start('workstation (Electron)', choice.electron, ['.', '--server', serverUrl], { finalOnExit: true });
    console.log(`Workstation (Electron) started — server ${serverUrl}`);
    return;
  }
  const { command, args, env } = choice.runtime;
  let settle = () => {};
  const linkPrinted = new Promise((resolve) => {
    settle = resolve;
  });
  const workstation = supervisor.start(
    'workstation',
    command,
    [...args, '--import', 'tsx', 'main/web/main.ts', '--server', serverUrl, '--port', String(choice.port)],
    {
      env: { ...env, DATA_DIR: path.resolve(dataDir) },
      onOutput: (line) => {
        if (LAUNCH_LINK.test(line)) settle(true);
      },
    },
  );
  workstation.child.once('exit', () => settle(false));
  const timer = setTimeout(() => settle(false), WORKSTATION_STARTUP_MS);
  const linkSeen = await linkPrinted;
  clearTimeout(timer);
  if (!linkSeen) {
    console.error(
      `The workstation did not come up: it printed no launch link (${workstation.isDead() ? 'it exited' : `within ${WORKSTATION_STARTUP_MS / 1000} s`}).`,
    );
    await supervisor.stopAll(1);
  }
}
