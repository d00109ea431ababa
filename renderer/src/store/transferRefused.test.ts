/**
 * A transfer the server refuses, in the renderer store, on a REAL core and the REAL server:
 * the core records the transfer at once (it cannot know who is online) and the pane says
 * where the ticket went; when the server refuses (the colleague is offline) the core undoes
 * it, and the store's notice must turn into the refusal's facts, not keep saying "transferred".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import type { AppStore } from './appStore.js';
import { signedInStore, STORE_WAIT } from './testing/signedInStore.js';

const WAIT = STORE_WAIT;

let server: TestServer;
let core: WorkstationCore | null = null;
let dispose: (() => void) | null = null;
let lead: AppStore;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  // 李娜 serves mail but never signs in: the server counts her offline.
  await seedTestOrganisation(server.store, [
    { username: 'agent_li', displayName: '李娜', channels: ['email'] },
    { username: 'lead1', displayName: '李主管', channels: [], role: 'lead' },
  ]);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/lead1`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  ({ store: lead, dispose } = await signedInStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    'lead1',
    TEST_PASSWORD,
  ));
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

/** An email from `customer` through the inbound API, open in the lead's pane once their core has it; its ticket id. */
async function openInboundEmail(customer: { name: string; email: string }, subject: string, text: string): Promise<string> {
  const response = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'email', customer, subject, text }),
    TEST_INTEGRATION_TOKEN,
  );
  const ticketId = (response.body as { ticketId: string }).ticketId;
  await vi.waitFor(async () => {
    await lead.getState().openTicket(ticketId);
    expect(lead.getState().detail?.ticket.id).toBe(ticketId);
  }, WAIT);
  return ticketId;
}

describe('a transfer the server refuses', () => {
  it('turns "transferred to 李娜" into the refusal once the server says she is offline', async () => {
    const ticketId = await openInboundEmail({ name: '王芳', email: 'wang.fang@example.cn' }, '发票开错了', '发票开错了');

    expect(await lead.getState().transfer({ kind: 'agent', agentId: 'agent_li', agentName: '李娜' }, '客户要求重开发票')).toBe(true);
    // The server has not answered: the pane stays open, waiting.
    expect(lead.getState().lastTransfer).toMatchObject({ ticketId, to: { kind: 'agent', agentId: 'agent_li' }, awaiting: true });
    expect(lead.getState().openTicketId).toBe(ticketId);

    await vi.waitFor(
      () => expect(lead.getState().lastTransfer?.refusal).toMatchObject({ code: 'transfer_refused', reason: 'offline', agentName: '李娜' }),
      WAIT,
    );
    expect((await server.store.getTicketBundle(ticketId))!.ticket.assigneeId).toBeNull();
    // Refused: the pane is still open on the ticket, which is back as it was, and says why.
    expect(lead.getState().lastTransfer?.awaiting).toBe(false);
    expect(lead.getState().openTicketId).toBe(ticketId);
    await vi.waitFor(() => expect(lead.getState().detail).toMatchObject({ ticket: { id: ticketId, assigneeId: null }, pending: false }), WAIT);
    expect(lead.getState().openTicketId).toBe(ticketId);
  });

  it('closes the pane once the server has the transfer, and only then says where the ticket went', async () => {
    const ticketId = await openInboundEmail({ name: '赵敏', email: 'zhao.min@example.cn' }, '退款进度', '退款什么时候到账？');

    expect(await lead.getState().transfer({ kind: 'group', group: 'billing' }, '退款问题，请财务组跟进')).toBe(true);
    expect(lead.getState().lastTransfer).toMatchObject({ ticketId, awaiting: true });
    expect(lead.getState().openTicketId).toBe(ticketId);

    await vi.waitFor(() => expect(lead.getState().openTicketId).toBeNull(), WAIT);
    expect(lead.getState().lastTransfer).toEqual({ ticketId, to: { kind: 'group', group: 'billing' }, awaiting: false });
    expect((await server.store.getTicketBundle(ticketId))!.ticket.routing.group).toBe('billing');
  });
});
