/**
 * The leads' channel board (渠道看板): the server pushes it to leads and admins through the
 * core (the `board` event, subscribed in appStore.ts); a window that opens late asks the core
 * for the last one (`board.get`). Nothing here computes a figure: they are the server's.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { BoardSnapshot } from '../../../shared/board.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import type { AppState } from './types.js';

export interface BoardSlice {
  /** The board as last pushed; null before the first push (or for agents, who get none). */
  board: BoardSnapshot | null;
  applyBoard: (board: BoardSnapshot) => void;
  loadBoard: () => Promise<void>;
}

/** The board state with nobody signed in. */
export function boardSignedOut(): Pick<BoardSlice, 'board'> {
  return { board: null };
}

export function createBoardSlice(api: WorkstationApi): StateCreator<AppState, [], [], BoardSlice> {
  return (set, get) => ({
    ...boardSignedOut(),

    applyBoard(board) {
      const current = get().board;
      // A late answer of `board.get` never replaces a newer push.
      if (current && board.at < current.at) return;
      set({ board });
    },

    async loadBoard() {
      if (!get().user) return;
      try {
        const { board } = await api.invoke('board.get', {});
        if (board && get().user) get().applyBoard(board);
      } catch {
        // The next push brings it; the view says it is waiting meanwhile.
      }
    },
  });
}
