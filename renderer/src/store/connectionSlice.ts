import type { StateCreator } from 'zustand/vanilla';
import type { ConnectionState, WorkstationApi } from '../../../shared/rpc.js';
import { setServerClockOffset } from '../i18n.js';
import { serverTimeOf } from '../serverClock.js';
import { resetSignedOut } from './sessionSlice.js';
import type { AppState, ConnectionSlice } from './types.js';

const INITIAL_CONNECTION: ConnectionState = {
  status: 'signed_out',
  since: Date.now(),
  pendingCount: 0,
  progress: null,
  lastError: null,
  attentionCount: 0,
  offlineSession: false,
  sessionEnded: null,
  searchIndex: null,
  serverClockOffsetMs: null,
};

export function createConnectionSlice(api: WorkstationApi): StateCreator<AppState, [], [], ConnectionSlice> {
  return (set, get) => ({
    connection: INITIAL_CONNECTION,
    coreProcess: null,
    hostLink: 'ok',
    retryingConnection: false,
    serverNow: () => serverTimeOf(get().connection.serverClockOffsetMs, Date.now()),
    applyConnection(connection) {
      const { attentionCount: previousCount, serverClockOffsetMs: previousOffsetMs } = get().connection;
      // The formatters first, so the render this set causes judges "today" by the server's clock.
      setServerClockOffset(connection.serverClockOffsetMs);
      set({ connection });
      if (connection.serverClockOffsetMs !== previousOffsetMs) get().followServerClock(previousOffsetMs);
      // The open "needs attention" list follows the core's count (a new refusal, or a
      // dismissal from another window).
      if (get().attentionOpen && connection.attentionCount !== previousCount) void get().loadAttention();
      // The core ended the session (e.g. the token expired): back to the sign-in screen.
      if (connection.status === 'signed_out' && get().user) resetSignedOut(set, get().serverNow());
    },
    applyCoreProcess(state) {
      set({ coreProcess: state.status === 'running' ? null : state });
    },
    setHostLink(hostLink) {
      set({ hostLink });
    },
    async retryConnection() {
      const { user, connection, retryingConnection } = get();
      if (!user || retryingConnection || connection.status === 'online' || connection.status === 'signed_out') return false;
      set({ retryingConnection: true });
      try {
        return (await api.invoke('connection.retryNow', {})).retrying;
      } catch {
        // Nothing to add: the badge and its reason already say the server is out of reach.
        return false;
      } finally {
        set({ retryingConnection: false });
      }
    },
  });
}
