/**
 * The windowed inbox in the renderer store, against the REAL core and server: a lead's
 * cache of 1,200 tickets (more than the store ever holds at once), scrolled, filtered,
 * sorted and walked by keyboard selection; the unread count; and a bad filter refused.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { firstContact, followUpContact } from '../../../bench/sampleContacts.js';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import { CHANNELS } from '../../../shared/domain.js';
import { INBOX_FIRST_WINDOW_ROWS, type RpcParams, type WorkstationApi } from '../../../shared/rpc.js';
import { seedTestOrganisation, startTestServer, TEST_PASSWORD, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import { INBOX_WINDOW_ROWS, inboxRowAt } from './inboxSlice.js';

const TICKETS = 1200;

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;

beforeAll(async () => {
  server = await startTestServer({ now: Date.now });
  await seedTestOrganisation(server.store, [{ username: 'lead_zhao', displayName: '赵组长', channels: [...CHANNELS], role: 'lead' }]);
  // One contact a minute up to now: the oldest are past their SLA, the newest well within it.
  const start = Date.now() - TICKETS * 60_000;
  await server.store.withTransaction(async () => {
    for (let index = 0; index < TICKETS; index++) {
      const channel = CHANNELS[index % CHANNELS.length]!;
      await server.store.ingestInbound({ ...firstContact(index, channel), proven: ['phone', 'email', 'socialId'] }, { now: start + index * 60_000 });
    }
  });
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url });
  ({ store, dispose } = initStore(apiOver(core)));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn('lead_zhao', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().total).toBe(TICKETS), { timeout: 20_000 });
}, 60_000);

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

/** The offsets of the `inbox.window` calls the store made, in order. */
const windowOffsets: number[] = [];
/** Every `inbox.*` method the store called, in order. */
const inboxCalls: string[] = [];

/** The real core's API; its window calls are also written down, to see how many a scroll makes. */
function apiOver(workstation: WorkstationCore): WorkstationApi {
  const api = workstationApiOver(workstation, (error) => new RpcError(error));
  return {
    ...api,
    invoke(method, params) {
      if (method === 'inbox.window') windowOffsets.push((params as RpcParams<'inbox.window'>).offset ?? 0);
      if (method.startsWith('inbox.')) inboxCalls.push(method);
      return api.invoke(method, params);
    },
  };
}

