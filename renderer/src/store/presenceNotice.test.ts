/**
 * The agent's workstation says why it went Away when offers were not accepted in time, against
 * the REAL server (its routing engine, on a manual clock so the offers' deadline passes on
 * cue) and the REAL workstation core: the server's code (`offer_timeouts`) reaches the store,
 * the notice (PresenceNotice, worded in the renderer) stands while the agent is Away for it,
 * and it goes when they change presence, by its own button (back to Available) or otherwise.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { createManualScheduler, type ManualScheduler } from '../../../server/routing/scheduler.js';
import {
  createTestClock,
  postJson,
  seedTestOrganisation,
  startTestServer,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  type TestServer,
} from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { autoAwayCause } from '../presenceChoice.js';
import type { AppStore } from './appStore.js';
import { signedInStore, STORE_WAIT } from './testing/signedInStore.js';

const OFFER_TIMEOUT_MS = 20_000;

let server: TestServer;
let scheduler: ManualScheduler;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

async function inboundChat(name: string, phone: string, text: string): Promise<void> {
  await postJson(`${server.url}/api/v1/inbound`, JSON.stringify({ channel: 'chat', customer: { name, phone }, text }), TEST_INTEGRATION_TOKEN);
}

beforeAll(async () => {
  const clock = createTestClock(Date.now());
  scheduler = createManualScheduler(clock);
  server = await startTestServer({ clock, scheduler, routing: { offerTimeoutMs: OFFER_TIMEOUT_MS } });
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

/** New chats (from customers without an open ticket) the agent does not answer until routing sets them Away (two time-outs in a row). */
async function missOffersUntilAway(customers: ReadonlyArray<readonly [string, string]>): Promise<void> {
  for (const [name, phone] of customers) await inboundChat(name, phone, '你好，订单什么时候发货？');
  for (let missed = 0; store.getState().presence?.presence !== 'away'; missed++) {
    expect(missed).toBeLessThan(4);
    await vi.waitFor(() => expect(store.getState().offers.length).toBeGreaterThan(0), STORE_WAIT);
    const missing = new Set(store.getState().offers.map((offer) => offer.ticketId));
    scheduler.advance(OFFER_TIMEOUT_MS);
    // Withdrawn (the next ticket may be offered at once) or, the second miss, Away.
    await vi.waitFor(
      () => expect(store.getState().presence?.presence === 'away' || store.getState().offers.every((offer) => !missing.has(offer.ticketId))).toBe(true),
      STORE_WAIT,
    );
  }
}

describe('Away after offers went unanswered', () => {
  it('reaches the agent as the server’s code, stands while they are Away for it, and goes with the one click back to Available', async () => {
    expect(autoAwayCause(store.getState().presence)).toBeNull();
    await missOffersUntilAway([
      ['李娜', '13912340002'],
      ['陈晓燕', '15800158003'],
    ]);
    await vi.waitFor(() => expect(store.getState().presence).toMatchObject({ presence: 'away', cause: 'offer_timeouts' }), STORE_WAIT);
    expect(autoAwayCause(store.getState().presence)).toBe('offer_timeouts');

    // The notice's button: back to Available, and the notice goes with the change.
    expect(await store.getState().setPresence('available')).toBe(true);
    expect(store.getState().presence).toMatchObject({ presence: 'available', cause: 'self' });
    expect(autoAwayCause(store.getState().presence)).toBeNull();
  });

  it('goes too when the agent changes presence otherwise (Away for a meal is their own Away)', async () => {
    await missOffersUntilAway([
      ['周杰', '13700137004'],
      ['黄丽', '13600136005'],
    ]);
    await vi.waitFor(() => expect(autoAwayCause(store.getState().presence)).toBe('offer_timeouts'), STORE_WAIT);
    expect(await store.getState().setPresence('away', 'meal')).toBe(true);
    expect(store.getState().presence).toMatchObject({ presence: 'away', awayReason: 'meal', cause: 'self' });
    expect(autoAwayCause(store.getState().presence)).toBeNull();
  });
});
