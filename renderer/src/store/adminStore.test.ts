/**
 * The Admin view's data from the renderer store on the REAL core and server: opened right
 * after sign-in, before the workstation's connection is up, it loads once the connection is
 * (it used to stay on "the server cannot be reached" until Refresh).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { seedTestOrganisation, startTestServer, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [{ username: 'admin_li', displayName: '李管理', channels: [], role: 'admin' }]);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error))));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('the Admin view in the store', () => {
  it('opened before the connection is up, loads the users once it is', async () => {
    await store.getState().signIn('admin_li', TEST_PASSWORD);
    // The admin clicks Admin at once: the core's socket is still connecting.
    expect(store.getState().connection.status).not.toBe('online');
    store.getState().setView('admin');
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'));
    await vi.waitFor(() => expect(store.getState().adminUsers?.map((user) => user.username)).toContain('admin_li'));
    expect(store.getState().adminError).toBeNull();
  });
});
