/**
 * The workstation window and the rules every web contents obeys: isolated, sandboxed,
 * no Node, a strict CSP, no pop-ups, no navigation away from our own page.
 */
import { BrowserWindow, session, shell, type WebContents } from 'electron';

/** Where the built app lives, relative to the app root (the asar in a packaged app). */
export interface AppPaths {
  /** Absolute path of dist/renderer/index.html. */
  indexHtml: string;
  /** file:// URL of indexHtml, the only page allowed to call the core. */
  indexUrl: string;
  /** Absolute path of the compiled preload (dist/electron/preload/preload.cjs). */
  preload: string;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Adds the CSP to every response and refuses every permission request (camera, notifications…). */
export function hardenDefaultSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/** No pop-ups, no navigation away, no <webview>; http(s) links open in the system browser. */
export function lockDownContents(contents: WebContents, paths: AppPaths): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (url.split('#')[0] !== paths.indexUrl) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

export async function createMainWindow(paths: AppPaths): Promise<BrowserWindow> {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'OmniDesk',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  // lockDownContents reaches this window's contents through app 'web-contents-created' (main.ts).
  window.once('ready-to-show', () => window.show());
  await window.loadFile(paths.indexHtml);
  return window;
}
