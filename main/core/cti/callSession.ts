/**
 * The phone half of a signed-in session: the server's `cti:call` pushes (the screen pop of
 * a call ringing at this agent's extension, and each later change of that call) become the
 * `calls` event the renderer shows as call cards. Every push is parsed with the schema of
 * shared/cti.ts first. The list lives in memory: a call is popped again by the server when
 * the workstation reconnects while it is live, and a card stays until the agent dismisses
 * it (the call goes on regardless).
 */
import { ctiCallSchema, type CtiCall } from '../../../shared/cti.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

/** Cards kept at most; the oldest finished calls go first. */
export const MAX_CALL_CARDS = 5;

/** What the call session needs from the core around it. */
export interface CallSessionOptions {
  socket: WorkstationSocket;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
}

/** The calls on this agent's screen; the RPC handlers call these. */
export interface CallSession {
  /** Newest first. */
  calls(): CtiCall[];
  /** Takes a card away; false when there was none. */
  dismiss(callId: string): boolean;
  stop(): void;
}

function isLive(call: CtiCall): boolean {
  return call.state === 'ringing' || call.state === 'answered';
}

export function startCallSession(options: CallSessionOptions): CallSession {
  const { socket } = options;
  const calls = new Map<string, CtiCall>();
  let stopped = false;

  function sorted(): CtiCall[] {
    return [...calls.values()].sort((a, b) => b.startedAt - a.startedAt || a.callId.localeCompare(b.callId));
  }

  function announce(): void {
    if (!stopped) options.emit('calls', { calls: sorted() });
  }

  function onCall(raw: unknown): void {
    const parsed = ctiCallSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    const call = parsed.data;
    const known = calls.get(call.callId);
    // Pushes of one call can cross (a reconnect's replay and a live change): the newest wins.
    if (known && known.updatedAt > call.updatedAt) return;
    calls.set(call.callId, call);
    if (calls.size > MAX_CALL_CARDS) {
      const finished = sorted().filter((c) => !isLive(c) && c.callId !== call.callId);
      for (const old of finished.slice(Math.max(0, finished.length - (calls.size - MAX_CALL_CARDS)))) calls.delete(old.callId);
    }
    announce();
  }

  socket.on('cti:call', onCall);

  return {
    calls: sorted,
    dismiss(callId) {
      if (!calls.delete(callId)) return false;
      announce();
      return true;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      calls.clear();
      socket.off('cti:call', onCall);
    },
  };
}
