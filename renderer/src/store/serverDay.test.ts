/**
 * The screens' "today" and their "since" are the server's, on the REAL core and the REAL server:
 * a workstation whose clock is on yesterday's date in the organisation's zone (Asia/Shanghai, the
 * default), its core and its window both reading it. The reports' default day is the server's
 * today (at sign-in, and again once signed out), a time of today shows without a date, and
 * "offline since" is the server's time of the outage. The server keeps the true time.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { shanghaiDayOf } from '../../../shared/businessHours.js';
import { localDateOf } from '../../../shared/kpi.js';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { RpcError } from '../api.js';
import { formatClock, formatDateAndClock, formatDateTime } from '../i18n.js';
import type { InitializedStore } from './appStore.js';
import { STORE_WAIT, signedInStore } from './testing/signedInStore.js';

/** The true time: the server's clock. */
const realNow = Date.now.bind(Date);
/** Far less than the skew, far more than a round trip here. */
const NEAR_MS = 60_000;

/** The server's folder; the workstation's cache lives inside it, so the last `stop()` removes both. */
let root = '';
let server: TestServer | null = null;
let core: WorkstationCore | null = null;
let started: InitializedStore | null = null;
/** How far behind the workstation's clock is: an hour before today's midnight in Shanghai, whatever the time now. */
let behindMs = 0;

beforeAll(async () => {
  root = makeTempDir('renderer-server-day-');
  server = await startTestServer({ dataDir: root, demo: true, now: realNow });
  const now = realNow();
  behindMs = now - shanghaiDayOf(now).midnight + 60 * 60_000;
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() - behindMs);
  expect(localDateOf(Date.now())).not.toBe(localDateOf(realNow()));
  core = await createWorkstationCore({ dataDir: `${root}/workstation`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  started = await signedInStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    'lead1',
    'demo',
  );
}, 60_000);

afterAll(async () => {
  started?.dispose();
  await core?.close();
  vi.restoreAllMocks();
  // After the outage a server on the same folder, to remove it (and the workstation's cache in it).
  server ??= root ? await startTestServer({ dataDir: root, demo: true }) : null;
  await server?.stop();
});

describe("the screens' day on a workstation whose clock is still on yesterday", () => {
  it("reports today's report by the server's date, shows today's times without a date, and dates going offline on the server's clock", async () => {
    const store = started!.store;
    await vi.waitFor(() => expect(store.getState().connection.serverClockOffsetMs).not.toBeNull(), STORE_WAIT);
    const today = localDateOf(realNow());

    // The report a lead opening the view sees first: the server's today, not the computer's yesterday.
    expect(store.getState().reportRequest.date).toBe(today);

    // A time of the server's today is today: its clock alone, in both languages.
    const aMinuteAgo = realNow() - 60_000;
    expect(formatDateTime('en', aMinuteAgo)).toBe(formatClock('en', aMinuteAgo));
    expect(formatDateTime('zh-CN', aMinuteAgo)).toBe(formatClock('zh-CN', aMinuteAgo));
    expect(formatDateAndClock('en', aMinuteAgo).date).toBeNull();
    // And one of yesterday has its date.
    expect(formatDateAndClock('en', realNow() - 25 * 60 * 60_000).date).not.toBeNull();

    // The server goes, its data stays: "offline since" is the server's time of it.
    await server!.server.close();
    server = null;
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('offline'), STORE_WAIT);
    expect(Math.abs(store.getState().connection.since - realNow())).toBeLessThan(NEAR_MS);

    // Signed out, the reports wait on the server's today too.
    await store.getState().signOut();
    expect(store.getState().user).toBeNull();
    expect(store.getState().reportRequest.date).toBe(today);
  });
});
