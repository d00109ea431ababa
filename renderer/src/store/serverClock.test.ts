/**
 * The screens count time on the server's clock (clock-2), on the REAL core and the REAL server:
 * a workstation whose clock is ten minutes behind (its core and its window both read it) sees a
 * ticket due five minutes ago as overdue in the countdown, as the core's overdue filter lists it,
 * not "due in 5 min". The server keeps the true time (its own clock, given to it).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../../server/testHarness.js';
import { slaCountdown } from '../../../shared/sla.js';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { RpcError } from '../api.js';
import type { InitializedStore } from './appStore.js';
import { serverTimeOf } from '../serverClock.js';
import { STORE_WAIT, signedInStore } from './testing/signedInStore.js';

/** The true time: the server's clock. */
const realNow = Date.now.bind(Date);
const BEHIND_MS = 10 * 60_000;
/** Far less than the skew, far more than a round trip here. */
const NEAR_MS = 60_000;

/** The server's folder; the workstation's cache lives inside it, so `stop()` removes both. */
let server: TestServer | null = null;
let core: WorkstationCore | null = null;
let started: InitializedStore | null = null;

beforeAll(async () => {
  server = await startTestServer({ demo: true, now: realNow });
  // The workstation's clock, ten minutes behind: what its core and its window read.
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() - BEHIND_MS);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url });
  started = await signedInStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    'agent1',
    'demo',
  );
});

afterAll(async () => {
  started?.dispose();
  await core?.close();
  vi.restoreAllMocks();
  await server?.stop();
});

describe("the screens' clock on a workstation ten minutes behind", () => {
  it('is the server time, and a ticket due five minutes ago counts as overdue there as in the core', async () => {
    const store = started!.store;
    await vi.waitFor(() => expect(store.getState().connection.serverClockOffsetMs).not.toBeNull(), STORE_WAIT);
    expect(Math.abs(store.getState().serverNow() - realNow())).toBeLessThan(NEAR_MS);

    // Busy: routing offers agent1 nothing; the ticket is fetched and taken by hand.
    await core!.invoke('presence.set', { presence: 'busy' });
    const probe = await server!.store.ingestInbound(
      { channel: 'chat', customer: { name: '林冲', phone: '13755550733' }, text: '查一下订单', proven: ['phone'] },
      { now: realNow() },
    );
    const probeTicket = (await server!.store.getTicket(probe.ticketId))!;
    const target = probeTicket.dueAt - probeTicket.createdAt;
    const { ticketId } = await server!.store.ingestInbound(
      { channel: 'chat', customer: { name: '花荣', phone: '13755550744' }, text: '发票开错了', proven: ['phone'] },
      { now: realNow() - target - 5 * 60_000 },
    );
    await core!.invoke('ticket.fetch', { ticketId });
    await core!.invoke('ticket.setStatus', { ticketId, status: 'in_progress' });
    await vi.waitFor(() => expect(store.getState().rows.some((row) => row.id === ticketId)).toBe(true), STORE_WAIT);
    const row = store.getState().rows.find((r) => r.id === ticketId)!;

    // The core's overdue filter lists it (it judges by the server's clock since clock-1)...
    const overdue = await core!.invoke('inbox.list', { channel: null, status: 'open', query: '', sla: 'breached' });
    expect(overdue.ok && (overdue.result as { rows: Array<{ id: string }> }).rows.map((r) => r.id)).toContain(ticketId);
    // ...and the countdown, on the clock the screens tick with (useNow: the window's clock plus the core's offset), says overdue too.
    const screensNow = serverTimeOf(store.getState().connection.serverClockOffsetMs, Date.now());
    expect(slaCountdown(row, screensNow).state).toBe('breached');
    expect(slaCountdown(row, store.getState().serverNow()).state).toBe('breached');
    // The window's own clock alone would have said "due in five minutes".
    expect(slaCountdown(row, Date.now()).state).not.toBe('breached');
  });
});
