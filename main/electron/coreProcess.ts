/**
 * Starts the workstation core in an Electron utility process (coreHost.ts) and keeps it
 * running: each process gets one MessageChannelMain port, over which main/core/portHost.ts
 * carries the RPC envelopes and the key protector's call-backs; superviseCoreProcess
 * restarts it when it dies (bounded) and tells the window. What this returns is the
 * `WorkstationCore` ipc.ts forwards the renderer's calls to.
 */
import { MessageChannelMain, utilityProcess } from 'electron';
import path from 'node:path';
import type { KeyProtector } from '../core/api.js';
import { superviseCoreProcess, type CoreProcessHandle, type SupervisedCore } from '../core/coreSupervisor.js';
import { coreHostArgs } from '../core/portHost.js';

/** The compiled entry (tsconfig.electron.json emits it beside main.js; electron-builder ships dist/electron/**). */
export function resolveCoreHostEntry(appRoot: string): string {
  return path.join(appRoot, 'dist', 'electron', 'main', 'electron', 'coreHost.js');
}

export interface CoreProcessOptions {
  /** resolveCoreHostEntry(app.getAppPath()). */
  entry: string;
  dataDir: string;
  serverUrl: string;
  /** safeStorage (or the key file where there is no keychain); main-process only, so the core process calls back for it. */
  keyProtector: KeyProtector;
}

/** Call after the app is ready (utilityProcess.fork needs it). */
export function startCoreProcess(options: CoreProcessOptions): SupervisedCore {
  const args = coreHostArgs({ dataDir: options.dataDir, serverUrl: options.serverUrl, keyProtectorDescription: options.keyProtector.description });
  return superviseCoreProcess({
    keyProtector: options.keyProtector,
    start(): CoreProcessHandle {
      const child = utilityProcess.fork(options.entry, args, { serviceName: 'OmniDesk core', stdio: 'inherit' });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code) => resolve({ code, signal: null })));
      const { port1, port2 } = new MessageChannelMain();
      // Queued until the process runs; coreHost.ts takes the port from its first parentPort message.
      child.postMessage({ type: 'corePort' }, [port2]);
      return {
        port: port1,
        exited,
        kill: () => {
          child.kill();
        },
      };
    },
    log: (line) => console.warn(line),
  });
}
