/**
 * Web chat indicators through every layer: a real widget connection (socket.io client on
 * the server's `/webchat`), the real server, the real workstation core and the renderer
 * store. The visitor types and the agent's store shows it; the agent writes a reply draft
 * and the visitor is told; the reply reaches the visitor live and their read mark comes back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { connectTestVisitor, type TestVisitor } from '../../../main/core/testing/webchatVisitor.js';
import { startTestServer, seedTestOrganisation, testWebchatChannel, TEST_PASSWORD, TEST_WEBCHAT_SITE, type TestServer } from '../../../server/testHarness.js';
import type { WebchatSent } from '../../../shared/webchat.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { isVisitorTyping } from './chatSlice.js';

const apiOver = (core: WorkstationCore) => workstationApiOver(core, (error) => new RpcError(error));

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
let visitor: TestVisitor;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now, routing: { autoAccept: true }, channels: [testWebchatChannel()] });
  await seedTestOrganisation(server.store, [{ username: 'agent_wang', displayName: '王芳', channels: ['chat'] }]);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(apiOver(core)));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  visitor = await connectTestVisitor(server.url, { site: TEST_WEBCHAT_SITE, visitorId: 'visitor-store-test-01' });
});

afterAll(async () => {
  visitor?.close();
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('web chat indicators in the agent store', () => {
  it('shows the visitor typing, tells the visitor the agent is typing, and marks the reply read', async () => {
    expect(await store.getState().signIn('agent_wang', TEST_PASSWORD)).toBe(true);
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), { timeout: 10_000 });
    await visitor.ask('webchat:hello', {});
    const { ticketId } = await visitor.ask<WebchatSent>('webchat:send', { clientMessageId: 'cmsg-store-01', text: '你好，我想查询订单' });
    await vi.waitFor(() => expect(store.getState().rows.map((r) => r.id)).toContain(ticketId), { timeout: 10_000 });
    await store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(store.getState().detail?.messages.map((m) => m.source)).toEqual(['webchat:demo']));

    visitor.socket.emit('webchat:typing', { typing: true });
    await vi.waitFor(() => expect(isVisitorTyping(store.getState(), ticketId, Date.now())).toBe(true));
    visitor.socket.emit('webchat:typing', { typing: false });
    await vi.waitFor(() => expect(isVisitorTyping(store.getState(), ticketId, Date.now())).toBe(false));

    store.getState().setReplyDraft('您好，请');
    await vi.waitFor(() => expect(visitor.agentTyping).toEqual([{ typing: true, agentName: '王芳' }]));
    store.getState().setReplyDraft('您好，请提供订单号。');
    expect(await store.getState().sendReply()).toBe(true);
    // The draft cleared by sending ends the agent's typing at once.
    await vi.waitFor(() => expect(visitor.agentTyping.at(-1)).toEqual({ typing: false, agentName: '王芳' }));
    await vi.waitFor(() => expect(visitor.arrived.map((m) => m.text)).toEqual(['您好，请提供订单号。']));

    const reply = visitor.arrived[0]!;
    await visitor.ask('webchat:read', { ticketId, messageId: reply.id });
    await vi.waitFor(() => expect(store.getState().readMarks[ticketId]?.messageId).toBe(reply.id));
    // A window opened late gets the same from the core.
    await store.getState().loadChatState();
    expect(store.getState().readMarks[ticketId]).toMatchObject({ messageId: reply.id, messageCreatedAt: reply.createdAt });
  });
});
