import type { StateCreator } from 'zustand/vanilla';
import type { ConnectionState } from '../../../shared/rpc.js';
import { resetSignedOut } from './sessionSlice.js';
import type { AppState, ConnectionSlice } from './types.js';

const INITIAL_CONNECTION: ConnectionState = {
  status: 'signed_out',
  since: Date.now(),
  pendingCount: 0,
  progress: null,
  lastError: null,
};

export function createConnectionSlice(): StateCreator<AppState, [], [], ConnectionSlice> {
  return (set, get) => ({
    connection: INITIAL_CONNECTION,
    applyConnection(connection) {
      set({ connection });
      // The core ended the session (e.g. the token expired): back to the sign-in screen.
      if (connection.status === 'signed_out' && get().user) resetSignedOut(set);
    },
  });
}
