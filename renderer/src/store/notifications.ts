/**
 * Desktop notifications and their sounds, in one place (issues 11 and 12): a routing offer to
 * me, a new customer message on a ticket I hold, an SLA warning or breach on my ticket, and
 * (leads) every other alarm.
 *
 * Each is shown once — per offer (ticket + when it was offered), per message id, per alarm
 * (the server raises one alarm per kind, ticket and crossing, so an alarm id is a ticket +
 * threshold) — never for what was already there when the session started (the first offer
 * list and the first alarm list of a session are the baseline; customer messages count only
 * once the first catch-up with the server is done), and never for the user's own doing. A
 * customer message on the ticket the user is looking at (open, window focused) is not
 * notified: they see it arrive.
 *
 * Where they go: the desktop app's bridge (preload `notifications`, Electron's Notification
 * in main) when there is one, else the browser's Web Notification API (permission asked from
 * a click in the preferences popover or the Alerts view). The sound is a short tone made with
 * the Web Audio API (no audio file). What is shown and heard is the user's choice, kept per
 * user in this browser profile (`omnidesk.notifications.<userId>`); see docs/technical/renderer.md.
 */
import { isAlarmOpen, isTicketTargetAlarm, type Alarm } from '../../../shared/alarms.js';
import type { CustomerMessageArrival, DesktopNotificationBridge } from '../../../shared/rpc.js';
import type { RoutingOffer } from '../../../shared/routing.js';
import { alarmKindText, alarmText } from '../alarmText.js';
import { callInfoText, callPreviewText, ticketSubjectText } from '../callText.js';
import { channelKey, translate, type Language, type Translate } from '../i18n.js';
import type { AppState } from './types.js';

/** What a notification is about; each has its own on/off and sound switch. */
export type NotificationKind = 'offer' | 'message' | 'sla' | 'alarm';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['offer', 'message', 'sla', 'alarm'];

export interface NotificationPrefs {
  /** Show a desktop notification (and play its sound, when on) for this kind. */
  show: Record<NotificationKind, boolean>;
  sound: Record<NotificationKind, boolean>;
  /** Silences every sound at once (a meeting, a shared room), keeping the per-kind choices. */
  muted: boolean;
}

/**
 * Everything shown; sounds for what cannot wait: an offer expires in seconds (contact-centre
 * phones and chat consoles ring for it) and an SLA warning is rare and urgent. A customer
 * message is frequent on a busy chat desk, and leads' alarms come in bursts: silent unless
 * chosen.
 */
export const DEFAULT_NOTIFICATION_PREFS: NotificationPrefs = {
  show: { offer: true, message: true, sla: true, alarm: true },
  sound: { offer: true, message: false, sla: true, alarm: false },
  muted: false,
};

const PREFS_KEY_PREFIX = 'omnidesk.notifications.';

/** Reads saved preferences leniently: anything missing or malformed takes the default. */
export function parseNotificationPrefs(raw: unknown): NotificationPrefs {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const flags = (value: unknown, defaults: Record<NotificationKind, boolean>): Record<NotificationKind, boolean> => {
    const given = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    const out = { ...defaults };
    for (const kind of NOTIFICATION_KINDS) if (typeof given[kind] === 'boolean') out[kind] = given[kind];
    return out;
  };
  return {
    show: flags(record.show, DEFAULT_NOTIFICATION_PREFS.show),
    sound: flags(record.sound, DEFAULT_NOTIFICATION_PREFS.sound),
    muted: typeof record.muted === 'boolean' ? record.muted : DEFAULT_NOTIFICATION_PREFS.muted,
  };
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled for this page
  }
}

export function loadNotificationPrefs(userId: string): NotificationPrefs {
  try {
    const text = storage()?.getItem(PREFS_KEY_PREFIX + userId);
    return parseNotificationPrefs(text ? JSON.parse(text) : null);
  } catch {
    return parseNotificationPrefs(null);
  }
}

export function saveNotificationPrefs(userId: string, prefs: NotificationPrefs): void {
  try {
    storage()?.setItem(PREFS_KEY_PREFIX + userId, JSON.stringify(prefs));
  } catch {
    // Full or disabled storage: the choice holds for this session.
  }
}

/** Where a notification goes; `onClick` brings the window forward and opens what it is about. */
export interface DesktopNotifier {
  /** Whether a notification shown now would appear (so its text is worth formatting). */
  canShow(): boolean;
  show(title: string, body: string, tag: string, onClick: () => void): void;
}

