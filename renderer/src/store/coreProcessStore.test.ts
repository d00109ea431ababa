/**
 * The renderer store over the desktop app's arrangement: the REAL core in a separate process
 * (a forked Node process standing in for Electron's utility process) behind the supervised
 * proxy, against the REAL server. Killing that process shows the notice, the restarted core
 * resumes the session and the store reloads; past the restart limit the notice says so and
 * calls fail with a localised `core_unavailable`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keyFileProtector } from '../../../main/core/cacheKeys.js';
import { superviseCoreProcess, type SupervisedCore } from '../../../main/core/coreSupervisor.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { forkCoreHost, type ForkedCoreHost } from '../../../main/core/testing/forkCoreHost.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import type { CoreProcessState } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { errorText } from '../components/errorText.js';
import { translate, type MessageKey, type TranslateVars } from '../i18n.js';
import { initStore, type AppStore } from './appStore.js';

let server: TestServer;
let core: SupervisedCore;
let store: AppStore;
let dispose: () => void;
let ticketId: string;
const hosts: ForkedCoreHost[] = [];
const notices: Array<CoreProcessState | null> = [];

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [{ username: 'agent_li', displayName: '李静', channels: ['chat'] }]);
  const inbound = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, subject: '退款进度', text: '退款什么时候到账？' }),
    TEST_INTEGRATION_TOKEN,
  );
  ticketId = (inbound.body as { ticketId: string }).ticketId;
  // Inside the server's temp folder, so stopping the server removes the cache and the key file too.
  const dataDir = `${server.dataDir}/workstation`;
  core = superviseCoreProcess({
    start: () => {
      const host = forkCoreHost(dataDir, server.url);
      hosts.push(host);
      return host;
    },
    keyProtector: keyFileProtector(`${server.dataDir}/main-keys`),
    maxRestarts: 1,
    restartDelayMs: () => 0,
    log: () => {},
  });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  store.subscribe((state, previous) => {
    if (state.coreProcess !== previous.coreProcess) notices.push(state.coreProcess);
  });
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true), { timeout: 20_000 });
}, 60_000);

afterAll(async () => {
  dispose?.();
  await core?.close();
  for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) host.kill();
  await server?.stop();
});

describe('the renderer store with the core in its own process', () => {
  it('signs in and shows the inbox through the process', async () => {
    expect(await store.getState().signIn('agent_li', TEST_PASSWORD)).toBe(true);
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toContain(ticketId), { timeout: 20_000 });
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 20_000 });
  });

  it('shows the restart while the process comes back, then the same session and inbox', async () => {
    hosts.at(-1)!.kill();
    await vi.waitFor(() => expect(notices.at(-1)).toBeNull(), { timeout: 30_000 });
    expect(notices).toEqual([{ status: 'restarting', restarts: 1, exitCode: null }, null]);
    expect(store.getState().user?.username).toBe('agent_li');
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 20_000 });
    expect(store.getState().rows.map((r) => r.id)).toContain(ticketId);
  });

  it('says the service failed when it keeps stopping, and calls fail with a localised core_unavailable', async () => {
    hosts.at(-1)!.kill();
    await vi.waitFor(() => expect(store.getState().coreProcess?.status).toBe('failed'), { timeout: 30_000 });
    const outcome = await core.invoke('session.get', {});
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe('core_unavailable');
    const zh = (key: MessageKey, vars?: TranslateVars) => translate('zh-CN', key, vars);
    expect(errorText(zh, outcome.error)).toBe('工作台服务在响应前停止了。请重试；如果反复出现，请重新启动 OmniDesk。');
    expect(translate('zh-CN', 'coreProcess.failed')).toContain('已不再自动重启');
  });
});
