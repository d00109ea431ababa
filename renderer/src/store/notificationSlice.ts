/**
 * The user's notification preferences and the preferences popover (header): which kinds are
 * shown, which ring, the mute switch, and the permission the browser gave. Kept per user in
 * this browser profile (loaded at sign-in, back to the defaults at sign-out). The notifying
 * itself is store/notifications.ts, wired in appStore.ts.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import {
  DEFAULT_NOTIFICATION_PREFS,
  loadNotificationPrefs,
  notificationPermission,
  requestNotificationPermission,
  saveNotificationPrefs,
  type NotificationKind,
  type NotificationPermissionState,
  type NotificationPrefs,
} from './notifications.js';
import type { AppState } from './types.js';

export interface NotificationSlice {
  notificationPrefs: NotificationPrefs;
  notificationPermission: NotificationPermissionState;
  /** The preferences popover is open. */
  notificationSettingsOpen: boolean;
  /** An offer whose card should take focus (a click on its notification); the card clears it. */
  focusOfferId: string | null;
  setNotificationSettingsOpen: (open: boolean) => void;
  setNotificationShown: (kind: NotificationKind, on: boolean) => void;
  setNotificationSound: (kind: NotificationKind, on: boolean) => void;
  setSoundsMuted: (muted: boolean) => void;
  /** Asks the browser's permission; call it from a click or key press. */
  askNotificationPermission: () => Promise<void>;
  /** The user's saved preferences (sign-in), or the defaults (null: signed out). */
  adoptNotificationPrefs: (userId: string | null) => void;
  showOffer: (ticketId: string) => void;
  offerFocused: () => void;
}

export function createNotificationSlice(api: WorkstationApi): StateCreator<AppState, [], [], NotificationSlice> {
  return (set, get) => {
    function change(update: (prefs: NotificationPrefs) => NotificationPrefs): void {
      const prefs = update(get().notificationPrefs);
      set({ notificationPrefs: prefs });
      const user = get().user;
      if (user) saveNotificationPrefs(user.id, prefs);
    }
    return {
      notificationPrefs: DEFAULT_NOTIFICATION_PREFS,
      notificationPermission: notificationPermission(api.notifications),
      notificationSettingsOpen: false,
      focusOfferId: null,

      setNotificationSettingsOpen(open) {
        // The permission may have changed outside the page (the site settings): read it again at each opening.
        set({ notificationSettingsOpen: open, notificationPermission: notificationPermission(api.notifications) });
      },
      setNotificationShown(kind, on) {
        change((prefs) => ({ ...prefs, show: { ...prefs.show, [kind]: on } }));
      },
      setNotificationSound(kind, on) {
        change((prefs) => ({ ...prefs, sound: { ...prefs.sound, [kind]: on } }));
      },
      setSoundsMuted(muted) {
        change((prefs) => ({ ...prefs, muted }));
      },
      async askNotificationPermission() {
        const permission = await requestNotificationPermission(api.notifications);
        set({ notificationPermission: permission });
      },
      adoptNotificationPrefs(userId) {
        set({ notificationPrefs: userId ? loadNotificationPrefs(userId) : DEFAULT_NOTIFICATION_PREFS, notificationSettingsOpen: false, focusOfferId: null });
      },
      showOffer(ticketId) {
        set({ focusOfferId: ticketId });
      },
      offerFocused() {
        set({ focusOfferId: null });
      },
    };
  };
}
