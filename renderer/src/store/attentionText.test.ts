/**
 * The text of a refused change in the "needs attention" list, in the renderer store, on a REAL
 * core and the REAL server: a transfer's handover note the server refuses (the colleague is
 * offline) is listed with the note, goes back into the ticket's note composer after what the
 * agent is writing there, and is gone from the core once dismissed.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { call, workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { postJson, seedTestOrganisation, startTestServer, TEST_INTEGRATION_TOKEN, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { ATTENTION_PAGE_SIZE, ATTENTION_PREVIEW_CHARS, type AttentionItem } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { restoreTargetOf } from './attentionSlice.js';
import type { AppStore } from './appStore.js';
import { signedInStore, STORE_WAIT } from './testing/signedInStore.js';

const WAIT = STORE_WAIT;

let server: TestServer;
let core: WorkstationCore | null = null;
let dispose: (() => void) | null = null;
let lead: AppStore;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  // 李娜 serves mail but never signs in: the server counts her offline and refuses a transfer to her.
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

describe('the kept text of a refused change', () => {
  it('lists the handover note, puts it back into the note composer after what is there, and drops it on dismissal', async () => {
    const response = await postJson<{ ticketId: string }>(
      `${server.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'email', customer: { name: '王芳', email: 'wang.fang@example.cn' }, subject: '发票开错了', text: '发票抬头开错了' }),
      TEST_INTEGRATION_TOKEN,
    );
    const ticketId = (response.body as { ticketId: string }).ticketId;
    await vi.waitFor(async () => {
      await lead.getState().openTicket(ticketId);
      expect(lead.getState().detail?.ticket.id).toBe(ticketId);
    }, WAIT);

    const handover = `客户要求重开发票，抬头改为"上海某某科技有限公司"，税号已在备注里。${'请核对金额与明细。'.repeat(40)}`;
    expect(await lead.getState().transfer({ kind: 'agent', agentId: 'agent_li', agentName: '李娜' }, handover)).toBe(true);
    await vi.waitFor(() => expect(lead.getState().connection.attentionCount).toBe(1), WAIT);

    await lead.getState().openAttention();
    const [item] = lead.getState().attentionItems;
    // The list carries the dialog's preview; the whole note is fetched when it is put back.
    expect(item).toMatchObject({
      ticketId,
      kind: 'transfer',
      content: { text: [...handover].slice(0, ATTENTION_PREVIEW_CHARS).join(''), textChars: [...handover].length },
      ticketAvailable: true,
    });
    expect(restoreTargetOf(item!)).toBe('note');
    expect(await lead.getState().attentionText(item!.id)).toEqual({ text: handover });

    // The agent had started a note meanwhile: the kept text goes after it, nothing is overwritten.
    lead.getState().setNoteDraft('已电话联系客户。');
    lead.getState().closeTicket();
    expect(await lead.getState().restoreAttentionText(item!.id)).toBe(true);
    expect(lead.getState().openTicketId).toBe(ticketId);
    expect(lead.getState().noteDrafts[ticketId]).toBe(`已电话联系客户。\n\n${handover}`);
    expect(lead.getState().attentionOpen).toBe(false);
    // Putting it back is not dismissing it: it stays listed until the agent says so.
    expect((await call(core!, 'attention.list', {})).items.map((entry) => entry.id)).toEqual([item!.id]);

    await lead.getState().openAttention();
    await lead.getState().dismissAttentionItem(item!.id);
    expect(lead.getState().attentionItems).toEqual([]);
    expect(await call(core!, 'attention.list', {})).toEqual({ items: [], total: 0, next: null });
    await vi.waitFor(() => expect(lead.getState().connection.attentionCount).toBe(0), WAIT);
  });

  it('shows a page of previews while refusals arrive, the next page on demand, and keeps what was shown on a reload', async () => {
    const response = await postJson<{ ticketId: string }>(
      `${server.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'email', customer: { name: '赵敏', email: 'zhao.min@example.cn' }, subject: '退款', text: '退款还没到账' }),
      TEST_INTEGRATION_TOKEN,
    );
    const ticketId = (response.body as { ticketId: string }).ticketId;
    await vi.waitFor(async () => {
      await lead.getState().openTicket(ticketId);
      expect(lead.getState().detail?.ticket.id).toBe(ticketId);
    }, WAIT);
    // The list is open while the refusals come in: each one reloads what it shows.
    await lead.getState().openAttention();
    const refused = ATTENTION_PAGE_SIZE + 12;
    const noteOf = (n: number) => `第${String(n)}次转办：${'客户要求退款到原支付账户。'.repeat(30)}`;
    for (let n = 0; n < refused; n += 1) {
      await call(core!, 'ticket.transfer', { ticketId, to: { kind: 'agent', agentId: 'agent_li', agentName: '李娜' }, note: noteOf(n) });
      // Refused before the next: a transfer still waiting for the server would refuse the next one here.
      await vi.waitFor(() => expect(lead.getState().connection.attentionCount).toBe(n + 1), WAIT);
    }
    await vi.waitFor(() => expect(lead.getState().attentionTotal).toBe(refused), WAIT);
    await vi.waitFor(() => expect(lead.getState().attentionLoading).toBe(false), WAIT);
    const firstPage = lead.getState().attentionItems;
    expect(firstPage).toHaveLength(ATTENTION_PAGE_SIZE);
    expect(firstPage.every((item) => [...item.content!.text].length === ATTENTION_PREVIEW_CHARS)).toBe(true);
    expect(lead.getState().attentionNext).not.toBeNull();

    await lead.getState().loadMoreAttention();
    const all = lead.getState().attentionItems;
    expect(all).toHaveLength(refused);
    expect(new Set(all.map((item) => item.id)).size).toBe(refused);
    expect(lead.getState().attentionNext).toBeNull();
    // The oldest is the first transfer; its whole note on request ("show all", copy).
    expect(await lead.getState().attentionText(all.at(-1)!.id)).toEqual({ text: noteOf(0) });

    // A reload (a dismissal here) keeps every item the agent had scrolled to, less the dismissed one.
    await lead.getState().dismissAttentionItem(all[0]!.id);
    expect(lead.getState().attentionItems.map((item) => item.id)).toEqual(all.slice(1).map((item) => item.id));
    expect(lead.getState().attentionTotal).toBe(refused - 1);
    for (const item of lead.getState().attentionItems) await call(core!, 'attention.dismiss', { id: item.id });
    lead.getState().closeAttention();
  });

  it('offers no composer for text whose ticket left the agent, or a change that carried none', () => {
    const base: AttentionItem = {
      id: 1,
      ticketId: 'GD20240501001',
      kind: 'reply',
      code: 'forbidden',
      reason: 'reassigned',
      refusal: null,
      changeSeq: null,
      at: 1,
      content: { text: '您好', textChars: 2 },
      ticketAvailable: false,
    };
    expect(restoreTargetOf(base)).toBeNull();
    expect(restoreTargetOf({ ...base, ticketAvailable: true })).toBe('reply');
    expect(restoreTargetOf({ ...base, kind: 'setStatus', content: null, ticketAvailable: true })).toBeNull();
    expect(restoreTargetOf({ ...base, kind: 'createTicket', ticketAvailable: true })).toBeNull();
  });
});
