/**
 * The renderer store retrying, on the REAL core and the REAL server. Issue 9 item 16: a
 * reply whose answer was lost on its way back (the host link dropped after the core did
 * it) and that the agent sends again lands once. Item 18: coming back to the window or
 * the network returning makes the workstation reach a server that is back at once, not
 * at the end of its backoff.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import type { RpcMethod, WorkstationApi } from '../../../shared/rpc.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore, type WakeSignals } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };
/** Ten minutes: nothing in this file reconnects by its backoff alone. */
const LONG_BACKOFF_MS = 600_000;

/**
 * The real core behind a link that drops the answers of the next calls of `method`: the
 * core runs the call, then the renderer hears "the connection closed before it answered",
 * exactly what the browser transport says when the host link drops mid-call.
 */
function lossyLink(core: WorkstationCore): { api: WorkstationApi; loseNextAnswer(method: RpcMethod): void } {
  const real = workstationApiOver(core, (error) => new RpcError(error));
  const toLose = new Set<RpcMethod>();
  return {
    loseNextAnswer: (method) => toLose.add(method),
    api: {
      on: (event, listener) => real.on(event, listener),
      async invoke(method, params) {
        const result = await real.invoke(method, params);
        if (toLose.delete(method)) {
          throw new RpcError({ code: 'server_unreachable', message: 'The connection to the workstation service closed before it answered.' });
        }
        return result;
      },
    },
  };
}

/** Wake signals the test raises by hand, as the browser's focus / online events would. */
function handWake(): WakeSignals & { fire(): void } {
  const listeners = new Set<() => void>();
  return {
    subscribe(onWake) {
      listeners.add(onWake);
      return () => listeners.delete(onWake);
    },
    fire() {
      for (const listener of listeners) listener();
    },
  };
}

let root: string;
let server: TestServer | null = null;
let port = 0;
let core: WorkstationCore;
let link: ReturnType<typeof lossyLink>;
let wake: ReturnType<typeof handWake>;
let store: AppStore;
let dispose: () => void;
let ticketId: string;

async function startOnSamePort(): Promise<TestServer> {
  server = await startTestServer({ port, dataDir: root, demo: true, now: Date.now });
  port = server.server.port;
  return server;
}

/** The messages on the server with this text: what the customer receives. */
const onServer = async (text: string) => (await server!.store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === text).length;

beforeAll(async () => {
  root = makeTempDir('renderer-retry-');
  const started = await startOnSamePort();
  core = await createWorkstationCore({
    dataDir: `${root}/workstation`,
    serverUrl: started.url,
    reconnectDelayMs: LONG_BACKOFF_MS,
    reconnectDelayMaxMs: LONG_BACKOFF_MS,
    reconnectUnreachableMaxMs: LONG_BACKOFF_MS,
  });
  link = lossyLink(core);
  wake = handWake();
  ({ store, dispose } = initStore(link.api, { wake }));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => {
    expect(store.getState().connection.status).toBe('online');
    expect(store.getState().rows.some((row) => row.status === 'in_progress')).toBe(true);
  }, WAIT);
  ticketId = store.getState().rows.find((row) => row.status === 'in_progress')!.id;
  await store.getState().openTicket(ticketId);
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  if (!server) await startOnSamePort();
  await server?.stop();
});

