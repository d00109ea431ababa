/**
 * Keeps the workstation core's process alive for the main process: one process at a time,
 * reached through `connectCoreOverPort`; when it ends unexpectedly, the calls it had not
 * answered resolve to `core_unavailable`, the window is told (`coreProcess` event), and a
 * new one is started — at most `maxRestarts` times within `restartWindowMs`, after which it
 * stays `failed` and every call answers `core_unavailable` at once instead of hanging.
 * After a restart the new core has resumed the stored session by itself; the window gets
 * its `connection` state and a "reload everything" `changed`.
 *
 * How a process is started is the caller's: Electron's utilityProcess in the desktop app
 * (main/electron/coreProcess.ts), child_process.fork in the tests.
 */
import type { CoreProcessState, RpcEventName, RpcEvents, SessionState } from '../../shared/rpc.js';
import type { CoreEventListener, KeyProtector, RpcOutcome, WorkstationCore } from './api.js';
import { connectCoreOverPort, type PortCore, type PortLike } from './portHost.js';

/** How a core process ended. */
export interface CoreProcessExit {
  code: number | null;
  signal: string | null;
}

/** One started core process. */
export interface CoreProcessHandle {
  port: PortLike;
  /** Resolves when the process has ended, for whatever reason. */
  exited: Promise<CoreProcessExit>;
  /** Ends it now (after a clean close that took too long, or when it would not start). */
  kill(): void;
}

export interface CoreSupervisorOptions {
  start(): CoreProcessHandle;
  /** The main process's key protector, which the core process calls back to. */
  keyProtector: KeyProtector;
  /** Unexpected ends tolerated within `restartWindowMs` before giving up (default 3). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Wait before the n-th restart (default 500 ms × 2^(n-1)). */
  restartDelayMs?: (restart: number) => number;
  /** How long `close` waits for the core to close cleanly before killing the process (default 15 s). */
  closeTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The supervised core: a `WorkstationCore` for ipc.ts, plus where its process stands. */
export interface SupervisedCore extends WorkstationCore {
  /** Resolves when the first process answers calls; rejects when it never did (the limit was reached). */
  readonly ready: Promise<void>;
  state(): CoreProcessState;
}

function describeExit(exit: CoreProcessExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return `exit code ${exit.code === null ? 'unknown' : String(exit.code)}`;
}

export function superviseCoreProcess(options: CoreSupervisorOptions): SupervisedCore {
  const log = options.log ?? ((line: string) => console.warn(line));
  const maxRestarts = options.maxRestarts ?? 3;
  const restartWindowMs = options.restartWindowMs ?? 5 * 60_000;
  const restartDelayMs = options.restartDelayMs ?? ((n: number) => 500 * 2 ** (n - 1));
  const closeTimeoutMs = options.closeTimeoutMs ?? 15_000;

  const listeners = new Set<CoreEventListener>();
  const crashes: number[] = [];
  let state: CoreProcessState = { status: 'running', restarts: 0, exitCode: null };
  let current: { handle: CoreProcessHandle; core: PortCore } | null = null;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  let closing: Promise<void> | null = null;
  /** Calls made while a new process starts wait here; they resolve once it is ready or it has failed for good. */
  let waiters: Array<() => void> = [];
  let firstReady: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const ready = new Promise<void>((resolve, reject) => (firstReady = { resolve, reject }));
  ready.catch(() => {});

  function emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void {
    for (const listener of [...listeners]) listener(event, payload);
  }

  function setState(next: CoreProcessState): void {
    state = next;
    emit('coreProcess', next);
  }

  function wakeWaiters(): void {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  }

  function launch(isRestart: boolean): void {
    let handle: CoreProcessHandle;
    try {
      handle = options.start();
    } catch (error) {
      log(`[core process] could not be started: ${error instanceof Error ? error.message : String(error)}`);
      onEnded(null, { code: null, signal: null });
      return;
    }
    const core = connectCoreOverPort(handle.port, { keyProtector: options.keyProtector, log });
    const launched = { handle, core };
    current = launched;
    core.onEvent((event, payload) => emit(event, payload));
    void handle.exited.then((exit) => onEnded(launched, exit));
    core.ready.then(
      () => {
        if (current !== launched || closing) return;
        // Running before the waiting calls go on, so they are sent to this process rather than wait again.
        if (isRestart) setState({ ...state, status: 'running' });
        firstReady?.resolve();
        wakeWaiters();
        if (isRestart) void announceRestarted(core);
      },
      () => {
        // The process ended before it was ready; onEnded deals with it.
      },
    );
  }

  /** The new core resumed the stored session by itself; the window reloads what it shows from it. */
  async function announceRestarted(core: PortCore): Promise<void> {
    const outcome = await core.invoke('session.get', {});
    if (outcome.ok) {
      const session = outcome.result as SessionState;
      emit('connection', session.user ? session.connection : { ...session.connection, status: 'signed_out' });
    }
    emit('changed', { ticketIds: [] });
  }

  function onEnded(launched: { handle: CoreProcessHandle; core: PortCore } | null, exit: CoreProcessExit): void {
    if (launched && current !== launched) return;
    const reason = describeExit(exit);
    launched?.core.disconnect(reason);
    current = null;
    if (closing) return;
    log(`[core process] ended unexpectedly (${reason})`);
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0]! < now - restartWindowMs) crashes.shift();
    if (crashes.length > maxRestarts) {
      setState({ status: 'failed', restarts: crashes.length, exitCode: exit.code });
      firstReady?.reject(new Error(`The workstation core process kept stopping (${reason})`));
      wakeWaiters();
      return;
    }
    setState({ status: 'restarting', restarts: crashes.length, exitCode: exit.code });
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (!closing) launch(true);
    }, restartDelayMs(crashes.length));
  }

  async function invoke(method: unknown, params: unknown): Promise<RpcOutcome> {
    for (;;) {
      if (closing) return { ok: false, error: { code: 'core_unavailable', message: 'The workstation core is closing' } };
      if (state.status === 'failed') {
        return {
          ok: false,
          error: { code: 'core_unavailable', message: `The workstation core process is not running (it stopped ${String(state.restarts)} times)` },
        };
      }
      const running = current;
      if (!running || state.status === 'restarting') {
        // A new process is on its way: the call waits for it instead of failing.
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      try {
        // The first process may still be creating its core (resuming the stored session).
        await running.core.ready;
      } catch {
        continue; // It ended first; by now it is being restarted or has failed for good.
      }
      // Sent to this process: if it dies before answering, the call fails (it may have run; action ids make a retry safe).
      return running.core.invoke(method, params);
    }
  }

  async function closeProcess(): Promise<void> {
    if (restartTimer) clearTimeout(restartTimer);
    wakeWaiters();
    const running = current;
    if (!running) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), closeTimeoutMs)));
    const closedInTime = await Promise.race([running.core.close().then(() => 'closed' as const), timedOut]);
    if (closedInTime === 'timeout') {
      log(`[core process] did not close within ${String(closeTimeoutMs)} ms; ending it`);
      running.handle.kill();
    } else {
      // The core is closed and its files flushed; closing our end lets the process end by itself.
      running.handle.port.close?.();
    }
    const exited = await Promise.race([running.handle.exited, timedOut]);
    clearTimeout(timer);
    if (exited === 'timeout') running.handle.kill();
  }

  launch(false);

  return {
    ready,
    state: () => state,
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= closeProcess();
      return closing;
    },
  };
}
