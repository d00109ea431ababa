/**
 * The workstation core as its hosts see it. Electron's main process and the browser host
 * both create one core and forward the renderer's calls to `invoke`, and its events back.
 * Nothing here knows which transport carries the calls.
 */
import type { RpcErrorShape, RpcEventName, RpcEvents } from '../../shared/rpc.js';
import type { KeyProtector } from './cacheKeys.js';
import type { ScheduledReconnect } from './sync/reconnectSchedule.js';

export type { KeyProtector } from './cacheKeys.js';

export interface WorkstationCoreOptions {
  /** Folder for the per-user caches and the workstation's settings (created 0700 if missing). */
  dataDir: string;
  /**
   * Seals the open cache's key while a session is stored, so a restart resumes without the
   * password: Electron's safeStorage in the desktop app; by default (browser mode, tests,
   * benches) `keyFileProtector(dataDir)`, a 0600 key file. See cacheKeys.ts.
   */
  keyProtector?: KeyProtector;
  /** Base URL of the sync server, e.g. http://127.0.0.1:4780. */
  serverUrl: string;
  /** Stable id of this installation; made and stored in dataDir when not given. */
  clientId?: string;
  /** Clock, injectable so SLA and offline tests can control time. Defaults to Date.now. */
  now?: () => number;
  /** First reconnect delay (ms; default 1 s), doubled per failure up to the max, ±50 % jitter. */
  reconnectDelayMs?: number;
  /**
   * Longest reconnect delay (ms; default 30 s) when the server refuses (429, the sign-in
   * deadline); a server that does not answer is tried at least every 5 s (sync/reconnectSchedule.ts).
   */
  reconnectDelayMaxMs?: number;
  /** Longest reconnect delay (ms; default 5 s) when the server did not answer; capped by reconnectDelayMaxMs. Tests that must not reconnect by themselves raise it. */
  reconnectUnreachableMaxMs?: number;
  /** Called with each reconnect the sync client schedules: its cause, attempt and delay (tests, logs). */
  onReconnectScheduled?: (retry: ScheduledReconnect) => void;
  /**
   * Bytes of attachments kept in the cache for the tickets the user holds, so they open offline
   * (default OFFLINE_ATTACHMENT_BUDGET_BYTES, 200 MB; 0 keeps none). See attachments/attachmentKeeper.ts.
   */
  attachmentBudgetBytes?: number;
}

export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: RpcErrorShape };

export type CoreEventListener = <E extends RpcEventName>(event: E, payload: RpcEvents[E]) => void;

export interface WorkstationCore {
  /**
   * Runs one renderer call. `method` and `params` are untrusted: they are validated against
   * shared/rpc.ts and a bad call resolves to `{ ok: false, error }`; this never rejects.
   */
  invoke(method: unknown, params: unknown): Promise<RpcOutcome>;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: CoreEventListener): () => void;
  /** Disconnects from the server and closes the cache. */
  close(): Promise<void>;
}
