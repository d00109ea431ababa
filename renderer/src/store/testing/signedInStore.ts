/**
 * The set-up the store tests on a real core share: a store over a workstation API, its session
 * checked, signed in and online. The core and the server stay the test's own (this helper is in
 * the renderer's layer: it reaches them only through the API it is given).
 */
import { expect, vi } from 'vitest';
import type { WorkstationApi } from '../../../../shared/rpc.js';
import { initStore, type InitializedStore } from '../appStore.js';

/** How long a store test waits for what goes through the core and the server. */
export const STORE_WAIT = { timeout: 20_000, interval: 50 };

/** A store over `api`, signed in as `username` and online; dispose it (and close the core) after the test. */
export async function signedInStore(api: WorkstationApi, username: string, password: string): Promise<InitializedStore> {
  const started = initStore(api, { wake: null });
  await vi.waitFor(() => expect(started.store.getState().sessionChecked).toBe(true));
  expect(await started.store.getState().signIn(username, password)).toBe(true);
  await vi.waitFor(() => expect(started.store.getState().connection.status).toBe('online'), STORE_WAIT);
  return started;
}
