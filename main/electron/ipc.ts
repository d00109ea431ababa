/**
 * The only place main touches raw IPC (lint forbids ipcMain elsewhere): renderer calls on
 * IPC_INVOKE_CHANNEL go to the core after the sender is checked, and core events go to
 * every window on IPC_EVENT_CHANNEL as `{event, payload}`. The core is the proxy of the
 * core process (coreProcess.ts): its calls never reject, and resolve to `core_unavailable`
 * when that process stops before answering.
 */
import { BrowserWindow, Notification, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import {
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_CHANNEL,
  IPC_NOTIFICATION_CLICK_CHANNEL,
  IPC_NOTIFY_CHANNEL,
  desktopNotificationSchema,
  type RpcEventName,
} from '../../shared/rpc.js';
import type { RpcOutcome, WorkstationCore } from '../core/api.js';
import { createNotificationLimit } from '../core/notificationLimit.js';

/**
 * True when the call comes from the top frame of our own page (the file:// index),
 * not from an iframe or a page that navigated elsewhere.
 */
export function isTrustedSender(event: IpcMainInvokeEvent | IpcMainEvent, indexUrl: string): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  return stripQueryAndHash(frame.url) === indexUrl;
}

function stripQueryAndHash(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '';
  }
}

/** Wires the core to IPC; returns the function that undoes it. */
export function registerCoreIpc(core: WorkstationCore, indexUrl: string): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event: IpcMainInvokeEvent, method: unknown, params: unknown): Promise<RpcOutcome> => {
    if (!isTrustedSender(event, indexUrl)) {
      console.warn(`[ipc] refused a call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return { ok: false, error: { code: 'forbidden', message: 'This page may not use the workstation.' } };
    }
    return core.invoke(method, params);
  });

  const unsubscribe = core.onEvent((event: RpcEventName, payload: unknown) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed() && !window.webContents.isDestroyed()) {
        window.webContents.send(IPC_EVENT_CHANNEL, { event, payload });
      }
    }
  });

  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
  };
}

/**
 * The window's desktop notifications (the preload's `notifications.notify`): validated with the
 * shared schema, limited in number, shown with Electron's `Notification` (silent: the window
 * plays its own sound, which respects the user's mute). A click brings the window forward and
 * tells the page the tag; a newer notification with the same tag replaces the shown one.
 * Returns the function that undoes it.
 */
const MAX_HELD_NOTIFICATIONS = 50;

/** The text as a libnotify body shows it literally. */
export function escapeNotificationMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function registerNotificationIpc(indexUrl: string): () => void {
  const limit = createNotificationLimit();
  // Held until closed or clicked: a Notification collected by the GC loses its click handler.
  const shown = new Map<string, Notification>();
  const onNotify = (event: IpcMainEvent, raw: unknown): void => {
    if (!isTrustedSender(event, indexUrl)) {
      console.warn(`[ipc] refused a notification from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return;
    }
    const parsed = desktopNotificationSchema.safeParse(raw);
    if (!parsed.success || !Notification.isSupported() || !limit.allow(Date.now())) return;
    const { title, body, tag } = parsed.data;
    const contents = event.sender;
    shown.get(tag)?.close();
    shown.delete(tag);
    // Linux notification daemons read a subset of HTML in the text: a customer's words must stay words (no <img> fetching from their server).
    const shownText = (text: string) => (process.platform === 'linux' ? escapeNotificationMarkup(text) : text);
    const notification = new Notification({ title: shownText(title), body: shownText(body), silent: true });
    // A notification whose close event never comes (some Linux daemons) must not be held for the whole shift.
    if (shown.size >= MAX_HELD_NOTIFICATIONS) shown.delete(shown.keys().next().value!);
    shown.set(tag, notification);
    notification.on('click', () => {
      shown.delete(tag);
      const window = BrowserWindow.fromWebContents(contents);
      if (!window || window.isDestroyed() || contents.isDestroyed()) return;
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      contents.send(IPC_NOTIFICATION_CLICK_CHANNEL, tag);
    });
    notification.on('close', () => {
      if (shown.get(tag) === notification) shown.delete(tag);
    });
    notification.show();
  };
  ipcMain.on(IPC_NOTIFY_CHANNEL, onNotify);
  return () => {
    ipcMain.removeListener(IPC_NOTIFY_CHANNEL, onNotify);
    for (const notification of shown.values()) notification.close();
    shown.clear();
  };
}
