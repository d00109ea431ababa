/**
 * What the core's tests against a server without the demo organisation share (an outage,
 * retries, the encrypted cache, a refused reply's text, an outdated workstation, a draft orphaned
 * by a reassignment): for each test a temporary folder with a server over its `server` folder,
 * which the test seeds in a beforeEach of its own; cores over data folders beside it that
 * reconnect quickly; the server stopped and started again on its port over the same data; and
 * after each test everything closed and removed. The server's start function comes from the
 * test, as in offlineAgent.ts: main/core may not import server/ (layer rule), a test file may.
 */
import { afterEach, beforeEach } from 'vitest';
import type { WorkstationCore, WorkstationCoreOptions } from '../api.js';
import { holdTestServer, type StartTestServer, type TestServer } from './testServerHolder.js';

/** Its functions stand alone (no `this`): a test may take them off the fixture. */
export interface SeededServerFixture<S extends TestServer> {
  /** The server's port, the same after a restart. */
  readonly port: number;
  /** The server's data folder (its database file), the same after a restart. */
  serverDir: () => string;
  /** A workstation's data folder in the test's folder (its caches and settings). */
  dataDir: (name?: string) => string;
  /** The running server; throws while it is stopped. */
  server: () => S;
  /**
   * A core over `name`'s data folder and this server, reconnecting after 20 ms and at most every
   * 200 ms unless `overrides` say otherwise; closed after the test.
   */
  newCore: (name?: string, overrides?: Partial<WorkstationCoreOptions>) => Promise<WorkstationCore>;
  /** Closes a core before the test ends (a restart of the workstation). */
  closeCore: (core: WorkstationCore) => Promise<void>;
  /** Stops the server, if it runs. */
  stopServer: () => Promise<void>;
  /** The server again on its port and over its data, stopped first if it runs; `startAgain` starts it with other options. */
  restartServer: (startAgain?: StartTestServer<S>) => Promise<S>;
}

/** Registers the hooks of one `describe`: a server of its own before each test, everything removed after. */
export function seededServerFixture<S extends TestServer>(name: string, start: StartTestServer<S>): SeededServerFixture<S> {
  const held = holdTestServer(name, start);
  beforeEach(held.setUp);
  afterEach(held.tearDown);

  return {
    get port() {
      return held.port();
    },
    serverDir: () => held.dir('server'),
    dataDir: (folder = 'agent1') => held.dir(folder),
    server: held.running,
    newCore: (folder = 'agent1', overrides = {}) => held.openCore(folder, { reconnectDelayMs: 20, reconnectDelayMaxMs: 200, ...overrides }),
    closeCore: held.closeCore,
    stopServer: held.stop,
    restartServer: held.restart,
  };
}
