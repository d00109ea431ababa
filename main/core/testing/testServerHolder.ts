/**
 * What the core's integration fixtures (offlineAgent.ts, seededServer.ts) hold alike: a temporary
 * folder, the test's server over its `server` folder, stopped and started again on its port over
 * the same data, and the cores made over it, all closed and removed at the end. The fixtures call
 * `setUp` and `tearDown` from the hooks they register (once per `describe`, or per test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkstationCore, WorkstationCoreOptions } from '../api.js';
import { createWorkstationCore } from '../index.js';

export interface TestServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the test's server over `dataDir` on `port` (0 = any free port). */
export type StartTestServer<S extends TestServer> = (options: { port: number; dataDir: string }) => Promise<S>;

export interface TestServerHolder<S extends TestServer> {
  /** Makes the folder and starts the server on a free port. */
  setUp: () => Promise<void>;
  /** Closes the cores and the server, and removes the folder. */
  tearDown: () => Promise<void>;
  /** http://127.0.0.1:<port>, the same after a restart. */
  url: () => string;
  port: () => number;
  /** A folder in the test's folder (`server` is the server's). */
  dir: (name: string) => string;
  /** The running server; throws while it is stopped. */
  running: () => S;
  /** Stops the server, if it runs. */
  stop: () => Promise<void>;
  /** The server again on its port over its data, stopped first if it runs; `startAgain` starts it with other options. */
  restart: (startAgain?: StartTestServer<S>) => Promise<S>;
  /** A core over the `folder` data folder and this server (`overrides` change its options); closed at `tearDown`. */
  openCore: (folder: string, overrides?: Partial<WorkstationCoreOptions>) => Promise<WorkstationCore>;
  /** Closes a core before `tearDown`. */
  closeCore: (core: WorkstationCore) => Promise<void>;
  /** The core made last, if any. */
  lastCore: () => WorkstationCore | undefined;
}

export function holdTestServer<S extends TestServer>(name: string, start: StartTestServer<S>): TestServerHolder<S> {
  let root = '';
  let port = 0;
  let server: S | null = null;
  const cores: WorkstationCore[] = [];
  const dir = (folder: string) => path.join(root, folder);
  const url = () => `http://127.0.0.1:${String(port)}`;

  async function stop(): Promise<void> {
    const stopping = server;
    server = null;
    await stopping?.close();
  }

  return {
    async setUp() {
      root = mkdtempSync(path.join(os.tmpdir(), `core-${name}-`));
      server = await start({ port: 0, dataDir: dir('server') });
      port = server.port;
    },
    async tearDown() {
      for (const core of cores.splice(0)) await core.close();
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
    url,
    port: () => port,
    dir,
    running() {
      if (!server) throw new Error('the test server is stopped');
      return server;
    },
    stop,
    async restart(startAgain = start) {
      await stop();
      server = await startAgain({ port, dataDir: dir('server') });
      return server;
    },
    async openCore(folder, overrides = {}) {
      const core = await createWorkstationCore({ dataDir: dir(folder), serverUrl: url(), ...overrides });
      cores.push(core);
      return core;
    },
    async closeCore(core) {
      const at = cores.indexOf(core);
      if (at >= 0) cores.splice(at, 1);
      await core.close();
    },
    lastCore: () => cores.at(-1),
  };
}
