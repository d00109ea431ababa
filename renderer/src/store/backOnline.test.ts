/**
 * The store's one "came back online" hook (appStore.ts `onBackOnline`): each slice's reload runs
 * once when the connection turns online from anything else, never while it stays online or goes away.
 * The reloads here only record; the slices' real reloads are exercised on the real core and
 * server by the store tests (adminStore.test.ts: an Admin view opened before the connection is up).
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionState, WorkstationApi } from '../../../shared/rpc.js';
import { createAppStore, onBackOnline, type BackOnlineReload } from './appStore.js';
import type { AppState } from './types.js';

/** The hook never reaches the core: any call is a failure of this test. */
const unreachableApi: WorkstationApi = {
  invoke: () => Promise.reject(new Error('the back-online hook must not call the core itself')),
  on: () => () => {},
};

function connection(status: ConnectionState['status']): ConnectionState {
  return {
    status,
    since: 1,
    pendingCount: 0,
    progress: null,
    lastError: null,
    attentionCount: 0,
    offlineSession: false,
    sessionEnded: null,
    searchIndex: null,
    serverClockOffsetMs: null,
  };
}

describe('onBackOnline', () => {
  it('runs every reload, in order, with the new state, each time the connection comes back', () => {
    const store = createAppStore(unreachableApi);
    const ran: string[] = [];
    const seen: AppState[] = [];
    const first: BackOnlineReload = (state) => {
      ran.push('first');
      seen.push(state);
    };
    const second: BackOnlineReload = () => ran.push('second');
    const stop = onBackOnline(store, [first, second]);

    store.getState().applyConnection(connection('connecting'));
    expect(ran).toEqual([]);
    store.getState().applyConnection(connection('online'));
    expect(ran).toEqual(['first', 'second']);
    expect(seen[0]).toBe(store.getState());

    // Staying online (a new pending count, another view) is not coming back.
    store.getState().applyConnection({ ...connection('online'), pendingCount: 3 });
    store.setState({ view: 'board' });
    expect(ran).toEqual(['first', 'second']);

    // Going offline is not either; the next return is.
    store.getState().applyConnection(connection('offline'));
    expect(ran).toEqual(['first', 'second']);
    store.getState().applyConnection(connection('online'));
    expect(ran).toEqual(['first', 'second', 'first', 'second']);

    stop();
    store.getState().applyConnection(connection('offline'));
    store.getState().applyConnection(connection('online'));
    expect(ran).toHaveLength(4);
  });
});
