/**
 * The scripts libraries (话术库) on the workstation, for one signed-in session. The picker
 * reads the cache, so it works with the server down; the cache is refreshed from the server
 * (`scripts:list`) whenever the socket connects and whenever the server says a library this
 * user reads changed (`scripts:changed`), and each refresh is passed on as the `scripts`
 * event. Writes (`scripts.save`, `scripts.delete`) need the server: the server decides who
 * may write where, and the cache is refreshed from its answer, never edited locally.
 * See docs/technical/sync-protocol.md ("Scripts").
 */
import {
  scriptDeleteResultSchema,
  scriptSaveResultSchema,
  scriptsChangedSchema,
  scriptsListResultSchema,
  type ScriptDeleteRequest,
  type ScriptSaveRequest,
} from '../../../shared/scripts.js';
import type { RpcEventName, RpcEvents, RpcResults, ScriptLibrary } from '../../../shared/rpc.js';
import { askServer } from '../askServer.js';
import { createCoalescedRefresh } from '../coalescedRefresh.js';
import type { Cache } from '../cache/cache.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

/** How long a script request waits for the server. */
export const SCRIPT_REQUEST_TIMEOUT_MS = 10_000;

export interface ScriptSessionOptions {
  socket: WorkstationSocket;
  cache: Cache;
  now: () => number;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  log?: (line: string) => void;
}

export interface ScriptSession {
  save(request: ScriptSaveRequest): Promise<RpcResults['scripts.save']>;
  remove(request: ScriptDeleteRequest): Promise<RpcResults['scripts.delete']>;
  stop(): void;
}

/** The cached libraries: what the picker shows, online or not. */
export function cachedScripts(cache: Cache): ScriptLibrary {
  return cache.reader.scripts();
}

export function startScriptSession(options: ScriptSessionOptions): ScriptSession {
  const { socket, cache } = options;
  let stopped = false;

  async function fetchOnce(): Promise<void> {
    const { scripts } = await askServer(socket, 'scripts:list', {}, scriptsListResultSchema, SCRIPT_REQUEST_TIMEOUT_MS);
    if (stopped) return;
    cache.writer.replaceScripts(scripts, options.now());
    options.emit('scripts', cache.reader.scripts());
  }

  /** Fetches the libraries into the cache now (see createCoalescedRefresh). */
  const refresh = createCoalescedRefresh(fetchOnce, () => stopped);

  function refreshQuietly(): void {
    refresh().catch((error: unknown) => {
      // The cache keeps what it had; the next connect or change fetches again.
      options.log?.(`scripts: could not refresh the libraries (${error instanceof Error ? error.message : String(error)})`);
    });
  }

  function onChanged(raw: unknown): void {
    if (stopped || !scriptsChangedSchema.safeParse(raw).success) return;
    refreshQuietly();
  }

  function requireConnected(what: string): void {
    if (!socket.connected) throw new RpcError('offline', `You are offline: ${what} once the connection is back.`);
  }

  socket.on('connect', refreshQuietly);
  socket.on('scripts:changed', onChanged);
  if (socket.connected) refreshQuietly();

  return {
    async save(request) {
      requireConnected('scripts can be saved');
      const result = await askServer(socket, 'scripts:save', request, scriptSaveResultSchema, SCRIPT_REQUEST_TIMEOUT_MS);
      // The saver sees their change at once, without waiting for the push.
      await refresh().catch(() => undefined);
      return result;
    },
    async remove(request) {
      requireConnected('scripts can be deleted');
      const result = await askServer(socket, 'scripts:delete', request, scriptDeleteResultSchema, SCRIPT_REQUEST_TIMEOUT_MS);
      await refresh().catch(() => undefined);
      return result;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      socket.off('connect', refreshQuietly);
      socket.off('scripts:changed', onChanged);
    },
  };
}
