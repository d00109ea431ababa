/**
 * The only place main touches raw IPC (lint forbids ipcMain elsewhere): renderer calls on
 * IPC_INVOKE_CHANNEL go to the core after the sender is checked, and core events go to
 * every window on IPC_EVENT_CHANNEL as `{event, payload}`. The core is the proxy of the
 * core process (coreProcess.ts): its calls never reject, and resolve to `core_unavailable`
 * when that process stops before answering.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type RpcEventName } from '../../shared/rpc.js';
import type { RpcOutcome, WorkstationCore } from '../core/api.js';

/**
 * True when the call comes from the top frame of our own page (the file:// index),
 * not from an iframe or a page that navigated elsewhere.
 */
export function isTrustedSender(event: IpcMainInvokeEvent, indexUrl: string): boolean {
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