/**
 * How long the browser's answer to "may this page notify?" is reused. Chromium answers
 * `Notification.permission` with a synchronous call to its browser process; a burst of a
 * lead's alarms (one per ticket crossing an SLA threshold) asked it once per alarm, which
 * made long tasks on the main thread (issue 12's scroll bench). A change in the browser's
 * settings is seen within this time; the user's answer to our own request at once.
 */
const PERMISSION_REUSE_MS = 1000;
let knownPermission: { value: NotificationPermission; at: number } | null = null;

function browserPermission(): NotificationPermission {
  const now = Date.now();
  if (!knownPermission || now - knownPermission.at >= PERMISSION_REUSE_MS || now < knownPermission.at) {
    knownPermission = { value: window.Notification.permission, at: now };
  }
  return knownPermission.value;
}

/** The browser's Notification API when it exists and the user allowed it, else null (the permission is read at most once a second). */
export function browserDesktopNotifier(): DesktopNotifier | null {
  if (typeof window === 'undefined' || typeof window.Notification === 'undefined') return null;
  return {
    canShow: () => browserPermission() === 'granted',
    show(title, body, tag, onClick) {
      if (browserPermission() !== 'granted') return;
      const notification = new window.Notification(title, { body, tag });
      notification.onclick = () => {
        window.focus();
        onClick();
        notification.close();
      };
    },
  };
}

/** The desktop app's bridge: main shows the notification and brings the window forward; the click comes back by tag. */
export function bridgeDesktopNotifier(bridge: DesktopNotificationBridge): DesktopNotifier {
  // The newest click action per tag; a few hundred at most in a long shift, dropped oldest first.
  const actions = new Map<string, () => void>();
  bridge.onClick((tag) => {
    const action = actions.get(tag);
    actions.delete(tag);
    action?.();
  });
  return {
    canShow: () => true,
    show(title, body, tag, onClick) {
      actions.delete(tag);
      actions.set(tag, onClick);
      if (actions.size > 500) actions.delete(actions.keys().next().value!);
      bridge.notify({ title: title.slice(0, 200), body: body.slice(0, 1000), tag: tag.slice(0, 200) });
    },
  };
}

/**
 * Whether notifications can be shown: 'granted', 'denied', 'default' (not asked yet),
 * 'unsupported' (no Notification API), or 'desktop' (the desktop app shows them itself).
 */
export type NotificationPermissionState = NotificationPermission | 'unsupported' | 'desktop';

export function notificationPermission(bridge: DesktopNotificationBridge | undefined): NotificationPermissionState {
  if (bridge) return 'desktop';
  if (typeof window === 'undefined' || typeof window.Notification === 'undefined') return 'unsupported';
  return window.Notification.permission;
}

/** Asks the browser (must run from a user gesture); the desktop app needs no asking. */
export async function requestNotificationPermission(bridge: DesktopNotificationBridge | undefined): Promise<NotificationPermissionState> {
  const now = notificationPermission(bridge);
  if (now !== 'default') return now;
  try {
    return await window.Notification.requestPermission();
  } catch {
    return notificationPermission(bridge);
  } finally {
    knownPermission = null;
  }
}

/** Plays a notification's tone. */
export interface SoundPlayer {
  play(kind: NotificationKind): void;
}

/** [frequency Hz, start s, length s] of each note: offers ring (two alternating tones, twice), messages blip, SLA beeps low. */
const TONES: Record<NotificationKind, ReadonlyArray<readonly [number, number, number]>> = {
  offer: [
    [880, 0, 0.16],
    [660, 0.2, 0.16],
    [880, 0.5, 0.16],
    [660, 0.7, 0.16],
  ],
  message: [
    [988, 0, 0.09],
    [1319, 0.11, 0.12],
  ],
  sla: [
    [523, 0, 0.22],
    [523, 0.32, 0.22],
  ],
  alarm: [
    [440, 0, 0.25],
    [349, 0.3, 0.3],
  ],
};

/** Short generated tones through the Web Audio API; null where there is none. */
export function webAudioSoundPlayer(): SoundPlayer | null {
  if (typeof window === 'undefined' || typeof window.AudioContext === 'undefined') return null;
  let context: AudioContext | null = null;
  return {
    play(kind) {
      try {
        context ??= new window.AudioContext();
        // Browsers start a context suspended until the page had a user gesture; the preferences popover gives one.
        if (context.state === 'suspended') void context.resume();
        const start = context.currentTime + 0.02;
        for (const [frequency, at, length] of TONES[kind]) {
          const oscillator = context.createOscillator();
          const gain = context.createGain();
          oscillator.type = 'sine';
          oscillator.frequency.value = frequency;
          // A soft attack and release: no click at either end.
          gain.gain.setValueAtTime(0, start + at);
          gain.gain.linearRampToValueAtTime(0.18, start + at + 0.015);
          gain.gain.linearRampToValueAtTime(0, start + at + length);
          oscillator.connect(gain).connect(context.destination);
          oscillator.start(start + at);
          oscillator.stop(start + at + length + 0.02);
        }
      } catch {
        // No audio device or a refused context: the notification itself still shows.
      }
    },
  };
}

