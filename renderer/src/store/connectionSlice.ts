import type { StateCreator } from 'zustand/vanilla';
import type { ConnectionState, WorkstationApi } from '../../../shared/rpc.js';
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

/**
 * Server time from this workstation's clock and the offset the core measured
 * (ConnectionState.serverClockOffsetMs): what every countdown counts on, as the core judges
 * service levels and offer deadlines by it. The local clock while no offset is known.
 */
export function serverTimeOf(offsetMs: number | null, localNow: number): number {
  return offsetMs !== null && Number.isFinite(offsetMs) ? localNow + offsetMs : localNow;
}

export function createConnectionSlice(api: WorkstationApi): StateCreator<AppState, [], [], ConnectionSlice> {
  return (set, get) => ({
    connection: INITIAL_CONNECTION,
    coreProcess: null,
    hostLink: 'ok',
    retryingConnection: false,
    serverNow: () => serverTimeOf(get().connection.serverClockOffsetMs, Date.now()),
    applyConnection(connection) {
      const previousCount = get().connection.attentionCount;
      set({ connection });
      // The open "needs attention" list follows the core's count (a new refusal, or a
      // dismissal from another window).
      if (get().attentionOpen && connection.attentionCount !== previousCount) void get().loadAttention();
      // The core ended the session (e.g. the token expired): back to the sign-in screen.
      if (connection.status === 'signed_out' && get().user) resetSignedOut(set);
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
