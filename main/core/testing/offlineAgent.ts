/**
 * What the core's offline tests share: a demo server in a temporary folder, agent1's core signed
 * in and online, the server stopped so the core works offline, and the server started again on
 * its port over the same data. The server's start function comes from the test: main/core may
 * not import server/ (layer rule), a test file may.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './coreCalls.js';

export interface TestServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a demo server over `dataDir` on `port` (0 = any free port). */
export type StartDemoServer<S extends TestServer> = (options: { port: number; dataDir: string }) => Promise<S>;

export interface OfflineAgentFixture<S extends TestServer> {
  /** The agent's data folder (its cache and settings). */
  readonly agentDir: string;
  /** The running server; throws while it is stopped. */
  server(): S;
  /** A core over agent1's data folder, not signed in (a restart of the workstation); closed after the tests. */
  openCore(): Promise<WorkstationCore>;
  /** agent1's core, signed in and online; closed after the tests. */
  signInAgent(): Promise<WorkstationCore>;
  /** The core `signInAgent` made last, for a later test of the same `describe`. */
  agent(): WorkstationCore;
  /** Stops the server and waits until the core says offline. */
  goOffline(core: WorkstationCore): Promise<void>;
  /** The server again, on its port and over its data. */
  restartServer(): Promise<S>;
}

/** Registers the hooks of one `describe`: the server before its tests, everything removed after. */
export function offlineAgentFixture<S extends TestServer>(name: string, start: StartDemoServer<S>): OfflineAgentFixture<S> {
  let root = '';
  let port = 0;
  let url = '';
  let server: S | null = null;
  const cores: WorkstationCore[] = [];
  const serverDir = () => path.join(root, 'server');

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), `core-${name}-`));
    server = await start({ port: 0, dataDir: serverDir() });
    ({ port, url } = server);
  });

  afterAll(async () => {
    for (const core of cores.splice(0)) await core.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function running(): S {
    if (!server) throw new Error('the test server is stopped');
    return server;
  }

  async function openCore(): Promise<WorkstationCore> {
    const core = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: url });
    cores.push(core);
    return core;
  }

  return {
    get agentDir() {
      return path.join(root, 'agent1');
    },
    server: running,
    agent() {
      const core = cores.at(-1);
      if (!core) throw new Error('no core signed in yet');
      return core;
    },
    openCore,
    async signInAgent() {
      const core = await openCore();
      await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
      await waitUntil(core, 'online', onlineAndIdle(core));
      return core;
    },
    async goOffline(core) {
      const stopping = running();
      server = null;
      await stopping.close();
      await waitUntil(core, 'the core notices the server is gone', async () => (await connectionOf(core)).status === 'offline');
    },
    async restartServer() {
      server = await start({ port, dataDir: serverDir() });
      return server;
    },
  };
}