let pageSoundPlayer: SoundPlayer | null | undefined;

/** The page's one Web Audio player (one AudioContext for the store's notifications and the popover's "play" button). */
export function pageSound(): SoundPlayer | null {
  if (pageSoundPlayer === undefined) pageSoundPlayer = webAudioSoundPlayer();
  return pageSoundPlayer;
}

/** The window's focus (a message on the ticket in front of a focused window needs no notification). */
export function documentHasFocus(): boolean {
  return typeof document !== 'undefined' && document.hasFocus();
}

export interface NotificationTargets {
  /** Brings the offer card forward (its Accept button takes focus). */
  showOffer: (ticketId: string) => void;
  openTicket: (ticketId: string) => void;
  openAlarm: (alarm: Alarm) => void;
  /** The Alerts view (where a burst of alarms is listed). */
  openAlerts: () => void;
}

export interface DesktopNotifications {
  /** The store changed: notify the offers and alarms never seen before. */
  update(state: AppState): void;
  /** The core stored new customer messages on tickets the user holds. */
  customerMessages(state: AppState, messages: readonly CustomerMessageArrival[]): void;
}

export interface DesktopNotificationsOptions {
  notifier: DesktopNotifier | null;
  sound: SoundPlayer | null;
  targets: NotificationTargets;
  isWindowFocused: () => boolean;
}

/** An offer is one ticket offered at one moment; a re-offer of the same ticket later is a new one. */
function offerKey(offer: RoutingOffer): string {
  return `${offer.ticketId}@${String(offer.offeredAt)}`;
}

function offerText(language: Language, offer: RoutingOffer): { title: string; body: string } {
  const { ticket, customer, messages } = offer.bundle;
  const first = messages.find((m) => m.direction === 'inbound') ?? messages[0];
  const channel = translate(language, channelKey(ticket.channel));
  const t: Translate = (key, vars) => translate(language, key, vars);
  // A call (a missed call's callback task) is said from its facts, in the agent's language.
  const firstText = first ? (first.call ? callInfoText(t, language, first.call) : first.text) : ticketSubjectText(t, ticket);
  return {
    title: translate(language, 'notify.offer.title', { channel, name: customer.name }),
    body: [firstText, translate(language, 'notify.offer.body', { ticket: ticket.id })].filter(Boolean).join('\n'),
  };
}

/** Enough to recognise a repeat within a shift without growing for the whole of it. */
const SEEN_LIMIT = 2000;

function remember(seen: Set<string>, key: string): void {
  if (seen.size >= SEEN_LIMIT) seen.delete(seen.values().next().value!);
  seen.add(key);
}

/**
 * More new alarms of one kind than this in one update make one notification saying how many
 * (by alarm kind) instead of one each: a backlog crossing its SLA at once raised hundreds in a
 * second, a desktop flooded and a tone for each.
 */
const ALARM_BURST = 3;

