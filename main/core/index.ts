/**
 * The workstation core: session, per-user cache, outbox and sync client behind the one
 * `invoke(method, params)` entry point of shared/rpc.ts. Plain Node (never Electron), so
 * the Electron main process and the browser host run the same core. See docs/technical/core.md.
 */
import path from 'node:path';
import type { z } from 'zod';
import type { User } from '../../shared/domain.js';
import {
  isRpcMethod,
  rpcParamSchemas,
  type ConnectionState,
  type RpcEventName,
  type RpcEvents,
  type RpcMethod,
  type RpcResults,
  type SessionState,
} from '../../shared/rpc.js';
import type { Mutation } from '../../shared/sync.js';
import type { CoreEventListener, RpcOutcome, WorkstationCore, WorkstationCoreOptions } from './api.js';
import { openCache, type Cache } from './cache/cache.js';
import { createChangeNotifier } from './changeNotifier.js';
import { RpcError, describeIssues } from './errors.js';
import { loginToServer } from './login.js';
import { loadSettings, saveSettings, type StoredSession } from './settings.js';
import { startSyncClient, type SyncClient, type SyncStatusPatch } from './sync/syncClient.js';
import { uuidv7 } from './uuidv7.js';

export type { CoreEventListener, RpcOutcome, WorkstationCore, WorkstationCoreOptions } from './api.js';

export const SESSION_EXPIRED_MESSAGE = 'Your session expired; sign in again';

/** Where a user's cache lives inside the data folder. */
export function userCacheFile(dataDir: string, userId: string): string {
  return path.join(dataDir, 'users', `${userId}.sqlite`);
}

interface ActiveSession {
  stored: StoredSession;
  cache: Cache;
  sync: SyncClient | null;
}

type RpcHandlers = {
  [M in RpcMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]> | RpcResults[M];
};

function sameConnection(a: ConnectionState, b: ConnectionState): boolean {
  return (
    a.status === b.status &&
    a.pendingCount === b.pendingCount &&
    a.lastError === b.lastError &&
    a.progress?.done === b.progress?.done &&
    a.progress?.total === b.progress?.total
  );
}

function describeMethod(method: unknown): string {
  return typeof method === 'string' ? `"${method.slice(0, 64)}"` : `of type ${typeof method}`;
}

