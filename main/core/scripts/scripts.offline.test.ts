/**
 * The scripts libraries in a real core against a real server (demo organisation): the cache is
 * filled on connect, a lead's new team script reaches an agent's workstation by itself, an
 * agent cannot write the team library, and with the server down — even after the workstation
 * restarts and signs in offline — the picker's data is still there while writes say `offline`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import { NO_VARIANTS, type ScriptInput } from '../../../shared/scripts.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, connectionOf, waitUntil } from '../testing/coreCalls.js';

describe('scripts on the workstation', () => {
  let root: string;
  let server: RunningServer | null = null;
  const cores: WorkstationCore[] = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-scripts-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    for (const core of cores) await core.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function signedIn(username: string, dataDir = path.join(root, username)): Promise<WorkstationCore> {
    const core = await createWorkstationCore({ dataDir, serverUrl: server!.url, reconnectDelayMs: 50, reconnectDelayMaxMs: 200 });
    cores.push(core);
    await call(core, 'session.signIn', { username, password: 'demo' });
    return core;
  }

  const titles = async (core: WorkstationCore) => (await call(core, 'scripts.list', {})).scripts.map((s) => s.title);

  it('caches the libraries, passes a lead’s change on, refuses an agent, and serves the picker with the server down', async () => {
    const agent = await signedIn('agent1');
    const lead = await signedIn('lead1');
    await waitUntil(agent, 'the scripts are cached', async () => (await call(agent, 'scripts.list', {})).fetchedAt !== null);
    expect(await titles(agent)).toEqual(expect.arrayContaining(['标准问候', '查询物流（我的）', 'Standard greeting']));
    await waitUntil(lead, 'the lead has the scripts', async () => (await call(lead, 'scripts.list', {})).fetchedAt !== null);
    expect(await titles(lead)).not.toContain('查询物流（我的）');

    const added: ScriptInput = {
      scope: 'team',
      language: 'zh',
      title: '节假日安排',
      body: '春节期间客服正常值班。',
      category: '通知',
      keyword: 'holiday',
      variants: NO_VARIANTS,
    };
    const { script } = await call(lead, 'scripts.save', { script: added });
    expect(script).toMatchObject({ scope: 'team', ownerId: null, updatedByName: '李主管' });
    await waitUntil(agent, 'the agent sees the lead’s script', async () => (await titles(agent)).includes('节假日安排'));

    const refused = await agent.invoke('scripts.save', { script: { ...added, title: '冒充' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const mine = await call(agent, 'scripts.save', { script: { ...added, scope: 'personal', title: '我的节假日' } });
    expect(mine.script.ownerId).toBe('agent1');
    expect(await titles(agent)).toContain('我的节假日');

    const serverUrl = server!.url;
    await server!.close();
    server = null;
    await waitUntil(agent, 'the agent is offline', async () => (await connectionOf(agent)).status === 'offline');
    expect(await titles(agent)).toEqual(expect.arrayContaining(['标准问候', '节假日安排', '我的节假日']));
    expect(await agent.invoke('scripts.delete', { id: mine.script.id })).toMatchObject({ ok: false, error: { code: 'offline' } });

    // A restart with the server still down: signed in from the cache, the picker's data is there.
    await agent.close();
    cores.splice(cores.indexOf(agent), 1);
    const restarted = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl, reconnectDelayMs: 50 });
    cores.push(restarted);
    const state = await call(restarted, 'session.signIn', { username: 'agent1', password: 'demo' });
    expect(state.connection.status).toBe('offline');
    expect(await titles(restarted)).toEqual(expect.arrayContaining(['标准问候', '节假日安排', '我的节假日']));
    expect(await restarted.invoke('scripts.save', { script: added })).toMatchObject({ ok: false, error: { code: 'offline' } });
  });
});
