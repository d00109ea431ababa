/**
 * Starts the real parts for end-to-end tests as child processes: the sync server
 * (`server/main.ts`) and a workstation in browser mode (`main/web/main.ts`, core + browser
 * host). Each child's output goes to a log file in its data folder, printed when it fails
 * to start; `stop` kills the child by PID and waits for it to exit. A workstation's `url` is
 * the launch link it prints (with its per-launch key), what a user opens.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import type { Browser, TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** A child process of the stack, reachable at `url`. */
export interface RunningProcess {
  /** The server's base URL; a workstation's launch link (`http://127.0.0.1:<port>/#k=…`), which pages must open. */
  url: string;
  port: number;
  pid: number;
  /** Where the child's stdout and stderr go. */
  logFile: string;
  /** Sends `signal` (default SIGTERM), then SIGKILL if it has not exited within 10 s; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Binds port 0 on loopback to learn a free port, then releases it for the child. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `env` adds variables for the server, e.g. `OFFER_TIMEOUT_MS` for a short routing offer timeout. */
export async function startServerProcess(opts: { dataDir: string; demo?: boolean; port?: number; env?: Record<string, string> }): Promise<RunningProcess> {
  const port = opts.port ?? (await findFreePort());
  const url = `http://127.0.0.1:${String(port)}`;
  return startChild({
    name: 'server',
    script: 'server/main.ts',
    args: opts.demo ? ['--demo'] : [],
    // SMTP_PORT 0: a demo server's mail receiver takes a free port, not the shared 2525.
    env: { ...(opts.demo ? { SMTP_PORT: '0' } : {}), ...opts.env, PORT: String(port), DATA_DIR: opts.dataDir },
    dataDir: opts.dataDir,
    url,
    port,
    readyUrl: `${url}/healthz`,
  });
}

/** `env` adds variables for the workstation, e.g. `WORKSTATION_SEATS` for fewer seats side by side. */
export async function startWorkstationProcess(opts: {
  serverUrl: string;
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<RunningProcess> {
  const port = opts.port ?? (await findFreePort());
  const url = `http://127.0.0.1:${String(port)}`;
  return startChild({
    name: 'workstation',
    script: 'main/web/main.ts',
    args: ['--server', opts.serverUrl, '--port', String(port)],
    env: { ...opts.env, DATA_DIR: opts.dataDir },
    dataDir: opts.dataDir,
    url,
    port,
    readyUrl: `${url}/`,
    printsLaunchLink: true,
  });
}

/** The launch link main/web/main.ts prints: the host's URL with this start's key. */
const LAUNCH_LINK = /(http:\/\/127\.0\.0\.1:\d+\/#k=[A-Za-z0-9_-]+)/;

interface ChildSpec {
  name: string;
  script: string;
  args: string[];
  env: Record<string, string>;
  dataDir: string;
  url: string;
  port: number;
  readyUrl: string;
  /** Ready only once the child printed its launch link, which becomes its `url`. */
  printsLaunchLink?: boolean;
}

async function startChild(spec: ChildSpec): Promise<RunningProcess> {
  mkdirSync(spec.dataDir, { recursive: true });
  const logFile = path.join(spec.dataDir, `${spec.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    log.once('open', () => resolve());
    log.once('error', reject);
  });

  // `node --import tsx` runs the TypeScript in ONE process, so the PID we kill is the
  // program itself (the `tsx` CLI would put a second node process in between).
  const child = spawn(process.execPath, ['--import', 'tsx', spec.script, ...spec.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...spec.env, NODE_ENV: process.env.NODE_ENV ?? 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let printed = '';
  let launchLink: string | null = null;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (launchLink !== null || !spec.printsLaunchLink) return;
    printed += chunk.toString('utf8');
    launchLink = LAUNCH_LINK.exec(printed)?.[1] ?? null;
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) {
    const spawnError = await new Promise<Error>((resolve) => child.once('error', resolve));
    log.end();
    throw new Error(`Could not start the ${spec.name} (${spec.script}): ${spawnError.message}`);
  }

  let stopping: Promise<void> | null = null;
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    stopping ??= stopChild(signal);
    return stopping;
  };
  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, signal);
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => log.end(() => resolve()));
  };

  try {
    await waitUntilReady(spec, child, () => !spec.printsLaunchLink || launchLink !== null);
  } catch (error) {
    await stop('SIGKILL');
    const output = safeRead(logFile);
    console.error(`---- ${spec.name} log (${logFile}) ----\n${output}\n---- end of ${spec.name} log ----`);
    throw error;
  }
  return { url: launchLink ?? spec.url, port: spec.port, pid, logFile, stop };
}

async function waitUntilReady(spec: ChildSpec, child: ChildProcess, printedEnough: () => boolean): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The ${spec.name} (${spec.script}) exited before it was ready (code ${String(child.exitCode)}, signal ${String(child.signalCode)}).`);
    }
    try {
      const response = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok && printedEnough()) return;
      lastProblem = response.ok ? 'no launch link printed yet' : `HTTP ${String(response.status)}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`The ${spec.name} did not become ready at ${spec.readyUrl} within ${String(STARTUP_TIMEOUT_MS / 1000)} s (${lastProblem}).`);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(no log)';
  }
}

/**
 * Closes every browser context a spec file left open. Call it first in each file's
 * `afterAll`: Playwright traces and screenshots every open page of the worker on every later
 * test, so a leftover workstation page (with its live timers) slows the rest of the suite.
 */
export async function closeContexts(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((context) => context.close().catch(() => undefined)));
}

/** The demo server process and two workstation processes (agent1's and lead1's) on it. */
export interface DemoStack {
  /** The stack's temporary folder; each process has its data in a sub-folder named for it (`server`, `agent1`, `lead1`), and a spec's further workstations go beside them. */
  root: string;
  server: RunningProcess;
  agentDesk: RunningProcess;
  leadDesk: RunningProcess;
  /** Stops the workstations, then the server (after `closeContexts`). */
  stop(): Promise<void>;
}

/**
 * Starts a DemoStack in a fresh temporary folder `omnidesk-e2e-<name>-…`; `serverEnv` as in
 * startServerProcess (e.g. a long `OFFER_TIMEOUT_MS` where an agent accepts offers by hand).
 */
export async function startDemoStack(name: string, serverEnv?: Record<string, string>): Promise<DemoStack> {
  const root = mkdtempSync(path.join(tmpdir(), `omnidesk-e2e-${name}-`));
  const server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true, env: serverEnv });
  const started: RunningProcess[] = [];
  try {
    started.push(await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') }));
    started.push(await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') }));
  } catch (error) {
    // A spec whose beforeAll failed has no stack to stop: leave no child behind.
    for (const child of started) await child.stop();
    await server.stop();
    throw error;
  }
  const [agentDesk, leadDesk] = started as [RunningProcess, RunningProcess];
  return {
    root,
    server,
    agentDesk,
    leadDesk,
    async stop() {
      await agentDesk.stop();
      await leadDesk.stop();
      await server.stop();
    },
  };
}

/**
 * For a spec that failed on routing: the demo server's routing audit, agents' settings and open
 * tickets, read from its database, and the ends of the server's and agent1's workstation's logs,
 * printed (CI keeps the output) and attached to the report. A flake seen once in CI then says
 * what routing did, where a screenshot only shows that nothing came.
 */
export async function reportRoutingOnFailure(stack: DemoStack | undefined, testInfo: TestInfo): Promise<void> {
  if (!stack || testInfo.status === testInfo.expectedStatus) return;
  const db = new Database(path.join(stack.root, 'server', 'server.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const audit = db.prepare('SELECT ticket_id, at, decision, assignee_id, reason FROM routing_audit ORDER BY id').all();
    const agents = db.prepare('SELECT user_id, presence, presence_cause, presence_since, capacity_json FROM agent_settings ORDER BY user_id').all();
    const tickets = db.prepare("SELECT id, channel, status, assignee_id, priority FROM tickets WHERE status NOT IN ('completed', 'closed') ORDER BY id").all();
    const lines = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join('\n');
    const logTail = (file: string) => safeRead(file).split('\n').slice(-80).join('\n');
    const body = [
      `routing audit:\n${lines(audit)}`,
      `agent settings:\n${lines(agents)}`,
      `open tickets:\n${lines(tickets)}`,
      `server log (end):\n${logTail(stack.server.logFile)}`,
      `agent1's workstation log (end):\n${logTail(stack.agentDesk.logFile)}`,
    ].join('\n');
    console.error(`---- routing trail of ${testInfo.title} ----\n${body}\n---- end of routing trail ----`);
    await testInfo.attach('routing-trail.txt', { body, contentType: 'text/plain' });
  } finally {
    db.close();
  }
}
