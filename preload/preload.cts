/**
 * The preload: exposes ONE object, `window.workstation`, implementing WorkstationApi over
 * Electron IPC. Sandboxed preloads must be CommonJS and may require only `electron`, so
 * shared/ is imported for types only and the channel names are repeated here, checked
 * against the shared constants' literal types at compile time.
 */
// A sandboxed preload is CommonJS, and verbatimModuleSyntax spells a CommonJS import this way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type {
  DesktopNotification,
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_CHANNEL,
  IPC_NOTIFICATION_CLICK_CHANNEL,
  IPC_NOTIFY_CHANNEL,
  RpcErrorShape,
  RpcEventName,
  RpcEvents,
  RpcMethod,
  RpcParams,
  RpcResults,
  WorkstationApi,
} from '../shared/rpc.js' with { 'resolution-mode': 'import' };

const { contextBridge, ipcRenderer } = electron;

// Must equal the shared constants: their literal types make any drift a compile error.
const IPC_INVOKE: typeof IPC_INVOKE_CHANNEL = 'workstation:invoke';
const IPC_EVENT: typeof IPC_EVENT_CHANNEL = 'workstation:event';
const IPC_NOTIFY: typeof IPC_NOTIFY_CHANNEL = 'workstation:notify';
const IPC_NOTIFICATION_CLICK: typeof IPC_NOTIFICATION_CLICK_CHANNEL = 'workstation:notification-click';

type Outcome = { ok: true; result: unknown } | { ok: false; error: RpcErrorShape };

/**
 * What a failed call rejects with: the core's `RpcErrorShape` as a plain object. Not an
 * Error on purpose: contextBridge copies a rejected Error into the page as a new Error with
 * the message only (custom properties such as `code` are dropped, electron/electron#25596),
 * while a plain object arrives whole. The renderer reads it with `toRpcErrorShape`.
 */
function callFailure(error: RpcErrorShape): RpcErrorShape & { name: string } {
  return {
    name: 'RpcError',
    code: error.code,
    message: error.message,
    ...(error.refusal ? { refusal: error.refusal } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    ...(error.offlineFile ? { offlineFile: error.offlineFile } : {}),
    ...(error.departure ? { departure: error.departure } : {}),
  };
}

const api: WorkstationApi = {
  async invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResults[M]> {
    const outcome = (await ipcRenderer.invoke(IPC_INVOKE, method, params)) as Outcome;
    // A plain object on purpose, not an Error: see callFailure.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (!outcome.ok) throw callFailure(outcome.error);
    return outcome.result as RpcResults[M];
  },
  on<E extends RpcEventName>(event: E, listener: (payload: RpcEvents[E]) => void): () => void {
    // The page never sees the IpcRendererEvent (it would leak `sender`, i.e. ipcRenderer).
    const handler = (_event: electron.IpcRendererEvent, message: { event: RpcEventName; payload: unknown }): void => {
      if (message && message.event === event) listener(message.payload as RpcEvents[E]);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
  // System notifications through Electron's Notification in main (the page's own Notification API is refused there).
  notifications: {
    notify(notification: DesktopNotification): void {
      // Only the three fields cross; main validates them again (the page is not trusted).
      ipcRenderer.send(IPC_NOTIFY, { title: String(notification.title), body: String(notification.body), tag: String(notification.tag) });
    },
    onClick(listener: (tag: string) => void): () => void {
      const handler = (_event: electron.IpcRendererEvent, tag: unknown): void => {
        if (typeof tag === 'string') listener(tag);
      };
      ipcRenderer.on(IPC_NOTIFICATION_CLICK, handler);
      return () => {
        ipcRenderer.removeListener(IPC_NOTIFICATION_CLICK, handler);
      };
    },
  },
};

contextBridge.exposeInMainWorld('workstation', api);
