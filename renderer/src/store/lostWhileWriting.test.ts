/**
 * An offer the inbox opened by itself, on which the agent has started writing, on the REAL core
 * and the REAL server: when it goes to another agent, the pane must stay on it and say it is gone
 * (TicketPane shows the unsent reply there), not close quietly and open the next ticket. Closing
 * quietly is right for a ticket the agent neither chose nor touched (reloadOpen.test.ts); once they
 * write on it, their words went with the pane without a word, kept out of sight in the store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import type { InboxResult } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void = () => {};

async function coreInbox(): Promise<InboxResult['rows']> {
  const outcome = await core.invoke('inbox.list', { channel: null, status: null, query: '', offset: 0, limit: 50 });
  if (!outcome.ok) throw new Error(outcome.error.code);
  return (outcome.result as InboxResult).rows;
}

beforeAll(async () => {
  const root = makeTempDir('renderer-lost-while-writing-');
  server = await startTestServer({ dataDir: `${root}/server`, demo: true, now: Date.now });
  core = await createWorkstationCore({ dataDir: `${root}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
});

afterAll(async () => {
  dispose();
  await core?.close();
  await server?.stop();
});

describe('an offer opened by itself that the agent writes on', () => {
  it('stays open saying it is gone, with the reply kept, when the offer goes to another agent', async () => {
    // The demo's waiting chat is offered to agent1 as they sign in: the inbox opens it by itself.
    await vi.waitFor(async () => expect((await coreInbox())[0]?.assigneeId).toBeNull(), WAIT);
    const offered = (await coreInbox())[0]!.id;
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(offered), WAIT);
    store.getState().setReplyDraft('您好，请问您的订单号是多少？');

    await server.store.assignTicket({
      ticketId: offered,
      assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    // Either outcome ends the wait: the pane says it is gone, or it closed and another ticket opened.
    await vi.waitFor(() => expect(store.getState().ticketError !== null || store.getState().openTicketId !== offered).toBe(true), WAIT);
    expect(store.getState().openTicketId).toBe(offered);
    expect(store.getState().ticketError?.code).toBe('not_found');
    expect(store.getState().replyDrafts[offered]).toBe('您好，请问您的订单号是多少？');
  });
});
