/**
 * What the app shows as desktop notifications in browser mode, observed in Chromium: the
 * page's `window.Notification` is wrapped before the app loads (`addInitScript`) to record each
 * one it creates and then let the real one through. The OS popup itself is not observable
 * here; a click on it is its `onclick`, which `clickNotification` runs.
 */
import type { BrowserContext, Page } from '@playwright/test';

export interface RecordedNotification {
  title: string;
  body: string;
  tag: string;
}

/** What the init script keeps in the page (this tsconfig has no DOM types: the page is described here). */
export interface RecordingPage {
  recordedNotifications?: Array<RecordedNotification & { notification: { onclick: ((event: unknown) => void) | null } }>;
  document: { hasFocus(): boolean };
}

/** Runs in the page before the app: records each notification it creates, then lets the real one through. */
const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  const recorded = [];
  window.recordedNotifications = recorded;
  class Recording extends Real {
    constructor(title, options) {
      super(title, options);
      recorded.push({ title, body: (options && options.body) || '', tag: (options && options.tag) || '', notification: this });
    }
  }
  Object.defineProperty(window, 'Notification', { value: Recording, configurable: true, writable: true });
})();`;

/** Allows notifications in `context` and records them in every page it opens from now on. */
export async function recordNotifications(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['notifications']);
  await context.addInitScript({ content: RECORD_NOTIFICATIONS });
}

/** The notifications `page` has shown whose tag starts with `tagPrefix`, oldest first. */
export async function recordedNotifications(page: Page, tagPrefix: string): Promise<RecordedNotification[]> {
  // Runs in the page, where globalThis is its window.
  return page.evaluate(
    (prefix) =>
      ((globalThis as unknown as RecordingPage).recordedNotifications ?? [])
        .filter((n) => n.tag.startsWith(prefix))
        .map(({ title, body, tag }) => ({ title, body, tag })),
    tagPrefix,
  );
}

/** A click on the system popup of the notification tagged `tag`: runs the app's onclick. */
export async function clickNotification(page: Page, tag: string): Promise<void> {
  await page.evaluate((wanted) => {
    const entry = ((globalThis as unknown as RecordingPage).recordedNotifications ?? []).find((n) => n.tag === wanted);
    if (!entry) throw new Error(`no notification tagged ${wanted}`);
    entry.notification.onclick?.({ type: 'click' });
  }, tag);
}
