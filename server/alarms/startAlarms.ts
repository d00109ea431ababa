/**
 * Alarms in a running server in one call (server/app.ts): the service, its socket events, a
 * pass after every commit. Kept here so the server's wiring needs one line for them.
 */
import type { SyncServer } from '../liveHub.js';
import type { CommitSource } from '../cluster/commitStream.js';
import type { RoutingPort } from '../routing/port.js';
import type { ServerStore } from '../store.js';
import { attachAlarms } from './alarmSocket.js';
import { createAlarmService, type AlarmService } from './alarmService.js';

/** Pacing knobs (tests shorten them). */
export interface AlarmOptions {
  /** Smallest gap between two passes; default 1 s. */
  intervalMs?: number;
  /** A pass at least this often with nothing committed; default 15 s. */
  recheckMs?: number;
}

export interface StartedAlarms {
  service: AlarmService;
  /** Resolves once the evaluation in flight (if any) has ended. */
  stop(): Promise<void>;
}

export function startAlarms(
  io: SyncServer,
  deps: {
    store: ServerStore;
    /** Every commit of every node (the cluster's commit stream, or the store on one node). */
    commits: CommitSource;
    /** Where escalations are carried out: this node's routing, or the routing leader's. */
    router: Pick<RoutingPort, 'escalate'>;
    now: () => number;
    log: (line: string) => void;
  } & AlarmOptions,
): StartedAlarms {
  const { store, now, log } = deps;
  const service = createAlarmService({
    store,
    router: deps.router,
    now,
    log,
    ...(deps.intervalMs !== undefined ? { intervalMs: deps.intervalMs } : {}),
    ...(deps.recheckMs !== undefined ? { recheckMs: deps.recheckMs } : {}),
  });
  attachAlarms(io, { service, now, log });
  const stopListening = deps.commits.onDidCommitChanges((batch) => {
    service.noteChangedTickets(
      batch.flatMap(({ change }) => (change.kind === 'customer' ? [] : change.kind === 'bundle' ? [change.bundle.ticket] : [change.ticket])),
    );
    service.markDirty();
  });
  // Requests that came through the outbox (sync:push) are raised by the store: pushed from here.
  const stopRaised = store.alerts.onDidRaise((alarm) => service.announce(alarm));
  // A first pass at start: crossings that happened while the server was down.
  service.markDirty();
  return {
    service,
    stop() {
      stopListening();
      stopRaised();
      return service.stop();
    },
  };
}
