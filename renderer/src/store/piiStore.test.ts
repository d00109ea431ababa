/**
 * Masked personal data in the renderer store, on REAL cores and the REAL server: an agent sees
 * 张伟's phone masked, reveals it with one click (kept in the store's memory only — the core's
 * cache stays masked), forgets it on leaving the ticket, and cannot reveal offline; the lead
 * sees the value clear and reads who revealed it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { call, workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, makeTempDir, postJson, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let root: string;
const cores: WorkstationCore[] = [];
const disposers: Array<() => void> = [];
let ticketId: string;
let otherTicketId: string;

async function inbound(body: unknown): Promise<string> {
  const response = await postJson<{ ticketId: string }>(`${server.url}/api/v1/inbound`, JSON.stringify(body), TEST_INTEGRATION_TOKEN);
  return (response.body as { ticketId: string }).ticketId;
}

async function signedInStore(username: string): Promise<{ core: WorkstationCore; store: AppStore }> {
  const core = await createWorkstationCore({ dataDir: `${root}/${username}`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  cores.push(core);
  const { store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error)));
  disposers.push(dispose);
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn(username, TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => {
    expect(store.getState().connection.status).toBe('online');
    expect(store.getState().rows.map((row) => row.id)).toContain(ticketId);
  }, WAIT);
  return { core, store };
}

let agent: { core: WorkstationCore; store: AppStore };
let lead: { core: WorkstationCore; store: AppStore };

beforeAll(async () => {
  root = makeTempDir('renderer-pii-');
  server = await startTestServer({ now: Date.now });
  await server.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  await server.store.createUser({ id: 'agent1', username: 'agent1', password: TEST_PASSWORD, displayName: '王芳', role: 'agent', channels: ['email'] });
  await server.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  ticketId = await inbound({
    channel: 'email',
    customer: { name: '张伟', phone: '13800138000', email: 'zhang.wei@example.cn' },
    subject: '订单物流查询延迟',
    text: '请回电 13800138000',
  });
  otherTicketId = await inbound({ channel: 'email', customer: { name: '李娜', email: 'lina@example.cn' }, subject: '发票开具', text: '请开发票' });
  agent = await signedInStore('agent1');
  lead = await signedInStore('lead1');
});

afterAll(async () => {
  for (const dispose of disposers) dispose();
  await Promise.all(cores.map((core) => core.close()));
  await server.stop();
});

describe('masked personal data in the renderer store', () => {
  it("shows an agent the phone masked and reveals it in memory only, leaving the agent's cache masked", async () => {
    await agent.store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(agent.store.getState().detail?.ticket.id).toBe(ticketId));
    expect(agent.store.getState().detail!.customer.phone).toBe('+86138****8000');
    expect(agent.store.getState().detail!.messages[0]!.text).toBe('请回电 138****8000');

    expect(await agent.store.getState().reveal({ field: 'customerPhone', ticketId })).toBe(true);
    expect(agent.store.getState().revealed[`customerPhone:${ticketId}`]).toEqual({ field: 'customerPhone', value: '+8613800138000' });
    const messageId = agent.store.getState().detail!.messages[0]!.id;
    expect(await agent.store.getState().reveal({ field: 'message', ticketId, messageId })).toBe(true);
    expect(agent.store.getState().revealed[`message:${messageId}`]).toMatchObject({ field: 'message', message: { text: '请回电 13800138000' } });

    // What the core hands out (its cache) is still masked.
    expect((await call(agent.core, 'ticket.get', { ticketId })).customer.phone).toBe('+86138****8000');
    await agent.store.getState().reloadTicket();
    expect(agent.store.getState().detail!.customer.phone).toBe('+86138****8000');
  });

  it('lets the lead see the value clear and read who revealed what; the agent has no such list', async () => {
    await lead.store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(lead.store.getState().detail?.customer.phone).toBe('+8613800138000'));
    await vi.waitFor(
      () =>
        expect(lead.store.getState().piiAudit?.entries.map((e) => [e.userName, e.role, e.field])).toEqual([
          ['王芳', 'agent', 'message'],
          ['王芳', 'agent', 'customerPhone'],
        ]),
      WAIT,
    );
    expect(agent.store.getState().piiAudit).toBeNull();
  });

  it('forgets revealed values when the agent leaves the ticket', async () => {
    await agent.store.getState().openTicket(otherTicketId);
    expect(agent.store.getState().revealed).toEqual({});
  });

  it('cannot reveal while offline, and says so', async () => {
    await agent.store.getState().openTicket(ticketId);
    await server.server.close();
    await vi.waitFor(() => expect(agent.store.getState().connection.status).toBe('offline'), WAIT);
    expect(await agent.store.getState().reveal({ field: 'customerEmail', ticketId })).toBe(false);
    expect(agent.store.getState().revealError).toMatchObject({ key: `customerEmail:${ticketId}`, error: { code: 'offline' } });
    expect(agent.store.getState().revealed).toEqual({});
  });

  it("shows the lead's audit loading again, not the last failure, while it reloads", async () => {
    // Still offline (the test before closed the server): another ticket's audit cannot load.
    await lead.store.getState().openTicket(otherTicketId);
    await vi.waitFor(() => expect(lead.store.getState().connection.status).toBe('offline'), WAIT);
    await lead.store.getState().loadPiiAudit();
    expect(lead.store.getState().piiAuditError).toMatchObject({ code: 'offline' });

    const reload = lead.store.getState().loadPiiAudit();
    expect(lead.store.getState()).toMatchObject({ piiAuditLoading: true, piiAuditError: null });
    await reload;
    expect(lead.store.getState()).toMatchObject({ piiAuditLoading: false, piiAuditError: { code: 'offline' } });
  });
});
