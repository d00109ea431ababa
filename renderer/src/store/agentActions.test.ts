/**
 * The agent's one-step actions in the renderer store, on REAL cores and the REAL server: Take
 * (领取) a queued ticket, the question before replying on a ticket the user does not hold (in
 * the queue: the reply takes it; held by a colleague: it stays theirs — agents and leads
 * alike; cancel sends nothing), "send and set status" (the reply, then the status, through the
 * outbox), what the rules say to "send and complete" without a result, and offline.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { statusAfterReplyRefusal, takeBlock } from './ticketPredictions.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
const cores: WorkstationCore[] = [];
const disposers: Array<() => void> = [];

async function inbound(name: string, email: string, text: string): Promise<string> {
  const response = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'email', customer: { name, email }, subject: text, text }),
    TEST_INTEGRATION_TOKEN,
  );
  return (response.body as { ticketId: string }).ticketId;
}

async function signedInStore(username: string): Promise<AppStore> {
  const core = await createWorkstationCore({
    dataDir: `${server.dataDir}/${username}`,
    serverUrl: server.url,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 500,
  });
  cores.push(core);
  const { store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    { wake: null },
  );
  disposers.push(dispose);
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn(username, TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  return store;
}

async function serverMessages(ticketId: string): Promise<string[]> {
  return (await server.store.getTicketBundle(ticketId))!.messages.filter((m) => m.direction === 'outbound').map((m) => m.text);
}

let agent: AppStore;
let lead: AppStore;
let taken: string;
let queued: string;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [
    { username: 'agent_li', displayName: '李娜', channels: ['email'] },
    { username: 'lead1', displayName: '李主管', channels: [], role: 'lead' },
  ]);
  // Busy: routing offers them nothing, so what they hold is what they take from the queue.
  await server.server.routing.setPresence('agent_li', 'busy', 'lead', '李主管');
  taken = await inbound('张伟', 'zhang.wei@example.cn', '我的订单三天没有物流更新了');
  queued = await inbound('王芳', 'wang.fang@example.cn', '发票开错了');
  agent = await signedInStore('agent_li');
  lead = await signedInStore('lead1');
});

afterAll(async () => {
  for (const dispose of disposers) dispose();
  await Promise.all(cores.map((core) => core.close()));
  await server?.stop();
});

describe("the agent's one-step actions", () => {
  it('takes a queued ticket with the Take action (the `t` key’s), which the rules allow', async () => {
    await agent.getState().openQueued(taken);
    const ticket = agent.getState().detail!.ticket;
    expect(ticket).toMatchObject({ id: taken, status: 'unassigned', assigneeId: null });
    expect(takeBlock(agent.getState().user!, ticket, Date.now())).toBeNull();

    expect(await agent.getState().takeTicket()).toBe(true);
    expect(agent.getState().detail!.ticket).toMatchObject({ assigneeId: 'agent_li', status: 'in_progress' });
    await vi.waitFor(async () => expect(await server.store.getTicket(taken)).toMatchObject({ assigneeId: 'agent_li', status: 'in_progress' }), WAIT);
    // Held now: nothing to take (the pane shows no Take button), and the action does nothing.
    expect(takeBlock(agent.getState().user!, agent.getState().detail!.ticket, Date.now())).toEqual({ kind: 'not_queued', status: 'in_progress' });
    expect(await agent.getState().takeTicket()).toBe(false);
  });

  it('asks before a reply on a queued ticket; cancel sends nothing; confirming replies and takes it', async () => {
    await agent.getState().openQueued(queued);
    agent.getState().setReplyDraft('您好，发票已重新开具。');
    expect(await agent.getState().sendReplyChecked()).toBe(false);
    expect(agent.getState().replyNotYours).toEqual({ ticketId: queued, assigneeName: null });

    agent.getState().dismissReplyChangeWarning();
    expect(agent.getState().replyNotYours).toBeNull();
    expect(agent.getState().replyDrafts[queued]).toBe('您好，发票已重新开具。');
    expect(agent.getState().detail!.messages.filter((m) => m.direction === 'outbound')).toEqual([]);

    expect(await agent.getState().sendReplyChecked()).toBe(false);
    expect(await agent.getState().confirmReplyDespiteChange()).toBe(true);
    expect(agent.getState().replyNotYours).toBeNull();
    await vi.waitFor(async () => {
      expect(await serverMessages(queued)).toEqual(['您好，发票已重新开具。']);
      expect(await server.store.getTicket(queued)).toMatchObject({ assigneeId: 'agent_li', status: 'in_progress' });
    }, WAIT);
  });

  it('sends on a held ticket without asking, and "send and set awaiting customer" queues the reply, then the status', async () => {
    await agent.getState().openTicket(taken);
    await vi.waitFor(() => expect(agent.getState().detail?.ticket.assigneeId).toBe('agent_li'));
    const user = agent.getState().user!;
    expect(statusAfterReplyRefusal(user, agent.getState().detail!, 'awaiting_customer', Date.now())).toBeNull();

    agent.getState().setReplyDraft('已为您催促物流，请留意短信。');
    expect(await agent.getState().sendReplyChecked('awaiting_customer')).toBe(true);
    expect(agent.getState().replyNotYours).toBeNull();
    expect(agent.getState().statusAfterReplyProblem).toBeNull();
    expect(agent.getState().detail!.ticket.status).toBe('awaiting_customer');
    await vi.waitFor(async () => {
      expect(await serverMessages(taken)).toEqual(['已为您催促物流，请留意短信。']);
      expect((await server.store.getTicket(taken))?.status).toBe('awaiting_customer');
    }, WAIT);
    // Already awaiting: the same choice again would change nothing, and says so.
    expect(statusAfterReplyRefusal(user, agent.getState().detail!, 'awaiting_customer', Date.now())).toBe('unchanged');
  });

  it('"send and complete" without a result: the rules say why before; forced, the reply goes and the refusal is kept to show', async () => {
    const detail = agent.getState().detail!;
    expect(detail.ticket.result).toBeNull();
    expect(statusAfterReplyRefusal(agent.getState().user!, detail, 'completed', Date.now())).toEqual({ code: 'result_required', ticketId: taken });

    agent.getState().setReplyDraft('问题已处理。');
    expect(await agent.getState().sendReply('completed')).toBe(true);
    expect(agent.getState().statusAfterReplyProblem).toMatchObject({ ticketId: taken, status: 'completed', error: { refusal: { code: 'result_required' } } });
    await vi.waitFor(async () => expect(await serverMessages(taken)).toEqual(['已为您催促物流，请留意短信。', '问题已处理。']), WAIT);
    expect((await server.store.getTicket(taken))?.status).toBe('awaiting_customer');
    agent.getState().dismissStatusAfterReplyProblem();
    expect(agent.getState().statusAfterReplyProblem).toBeNull();

    // With the result recorded, the same choice completes the ticket after the reply.
    expect(await agent.getState().saveFields({ result: '已催促物流，客户确认收到。' })).toBe(true);
    await vi.waitFor(() => expect(agent.getState().detail?.ticket.result).toBe('已催促物流，客户确认收到。'));
    expect(statusAfterReplyRefusal(agent.getState().user!, agent.getState().detail!, 'completed', Date.now())).toBeNull();
    agent.getState().setReplyDraft('感谢您的耐心，工单已完成。');
    expect(await agent.getState().sendReplyChecked('completed')).toBe(true);
    expect(agent.getState().statusAfterReplyProblem).toBeNull();
    await vi.waitFor(async () => expect((await server.store.getTicket(taken))?.status).toBe('completed'), WAIT);
  });

  it("asks a lead too, before a reply on a colleague's ticket (it stays theirs); cancel sends nothing", async () => {
    await vi.waitFor(() => expect(lead.getState().rows.map((row) => row.id)).toContain(queued), WAIT);
    await lead.getState().openTicket(queued);
    await vi.waitFor(() => expect(lead.getState().detail?.ticket.assigneeId).toBe('agent_li'), WAIT);
    lead.getState().setReplyDraft('主管补充：发票将在今天寄出。');
    expect(await lead.getState().sendReplyChecked()).toBe(false);
    expect(lead.getState().replyNotYours).toEqual({ ticketId: queued, assigneeName: '李娜' });
    lead.getState().dismissReplyChangeWarning();
    expect(lead.getState().replyDrafts[queued]).toBe('主管补充：发票将在今天寄出。');
    expect(await serverMessages(queued)).toEqual(['您好，发票已重新开具。']);
  });

  it('offline, "send and set status" keeps the reply as a draft and sets no status (the customer has not been answered)', async () => {
    await agent.getState().openTicket(queued);
    await vi.waitFor(() => expect(agent.getState().detail?.ticket.id).toBe(queued));
    await server.server.close();
    await vi.waitFor(() => expect(agent.getState().connection.status).toBe('offline'), WAIT);
    agent.getState().setReplyDraft('稍后回复您。');
    expect(await agent.getState().sendReplyChecked('awaiting_customer')).toBe(true);
    expect(agent.getState().statusAfterReplyProblem).toEqual({ ticketId: queued, status: 'awaiting_customer', error: null });
    await agent.getState().reloadTicket();
    expect(agent.getState().detail!.drafts.map((draft) => draft.text)).toEqual(['稍后回复您。']);
    expect(agent.getState().detail!.ticket.status).toBe('in_progress');
  });
});
