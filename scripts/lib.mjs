/**
 * Helpers shared by the npm scripts: where things are, whether Electron can run here,
 * running build steps, and supervising long-running children (server, workstation).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_SERVER_PORT = 4780;
export const DEFAULT_WORKSTATION_PORT = 4781;
export const RENDERER_INDEX = path.join(REPO_ROOT, 'dist', 'renderer', 'index.html');
export const ELECTRON_MAIN = path.join(REPO_ROOT, 'dist', 'electron', 'main', 'electron', 'main.js');

export function localBin(name) {
  return path.join(REPO_ROOT, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
}

/**
 * Finds the Electron binary WITHOUT `require('electron')`, which would start a download
 * when the binary is missing. Returns `{ path }` or `{ path: null, reason }`.
 */
export function findElectronBinary() {
  const packageDir = path.join(REPO_ROOT, 'node_modules', 'electron');
  if (!existsSync(path.join(packageDir, 'package.json'))) {
    return { path: null, reason: 'the electron package is not in node_modules' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const binary = path.join(override, relative || 'electron');
    return existsSync(binary) ? { path: binary } : { path: null, reason: `no binary at ELECTRON_OVERRIDE_DIST_PATH (${binary})` };
  }
  if (!relative) return { path: null, reason: 'no binary in node_modules/electron/dist' };
  const binary = path.join(packageDir, 'dist', relative);
  return existsSync(binary) ? { path: binary } : { path: null, reason: `no binary at ${path.relative(REPO_ROOT, binary)}` };
}

/**
 * better-sqlite3-multiple-ciphers (SQLite with encryption; the server's and the cache's only native module) is built for ONE ABI: Node's (after npm ci) or Electron's
 * (after `npm run desktop`). This asks a runtime whether it can open a database.
 */
export function canLoadBetterSqlite(runtime) {
  const probe = "const D=require('better-sqlite3-multiple-ciphers');new D(':memory:').close()";
  const result = spawnSync(runtime.command, [...runtime.args, '-e', probe], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...runtime.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return result.status === 0;
}

/** How to run TypeScript entry points: plain Node, or Electron acting as Node (same ABI as the desktop). */
export function nodeRuntime() {
  return { command: process.execPath, args: [], env: {} };
}

export function electronAsNodeRuntime(electronBinary) {
  return { command: electronBinary, args: [], env: { ELECTRON_RUN_AS_NODE: '1' } };
}

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

/** True when dist/renderer/index.html is missing or older than anything the renderer is built from. */
export function rendererIsStale() {
  if (!existsSync(RENDERER_INDEX)) return true;
  const built = statSync(RENDERER_INDEX).mtimeMs;
  const sources = ['renderer', 'shared', 'vite.config.ts', 'vite.config.js', 'index.html'].map((p) => path.join(REPO_ROOT, p));
  return sources.some((source) => newestMtime(source) > built);
}

/** Runs a command to completion with inherited output; rejects with a clear message when it fails. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit', ...options, env: { ...process.env, ...options.env } });
    child.once('error', (error) => reject(new Error(`Could not run ${command}: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

export async function buildRendererIfStale() {
  if (!rendererIsStale()) return;
  console.log('Building the renderer (vite build)…');
  await run(localBin('vite'), ['build']);
}

export async function buildElectronMain() {
  console.log('Compiling the Electron main process and preload (tsc -p tsconfig.electron.json)…');
  await run(localBin('tsc'), ['-p', 'tsconfig.electron.json']);
}

/** Polls `url` until it answers 2xx; fails early if `isDead()` says the child already exited. */
export async function waitForHttp(url, { timeoutMs = 60_000, isDead = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    if (isDead()) throw new Error(`it exited before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no answer from ${url} within ${timeoutMs / 1000} s (${lastProblem})`);
}

/**
 * Keeps long-running children together: Ctrl-C (SIGINT) or SIGTERM stops them all; a child
 * that exits on its own stops the others too, with a message saying which one and why.
 * Options of `start`:
 * - `whenStopped` (text): this child ending on its own leaves the others running and prints
 *   the text instead (npm start's server: the workstation goes on, offline).
 * - `finalOnExit` (the Electron app): exiting with code 0 (the user closed the window) ends
 *   the session cleanly.
 * - `onOutput(line)`: the child's stdout is passed through and each line handed to it.
 */
export function createSupervisor() {
  const children = [];
  let stopping = false;
  const isAlive = (entry) => entry.child.exitCode === null && entry.child.signalCode === null;

  async function stopAll(exitCode) {
    if (stopping) return;
    stopping = true;
    for (const entry of children) {
      if (isAlive(entry)) entry.child.kill('SIGTERM');
    }
    const deadline = setTimeout(() => {
      for (const entry of children) {
        if (isAlive(entry)) entry.child.kill('SIGKILL');
      }
    }, 10_000);
    await Promise.all(children.map((entry) => entry.exited));
    clearTimeout(deadline);
    process.exit(exitCode);
  }

  const onSignal = (signal) => {
    if (stopping) return;
    const running = children.filter(isAlive).map((entry) => entry.name);
    console.log(`\n${signal}: stopping ${running.length > 0 ? running.join(' and ') : 'everything'}…`);
    void stopAll(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    start(name, command, args, { env = {}, finalOnExit = false, whenStopped = null, onOutput = null } = {}) {
      const child = spawn(command, args, {
        cwd: REPO_ROOT,
        stdio: ['inherit', onOutput ? 'pipe' : 'inherit', 'inherit'],
        env: { ...process.env, ...env },
      });
      if (onOutput) {
        createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
          process.stdout.write(`${line}\n`);
          onOutput(line);
        });
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const entry = { name, child, exited };
      children.push(entry);
      child.once('error', (error) => {
        if (stopping) return;
        console.error(`\nCould not start the ${name}: ${error.message}. Stopping everything.`);
        void stopAll(1);
      });
      child.once('exit', (code, signal) => {
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (finalOnExit && code === 0) {
          console.log(`\nThe ${name} closed; stopping the rest.`);
          void stopAll(0);
          return;
        }
        if (whenStopped && children.some(isAlive)) {
          console.error(`\nThe ${name} stopped (${how}). ${whenStopped}`);
          return;
        }
        console.error(`\nThe ${name} stopped unexpectedly (${how}); stopping everything.`);
        void stopAll(1);
      });
      return { child, isDead: () => !isAlive(entry) };
    },
    stopAll,
  };
}

/** Quotes a value for a POSIX shell command line when it needs it. */
export function shellQuote(value) {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** Reads `--name value` / `--name=value` and boolean `--flag` from argv. */
export function readArg(argv, name) {
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

export function hasFlag(argv, name) {
  return argv.includes(`--${name}`);
}

export function fail(message) {
  console.error(message);
  process.exit(1);
}