describe('the renderer store retrying', () => {
  it('sends a reply whose answer was lost exactly once when the agent presses Send again', async () => {
    const text = '您好，您的退款已提交，预计三个工作日内到账。';
    store.getState().setReplyDraft(text);
    link.loseNextAnswer('ticket.reply');
    expect(await store.getState().sendReply()).toBe(false);
    expect(store.getState().actionError?.code).toBe('server_unreachable');
    // The text stays in the composer; the agent presses Send again.
    expect(store.getState().replyDrafts[ticketId]).toBe(text);
    expect(await store.getState().sendReply()).toBe(true);
    expect(store.getState().replyDrafts[ticketId]).toBeUndefined();

    await vi.waitFor(() => expect(store.getState().connection.pendingCount).toBe(0), WAIT);
    expect(await onServer(text)).toBe(1);
    await vi.waitFor(() => expect(store.getState().detail?.messages.filter((m) => m.text === text)).toHaveLength(1), WAIT);

    // The same words sent again on purpose, after the first succeeded, are a new reply.
    store.getState().setReplyDraft(text);
    expect(await store.getState().sendReply()).toBe(true);
    await vi.waitFor(() => expect(store.getState().connection.pendingCount).toBe(0), WAIT);
    expect(await onServer(text)).toBe(2);
  });

  it("makes a reply's files part of the send: a retry with the same files lands once with them, the same words with other files are a second reply", async () => {
    /** Uploads one file for the open ticket's reply, as the composer does; its upload id. */
    const attach = async (name: string, body: string) => {
      const before = new Set((store.getState().replyFiles[ticketId] ?? []).map((file) => file.id));
      await store.getState().attachFiles([new File([body], name, { type: 'application/pdf' })]);
      expect(store.getState().attachError).toBeNull();
      return store.getState().replyFiles[ticketId]!.find((file) => !before.has(file.id))!.id;
    };
    const filesOnServer = async (text: string) =>
      (await server!.store.getTicketBundle(ticketId))!.messages.filter((m) => m.text === text).map((m) => m.attachments.map((file) => file.id));

    // The same text and the same file, pressed again after a lost answer: one reply, with its file.
    const retried = '报价单见附件，请查收。';
    const quote = await attach('报价单.pdf', '%PDF-1.4 quote');
    store.getState().setReplyDraft(retried);
    link.loseNextAnswer('ticket.reply');
    expect(await store.getState().sendReply()).toBe(false);
    expect(await store.getState().sendReply()).toBe(true);
    expect(store.getState().replyFiles[ticketId]).toBeUndefined();
    await vi.waitFor(() => expect(store.getState().connection.pendingCount).toBe(0), WAIT);
    expect(await filesOnServer(retried)).toEqual([[quote]]);

    // The answer is lost again; the agent swaps the file and sends the same words: another reply, with the other file.
    const swapped = '合同见附件。';
    const draftContract = await attach('合同草稿.pdf', '%PDF-1.4 draft');
    store.getState().setReplyDraft(swapped);
    link.loseNextAnswer('ticket.reply');
    expect(await store.getState().sendReply()).toBe(false);
    store.getState().removeReplyFile(draftContract);
    const finalContract = await attach('合同定稿.pdf', '%PDF-1.4 final');
    expect(await store.getState().sendReply()).toBe(true);
    await vi.waitFor(() => expect(store.getState().connection.pendingCount).toBe(0), WAIT);
    expect(await filesOnServer(swapped)).toEqual([[draftContract], [finalContract]]);
  });

  it('adds a note whose answer was lost exactly once', async () => {
    const text = '客户来电确认：周五前处理完毕';
    store.getState().setNoteDraft(text);
    link.loseNextAnswer('ticket.addNote');
    expect(await store.getState().addNote()).toBe(false);
    expect(await store.getState().addNote()).toBe(true);
    await vi.waitFor(() => expect(store.getState().connection.pendingCount).toBe(0), WAIT);
    expect((await server!.store.getTicketBundle(ticketId))!.notes.filter((n) => n.text === text)).toHaveLength(1);
  });

  it('reaches a server that came back as soon as the window wakes, not after the backoff', async () => {
    await server!.server.close();
    server = null;
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('offline'), WAIT);
    await startOnSamePort();
    // The socket's next attempt is minutes away; the agent clicks back into the window.
    wake.fire();
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  });

  it('"retry now" does nothing while online', async () => {
    expect(await store.getState().retryConnection()).toBe(false);
  });
});
