import type { WorkstationApi } from '../../shared/rpc.js';

declare global {
  interface Window {
    /** The typed API the Electron preload exposes; absent in browser mode. */
    workstation?: WorkstationApi;
  }
}
