/**
 * The Electron main process: app lifecycle, one workstation core, one window.
 *
 *   electron . [--server http://127.0.0.1:4780]     (or OMNIDESK_SERVER_URL)
 *
 * The core runs in a utility process of its own (coreProcess.ts, coreHost.ts), so its work
 * never blocks the window; it keeps its cache in the user-data folder, encrypted, and the
 * stored session's cache key is sealed by the OS keychain (keyProtector.ts), which it
 * reaches by calling back to this process. Everything the page may do goes through ipc.ts,
 * which checks the sender of every call.
 */
import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkstationCore } from '../core/api.js';
import { resolveCoreHostEntry, startCoreProcess } from './coreProcess.js';
import { registerCoreIpc, registerNotificationIpc } from './ipc.js';
import { desktopKeyProtector } from './keyProtector.js';
import { createMainWindow, hardenDefaultSession, lockDownContents, type AppPaths } from './window.js';

const DEFAULT_SERVER_URL = 'http://127.0.0.1:4780';

/** `--server <url>` or `--server=<url>`, else OMNIDESK_SERVER_URL, else the local default. */
export function readServerUrl(argv: string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--server' && argv[i + 1] !== undefined) return argv[i + 1]!;
    if (arg.startsWith('--server=')) return arg.slice('--server='.length);
  }
  return env.OMNIDESK_SERVER_URL ?? DEFAULT_SERVER_URL;
}

export function resolveAppPaths(appRoot: string): AppPaths {
  const indexHtml = path.join(appRoot, 'dist', 'renderer', 'index.html');
  return {
    indexHtml,
    indexUrl: pathToFileURL(indexHtml).href,
    preload: path.join(appRoot, 'dist', 'electron', 'preload', 'preload.cjs'),
  };
}

function startApp(): void {
  // Everything this process creates (caches, settings, logs) is for this OS user only.
  process.umask(0o077);
  if (!app.requestSingleInstanceLock()) {
    // Another OmniDesk is running; it gets the focus (second-instance below), we leave.
    app.quit();
    return;
  }

  const paths = resolveAppPaths(app.getAppPath());
  const serverUrl = readServerUrl(process.argv, process.env);
  let core: WorkstationCore | null = null;
  let unregisterIpc: (() => void) | null = null;
  let unregisterNotifications: (() => void) | null = null;
  let quitting = false;

  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, paths));

  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (core && BrowserWindow.getAllWindows().length === 0) void createMainWindow(paths);
  });

  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    // The core process closes its cache cleanly (the outbox must be flushed to disk) before this process ends.
    event.preventDefault();
    quitting = true;
    unregisterIpc?.();
    unregisterNotifications?.();
    const closing = core;
    core = null;
    void closing
      .close()
      .catch((error: unknown) => console.error('Closing the workstation core failed:', error))
      .finally(() => app.quit());
  });

  void app
    .whenReady()
    .then(async () => {
      hardenDefaultSession();
      const dataDir = app.getPath('userData');
      const started = startCoreProcess({
        entry: resolveCoreHostEntry(app.getAppPath()),
        dataDir,
        serverUrl,
        keyProtector: await desktopKeyProtector(dataDir),
      });
      core = started;
      unregisterIpc = registerCoreIpc(started, paths.indexUrl);
      unregisterNotifications = registerNotificationIpc(paths.indexUrl);
      // The window does not wait for the core: its first calls wait inside the proxy until the core process is ready.
      await createMainWindow(paths);
    })
    .catch((error: unknown) => {
      console.error('OmniDesk could not start:', error);
      app.exit(1);
    });
}

startApp();
