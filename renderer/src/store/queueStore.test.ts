/**
 * The queue view's store against the REAL workstation core and the REAL server: an agent is
 * sent only what they hold or are offered, sees their channels' queues as a pushed summary,
 * lists the waiting tickets on demand, opens one (fetched into the cache, not into their
 * inbox), takes it, and offline is told the queue needs the server while keeping their tickets.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

async function inbound(name: string, phone: string, text: string): Promise<string> {
  const response = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name, phone }, text }),
    TEST_INTEGRATION_TOKEN,
  );
  return (response.body as { ticketId: string }).ticketId;
}

const waiting = () => store.getState().queueSummary.entries.reduce((sum, entry) => sum + entry.waiting, 0);

beforeAll(async () => {
  server = await startTestServer({ now: Date.now, queueSummaryIntervalMs: 50 });
  await seedTestOrganisation(server.store, [{ username: 'agent_li', displayName: '李娜', channels: ['chat'] }]);
  // Busy: routing gives them nothing new, so what they get is what they take from the queue.
  await server.server.routing.setPresence('agent_li', 'busy', 'lead', '李主管');
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent_li', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 10_000 });
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('the queue view', () => {
  let first: string;
  let second: string;

  it('shows the queue as a summary, not in the inbox, and lists the waiting tickets when opened', async () => {
    await vi.waitFor(() => expect(store.getState().queueSummary.at).not.toBeNull());
    first = await inbound('张伟', '13800138000', '我的订单三天没有物流更新了');
    second = await inbound('王芳', '13900139000', '发票开错了');
    await vi.waitFor(() => expect(waiting()).toBe(2));
    expect(store.getState().queueSummary.entries.every((entry) => entry.channel === 'chat')).toBe(true);
    await store.getState().loadInbox();
    expect(store.getState().rows).toEqual([]);

    store.getState().setInboxMode('queue');
    await vi.waitFor(() => expect(store.getState().queueLoaded).toBe(true));
    expect(store.getState().queueRows.map((row) => row.ticket.id)).toEqual([first, second]);
    // As the agent's masked view has them (a plain name has nothing to mask).
    expect(store.getState().queueRows.map((row) => row.customerName)).toEqual(['张伟', '王芳']);
    expect(store.getState().queueError).toBeNull();
  });

  it('opens a waiting ticket by fetching it, keeps it out of the inbox, and takes it into the inbox', async () => {
    await store.getState().openQueued(first);
    expect(store.getState().detail?.ticket).toMatchObject({ id: first, status: 'unassigned', assigneeId: null });
    expect(store.getState().detail?.messages.map((m) => m.text)).toEqual(['我的订单三天没有物流更新了']);
    await store.getState().loadInbox();
    expect(store.getState().rows).toEqual([]);
    // A new customer, not the agent's yet: the history panel says it comes with the ticket, never "could not be loaded".
    await vi.waitFor(() => expect(store.getState().customerHistoryNotYours).toBe(true));
    expect(store.getState().customerHistoryError).toBeNull();
    expect(store.getState().customerHistory).toBeNull();

    expect(await store.getState().setStatus('in_progress')).toBe(true);
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toEqual([first]));
    await vi.waitFor(async () => expect((await server.store.getTicket(first))?.assigneeId).toBe('agent_li'));
    // Taken: the history loads by itself.
    await vi.waitFor(() => expect(store.getState().customerHistory?.entries.map((entry) => entry.ticket.id)).toEqual([first]));
    expect(store.getState().customerHistoryNotYours).toBe(false);
    expect(store.getState().customerHistoryError).toBeNull();
    await vi.waitFor(() => expect(waiting()).toBe(1));
    // The summary moved on since the list was loaded; a refresh lists what still waits.
    expect(store.getState().queueSummary.at).toBeGreaterThan(store.getState().queueListedAt!);
    await store.getState().loadQueue();
    expect(store.getState().queueRows.map((row) => row.ticket.id)).toEqual([second]);
  });

  it('says a ticket that is not there any more is not found', async () => {
    await store.getState().openQueued('GD20991231001');
    expect(store.getState().queueError?.code).toBe('not_found');
  });

  it('an agent’s search reaches the queue: the server lists the waiting tickets that match (issue 12)', async () => {
    store.getState().setInboxMode('mine');
    store.getState().setQuery('物流');
    await store.getState().loadQueue();
    // The one with 物流 was taken: nothing waiting matches.
    expect(store.getState().queueRows).toEqual([]);
    expect(store.getState().queueQuery).toBe('物流');
    store.getState().setQuery(' 发票 ');
    await store.getState().loadQueue();
    expect(store.getState().queueRows.map((row) => row.ticket.id)).toEqual([second]);
    expect(store.getState().queueQuery).toBe('发票');
    store.getState().setQuery('');
    await store.getState().loadQueue();
    expect(store.getState().queueQuery).toBe('');
  });

  it('offline: keeps the tickets the agent holds and says the queue needs the server', async () => {
    await store.getState().openQueued(second);
    expect(store.getState().detail?.ticket.id).toBe(second);
    await server.server.close();
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('offline'), { timeout: 10_000 });
    await store.getState().loadQueue();
    expect(store.getState().queueError?.code).toBe('offline');
    expect(store.getState().queueRows).toEqual([]);
    await store.getState().openQueued(second);
    expect(store.getState().queueError?.code).toBe('offline');
    await store.getState().loadInbox();
    expect(store.getState().rows.map((r) => r.id)).toEqual([first]);
  });
});
