/**
 * The leads' channel board (渠道看板): the server pushes it to leads and admins through the
 * core (the `board` event, subscribed in appStore.ts); a window that opens late asks the core
 * for the last one (`board.get`). Nothing here computes a figure: they are the server's.
 *
 * The board's charts (shared/charts.ts) are asked for, not pushed: when the Board view opens,
 * then at most once a CHART_REFRESH_MS while it stays open — checked on each board push and,
 * as the board is pushed only when its figures change, every few seconds by the view — and on
 * the lead's Refresh. Hourly counts and daily SLA move slowly; a per-second query of 14 days of
 * tickets for every lead would not be worth its cost. Only the newest answer is applied.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { BoardSnapshot } from '../../../shared/board.js';
import { CHART_REFRESH_MS, type BoardCharts } from '../../../shared/charts.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** After a failed ask, the next one is due this much later. */
export const CHART_RETRY_MS = 10_000;

export interface BoardSlice {
  /** The board as last pushed; null before the first push (or for agents, who get none). */
  board: BoardSnapshot | null;
  applyBoard: (board: BoardSnapshot) => void;
  loadBoard: () => Promise<void>;
  /** The charts as last loaded; kept while a refresh runs or fails, so they never blink away. */
  boardCharts: BoardCharts | null;
  boardChartsLoading: boolean;
  boardChartsError: UiError | null;
  /** When the charts were last asked for (this window's clock); 0 = never. */
  boardChartsAskedAt: number;
  loadBoardCharts: () => Promise<void>;
  /** Asks for the charts when the Board view is open and the last ask is CHART_REFRESH_MS old. */
  refreshBoardChartsIfDue: (now: number) => void;
}

/** The board state with nobody signed in. */
export function boardSignedOut(): Pick<BoardSlice, 'board' | 'boardCharts' | 'boardChartsLoading' | 'boardChartsError' | 'boardChartsAskedAt'> {
  return { board: null, boardCharts: null, boardChartsLoading: false, boardChartsError: null, boardChartsAskedAt: 0 };
}

/** Back online (appStore's `onBackOnline`) with the Board open and its charts not loaded (offline just after sign-in): ask now. */
export function reloadBoardChartsWhenBackOnline(state: AppState): void {
  if (state.view === 'board' && state.boardChartsError && state.user?.role !== 'agent') void state.loadBoardCharts();
}

export function createBoardSlice(api: WorkstationApi): StateCreator<AppState, [], [], BoardSlice> {
  let latestChartsLoad = 0;

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

    async loadBoardCharts() {
      const user = get().user;
      if (!user) return;
      const request = ++latestChartsLoad;
      set({ boardChartsLoading: true, boardChartsAskedAt: Date.now() });
      try {
        const charts = await api.invoke('report.charts', {});
        if (request !== latestChartsLoad || get().user !== user) return;
        set({ boardCharts: charts, boardChartsLoading: false, boardChartsError: null });
      } catch (error) {
        if (request !== latestChartsLoad || get().user !== user) return;
        // A failed ask (offline just after sign-in, the server restarting) is tried again after
        // CHART_RETRY_MS, not after the full minute; still not on every board push.
        set({ boardChartsLoading: false, boardChartsError: toUiError(error), boardChartsAskedAt: Date.now() - CHART_REFRESH_MS + CHART_RETRY_MS });
      }
    },

    refreshBoardChartsIfDue(now) {
      const state = get();
      if (!state.user || state.user.role === 'agent' || state.view !== 'board' || state.boardChartsLoading) return;
      if (now - state.boardChartsAskedAt < CHART_REFRESH_MS) return;
      void state.loadBoardCharts();
    },
  });
}
