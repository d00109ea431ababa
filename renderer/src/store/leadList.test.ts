/**
 * The lead's ticket list in the renderer store, against the REAL core and server: the
 * escalated filter (a request waiting for a lead), "select all N matching" (the ids of the
 * filter, answered by the core), and the bulk bar's target list judged on the live roster
 * with the Transfer dialog's rules (who can take every ticked ticket, "can take n of m").
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { firstContact } from '../../../bench/sampleContacts.js';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { call, workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { CHANNELS, type Channel } from '../../../shared/domain.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { BULK_DONE_SHOWN_MS } from './routingSlice.js';

let server: TestServer;
let lead: WorkstationCore;
const agents: WorkstationCore[] = [];
let store: AppStore;
let dispose: () => void;
const emailIds: string[] = [];
const phoneIds: string[] = [];

async function postInbound(index: number, channel: Channel): Promise<string> {
  const response = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ ...firstContact(index, channel), externalMessageId: `lead-list-${String(index)}` }),
    TEST_INTEGRATION_TOKEN,
  );
  expect(response.status).toBe(201);
  return (response.body as { ticketId: string }).ticketId;
}

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [
    { username: 'lead_zhao', displayName: '赵组长', channels: [...CHANNELS], role: 'lead' },
    { username: 'agent_li', displayName: '李娜', channels: ['chat', 'email'] },
    { username: 'agent_zhou', displayName: '周杰', channels: ['phone'] },
  ]);
  // Both agents connected but busy: routing leaves the tickets in the queue, and the lead's roster has them.
  for (const username of ['agent_li', 'agent_zhou']) {
    const core = await createWorkstationCore({ dataDir: `${server.dataDir}/${username}`, serverUrl: server.url });
    agents.push(core);
    await call(core, 'session.signIn', { username, password: TEST_PASSWORD });
    await vi.waitFor(async () => expect((await call(core, 'session.get', {})).connection.status).toBe('online'), { timeout: 20_000 });
    await call(core, 'presence.set', { presence: 'busy' });
  }
  for (let index = 0; index < 4; index++) emailIds.push(await postInbound(index, 'email'));
  for (let index = 4; index < 6; index++) phoneIds.push(await postInbound(index, 'phone'));

  lead = await createWorkstationCore({ dataDir: `${server.dataDir}/lead`, serverUrl: server.url });
  ({ store, dispose } = initStore(workstationApiOver(lead, (error) => new RpcError(error))));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('lead_zhao', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().total).toBe(6), { timeout: 20_000 });
  await vi.waitFor(() => expect(store.getState().agents.filter((a) => a.connected && a.presence === 'busy')).toHaveLength(2), { timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  dispose?.();
  await lead?.close();
  for (const core of agents) await core.close();
  await server?.stop();
});

/** The target list as [name, can take, of, why not]. */
function targets() {
  return store.getState().bulkTargets?.map((c) => [c.displayName, c.canTake, c.of, c.refusal]);
}

describe("the lead's ticket list in the store", () => {
  it('lists the agents who can take a ticked ticket, and the others with the reason', async () => {
    store.getState().setChannelFilter('email');
    await vi.waitFor(() => expect(store.getState().total).toBe(4));
    store.getState().toggleBulk(emailIds[0]!);
    await vi.waitFor(() =>
      expect(targets()).toEqual([
        ['李娜', 1, 1, null],
        ['周杰', 0, 1, 'no_channel'],
      ]),
    );
  });

  it('selects every ticket the filter matches, in the list order, and judges the targets on all of them', async () => {
    expect(await store.getState().selectAllMatching()).toBe(true);
    const state = store.getState();
    expect(state.bulkMatching).toEqual({ total: 4, selected: 4 });
    expect(state.bulkSelection).toEqual(state.rows.map((row) => row.id));
    expect([...state.bulkSelection].sort()).toEqual([...emailIds].sort());
    await vi.waitFor(() => expect(targets()?.[0]).toEqual(['李娜', 4, 4, null]));

    // A mixed selection (every open ticket): nobody can take them all; each says how many and why not (most of) the rest.
    // 周杰 serves the phone but has room for one phone ticket (capacity 1): one of the two.
    store.getState().setChannelFilter(null);
    await vi.waitFor(() => expect(store.getState().total).toBe(6));
    expect(await store.getState().selectAllMatching()).toBe(true);
    expect(store.getState().bulkSelection).toHaveLength(6);
    await vi.waitFor(() =>
      expect(targets()).toEqual([
        ['李娜', 4, 6, 'no_channel'],
        ['周杰', 1, 6, 'no_channel'],
      ]),
    );
    // Ticking by hand again forgets "all matching".
    store.getState().toggleBulk(phoneIds[0]!);
    expect(store.getState().bulkMatching).toBeNull();
    await vi.waitFor(() => expect(targets()?.[0]).toEqual(['李娜', 4, 5, 'no_channel']));
    store.getState().clearBulk();
    expect(store.getState().bulkTargets).toBeNull();
  });

  it('filters the escalated tickets: a request waiting for a lead is listed', async () => {
    store.getState().setEscalatedFilter(true);
    await vi.waitFor(() => expect(store.getState().inboxLoaded && store.getState().total).toBe(0));
    // The request goes to the leads; the ticket itself is unchanged until one approves.
    await call(lead, 'ticket.escalate', { ticketId: phoneIds[1]!, reason: '客户要求赔偿，超出一线权限' });
    await vi.waitFor(() => expect(store.getState().rows.map((row) => row.id)).toEqual([phoneIds[1]]));
    expect(store.getState().total).toBe(1);
    expect(await store.getState().selectAllMatching()).toBe(true);
    expect(store.getState().bulkSelection).toEqual([phoneIds[1]]);
    store.getState().setEscalatedFilter(false);
    await vi.waitFor(() => expect(store.getState().total).toBe(6));
  });

  it('clears the "n reassigned" notice: by its close button, on a view or filter change, and by itself after a full success', async () => {
    store.getState().clearBulk();
    const li = store.getState().agents.find((agent) => agent.displayName === '李娜')!.userId;
    async function reassign(ticketId: string): Promise<void> {
      store.getState().toggleBulk(ticketId);
      await store.getState().reassignSelected(li);
      expect(store.getState().bulkOutcome).toMatchObject({ done: 1, failures: [] });
    }
    await reassign(emailIds[0]!);
    store.getState().dismissBulkOutcome();
    expect(store.getState().bulkOutcome).toBeNull();

    await reassign(emailIds[1]!);
    store.getState().setView('team');
    expect(store.getState().bulkOutcome).toBeNull();
    store.getState().setView('inbox');

    await reassign(emailIds[2]!);
    store.getState().setChannelFilter('email');
    expect(store.getState().bulkOutcome).toBeNull();
    store.getState().setChannelFilter(null);

    // Left alone, it goes by itself.
    await reassign(emailIds[3]!);
    await vi.waitFor(() => expect(store.getState().bulkOutcome).toBeNull(), { timeout: BULK_DONE_SHOWN_MS * 3 });
  }, 60_000);
});
