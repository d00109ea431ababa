/**
 * The agent's workstation says why it went Away when the server's idle-away set it (routing's
 * `idleAwayMs`), as it does for offers not accepted in time: against the REAL server (its routing
 * engine on a manual clock, so the idle time passes on cue) and the REAL workstation core. The
 * server's code (`idle`) reaches the store, PresenceNotice's cause stands while the agent is Away
 * for it, and goes with the one click back to Available.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { createManualScheduler, type ManualScheduler } from '../../../server/routing/scheduler.js';
import { createTestClock, seedTestOrganisation, startTestServer, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { autoAwayCause } from '../presenceChoice.js';
import type { AppStore } from './appStore.js';
import { signedInStore, STORE_WAIT } from './testing/signedInStore.js';

const IDLE_AWAY_MS = 10 * 60_000;

let server: TestServer;
let scheduler: ManualScheduler;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

beforeAll(async () => {
  const clock = createTestClock(Date.now());
  scheduler = createManualScheduler(clock);
  server = await startTestServer({ clock, scheduler, routing: { idleAwayMs: IDLE_AWAY_MS } });
  await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  ({ store, dispose } = await signedInStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    'agent_wang',
    TEST_PASSWORD,
  ));
  await vi.waitFor(() => expect(store.getState().presence?.presence).toBe('available'), STORE_WAIT);
}, 60_000);

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('Away after a while without activity', () => {
  it('reaches the agent as the server’s code, stands while they are Away for it, and goes with the one click back to Available', async () => {
    expect(autoAwayCause(store.getState().presence)).toBeNull();
    scheduler.advance(IDLE_AWAY_MS);
    await vi.waitFor(() => expect(store.getState().presence).toMatchObject({ presence: 'away', cause: 'idle', awayReason: null }), STORE_WAIT);
    expect(autoAwayCause(store.getState().presence)).toBe('idle');

    expect(await store.getState().setPresence('available')).toBe(true);
    expect(store.getState().presence).toMatchObject({ presence: 'available', cause: 'self' });
    expect(autoAwayCause(store.getState().presence)).toBeNull();
  });
});
