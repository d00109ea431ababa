/**
 * What the core's offline tests share: a demo server in a temporary folder, agent1's core signed
 * in and online, the server stopped so the core works offline, and the server started again on
 * its port over the same data. The server's start function comes from the test: main/core may
 * not import server/ (layer rule), a test file may.
 */
import { afterAll, beforeAll } from 'vitest';
import type { WorkstationCore, WorkstationCoreOptions } from '../api.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './coreCalls.js';
import { holdTestServer, type StartTestServer, type TestServer } from './testServerHolder.js';

export type { StartTestServer, TestServer } from './testServerHolder.js';

export interface OfflineAgentFixture<S extends TestServer> {
  /** The agent's data folder (its cache and settings). */
  readonly agentDir: string;
  /** Another workstation's data folder, `name` beside the agent's. */
  dataDir(name: string): string;
  /** The running server; throws while it is stopped. */
  server(): S;
  /**
   * A core over agent1's data folder, not signed in (a restart of the workstation); closed after
   * the tests. `overrides` change its options (another data folder, a skewed clock).
   */
  openCore(overrides?: Partial<WorkstationCoreOptions>): Promise<WorkstationCore>;
  /** agent1's core, signed in and online; closed after the tests. */
  signInAgent(overrides?: Partial<WorkstationCoreOptions>): Promise<WorkstationCore>;
  /** The core `signInAgent` made last, for a later test of the same `describe`. */
  agent(): WorkstationCore;
  /** Stops the server (the cores notice when they do). */
  stopServer(): Promise<void>;
  /** Stops the server and waits until the core says offline. */
  goOffline(core: WorkstationCore): Promise<void>;
  /** The server again, on its port and over its data. */
  restartServer(): Promise<S>;
}

/** Registers the hooks of one `describe`: the server before its tests, everything removed after. */
export function offlineAgentFixture<S extends TestServer>(name: string, start: StartTestServer<S>): OfflineAgentFixture<S> {
  const held = holdTestServer(name, start);
  beforeAll(held.setUp);
  afterAll(held.tearDown);

  return {
    get agentDir() {
      return held.dir('agent1');
    },
    dataDir: held.dir,
    server: held.running,
    agent() {
      const core = held.lastCore();
      if (!core) throw new Error('no core signed in yet');
      return core;
    },
    openCore: (overrides) => held.openCore('agent1', overrides),
    async signInAgent(overrides) {
      const core = await held.openCore('agent1', overrides);
      await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
      await waitUntil(core, 'online', onlineAndIdle(core));
      return core;
    },
    async stopServer() {
      held.running();
      await held.stop();
    },
    async goOffline(core) {
      held.running();
      await held.stop();
      await waitUntil(core, 'the core notices the server is gone', async () => (await connectionOf(core)).status === 'offline');
    },
    restartServer: () => held.restart(),
  };
}