export async function createWorkstationCore(options: WorkstationCoreOptions): Promise<WorkstationCore> {
  const now = options.now ?? Date.now;
  const serverUrl = options.serverUrl.replace(/\/+$/, '');
  const { dataDir } = options;
  const settings = loadSettings(dataDir, options.clientId);
  const listeners = new Set<CoreEventListener>();
  let active: ActiveSession | null = null;
  let closed = false;
  let sessionLock: Promise<unknown> = Promise.resolve();
  let connection: ConnectionState = { status: 'signed_out', since: now(), pendingCount: 0, progress: null, lastError: null };

  function emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void {
    for (const listener of listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken listener must not stop the others or the core.
      }
    }
  }

  const notifier = createChangeNotifier((ticketIds) => emit('changed', { ticketIds }));

  function updateConnection(patch: SyncStatusPatch): void {
    const next: ConnectionState = {
      ...connection,
      ...patch,
      pendingCount: active ? active.cache.reader.outboxCount() : 0,
    };
    if (next.status !== connection.status) next.since = now();
    if (sameConnection(next, connection)) return;
    connection = next;
    emit('connection', { ...connection });
  }

  function sessionState(): SessionState {
    return { user: active?.stored.user ?? null, serverUrl, connection: { ...connection } };
  }

  function requireSession(): ActiveSession & { user: User } {
    if (!active) throw new RpcError('not_signed_in', 'Sign in first.');
    return { ...active, user: active.stored.user };
  }

  /** Serialises sign-in and sign-out so two of them never interleave. */
  function withSessionLock<T>(run: () => Promise<T>): Promise<T> {
    const result = sessionLock.then(run);
    sessionLock = result.catch(() => undefined);
    return result;
  }

  function activate(stored: StoredSession): void {
    const cache = openCache(userCacheFile(dataDir, stored.user.id));
    const session: ActiveSession = { stored, cache, sync: null };
    active = session;
    const isCurrent = () => active === session && !closed;
    updateConnection({ status: 'connecting', progress: null, lastError: null });
    session.sync = startSyncClient({
      serverUrl,
      token: stored.token,
      clientId: settings.clientId,
      user: stored.user,
      cache,
      now,
      onStatus: (patch) => {
        if (isCurrent()) updateConnection(patch);
      },
      onChanged: (ticketIds) => {
        if (isCurrent()) notifier.add(ticketIds);
      },
      onAttention: (ticketId, reason) => {
        if (isCurrent()) emit('attention', { ticketId, reason });
      },
      onPendingChanged: () => {
        if (isCurrent()) updateConnection({});
      },
      onUnauthorized: () => {
        if (isCurrent()) signOut(SESSION_EXPIRED_MESSAGE);
      },
    });
  }

  function deactivate(): void {
    const session = active;
    if (!session) return;
    active = null;
    session.sync?.stop();
    notifier.dispose();
    session.cache.close();
  }

  function signOut(lastError: string | null): SessionState {
    deactivate();
    if (settings.session) {
      settings.session = null;
      saveSettings(dataDir, settings);
    }
    updateConnection({ status: 'signed_out', progress: null, lastError });
    notifier.add([]);
    return sessionState();
  }

  function recordMutation(mutation: Mutation) {
    const session = requireSession();
    const outcome = session.cache.writer.recordMutation(mutation, session.user);
    if (!outcome.ok) throw new RpcError(outcome.refusal.code, outcome.refusal.message);
    notifier.add([mutation.ticketId]);
    updateConnection({});
    session.sync?.kick();
    return outcome.effect;
  }

  const handlers: RpcHandlers = {
    'session.get': () => sessionState(),
    'session.signIn': (params) =>
      withSessionLock(async () => {
        const login = await loginToServer(serverUrl, params);
        if (closed) throw new RpcError('internal', 'The workstation is shutting down.');
        deactivate();
        const stored: StoredSession = { user: login.user, token: login.token, expiresAt: login.expiresAt, serverUrl };
        activate(stored);
        settings.session = stored;
        saveSettings(dataDir, settings);
        notifier.add([]);
        return sessionState();
      }),
    'session.signOut': () => withSessionLock(async () => signOut(null)),
    'inbox.list': (params) => requireSession().cache.reader.inbox(params),
    'ticket.get': ({ ticketId }) => {
      const detail = requireSession().cache.reader.ticketDetail(ticketId);
      if (!detail) throw new RpcError('not_found', `Ticket ${ticketId} was not found.`);
      return detail;
    },
    'ticket.reply': ({ ticketId, text }) => {
      const at = now();
      const effect = recordMutation({ mutationId: uuidv7(at), kind: 'reply', ticketId, messageId: uuidv7(at), text, createdAt: at });
      if (!effect.message) throw new RpcError('internal', 'The reply was not stored.');
      return { ...effect.message, pending: true };
    },
    'ticket.addNote': ({ ticketId, text }) => {
      const at = now();
      const effect = recordMutation({ mutationId: uuidv7(at), kind: 'note', ticketId, noteId: uuidv7(at), text, createdAt: at });
      if (!effect.note) throw new RpcError('internal', 'The note was not stored.');
      return { ...effect.note, pending: true };
    },
    'ticket.setStatus': ({ ticketId, status }) => {
      const at = now();
      return recordMutation({ mutationId: uuidv7(at), kind: 'setStatus', ticketId, status, createdAt: at }).ticket;
    },
  };

  async function invoke(method: unknown, params: unknown): Promise<RpcOutcome> {
    try {
      if (!isRpcMethod(method)) throw new RpcError('unknown_method', `There is no method ${describeMethod(method)}.`);
      if (closed) throw new RpcError('internal', 'The workstation core is closed.');
      const parsed = rpcParamSchemas[method].safeParse(params === undefined ? {} : params);
      if (!parsed.success) throw new RpcError('invalid_params', `Invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
      const handler = handlers[method] as (params: unknown) => unknown;
      return { ok: true, result: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof RpcError) return { ok: false, error: error.toShape() };
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: 'internal', message: `Unexpected error: ${message}` } };
    }
  }

  const stored = settings.session;
  if (stored && stored.serverUrl === serverUrl) {
    if (stored.expiresAt > now()) {
      try {
        activate(stored);
      } catch (error) {
        // An unreadable cache must not stop the app from starting: fall back to the sign-in screen.
        deactivate();
        const reason = error instanceof Error ? error.message : String(error);
        updateConnection({ status: 'signed_out', lastError: `The local cache could not be opened (${reason})` });
      }
    } else {
      settings.session = null;
      saveSettings(dataDir, settings);
      updateConnection({ lastError: SESSION_EXPIRED_MESSAGE });
    }
  }

  return {
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      await sessionLock;
      closed = true;
      deactivate();
      notifier.dispose();
      listeners.clear();
    },
  };
}
