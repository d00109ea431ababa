/**
 * The channel board in the renderer store, on REAL cores and the REAL server: a lead's store
 * gets the board pushed through the core and sees a contact arrive without asking; an
 * agent's store never gets one, and switching to the board view is refused to them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, makeTempDir, postJson, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { CHART_REFRESH_MS } from '../../../shared/charts.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { CHART_RETRY_MS } from './boardSlice.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let root: string;
const cores: WorkstationCore[] = [];
const disposers: Array<() => void> = [];

async function signedInStore(username: string): Promise<AppStore> {
  const core = await createWorkstationCore({ dataDir: `${root}/${username}`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  cores.push(core);
  const { store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error)));
  disposers.push(dispose);
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn(username, TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  return store;
}

function pendingOf(store: AppStore, channel: string): number | undefined {
  return store.getState().board?.rows.find((row) => row.channel === channel)?.pending;
}

let lead: AppStore;
let agent: AppStore;

beforeAll(async () => {
  root = makeTempDir('renderer-board-');
  server = await startTestServer({ now: Date.now, boardIntervalMs: 50 });
  await server.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  await server.store.createUser({ id: 'agent1', username: 'agent1', password: TEST_PASSWORD, displayName: '王芳', role: 'agent', channels: ['email'] });
  await server.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  lead = await signedInStore('lead1');
  agent = await signedInStore('agent1');
});

afterAll(async () => {
  for (const dispose of disposers) dispose();
  await Promise.all(cores.map((core) => core.close()));
  await server.stop();
});

describe('channel board in the store', () => {
  it('reaches a lead live, and never an agent', async () => {
    await vi.waitFor(() => expect(pendingOf(lead, 'email')).toBe(0), WAIT);
    lead.getState().setView('board');
    expect(lead.getState().view).toBe('board');

    await postJson(
      `${server.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'email', customer: { name: '张伟', email: 'zhang.wei@example.cn' }, text: '发票' }),
      TEST_INTEGRATION_TOKEN,
    );
    // Routing hands the email to the one online email agent at once: in progress, not pending; one of today's tickets.
    await vi.waitFor(
      () =>
        expect(lead.getState().board?.rows.find((row) => row.channel === 'email')).toMatchObject({
          pending: 0,
          inProgress: 1,
          today: { volume: 1 },
          day: { total: 1 },
        }),
      WAIT,
    );

    // The agent's workstation was online all along: it was sent no board, and cannot open the view.
    agent.getState().setView('board');
    expect(agent.getState().view).toBe('inbox');
    await agent.getState().loadBoard();
    expect(agent.getState().board).toBeNull();
  });

  it('loads the charts when the Board opens, then again only once a minute has passed', async () => {
    // Asked for by the view switch above (as the contact there was being posted).
    await vi.waitFor(() => expect(lead.getState().boardCharts).not.toBeNull(), WAIT);
    await vi.waitFor(() => expect(lead.getState().boardChartsLoading).toBe(false), WAIT);
    expect(lead.getState().boardCharts!.sla).toHaveLength(14);
    const askedAt = lead.getState().boardChartsAskedAt;
    // A board push within the minute does not ask again.
    lead.getState().refreshBoardChartsIfDue(askedAt + CHART_REFRESH_MS - 1);
    expect(lead.getState().boardChartsLoading).toBe(false);
    expect(lead.getState().boardChartsAskedAt).toBe(askedAt);
    // A minute later (as this window's clock says), the next push asks.
    lead.getState().refreshBoardChartsIfDue(askedAt + CHART_REFRESH_MS);
    expect(lead.getState().boardChartsLoading).toBe(true);
    await vi.waitFor(() => expect(lead.getState().boardChartsLoading).toBe(false), WAIT);
    expect(lead.getState().boardChartsError).toBeNull();
    // Today's hourly counts now hold the email posted above, in one hour of today.
    const email = lead.getState().boardCharts!.hourly.find((series) => series.channel === 'email')!;
    expect(email.today.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBe(1);
  });

  it('refuses the charts to an agent, who asks for them anyway', async () => {
    await agent.getState().loadBoardCharts();
    expect(agent.getState().boardCharts).toBeNull();
    expect(agent.getState().boardChartsError).toMatchObject({ code: 'forbidden' });
    // A failed ask is due again after CHART_RETRY_MS (offline just after sign-in must not wait a minute).
    const retryDueAt = agent.getState().boardChartsAskedAt + CHART_REFRESH_MS;
    expect(retryDueAt).toBeGreaterThan(Date.now());
    expect(retryDueAt).toBeLessThanOrEqual(Date.now() + CHART_RETRY_MS);
    // And the store never asks on an agent's behalf.
    agent.getState().refreshBoardChartsIfDue(Date.now() + CHART_REFRESH_MS);
    expect(agent.getState().boardChartsLoading).toBe(false);
  });

  it('forgets the board on sign-out', async () => {
    await lead.getState().signOut();
    expect(lead.getState().board).toBeNull();
    expect(lead.getState().boardCharts).toBeNull();
  });
});
