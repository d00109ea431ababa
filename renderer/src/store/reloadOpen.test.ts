/**
 * What a window opens by itself after a reload or a restart, on the REAL core and the REAL
 * server (issue 12 leftovers): the inbox is read from the cache before the sync is done, so
 * its top row may already be gone on the server (an offer withdrawn when the old connection
 * went). A ticket the window opened by itself that left before it was read, or an offer it
 * opened by itself that was withdrawn, closes quietly and the next one opens: never "This
 * ticket is no longer available to you" for a ticket the agent neither chose nor held. A
 * ticket the agent chose still says so when it leaves.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import type { InboxResult, WorkstationApi } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

/** The real core behind a link that can hold `ticket.get` calls until the test lets them through. */
function gatedLink(core: WorkstationCore): { api: WorkstationApi; hold(): void; release(): void; held(): number } {
  const real = workstationApiOver(core, (error) => new RpcError(error));
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let waiting = 0;
  return {
    hold() {
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = null;
    },
    held: () => waiting,
    api: {
      on: (event, listener) => real.on(event, listener),
      async invoke(method, params) {
        if (method === 'ticket.get' && gate) {
          waiting++;
          await gate.promise;
        }
        return real.invoke(method, params);
      },
    },
  };
}

let server: TestServer;
let core: WorkstationCore;
let link: ReturnType<typeof gatedLink>;
let store: AppStore | null = null;
let dispose: () => void = () => {};
// The top ticket that left before the window read it (third test); handed back in the fourth.
let leftBeforeRead = '';

/** A new window on the same core (what a page reload is): a fresh store. */
function reload(): AppStore {
  dispose();
  ({ store, dispose } = initStore(link.api, { wake: null }));
  return store;
}

/** The agent's inbox as the core has it now. */
async function coreInbox(): Promise<InboxResult['rows']> {
  const outcome = await core.invoke('inbox.list', { channel: null, status: null, query: '', offset: 0, limit: 50 });
  if (!outcome.ok) throw new Error(outcome.error.code);
  return (outcome.result as InboxResult).rows;
}

/** A lead hands the ticket to agent2; resolves once agent1's core no longer has it. */
async function moveToAgent2(ticketId: string): Promise<void> {
  await server.store.assignTicket({
    ticketId,
    assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: Date.now(),
  });
  await vi.waitFor(async () => expect((await coreInbox()).map((row) => row.id)).not.toContain(ticketId), WAIT);
}

beforeAll(async () => {
  const root = makeTempDir('renderer-reload-open-');
  server = await startTestServer({ dataDir: `${root}/server`, demo: true, now: Date.now });
  core = await createWorkstationCore({ dataDir: `${root}/workstation`, serverUrl: server.url });
  link = gatedLink(core);
  const first = reload();
  await vi.waitFor(() => expect(first.getState().sessionChecked).toBe(true));
  expect(await first.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => expect(first.getState().connection.status).toBe('online'), WAIT);
});

afterAll(async () => {
  dispose();
  await core?.close();
  await server?.stop();
});

describe('what a reloaded window opens by itself', () => {
  it('closes an offer it opened by itself once the offer is withdrawn, without an error, and opens the next one', async () => {
    // The demo's waiting chat is offered to agent1 as they sign in: their inbox lists it on top.
    await vi.waitFor(async () => expect((await coreInbox())[0]?.assigneeId).toBeNull(), WAIT);
    const offered = (await coreInbox())[0]!.id;
    const after = reload();
    await vi.waitFor(() => expect(after.getState().detail?.ticket.id).toBe(offered), WAIT);
    // The offer goes (here to another agent, as when the server withdraws it from a connection that went).
    await moveToAgent2(offered);
    await vi.waitFor(() => expect(after.getState().detail?.ticket.id ?? offered).not.toBe(offered), WAIT);
    expect(after.getState().ticketError).toBeNull();
    expect(after.getState().detail?.ticket.assigneeId).toBe('agent1');
  });

  it('says so when a ticket the agent chose leaves', async () => {
    const after = store!;
    const chosen = after.getState().rows.find((row) => row.id !== after.getState().openTicketId && row.assigneeId === 'agent1')!.id;
    await after.getState().openTicket(chosen);
    expect(after.getState().detail?.ticket.id).toBe(chosen);
    await moveToAgent2(chosen);
    await vi.waitFor(() => expect(after.getState().ticketError?.code).toBe('not_found'), WAIT);
    expect(after.getState().openTicketId).toBe(chosen);
  });

  it('closes a top ticket that left before it was read, without an error, and opens the next one', async () => {
    link.hold();
    const after = reload();
    // The window listed the inbox and asked for its top held ticket; the answer waits.
    await vi.waitFor(() => expect(link.held()).toBe(1), WAIT);
    const top = after.getState().openTicketId!;
    leftBeforeRead = top;
    // Meanwhile a lead hands it to another agent, and the core drops it from agent1's cache.
    await moveToAgent2(top);
    link.release();
    await vi.waitFor(() => expect(after.getState().detail?.ticket.id).toBeDefined(), WAIT);
    expect(after.getState().detail?.ticket.id).not.toBe(top);
    expect(after.getState().detail?.ticket.assigneeId).toBe('agent1');
    expect(after.getState().ticketError).toBeNull();
  });

  it('opens that ticket by itself again once it is handed back: a gone ticket is kept out only while the list still shows it', async () => {
    const after = store!;
    await server.store.assignTicket({
      ticketId: leftBeforeRead,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    await vi.waitFor(async () => expect((await coreInbox()).map((row) => row.id)).toContain(leftBeforeRead), WAIT);
    // Nothing open, an empty list, then a search that finds only the handed-back ticket: the inbox fills and opens its top.
    after.getState().closeTicket();
    after.getState().setQuery('没有这样的工单');
    await vi.waitFor(() => expect(after.getState().inboxLoaded && after.getState().rows.length === 0 && !after.getState().totalPending).toBe(true), WAIT);
    after.getState().setQuery(leftBeforeRead);
    await vi.waitFor(() => expect(after.getState().rows.map((row) => row.id)).toEqual([leftBeforeRead]), WAIT);
    await vi.waitFor(() => expect(after.getState().detail?.ticket.id).toBe(leftBeforeRead), WAIT);
    expect(after.getState().ticketError).toBeNull();
  });
});
