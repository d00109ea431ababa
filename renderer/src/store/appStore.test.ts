/**
 * The renderer store driven against the REAL workstation core and the REAL server (temp
 * SQLite files, loopback ports). The only glue is the few lines that turn the core's
 * `invoke` outcome into the `WorkstationApi` promise, exactly what the hosts do.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { errorText } from '../components/errorText.js';
import { translate, type MessageKey, type TranslateVars } from '../i18n.js';
import { initStore, type AppStore } from './appStore.js';

const apiOver = (core: WorkstationCore) => workstationApiOver(core, (error) => new RpcError(error));

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
let ticketId: string;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
  const inbound = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({
      channel: 'chat',
      customer: { name: '张伟', phone: '13800138000', email: 'zhangwei@example.cn' },
      subject: '订单物流查询延迟',
      text: '我的订单三天没有物流更新了',
    }),
    TEST_INTEGRATION_TOKEN,
  );
  ticketId = (inbound.body as { ticketId: string }).ticketId;
  // Inside the server's temp folder, so stopping the server removes both.
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(apiOver(core)));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('the renderer store on the real core', () => {
  it('keeps the agent on the sign-in screen with a reason when the password is wrong', async () => {
    expect(await store.getState().signIn('agent_wang', 'wrong-password')).toBe(false);
    expect(store.getState().user).toBeNull();
    expect(store.getState().signInError?.code).toBe('bad_credentials');
  });

  it('signs in, fills the inbox from the sync and opens the top ticket', async () => {
    expect(await store.getState().signIn('agent_wang', TEST_PASSWORD)).toBe(true);
    expect(store.getState().user?.displayName).toBe('王芳');
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toContain(ticketId), { timeout: 10_000 });
    // Rows arrive during the bootstrap, before the link reports online; a reply written
    // before then is (rightly) kept as a draft, which is not what the next tests exercise.
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 10_000 });
    const row = store.getState().rows.find((r) => r.id === ticketId)!;
    expect(row.customerName).toBe('张伟');
    expect(store.getState().channelCounts.chat).toBeGreaterThanOrEqual(1);
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(ticketId));
    expect(store.getState().selectedIndex).toBe(store.getState().rows.findIndex((r) => r.id === ticketId));
  });

  it('sends a reply, clears only the sent draft, and the timeline shows it', async () => {
    store.getState().setReplyDraft('您好，已为您联系快递公司');
    expect(await store.getState().sendReply()).toBe(true);
    expect(store.getState().replyDrafts[ticketId]).toBeUndefined();
    await vi.waitFor(() => expect(store.getState().detail?.messages.map((m) => m.text)).toContain('您好，已为您联系快递公司'));
  });

  it('keeps the typed text and reports the error when the core refuses a reply', async () => {
    const tooLong = '长'.repeat(20_001);
    store.getState().setReplyDraft(tooLong);
    expect(await store.getState().sendReply()).toBe(false);
    expect(store.getState().actionError?.code).toBe('invalid_params');
    expect(store.getState().replyDrafts[ticketId]).toBe(tooLong);
    store.getState().setReplyDraft('');
  });

  it("refuses a reply no channel can deliver with the facts, said in the agent's language, and keeps the text", async () => {
    const phoneOnly = await postJson<{ ticketId: string }>(
      `${server.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '请回电话' }),
      TEST_INTEGRATION_TOKEN,
    );
    const otherId = (phoneOnly.body as { ticketId: string }).ticketId;
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toContain(otherId), { timeout: 10_000 });
    await store.getState().openTicket(otherId);
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(otherId));
    expect(store.getState().detail!.reach).toMatchObject({ routes: [], hasPhone: true, hasEmail: false });
    store.getState().setReplyDraft('您好，稍后回电');
    expect(await store.getState().sendReply()).toBe(false);
    const error = store.getState().actionError!;
    expect(error).toMatchObject({ code: 'no_reply_route', refusal: { code: 'no_reply_route', alternatives: ['add_note', 'call_back', 'add_email'] } });
    const zh = (key: MessageKey, vars?: TranslateVars) => translate('zh-CN', key, vars);
    expect(errorText(zh, error)).toBe('没有可以送达此客户的书面回复渠道。您可以：添加内部备注，或回电客户，或补充客户邮箱后通过邮件回复。');
    expect(store.getState().replyDrafts[otherId]).toBe('您好，稍后回电');
    store.getState().setReplyDraft('');
    store.getState().dismissActionError();
    await store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(ticketId));
  });

  it('adds an internal note and changes the status along an allowed transition', async () => {
    store.getState().setNoteDraft('客户情绪稳定');
    expect(await store.getState().addNote()).toBe(true);
    expect(await store.getState().setStatus('awaiting_customer')).toBe(true);
    await vi.waitFor(() => {
      const detail = store.getState().detail!;
      expect(detail.ticket.status).toBe('awaiting_customer');
      expect(detail.notes.map((n) => n.text)).toContain('客户情绪稳定');
    });
    expect(await store.getState().setStatus('unassigned')).toBe(false);
    expect(store.getState().actionError?.code).toBe('invalid_transition');
  });

  it('filters the inbox by channel and by text', async () => {
    store.getState().setChannelFilter('email');
    await vi.waitFor(() => expect(store.getState().rows).toHaveLength(0));
    store.getState().setChannelFilter(null);
    store.getState().setQuery('物流');
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toEqual([ticketId]));
    store.getState().setQuery('');
  });

  it('moves the keyboard selection within the rows', () => {
    const count = store.getState().rows.length;
    store.getState().moveSelection(-1_000);
    expect(store.getState().selectedIndex).toBe(0);
    store.getState().moveSelection(1_000);
    expect(store.getState().selectedIndex).toBe(count - 1);
  });

  it('offers the customer who proved the number this one only claimed, and merges them from that suggestion', async () => {
    // Another chat, whose number the channel proved: the integration's 张伟 only claimed it.
    const proven = await server.store.ingestInbound(
      { channel: 'chat', customer: { name: '张伟', phone: '138 0013 8000' }, text: '我之前打过电话', proven: ['phone'] },
      { now: Date.now() },
    );
    // Suggestions are asked for whenever a ticket opens: both ways.
    const claimantId = store.getState().detail!.customer.id;
    // It waits in the chat queue (nothing routed it): the agent opens it from the queue view.
    await store.getState().openQueued(proven.ticketId);
    expect(store.getState().detail?.ticket.id).toBe(proven.ticketId);
    await vi.waitFor(() => expect(store.getState().customerMatches.map((match) => match.customer.id)).toEqual([claimantId]));
    await store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(store.getState().customerMatches.map((match) => match.customer.id)).toEqual([proven.ticket.customerId]));
    const claimant = store.getState().detail!.customer;
    expect(store.getState().customerMatchesFor).toBe(claimant.id);
    expect(store.getState().customerMatches[0]!.shared).toEqual([{ kind: 'phone', value: '+86138****8000', oursProven: false, theirsProven: true }]);

    // One click opens the confirmation, keeping the older record (this one); the newer one's proven number moves to it.
    store.getState().mergeWithMatch(store.getState().customerMatches[0]!);
    expect(store.getState()).toMatchObject({ mergeOpen: true, mergeSwapped: false, mergeCandidate: { customer: { id: proven.ticket.customerId } } });
    expect(await store.getState().confirmMerge()).toBe(true);
    await vi.waitFor(() => expect(store.getState().detail?.customer.identities).toContainEqual({ kind: 'phone', value: '+86138****8000' }));
    expect(store.getState().detail?.customer.id).toBe(claimant.id);
    await vi.waitFor(() => expect(store.getState().customerMatches).toEqual([]));
    expect(store.getState().mergeNotice).toMatchObject({ customerId: claimant.id, ticketsMoved: 1 });
  });

  it('signs out and forgets the inbox and the drafts', async () => {
    store.getState().setReplyDraft('未发送的草稿');
    await store.getState().signOut();
    const state = store.getState();
    expect(state.user).toBeNull();
    expect(state.rows).toHaveLength(0);
    expect(state.detail).toBeNull();
    expect(state.replyDrafts).toEqual({});
    expect(state.connection.status).toBe('signed_out');
  });
});