function alarmBurstText(language: Language, alarms: readonly Alarm[]): { title: string; body: string } {
  const byKind = new Map<string, number>();
  for (const alarm of alarms) {
    const kind = alarmKindText(language, alarm);
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  return {
    title: translate(language, 'notify.alarmBurst.title', { n: alarms.length }),
    body: [...byKind].map(([kind, n]) => translate(language, 'notify.alarmBurst.kind', { kind, n })).join(' · '),
  };
}

export function createDesktopNotifications(options: DesktopNotificationsOptions): DesktopNotifications {
  const { notifier, sound, targets } = options;
  let userId: string | null = null;
  let seenAlarms: Set<number> | null = null;
  let seenOffers = new Set<string>();
  let lastOffers: AppState['offers'] | null = null;
  let lastAlarms: AppState['alarms'] | null = null;
  const seenMessages = new Set<string>();
  /** The first catch-up with the server this session is done: later customer messages are news. */
  let live = false;

  /**
   * The text is made only when a notification will show: a lead's burst of alarms in a page
   * that may not notify formatted hundreds of texts for nothing (long tasks in the scroll bench).
   */
  function tell(state: AppState, kind: NotificationKind, text: () => { title: string; body: string }, tag: string, onClick: () => void): void {
    const prefs = state.notificationPrefs;
    if (!prefs.show[kind]) return;
    if (notifier?.canShow()) {
      const { title, body } = text();
      notifier.show(title, body, tag, onClick);
    }
    if (prefs.sound[kind] && !prefs.muted) sound?.play(kind);
  }

  function alarmKindFor(state: AppState, alarm: Alarm): NotificationKind {
    const mine = alarm.agentId !== null && alarm.agentId === state.user?.id;
    return mine && isTicketTargetAlarm(alarm) ? 'sla' : 'alarm';
  }

  function reset(): void {
    userId = null;
    seenAlarms = null;
    seenOffers = new Set();
    lastOffers = null;
    lastAlarms = null;
    seenMessages.clear();
    live = false;
  }

  return {
    update(state) {
      if (!state.user) {
        reset();
        return;
      }
      if (state.user.id !== userId) {
        reset();
        userId = state.user.id;
        // What the store holds when the user signs in is the start of the session. Offers come
        // later (the core answers offer.list after sign-in, or pushes one made at once): an offer
        // waiting for this agent's answer is news either way, so none is taken as a baseline.
        lastOffers = state.offers;
        seenOffers = new Set(state.offers.map(offerKey));
      }
      if (state.connection.status === 'online') live = true;

      // Offers: each new one once.
      if (state.offers !== lastOffers) {
        lastOffers = state.offers;
        for (const offer of state.offers) {
          const key = offerKey(offer);
          if (seenOffers.has(key)) continue;
          remember(seenOffers, key);
          tell(
            state,
            'offer',
            () => offerText(state.language, offer),
            `offer:${offer.ticketId}`,
            () => targets.showOffer(offer.ticketId),
          );
        }
      }

      // Alarms: the session's first list is the baseline.
      if (!state.alarmsLoaded) {
        seenAlarms = null;
        return;
      }
      if (state.alarms === lastAlarms && seenAlarms) return;
      lastAlarms = state.alarms;
      if (!seenAlarms) {
        seenAlarms = new Set(state.alarms.map((alarm) => alarm.id));
        return;
      }
      const news = new Map<NotificationKind, Alarm[]>();
      // Older than all that was held: a page the user loaded ("Load older"), or one the core trimmed and fetched again — not news.
      const floor = seenAlarms.size > 0 ? Math.min(...seenAlarms) : 0;
      for (const alarm of state.alarms) {
        if (seenAlarms.has(alarm.id) || alarm.id < floor) continue;
        // Their own escalation request is news to the agent only once decided; leads hear it when raised.
        if (alarm.agentId === state.user.id && alarm.kind === 'escalation_request') continue;
        if (!isAlarmOpen(alarm)) continue;
        const kind = alarmKindFor(state, alarm);
        news.set(kind, [...(news.get(kind) ?? []), alarm]);
      }
      // Bounded by what the core holds (shared/rpc.ts AlarmsState): an alarm that left it and comes back is under the floor.
      seenAlarms = new Set(state.alarms.map((alarm) => alarm.id));
      for (const [kind, alarms] of news) {
        if (alarms.length > ALARM_BURST) {
          tell(state, kind, () => alarmBurstText(state.language, alarms), `alarms:${kind}`, targets.openAlerts);
          continue;
        }
        for (const alarm of alarms) {
          tell(
            state,
            kind,
            () => ({ title: alarmKindText(state.language, alarm), body: alarmText(state.language, alarm) }),
            `alarm:${String(alarm.id)}`,
            () => targets.openAlarm(alarm),
          );
        }
      }
    },

    customerMessages(state, messages) {
      if (!state.user || state.user.id !== userId) return;
      for (const message of messages) {
        if (seenMessages.has(message.messageId)) continue;
        remember(seenMessages, message.messageId);
        // What arrived while the workstation was closed is the start of this session, like the inbox's unread dots.
        if (!live) continue;
        if (state.openTicketId === message.ticketId && options.isWindowFocused()) continue;
        tell(
          state,
          'message',
          () => ({
            title: translate(state.language, 'notify.message.title', { name: message.authorName }),
            body: `${message.ticketId} · ${callPreviewText((key, vars) => translate(state.language, key, vars), state.language, message.preview)}`,
          }),
          `message:${message.ticketId}`,
          () => targets.openTicket(message.ticketId),
        );
      }
    },
  };
}
