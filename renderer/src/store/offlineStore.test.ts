/**
 * The renderer store through an outage, on the REAL core and the REAL server (temp SQLite
 * files, a loopback port the server comes back on): offline replies become drafts that are
 * sent only when the agent asks, priority and follow-up changes show at once as pending,
 * and everything is acknowledged once the server is back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

const apiOver = (core: WorkstationCore) => workstationApiOver(core, (error) => new RpcError(error));

/** The server's folder; the workstation's cache lives inside it, so `stop()` removes both. */
let root: string;
let server: TestServer | null = null;
let port = 0;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
let ticketId: string;

/** The server on the same folder and port (a fresh ephemeral port the first time). */
async function startOnSamePort(): Promise<TestServer> {
  server = await startTestServer({ port, dataDir: root, demo: true, now: Date.now });
  port = server.server.port;
  return server;
}

/** The outage: the server goes away, its data stays. */
async function stopServerKeepingData(): Promise<void> {
  await server!.server.close();
  server = null;
}

/** A ticket agent1 is working on whose priority can still be raised to urgent. */
const workable = (row: { status: string; priority: string }) => row.status === 'in_progress' && row.priority === 'normal';

beforeAll(async () => {
  root = makeTempDir('renderer-offline-');
  const started = await startOnSamePort();
  core = await createWorkstationCore({ dataDir: `${root}/workstation`, serverUrl: started.url });
  ({ store, dispose } = initStore(apiOver(core)));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => {
    expect(store.getState().connection.status).toBe('online');
    expect(store.getState().rows.some(workable)).toBe(true);
  }, WAIT);
  ticketId = store.getState().rows.find(workable)!.id;
  await store.getState().openTicket(ticketId);
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  if (!server) await startOnSamePort();
  await server?.stop();
});

describe('the renderer store through an outage', () => {
  const draftText = '您好，系统恢复后第一时间为您处理退款。';

  it('keeps a reply written offline as a draft, out of the composer, and will not send it offline', async () => {
    await stopServerKeepingData();
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('offline'), WAIT);

    store.getState().setReplyDraft(draftText);
    expect(await store.getState().sendReply()).toBe(true);
    expect(store.getState().replyDrafts[ticketId]).toBeUndefined();
    await vi.waitFor(() => expect(store.getState().detail?.drafts.map((d) => d.text)).toEqual([draftText]));
    expect(store.getState().detail?.messages.some((m) => m.text === draftText)).toBe(false);
    await vi.waitFor(() => expect(store.getState().rows.find((r) => r.id === ticketId)?.hasDraft).toBe(true));

    const draftId = store.getState().detail!.drafts[0]!.id;
    expect(await store.getState().sendDraft(draftId)).toBe(false);
    expect(store.getState().actionError?.code).toBe('offline');
    expect(store.getState().detail?.drafts.map((d) => d.id)).toEqual([draftId]);
  });

  it('shows priority and follow-up changes at once, pending, and counts them', async () => {
    const followUpAt = Date.now() + 86_400_000;
    expect(await store.getState().setPriority('urgent')).toBe(true);
    expect(await store.getState().setFollowUp(followUpAt)).toBe(true);
    const detail = store.getState().detail!;
    expect(detail.ticket).toMatchObject({ priority: 'urgent', followUpAt });
    expect(detail.pending).toBe(true);
    await vi.waitFor(() => {
      const row = store.getState().rows.find((r) => r.id === ticketId)!;
      expect(row).toMatchObject({ priority: 'urgent', followUpAt, pending: true });
      expect(store.getState().connection.pendingCount).toBe(2);
    });
  });

  it('delivers the changes when the server is back, and sends the draft only when asked', async () => {
    const restarted = await startOnSamePort();
    await vi.waitFor(() => {
      expect(store.getState().connection).toMatchObject({ status: 'online', pendingCount: 0 });
      expect(store.getState().detail?.pending).toBe(false);
    }, WAIT);
    expect((await restarted.store.getTicketBundle(ticketId))!.ticket.priority).toBe('urgent');
    expect((await restarted.store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === draftText)).toHaveLength(0);

    const draftId = store.getState().detail!.drafts[0]!.id;
    expect(await store.getState().sendDraft(draftId)).toBe(true);
    await vi.waitFor(() => {
      expect(store.getState().detail?.drafts).toEqual([]);
      expect(store.getState().detail?.messages.filter((m) => m.text === draftText)).toHaveLength(1);
      expect(store.getState().connection.pendingCount).toBe(0);
    }, WAIT);
    expect((await restarted.store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === draftText)).toHaveLength(1);
  });

  it('clears the follow-up reminder and discards a draft', async () => {
    expect(await store.getState().setFollowUp(null)).toBe(true);
    expect(store.getState().detail?.ticket.followUpAt).toBeNull();
    expect(await store.getState().setFollowUp(null)).toBe(false);

    await stopServerKeepingData();
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('offline'), WAIT);
    store.getState().setReplyDraft('这条草稿稍后删除');
    expect(await store.getState().sendReply()).toBe(true);
    await vi.waitFor(() => expect(store.getState().detail?.drafts).toHaveLength(1));
    expect(await store.getState().discardDraft(store.getState().detail!.drafts[0]!.id)).toBe(true);
    await vi.waitFor(() => expect(store.getState().detail?.drafts).toEqual([]));
    await startOnSamePort();
  });

  it('lists nothing under "needs attention" when nothing was refused', async () => {
    await store.getState().openAttention();
    expect(store.getState()).toMatchObject({ attentionOpen: true, attentionItems: [], attentionTotal: 0, attentionNext: null, attentionError: null });
    store.getState().closeAttention();
    expect(store.getState().attentionOpen).toBe(false);
  });
});
