/**
 * Desktop notifications from the renderer store, on a REAL core and the REAL server: an offer
 * is notified once (not again when the offer list changes around it), a customer message on
 * the agent's ticket once (not the agent's own reply, not on the ticket in front of a focused
 * window, not when switched off, not what arrived before the session started), and an SLA
 * warning and breach on the agent's ticket once each, with the sounds the preferences allow.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import {
  createTestClock,
  postJson,
  seedTestOrganisation,
  startTestServer,
  TEST_INTEGRATION_TOKEN,
  TEST_PASSWORD,
  type TestServer,
} from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';
import type { DesktopNotification, DesktopNotificationBridge } from '../../../shared/rpc.js';
import type { NotificationKind } from './notifications.js';

const WAIT = { timeout: 20_000, interval: 50 };
const MINUTE = 60_000;

interface Shown {
  title: string;
  body: string;
  tag: string;
  click: () => void;
}

let server: TestServer;
let core: WorkstationCore;
let store: AppStore;
let dispose: () => void;
const clock = createTestClock(Date.now());
const shown: Shown[] = [];
const played: NotificationKind[] = [];
let focused = true;
let sequence = 0;

async function customerWrites(name: string, phone: string, text: string): Promise<string> {
  sequence += 1;
  const answer = await postJson<{ ticketId: string }>(
    `${server.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name, phone, email: `${phone}@example.cn` }, text, externalMessageId: `notify-test-${String(sequence)}` }),
    TEST_INTEGRATION_TOKEN,
  );
  expect(answer.status).toBe(201);
  return (answer.body as { ticketId: string }).ticketId;
}

/** Lets pushes in flight land, so "nothing more was shown" is a statement about them too. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 400));
}

async function signInOnline(): Promise<void> {
  expect(await store.getState().signIn('agent_qian', TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  await vi.waitFor(() => expect(store.getState().alarmsLoaded).toBe(true), WAIT);
}

beforeAll(async () => {
  server = await startTestServer({ clock, alarms: { intervalMs: 50, recheckMs: 100 } });
  await seedTestOrganisation(server.store, [{ username: 'agent_qian', displayName: '钱坐席', channels: ['chat'] }]);
  core = await createWorkstationCore({ dataDir: `${server.dataDir}/workstation`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  ({ store, dispose } = initStore(
    workstationApiOver(core, (error) => new RpcError(error)),
    {
      wake: null,
      notifier: { canShow: () => true, show: (title, body, tag, click) => shown.push({ title, body, tag, click }) },
      sound: { play: (kind) => played.push(kind) },
      isWindowFocused: () => focused,
    },
  ));
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  await signInOnline();
  await vi.waitFor(() => expect(store.getState().presence?.presence).toBe('available'), WAIT);
});

afterAll(async () => {
  dispose?.();
  await core?.close();
  await server?.stop();
});

describe('desktop notifications from the store', () => {
  let ticketId: string;

  it('notifies each offer once, with the ringing sound, and a click brings its card forward', async () => {
    ticketId = await customerWrites('钱晓东', '15012345678', '你好，我的订单三天没有物流更新了');
    await vi.waitFor(() => expect(shown.map((s) => s.tag)).toEqual([`offer:${ticketId}`]), WAIT);
    expect(shown[0]).toMatchObject({ title: 'Incoming Chat: 钱晓东' });
    expect(shown[0]!.body).toContain('你好，我的订单三天没有物流更新了');
    expect(played).toEqual(['offer']);

    // A second offer changes the list; the first is not notified again.
    const second = await customerWrites('宋佳怡', '13911112222', '请问什么时候发货？');
    await vi.waitFor(() => expect(shown.map((s) => s.tag)).toEqual([`offer:${ticketId}`, `offer:${second}`]), WAIT);
    expect(
      store
        .getState()
        .offers.map((o) => o.ticketId)
        .sort(),
    ).toEqual([ticketId, second].sort());

    shown[0]!.click();
    expect(store.getState().focusOfferId).toBe(ticketId);
    expect(await store.getState().respondToOffer(second, false)).toBe(true);
    expect(await store.getState().respondToOffer(ticketId, true)).toBe(true);
    await vi.waitFor(() => expect(store.getState().rows.find((row) => row.id === ticketId)?.assigneeId).toBe('agent_qian'), WAIT);
    await settle();
    expect(shown).toHaveLength(2);
    expect(played).toEqual(['offer', 'offer']);
  });

  it("notifies a customer message on the agent's ticket once, silently by default, and a click opens the ticket", async () => {
    store.getState().closeTicket();
    shown.length = 0;
    played.length = 0;
    expect(await customerWrites('钱晓东', '15012345678', '有消息了吗？')).toBe(ticketId);
    await vi.waitFor(() => expect(shown.map((s) => s.tag)).toEqual([`message:${ticketId}`]), WAIT);
    expect(shown[0]).toMatchObject({ title: 'New message from 钱晓东', body: `${ticketId} · 有消息了吗？` });
    expect(played).toEqual([]);
    shown[0]!.click();
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(ticketId), WAIT);
    expect(store.getState().view).toBe('inbox');
  });

  it("says nothing of the agent's own reply, nor of a message on the ticket in front of a focused window", async () => {
    shown.length = 0;
    store.getState().setReplyDraft('正在为您查询');
    expect(await store.getState().sendReply()).toBe(true);
    focused = true;
    await customerWrites('钱晓东', '15012345678', '好的，谢谢');
    await vi.waitFor(() => expect(store.getState().detail?.messages.map((m) => m.text)).toContain('好的，谢谢'), WAIT);
    await settle();
    expect(shown).toEqual([]);

    // The same ticket, but the window is behind another one: the agent would miss it.
    focused = false;
    await customerWrites('钱晓东', '15012345678', '还在吗？');
    await vi.waitFor(() => expect(shown.map((s) => s.body)).toEqual([`${ticketId} · 还在吗？`]), WAIT);
    focused = true;
  });

  it('follows the preferences: a kind switched off is neither shown nor heard; a sound switched on plays', async () => {
    shown.length = 0;
    store.getState().closeTicket();
    store.getState().setNotificationShown('message', false);
    await customerWrites('钱晓东', '15012345678', '第一条');
    await vi.waitFor(() => expect(store.getState().rows.find((row) => row.id === ticketId)?.lastMessagePreview).toContain('第一条'), WAIT);
    await settle();
    expect(shown).toEqual([]);

    store.getState().setNotificationShown('message', true);
    store.getState().setNotificationSound('message', true);
    await customerWrites('钱晓东', '15012345678', '第二条');
    await vi.waitFor(() => expect(shown.map((s) => s.body)).toEqual([`${ticketId} · 第二条`]), WAIT);
    expect(played).toEqual(['message']);
    store.getState().setNotificationSound('message', false);
  });

  it('never notifies what arrived before the session started', async () => {
    shown.length = 0;
    // The window is elsewhere throughout: only the session's start keeps this quiet.
    focused = false;
    await store.getState().signOut();
    await customerWrites('钱晓东', '15012345678', '你们下班了吗？');
    await signInOnline();
    await vi.waitFor(() => expect(store.getState().rows.find((row) => row.id === ticketId)?.lastMessagePreview).toContain('你们下班了吗'), WAIT);
    await settle();
    expect(shown).toEqual([]);
    // The next one is news again.
    await customerWrites('钱晓东', '15012345678', '在吗？');
    await vi.waitFor(() => expect(shown.map((s) => s.body)).toEqual([`${ticketId} · 在吗？`]), WAIT);
    focused = true;
  });

  it("notifies an SLA warning and then the breach on the agent's ticket once each; mute silences the sound only", async () => {
    shown.length = 0;
    played.length = 0;
    // Moving the server's clock hours on also ends the declined chat's cool-down: it may be offered again (and notified).
    const alarms = () => shown.filter((s) => s.tag.startsWith('alarm:'));
    const ticket = (await server.store.getTicket(ticketId))!;
    // Past 80% of the resolution window: a warning.
    clock.set(ticket.createdAt + (ticket.dueAt - ticket.createdAt) * 0.85);
    await vi.waitFor(() => expect(alarms().map((s) => s.title)).toEqual(['SLA warning']), WAIT);
    expect(played.filter((kind) => kind === 'sla')).toEqual(['sla']);
    await settle();
    expect(alarms()).toHaveLength(1);

    store.getState().setSoundsMuted(true);
    clock.set(ticket.dueAt + MINUTE);
    await vi.waitFor(() => expect(alarms().map((s) => s.title)).toEqual(['SLA warning', 'SLA breached']), WAIT);
    expect(played.filter((kind) => kind === 'sla')).toEqual(['sla']);
    alarms()[1]!.click();
    await vi.waitFor(() => expect(store.getState().detail?.ticket.id).toBe(ticketId), WAIT);
  });
});

describe('in the desktop app', () => {
  it("goes through the preload's bridge, and the bridge's click brings the offer card forward", async () => {
    // The same workstation core, now behind an API that carries the desktop app's bridge, and no notifier given.
    dispose();
    const sent: DesktopNotification[] = [];
    const clickListeners: Array<(tag: string) => void> = [];
    const bridge: DesktopNotificationBridge = {
      notify: (notification) => sent.push(notification),
      onClick: (listener) => {
        clickListeners.push(listener);
        return () => undefined;
      },
    };
    ({ store, dispose } = initStore({ ...workstationApiOver(core, (error) => new RpcError(error)), notifications: bridge }, { wake: null, sound: null }));
    await vi.waitFor(() => expect(store.getState().user?.username).toBe('agent_qian'), WAIT);
    await vi.waitFor(() => expect(store.getState().alarmsLoaded).toBe(true), WAIT);
    expect(store.getState().notificationPermission).toBe('desktop');

    const offered = await customerWrites('韩梅', '13622223333', '我的订单能改地址吗？');
    await vi.waitFor(() => expect(sent.filter((n) => n.tag === `offer:${offered}`).map((n) => n.title)).toEqual(['Incoming Chat: 韩梅']), WAIT);
    expect(clickListeners).toHaveLength(1);
    clickListeners[0]!(`offer:${offered}`);
    expect(store.getState().focusOfferId).toBe(offered);
    // A click on a tag it never showed (or showed and already answered) does nothing.
    store.getState().offerFocused();
    clickListeners[0]!(`offer:${offered}`);
    clickListeners[0]!('offer:GD20990101001');
    expect(store.getState().focusOfferId).toBeNull();
  });
});
