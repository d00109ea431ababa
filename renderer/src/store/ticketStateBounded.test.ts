/**
 * The store's per-ticket state stays as large as what the agent is writing, on the REAL core
 * and the REAL server: an agent goes through hundreds of tickets a shift, and before, every
 * ticket touched left an entry behind until sign-out (the route picked, an emptied reply, note
 * or subject, an empty file list, the action id of a send), even once the ticket had left their
 * cache. A reply still being written keeps its text and route.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import type { InboxResult } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };
const TICKETS = 24;

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void = () => {};

async function coreInboxIds(): Promise<string[]> {
  const outcome = await core.invoke('inbox.list', { channel: null, status: null, query: '', offset: 0, limit: 200 });
  if (!outcome.ok) throw new Error(outcome.error.code);
  return (outcome.result as InboxResult).rows.map((row) => row.id);
}

async function handTo(ticketId: string, agent: { id: string; displayName: string }): Promise<void> {
  await server.store.assignTicket({
    ticketId,
    assignee: { id: agent.id, username: agent.id, displayName: agent.displayName },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: Date.now(),
  });
}

/** A new chat ticket that a lead gives agent1; resolves once agent1's core has it. */
async function newTicketForAgent1(i: number): Promise<string> {
  const { ticketId } = await server.store.ingestInbound(
    { channel: 'chat', customer: { name: `客户${String(i)}`, phone: `1390000${String(i).padStart(4, '0')}` }, text: `第${String(i)}个问题：订单怎么还没发货` },
    { now: Date.now() },
  );
  await handTo(ticketId, { id: 'agent1', displayName: '王芳' });
  await vi.waitFor(async () => expect(await coreInboxIds()).toContain(ticketId), WAIT);
  return ticketId;
}

/** A lead hands the ticket to agent2; resolves once agent1's core (and inbox) no longer has it. */
async function moveToAgent2(ticketId: string): Promise<void> {
  await handTo(ticketId, { id: 'agent2', displayName: '张强' });
  await vi.waitFor(async () => expect(await coreInboxIds()).not.toContain(ticketId), WAIT);
}

function entries() {
  const state = store.getState();
  return {
    replyDrafts: Object.keys(state.replyDrafts),
    replyVia: Object.keys(state.replyVia),
    replySubjects: Object.keys(state.replySubjects),
    noteDrafts: Object.keys(state.noteDrafts),
    replyFiles: Object.keys(state.replyFiles),
    retryActions: Object.keys(state.retryActions),
  };
}

beforeAll(async () => {
  const root = makeTempDir('renderer-ticket-state-');
  server = await startTestServer({ dataDir: `${root}/server`, demo: true, now: Date.now });
  // Away: nothing is routed to agent1 by itself; what they hold is what the test hands them.
  await server.server.routing.setPresence('agent1', 'away', 'lead', '李主管');
  core = await createWorkstationCore({ dataDir: `${root}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
}, 60_000);

afterAll(async () => {
  dispose();
  await core?.close();
  await server?.stop();
});

describe('per-ticket state over a shift of tickets', () => {
  it('keeps no entry of the tickets that came and went, only the reply still being written', async () => {
    // One reply the agent is writing and leaves for later: it stays, with its route, throughout.
    const kept = await newTicketForAgent1(0);
    await store.getState().openTicket(kept);
    store.getState().setReplyVia('email');
    store.getState().setReplyDraft('您好，我们正在核实物流');

    for (let i = 1; i <= TICKETS; i++) {
      const ticketId = await newTicketForAgent1(i);
      await store.getState().openTicket(ticketId);
      expect(store.getState().detail?.ticket.id).toBe(ticketId);
      // Started a reply, a subject and a note, and took them back; picked a route.
      store.getState().setReplyVia('chat');
      store.getState().setReplyDraft('您好');
      store.getState().setReplyDraft('');
      store.getState().setReplySubject('物流');
      store.getState().setReplySubject('');
      // Cleared by the agent: blank while they are on the ticket (the box does not refill with the default under their cursor).
      expect(store.getState().replySubjects[ticketId]).toBe('');
      store.getState().setNoteDraft('客户很急');
      store.getState().setNoteDraft('');
      // The agent moves on (every other time by closing the pane), then the ticket leaves their cache.
      if (i % 2 === 0) store.getState().closeTicket();
      await moveToAgent2(ticketId);
    }
    await vi.waitFor(() => expect(store.getState().rows.map((row) => row.id)).toContain(kept), WAIT);

    const open = store.getState().openTicketId;
    const atMostOpen = (ids: string[]) => ids.filter((id) => id !== kept && id !== open);
    const now = entries();
    expect(atMostOpen(now.replyDrafts)).toEqual([]);
    expect(atMostOpen(now.replyVia)).toEqual([]);
    expect(now.replySubjects).toEqual([]);
    expect(now.noteDrafts).toEqual([]);
    expect(now.replyFiles).toEqual([]);
    expect(now.retryActions).toEqual([]);
    // The one being written is as the agent left it.
    expect(store.getState().replyDrafts[kept]).toBe('您好，我们正在核实物流');
    expect(store.getState().replyVia[kept]).toBe('email');
    // At most the open ticket's entries besides it.
    expect(now.replyVia.length).toBeLessThanOrEqual(2);
  }, 180_000);
});
