/**
 * What the routing service's tests over a store share (routing/sweep.test.ts,
 * routing/respondCommit.test.ts): a fresh store on either backend, a routing service over it on
 * the test's clock and a manual scheduler, and after each test the services stopped, then the
 * stores closed and their databases removed.
 */
import { afterEach } from 'vitest';
import { createManualScheduler } from '../routing/scheduler.js';
import { createRoutingService, type RoutingService, type RoutingServiceOptions } from '../routing/service.js';
import type { ServerStore } from '../store.js';
import type { TestBackend, TestClock } from '../testHarness.js';
import { openStoreOn } from './stores.js';

export interface RoutingServiceFixture {
  /** A fresh store on `backend`, closed and removed after the test. */
  openStore: (backend: TestBackend) => Promise<ServerStore>;
  /** A routing service over `store` on `clock`, with a manual scheduler on that clock; stopped after the test, before the stores close. */
  startRouting: (store: ServerStore, clock: TestClock, options: Omit<RoutingServiceOptions, 'store' | 'now' | 'scheduler'>) => Promise<RoutingService>;
}

/** Registers the calling file's afterEach; its functions stand alone (no `this`). */
export function routingServiceFixture(): RoutingServiceFixture {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    openStore: async (backend) => {
      const { store, cleanup } = await openStoreOn(backend);
      cleanups.push(async () => {
        await store.close();
        await cleanup();
      });
      return store;
    },
    startRouting: async (store, clock, options) => {
      const service = await createRoutingService({ ...options, store, now: clock.now, scheduler: createManualScheduler(clock) });
      cleanups.push(async () => {
        service.stop();
        await service.idle();
      });
      return service;
    },
  };
}
