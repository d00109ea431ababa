/**
 * The pure parts of store/notifications.ts: saved preferences read leniently, and the desktop
 * bridge's notifier (fields cut to what main accepts, a click runs the newest action of its tag once).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alarm } from '../../../shared/alarms.js';
import type { DesktopNotification } from '../../../shared/rpc.js';
import type { RoutingOffer } from '../../../shared/routing.js';
import {
  DEFAULT_NOTIFICATION_PREFS,
  bridgeDesktopNotifier,
  browserDesktopNotifier,
  createDesktopNotifications,
  parseNotificationPrefs,
  requestNotificationPermission,
} from './notifications.js';
import type { AppState } from './types.js';

describe('notification preferences', () => {
  it('keeps what was saved and takes the default for anything missing or malformed', () => {
    expect(parseNotificationPrefs(null)).toEqual(DEFAULT_NOTIFICATION_PREFS);
    expect(parseNotificationPrefs('loud')).toEqual(DEFAULT_NOTIFICATION_PREFS);
    expect(parseNotificationPrefs({ show: { message: false, offer: 'yes' }, sound: { alarm: true, bogus: true }, muted: 1 })).toEqual({
      show: { ...DEFAULT_NOTIFICATION_PREFS.show, message: false },
      sound: { ...DEFAULT_NOTIFICATION_PREFS.sound, alarm: true },
      muted: false,
    });
  });
});

describe('the desktop bridge notifier', () => {
  it('cuts the fields to what main accepts and runs the newest action of a clicked tag once', () => {
    const sent: DesktopNotification[] = [];
    let click: (tag: string) => void = () => undefined;
    const notifier = bridgeDesktopNotifier({
      notify: (notification) => sent.push(notification),
      onClick: (listener) => {
        click = listener;
        return () => undefined;
      },
    });
    const ran: string[] = [];
    notifier.show('标题'.repeat(150), '正文'.repeat(600), 'message:GD20261205001', () => ran.push('first'));
    notifier.show('新消息', '第二条', 'message:GD20261205001', () => ran.push('second'));
    expect(sent[0]!.title).toHaveLength(200);
    expect(sent[0]!.body).toHaveLength(1000);
    expect(sent[1]).toEqual({ title: '新消息', body: '第二条', tag: 'message:GD20261205001' });
    click('message:GD20261205001');
    click('message:GD20261205001');
    click('offer:GD20261205002');
    expect(ran).toEqual(['second']);
  });
});

describe('the browser notifier', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('asks the browser for its permission once for a burst, and again once the user answered our request', async () => {
    // The browser's Notification API as Node has none: counts the (in Chromium synchronous) permission reads.
    const shown: string[] = [];
    const page = { permission: 'default' as NotificationPermission, reads: 0 };
    class BrowserNotification {
      static get permission(): NotificationPermission {
        page.reads++;
        return page.permission;
      }
      static requestPermission(): Promise<NotificationPermission> {
        page.permission = 'granted';
        return Promise.resolve('granted');
      }
      onclick: (() => void) | null = null;
      constructor(title: string) {
        shown.push(title);
      }
    }
    vi.stubGlobal('window', { Notification: BrowserNotification, focus: () => undefined });
    const notifier = browserDesktopNotifier()!;
    for (let alarm = 0; alarm < 200; alarm++) notifier.show(`alarm ${String(alarm)}`, '', `alarm:${String(alarm)}`, () => undefined);
    expect(shown).toEqual([]);
    expect(page.reads).toBe(1);
    // Abuse of the cache: the user allows notifications right after the burst; the next one shows.
    expect(await requestNotificationPermission(undefined)).toBe('granted');
    notifier.show('after', '', 'alarm:after', () => undefined);
    expect(shown).toEqual(['after']);
  });
});

describe('offer notifications', () => {
  it('rings for an offer made right after sign-in, before the store asked the core for its offers', () => {
    const shown: string[] = [];
    const notifications = createDesktopNotifications({
      notifier: { canShow: () => true, show: (_title, _body, tag) => shown.push(tag) },
      sound: null,
      targets: { showOffer: () => undefined, openTicket: () => undefined, openAlarm: () => undefined, openAlerts: () => undefined },
      isWindowFocused: () => true,
    });
    const offer = {
      ticketId: 'GD20261205001',
      offeredAt: 1,
      expiresAt: 15_001,
      basis: 'least_loaded',
      bundle: { ticket: { id: 'GD20261205001', channel: 'chat', subject: '退货' }, customer: { name: '张伟' }, messages: [] },
    } as unknown as RoutingOffer;
    const signedIn = {
      user: { id: 'agent1' },
      offers: [],
      connection: { status: 'connecting' },
      alarmsLoaded: false,
      alarms: [],
      language: 'zh-CN',
      notificationPrefs: DEFAULT_NOTIFICATION_PREFS,
    } as unknown as AppState;
    notifications.update(signedIn);
    // The core's push of the offer reaches the store before its answer to offer.list does.
    notifications.update({ ...signedIn, offers: [offer] });
    notifications.update({ ...signedIn, offers: [offer] });
    expect(shown).toEqual(['offer:GD20261205001']);
  });
});

describe('notifications the page may not show', () => {
  it('formats no text for them and still plays the sound the user chose', () => {
    const played: string[] = [];
    const notifications = createDesktopNotifications({
      notifier: { canShow: () => false, show: () => expect.unreachable('shown without permission') },
      sound: { play: (kind) => played.push(kind) },
      targets: { showOffer: () => undefined, openTicket: () => undefined, openAlarm: () => undefined, openAlerts: () => undefined },
      isWindowFocused: () => true,
    });
    // Reading the bundle's fields is formatting its text: a getter shows whether it was done.
    let formatted = 0;
    const bundle = {
      ticket: { id: 'GD20261205002', channel: 'phone', subject: '咨询' },
      get customer() {
        formatted++;
        return { name: '李娜' };
      },
      messages: [],
    };
    const offer = { ticketId: 'GD20261205002', offeredAt: 2, expiresAt: 15_002, basis: 'least_loaded', bundle } as unknown as RoutingOffer;
    const signedIn = {
      user: { id: 'agent1' },
      offers: [],
      connection: { status: 'online' },
      alarmsLoaded: false,
      alarms: [],
      language: 'en',
      notificationPrefs: DEFAULT_NOTIFICATION_PREFS,
    } as unknown as AppState;
    notifications.update(signedIn);
    notifications.update({ ...signedIn, offers: [offer] });
    expect(formatted).toBe(0);
    expect(played).toEqual(['offer']);
  });
});

describe('alarm notifications', () => {
  function leadAlarm(id: number, kind: Alarm['kind']): Alarm {
    return {
      id,
      kind,
      subject: `GD20261205${String(id).padStart(3, '0')}`,
      ticketId: `GD20261205${String(id).padStart(3, '0')}`,
      channel: 'email',
      agentId: null,
      raisedAt: id,
      facts: { dueAt: 1 },
      ackedById: null,
      ackedByName: null,
      ackedAt: null,
      decision: null,
    };
  }

  it('makes a burst of new alarms one notification saying how many of each kind (one tone), and shows a few one by one', () => {
    const shown: Array<{ title: string; body: string; tag: string }> = [];
    const played: string[] = [];
    const opened: string[] = [];
    const notifications = createDesktopNotifications({
      notifier: { canShow: () => true, show: (title, body, tag, onClick) => (shown.push({ title, body, tag }), onClick()) },
      sound: { play: (kind) => played.push(kind) },
      targets: {
        showOffer: () => undefined,
        openTicket: () => undefined,
        openAlarm: (alarm) => opened.push(String(alarm.id)),
        openAlerts: () => opened.push('alerts'),
      },
      isWindowFocused: () => true,
    });
    const lead = {
      user: { id: 'lead1' },
      offers: [],
      connection: { status: 'online' },
      alarmsLoaded: true,
      alarms: [] as Alarm[],
      language: 'en',
      notificationPrefs: { ...DEFAULT_NOTIFICATION_PREFS, sound: { ...DEFAULT_NOTIFICATION_PREFS.sound, alarm: true } },
    } as unknown as AppState;
    notifications.update(lead);
    const burst = [...Array.from({ length: 7 }, (_, i) => leadAlarm(i + 1, 'sla_breach')), ...[8, 9, 10].map((id) => leadAlarm(id, 'unassigned'))];
    notifications.update({ ...lead, alarms: burst });
    expect(shown).toEqual([{ title: '10 new alarms', body: 'SLA breached: 7 · Unassigned: 3', tag: 'alarms:alarm' }]);
    expect(played).toEqual(['alarm']);
    expect(opened).toEqual(['alerts']);

    // A few more: one each, opening their ticket; what was already there is not told again.
    notifications.update({ ...lead, alarms: [leadAlarm(11, 'sla_breach'), leadAlarm(12, 'unassigned'), ...burst] });
    expect(shown.slice(1).map((notification) => notification.tag)).toEqual(['alarm:11', 'alarm:12']);
    expect(opened.slice(1)).toEqual(['11', '12']);

    const zh = createDesktopNotifications({
      notifier: { canShow: () => true, show: (title, body, tag) => shown.push({ title, body, tag }) },
      sound: null,
      targets: { showOffer: () => undefined, openTicket: () => undefined, openAlarm: () => undefined, openAlerts: () => undefined },
      isWindowFocused: () => true,
    });
    const zhLead = { ...lead, language: 'zh-CN' } as AppState;
    zh.update(zhLead);
    zh.update({ ...zhLead, alarms: burst });
    expect(shown.at(-1)).toEqual({ title: '10 条新告警', body: 'SLA 超时：7 · 未分配：3', tag: 'alarms:alarm' });
  });
});
