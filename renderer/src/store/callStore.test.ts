/**
 * The phone call cards in the renderer store, on a REAL core and the REAL server (demo
 * organisation with the CTI channel): what the open-call key opens while the call rings
 * (the caller's newest ticket), once answered (the call's ticket) and after a missed call
 * (the callback task); an answered call's card goes by itself when the wrap-up after it is
 * over, except while a note typed on it is not saved — then it stays until the note is.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { call, workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { startServer, type RunningServer } from '../../../server/app.js';
import { DEMO_CTI_SECRET, ctiChannel } from '../../../server/channels/cti/ctiChannel.js';
import { signedWebhookHeaders } from '../../../server/channels/signature.js';
import { makeTempDir } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { callCardTarget } from './callSlice.js';

const WAIT = { timeout: 20_000, interval: 50 };
const ZHANG_WEI = '+86 138-0013-8000';
const UNKNOWN_CALLER = '13655550123';

let root: string;
let server: RunningServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

async function postEvent(event: Record<string, unknown>): Promise<{ ticketId: string | null }> {
  const body = JSON.stringify({ at: Date.now(), from: ZHANG_WEI, to: '4008001234', agentExtension: '8001', ...event });
  const response = await fetch(`${server.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(DEMO_CTI_SECRET, body, Date.now()) },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { ticketId: string | null };
}

const cardOf = (callId: string) => store.getState().calls.find((call) => call.callId === callId);

/** Answers and ends a call from 张伟, and waits until the wrap-up after it runs. */
async function talkedAndEnded(callId: string): Promise<string> {
  await postEvent({ callId, event: 'offered' });
  const { ticketId } = await postEvent({ callId, event: 'answered' });
  await postEvent({ callId, event: 'ended', durationSec: 75 });
  await vi.waitFor(() => expect(cardOf(callId)?.state).toBe('ended'), WAIT);
  await vi.waitFor(() => expect(store.getState().presence).toMatchObject({ wrapUpChannel: 'phone', wrapUpUntil: expect.any(Number) as number }), WAIT);
  return ticketId!;
}

beforeAll(async () => {
  root = makeTempDir('renderer-calls-');
  server = await startServer({
    port: 0,
    dataDir: `${root}/server`,
    demo: true,
    log: () => undefined,
    channels: [ctiChannel({ secret: DEMO_CTI_SECRET, twilio: null })],
  });
  core = await createWorkstationCore({ dataDir: `${root}/desk`, serverUrl: server.url });
  ({ store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error))));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('agent1', 'demo')).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.close();
});

describe('call cards in the renderer store', () => {
  it("opens with one key the caller's newest ticket while it rings, then the call's own ticket", async () => {
    expect(callCardTarget(store.getState().calls, store.getState().user)).toBeNull();
    await postEvent({ callId: 'store-call-1', event: 'offered' });
    await vi.waitFor(() => expect(cardOf('store-call-1')?.state).toBe('ringing'), WAIT);
    const ringing = cardOf('store-call-1')!;
    expect(ringing.ticketId).toBeNull();
    // 张伟's newest ticket agent1 may open: the first button among the card's recent tickets.
    const newest = ringing.recentTickets.find((ticket) => ticket.assigneeId === 'agent1' || ticket.assigneeId === null);
    expect(newest).toBeDefined();
    expect(callCardTarget(store.getState().calls, store.getState().user)).toEqual({ callId: 'store-call-1', ticketId: newest!.id });

    const { ticketId } = await postEvent({ callId: 'store-call-1', event: 'answered' });
    await vi.waitFor(() => expect(cardOf('store-call-1')?.state).toBe('answered'), WAIT);
    const target = callCardTarget(store.getState().calls, store.getState().user);
    expect(target).toEqual({ callId: 'store-call-1', ticketId });
    await store.getState().openCallTicket(target!.ticketId);
    expect(store.getState().detail?.ticket.id).toBe(ticketId);
    await postEvent({ callId: 'store-call-1', event: 'ended', durationSec: 30 });
    await store.getState().dismissCall('store-call-1');
  });

  it("takes an ended call's card away when its wrap-up is over, unless a note on it is unsaved", async () => {
    // No note: Ready (就绪) ends the wrap-up and the card goes with it.
    await talkedAndEnded('store-call-2');
    expect(await store.getState().endWrapUp()).toBe(true);
    await vi.waitFor(() => expect(cardOf('store-call-2')).toBeUndefined(), WAIT);
    expect(store.getState().presence?.wrapUpUntil).toBeNull();

    // A note typed and not saved keeps the card past the wrap-up, until the note is saved.
    const ticketId = await talkedAndEnded('store-call-3');
    store.getState().setCallNote('store-call-3', '客户要求周五前寄出换货。');
    expect(await store.getState().endWrapUp()).toBe(true);
    await vi.waitFor(() => expect(store.getState().heldCalls).toEqual(['store-call-3']), WAIT);
    expect(cardOf('store-call-3')?.state).toBe('ended');
    // The core let it go; the window keeps it for the note.
    expect((await call(core, 'call.list', {})).calls.map((c) => c.callId)).not.toContain('store-call-3');
    expect(await store.getState().saveCallNote('store-call-3')).toBe(true);
    expect(cardOf('store-call-3')).toBeUndefined();
    expect(store.getState().heldCalls).toEqual([]);
    await store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(store.getState().detail?.notes.map((note) => note.text)).toContain('客户要求周五前寄出换货。'), WAIT);
  });

  it('keeps a missed call until dismissed; its key opens the callback task', async () => {
    await postEvent({ callId: 'store-call-4', event: 'ringing', from: UNKNOWN_CALLER });
    await vi.waitFor(() => expect(cardOf('store-call-4')?.state).toBe('ringing'), WAIT);
    // An unknown caller still ringing: nothing to open yet.
    expect(callCardTarget(store.getState().calls, store.getState().user)).toBeNull();
    const { ticketId } = await postEvent({ callId: 'store-call-4', event: 'missed', from: UNKNOWN_CALLER });
    await vi.waitFor(() => expect(cardOf('store-call-4')?.state).toBe('missed'), WAIT);
    expect(callCardTarget(store.getState().calls, store.getState().user)).toEqual({ callId: 'store-call-4', ticketId });
    await store.getState().dismissCall('store-call-4');
    expect(store.getState().calls).toEqual([]);
  });
});
