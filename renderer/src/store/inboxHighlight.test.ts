/**
 * The inbox's highlighted row and the ticket the pane shows, in the renderer store on the REAL
 * core and server: after a ticket is created by hand the new ticket's row is the highlighted
 * one (not the ticket open before), and after the open ticket is completed out of the list no
 * other ticket's row is highlighted (the walkthrough's 009 and 013).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { isProvisionalTicketId } from '../../../shared/manualTicket.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { inboxRowAt } from './inboxSlice.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
const inboundIds: string[] = [];

async function inbound(name: string, email: string, text: string): Promise<string> {
  const response = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'email', customer: { name, email }, subject: text, text }),
    TEST_INTEGRATION_TOKEN,
  );
  expect(response.status).toBe(201);
  return (response.body as { ticketId: string }).ticketId;
}

/** The id of the highlighted row, if a loaded row is highlighted. */
function highlighted(): string | undefined {
  const state = store.getState();
  return inboxRowAt(state, state.selectedIndex)?.id;
}

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [{ username: 'agent_li', displayName: '李娜', channels: ['email', 'phone'] }]);
  inboundIds.push(await inbound('张伟', 'zhang.wei@example.cn', '我的订单三天没有物流更新了'));
  inboundIds.push(await inbound('王芳', 'wang.fang@example.cn', '发票开错了'));
  inboundIds.push(await inbound('赵敏', 'zhao.min@example.cn', '退款什么时候到账'));
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/agent_li`, serverUrl: server.url });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent_li', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  await vi.waitFor(() => expect([...store.getState().rows.map((row) => row.id)].sort()).toEqual([...inboundIds].sort()), WAIT);
}, 60_000);

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('the highlighted inbox row follows the ticket the pane shows', () => {
  it('highlights a ticket created by hand, not the ticket open before', async () => {
    const before = store.getState().rows[1]!.id;
    await store.getState().openTicket(before);
    expect(highlighted()).toBe(before);

    expect(
      await store.getState().createTicket({
        customer: { kind: 'new', name: '孙浩', phone: '+8613800138000', email: null },
        channel: 'phone',
        type: 'consult',
        priority: 'normal',
        subject: '电话咨询退货流程',
        note: '客户来电询问退货需要哪些材料',
        toQueue: false,
      }),
    ).toBe(true);
    const created = store.getState().openTicketId!;
    expect(created).not.toBe(before);
    await vi.waitFor(() => expect(store.getState().rows.map((row) => row.id)).toContain(created), WAIT);
    await vi.waitFor(() => expect(highlighted()).toBe(created), WAIT);
    // The provisional number gives way to the server's GD id; the highlight moves with it (and the
    // next case starts from settled rows, not from a row about to be renamed).
    await vi.waitFor(() => expect(isProvisionalTicketId(store.getState().openTicketId!)).toBe(false), WAIT);
    await vi.waitFor(() => expect(highlighted()).toBe(store.getState().openTicketId), WAIT);
  });

  it('highlights no other ticket once the open ticket is completed out of the list', async () => {
    const open = store.getState().rows[0]!.id;
    await store.getState().openTicket(open);
    expect(highlighted()).toBe(open);
    expect(await store.getState().saveFields({ result: '已告知客户退货所需材料。' })).toBe(true);
    await vi.waitFor(() => expect(store.getState().detail?.ticket.result).toBe('已告知客户退货所需材料。'), WAIT);
    expect(await store.getState().setStatus('completed')).toBe(true);
    await vi.waitFor(() => expect(store.getState().rows.map((row) => row.id)).not.toContain(open), WAIT);
    // The pane still shows the completed ticket; no row stands for it, so none is highlighted.
    expect(store.getState().openTicketId).toBe(open);
    expect(store.getState().rows.length).toBeGreaterThan(0);
    expect(highlighted()).toBeUndefined();
    // A later reload of the list does not put the highlight back on another ticket.
    await store.getState().loadInbox();
    expect(highlighted()).toBeUndefined();
  });
});
