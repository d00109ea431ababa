/**
 * The organisation's time zone (shared/timeZone.ts) from an admin's change to an agent's
 * workstation core: the real server (demo organisation, SQLite) pushes `org:settings` on
 * connect and after `admin:setPolicies`; the agent's core passes it on as the `organisation`
 * event and in its session, and remembers it for a start without the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { RpcEvents } from '../../shared/rpc.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

describe('the organisation time zone reaches a workstation core', () => {
  let root: string;
  let server: RunningServer;
  let agent: WorkstationCore | null = null;
  let admin: WorkstationCore | null = null;
  const heard: Array<RpcEvents['organisation']> = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-tz-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    agent.onEvent((event, payload) => {
      if (event === 'organisation') heard.push(payload as RpcEvents['organisation']);
    });
    admin = await createWorkstationCore({ dataDir: path.join(root, 'admin1'), serverUrl: server.url });
  });

  afterAll(async () => {
    await agent?.close();
    await admin?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is Asia/Shanghai on a server that never set one', async () => {
    const session = await call(agent!, 'session.signIn', { username: 'agent1', password: 'demo' });
    expect(session.timeZone).toBe('Asia/Shanghai');
    await waitUntil(agent!, 'agent1 is online', onlineAndIdle(agent!));
    expect((await call(agent!, 'session.get', {})).timeZone).toBe('Asia/Shanghai');
  });

  it("an admin's change reaches the agent's core at once, and an unknown zone is refused", async () => {
    await call(admin!, 'session.signIn', { username: 'admin1', password: 'demo' });
    await waitUntil(admin!, 'admin1 is online', onlineAndIdle(admin!));
    const { policies } = await call(admin!, 'admin.policies', {});

    const refused = await admin!.invoke('admin.setPolicies', { policies: { ...policies, timeZone: 'Mars/Olympus' } });
    expect(refused.ok).toBe(false);
    expect((await call(admin!, 'admin.policies', {})).policies.timeZone).toBe('Asia/Shanghai');

    const saved = await call(admin!, 'admin.setPolicies', { policies: { ...policies, timeZone: 'Europe/Berlin' } });
    expect(saved.policies.timeZone).toBe('Europe/Berlin');
    await waitUntil(agent!, "agent1's core hears Europe/Berlin", () => heard.some((event) => event.timeZone === 'Europe/Berlin'));
    expect((await call(agent!, 'session.get', {})).timeZone).toBe('Europe/Berlin');
    const [entry] = await call(admin!, 'admin.audit', {});
    expect(entry).toMatchObject({ action: 'policies_set', before: { timeZone: 'Asia/Shanghai' }, after: { timeZone: 'Europe/Berlin' } });
  });

  it('keeps the zone for a start while the server cannot be reached', async () => {
    await agent!.close();
    agent = null;
    await server.close();
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    const session = await call(agent, 'session.get', {});
    expect(session.user?.username).toBe('agent1');
    expect(session.connection.status).not.toBe('online');
    expect(session.timeZone).toBe('Europe/Berlin');
  });
});