describe('the windowed inbox in the store', () => {
  it('holds one window of the list and says how many match and exist', () => {
    const state = store.getState();
    expect(state.exists).toBe(TICKETS);
    expect(state.viewCounts).toEqual({ all: TICKETS, mine: 0, unassigned: TICKETS });
    expect(state.rowsOffset).toBe(0);
    expect(state.rows).toHaveLength(INBOX_WINDOW_ROWS);
    const times = state.rows.map((row) => row.lastMessageAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('loads the window a scroll shows, down to the last row, and keeps the order across windows', async () => {
    const top = store.getState().rows.map((row) => row.id);
    store.getState().showRange(TICKETS - 12, TICKETS);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), TICKETS - 1)).toBeDefined());
    const state = store.getState();
    expect(state.rowsOffset + state.rows.length).toBe(TICKETS);
    expect(state.rows.some((row) => top.includes(row.id))).toBe(false);
    // The oldest contact is the last row of the newest-first list.
    expect(inboxRowAt(state, TICKETS - 1)?.subject).toBe(firstContact(0, CHANNELS[0]).subject);
  });

  it('scrolled fast, asks the core for one window at a time and then for the range shown last', async () => {
    store.getState().showRange(0, 12);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), 0)).toBeDefined());
    windowOffsets.length = 0;
    // What a fast scroll does: a new range every frame, long before the first window is in.
    for (let start = INBOX_WINDOW_ROWS; start <= TICKETS - 12; start += 50) store.getState().showRange(start, start + 12);
    store.getState().showRange(TICKETS - 12, TICKETS);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), TICKETS - 1)).toBeDefined());
    // The first range past the window (its window starts 50 rows above it), then the last one: 19 ranges, 2 windows.
    expect(windowOffsets).toEqual([INBOX_WINDOW_ROWS - 50, TICKETS - INBOX_WINDOW_ROWS]);
    // Abuse: a range asked for while a window is on its way, then a filter change; the old range is not fetched after the new list.
    windowOffsets.length = 0;
    store.getState().showRange(0, 12);
    store.getState().showRange(600, 612);
    store.getState().setSort('priority');
    await vi.waitFor(() => expect(store.getState().rowsOffset).toBe(0));
    // One more round trip to the core: a window still queued would have been asked for by now.
    await store.getState().loadInbox();
    expect(windowOffsets).toEqual([0]);
    store.getState().setSort('activity');
    await vi.waitFor(() => expect(store.getState().rowsOffset).toBe(0));
  });

  it('moves the keyboard selection past the window and opens the ticket under it', async () => {
    store.getState().selectIndex(0);
    store.getState().moveSelection(-1);
    expect(store.getState().selectedIndex).toBe(0);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), 0)).toBeDefined());
    for (let step = 0; step < INBOX_WINDOW_ROWS + 5; step++) store.getState().moveSelection(1);
    expect(store.getState().selectedIndex).toBe(INBOX_WINDOW_ROWS + 5);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), INBOX_WINDOW_ROWS + 5)).toBeDefined());
    const target = inboxRowAt(store.getState(), INBOX_WINDOW_ROWS + 5)!;
    store.getState().openSelected();
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(target.id));
    store.getState().moveSelection(10_000);
    expect(store.getState().selectedIndex).toBe(TICKETS - 1);
  });

  it('filters and sorts in the core: back to the top of the new list, with counts', async () => {
    store.getState().setSlaFilter('breached');
    await vi.waitFor(() => expect(store.getState().filters.sla === 'breached' && store.getState().rowsOffset === 0 && store.getState().inboxLoaded).toBe(true));
    await vi.waitFor(() => expect(store.getState().total).toBeLessThan(TICKETS));
    const breached = store.getState().total;
    expect(breached).toBeGreaterThan(0);
    expect(store.getState().rows.every((row) => row.dueAt < Date.now())).toBe(true);

    store.getState().setSlaFilter(null);
    store.getState().setChannelFilter('email');
    store.getState().setSort('sla');
    await vi.waitFor(() => expect(store.getState().total).toBe(TICKETS / CHANNELS.length));
    const dues = store.getState().rows.map((row) => row.dueAt);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(store.getState().channelCounts).toEqual({ phone: 300, chat: 300, social: 300, email: 300 });
    // The highlight goes to the open ticket's row when the new list shows it, else to the top of the new list.
    const openAt = store.getState().rows.findIndex((row) => row.id === store.getState().openTicketId);
    expect(store.getState().selectedIndex).toBe(openAt >= 0 ? openAt : 0);

    store.getState().setChannelFilter(null);
    store.getState().setSort('activity');
    store.getState().setQuery('客户编号 1199');
    await vi.waitFor(() => expect(store.getState().total).toBeLessThan(10));
    expect(store.getState().total).toBeGreaterThan(0);
    store.getState().setQuery('');
    await vi.waitFor(() => expect(store.getState().total).toBe(TICKETS));
  });

  it('shows the first screen of a search before its counts, then the rows and counts of the whole list', async () => {
    // Every state the store goes through: the first screen must be shown while the counts are still on their way.
    const seen: Array<{ rows: number; total: number; totalPending: boolean }> = [];
    const unsubscribe = store.subscribe((state) => seen.push({ rows: state.rows.length, total: state.total, totalPending: state.totalPending }));
    inboxCalls.length = 0;
    store.getState().setQuery('客户编号');
    await vi.waitFor(() => expect(inboxCalls).toEqual(['inbox.rows', 'inbox.counts']));
    await vi.waitFor(() => expect(store.getState().totalPending === false && store.getState().total === TICKETS).toBe(true));
    unsubscribe();
    expect(seen).toContainEqual({ rows: INBOX_FIRST_WINDOW_ROWS, total: INBOX_FIRST_WINDOW_ROWS, totalPending: true });
    const state = store.getState();
    const whole = await workstationApiOver(core, (error) => new RpcError(error)).invoke('inbox.list', {
      ...state.filters,
      offset: 0,
      limit: INBOX_FIRST_WINDOW_ROWS,
    });
    expect(state.rows).toEqual(whole.rows);
    expect({
      total: state.total,
      exists: state.exists,
      channelCounts: state.channelCounts,
      statusCounts: state.statusCounts,
      viewCounts: state.viewCounts,
      assignees: state.assignees,
      unreadCount: state.unreadCount,
    }).toEqual({
      total: whole.total,
      exists: whole.exists,
      channelCounts: whole.channelCounts,
      statusCounts: whole.statusCounts,
      viewCounts: whole.viewCounts,
      assignees: whole.assignees,
      unreadCount: whole.unreadCount,
    });
    // Scrolling past the first screen loads the window there, as for any list.
    store.getState().showRange(TICKETS - 12, TICKETS);
    await vi.waitFor(() => expect(inboxRowAt(store.getState(), TICKETS - 1)).toBeDefined());
    store.getState().setQuery('');
    await vi.waitFor(() => expect(store.getState().filters.query === '' && !store.getState().totalPending && store.getState().total === TICKETS).toBe(true));
  });

  it('counts unread tickets for the window title and clears one when it is opened', async () => {
    const before = store.getState().unreadCount;
    const channel = CHANNELS[5 % CHANNELS.length]!;
    await server.store.ingestInbound({ ...followUpContact(5, channel), proven: ['phone', 'email', 'socialId'] }, { now: Date.now() });
    await vi.waitFor(() => expect(store.getState().unreadCount).toBe(before + 1), { timeout: 10_000 });
    // Newest activity first: the ticket the customer just wrote on is on top, marked.
    await vi.waitFor(() => expect(store.getState().rows[0]?.unread).toBe(true));
    const ticketId = store.getState().rows[0]!.id;
    await store.getState().openTicket(ticketId);
    await vi.waitFor(() => expect(store.getState().unreadCount).toBe(before));
    await vi.waitFor(() => expect(store.getState().rows[0]?.unread).toBe(false));
  });

  it('shows the core refusing a filter that is not one of its values, and keeps the rows', async () => {
    const rows = store.getState().rows;
    // What a tampered renderer could send: the core's schema refuses it.
    store.setState({ filters: { ...store.getState().filters, sort: 'random' as never } });
    await store.getState().loadInbox();
    expect(store.getState().inboxError?.code).toBe('invalid_params');
    expect(store.getState().inboxError?.message).toContain('sort');
    expect(store.getState().rows).toBe(rows);
    store.getState().setSort('activity');
    await vi.waitFor(() => expect(store.getState().inboxError).toBeNull());
  });
});
