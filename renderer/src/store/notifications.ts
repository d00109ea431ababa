/**
 * Desktop notifications of alarms, once per alarm: the first list of a session is what was
 * already there (not notified); every alarm that appears after it and still wants attention
 * is shown once. In browser mode through the Web Notification API (permission asked from the
 * Alerts view, a user gesture); the desktop app refuses the page's permission requests and
 * has no notification bridge in its preload yet, so there nothing is shown (see
 * docs/technical/alarms.md).
 */
import { isAlarmOpen, type Alarm } from '../../../shared/alarms.js';
import { alarmKindText, alarmText } from '../alarmText.js';
import type { AppState } from './types.js';

/** Where a notification goes; `onClick` brings the window forward and opens the alarm's tickets. */
export interface DesktopNotifier {
  show(title: string, body: string, tag: string, onClick: () => void): void;
}

/** The browser's Notification API when it exists and the user allowed it, else null (checked at each alarm). */
export function browserDesktopNotifier(): DesktopNotifier | null {
  if (typeof window === 'undefined' || typeof window.Notification === 'undefined') return null;
  return {
    show(title, body, tag, onClick) {
      if (window.Notification.permission !== 'granted') return;
      const notification = new window.Notification(title, { body, tag });
      notification.onclick = () => {
        window.focus();
        onClick();
        notification.close();
      };
    },
  };
}

/** Whether notifications can be shown here: 'granted', 'denied', 'default' (not asked yet) or 'unsupported'. */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  if (typeof window === 'undefined' || typeof window.Notification === 'undefined') return 'unsupported';
  return window.Notification.permission;
}

export async function requestNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (notificationPermission() === 'unsupported') return 'unsupported';
  return window.Notification.requestPermission();
}

export interface AlarmNotifications {
  /** The store's alarms changed: notify the ones never seen before. */
  update(state: AppState): void;
}

export function createAlarmNotifications(notifier: DesktopNotifier | null, open: (alarm: Alarm) => void): AlarmNotifications {
  let seen: Set<number> | null = null;
  return {
    update(state) {
      if (!state.user || !state.alarmsLoaded) {
        seen = null;
        return;
      }
      if (!seen) {
        seen = new Set(state.alarms.map((alarm) => alarm.id));
        return;
      }
      for (const alarm of state.alarms) {
        if (seen.has(alarm.id)) continue;
        seen.add(alarm.id);
        // Their own escalation request is news to the agent only once decided; leads hear it when raised.
        if (alarm.agentId === state.user.id && alarm.kind === 'escalation_request') continue;
        if (isAlarmOpen(alarm))
          notifier?.show(alarmKindText(state.language, alarm), alarmText(state.language, alarm), `alarm-${String(alarm.id)}`, () => open(alarm));
      }
    },
  };
}
