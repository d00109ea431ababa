/**
 * The phone half of a signed-in session: the server's `cti:call` pushes (the screen pop of
 * a call ringing at this agent's extension, and each later change of that call) become the
 * `calls` event the renderer shows as call cards. Every push is parsed with the schema of
 * shared/cti.ts first. The list lives in memory: a call is popped again by the server when
 * the workstation reconnects while it is live. A card stays until the agent dismisses it,
 * except the card of an answered call that ended: it goes by itself once the wrap-up
 * (话后处理) that followed it is over (issue 12). Wrap-up is the agent's, not the call's: it
 * arrives as `presence:changed {wrapUpUntil}` after the call's `ended` push, so an ended call
 * waits for a wrap-up to start (or finds one running) and goes when the server next says
 * none is running (its deadline, or Ready). A call whose wrap-up never starts (phone wrap-up
 * set to 0, a lead's extension) keeps its card until dismissed: "none yet" and "none" look
 * alike from here. The window keeps a card whose note is not saved (renderer callSlice).
 */
import { ctiCallSchema, type CtiCall } from '../../../shared/cti.js';
import { presenceChangedSchema } from '../../../shared/routing.js';
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

/** A call that was talked on and has ended: the one kind of call a wrap-up follows (a missed one starts none). */
export function endedAfterTalk(call: CtiCall): boolean {
  return call.state === 'ended' && call.answeredAt !== null;
}

/** Where an ended call's wrap-up stands: not heard of yet, or running (its end takes the card away). */
type WrapUpPhase = 'awaiting' | 'running';

export function startCallSession(options: CallSessionOptions): CallSession {
  const { socket } = options;
  const calls = new Map<string, CtiCall>();
  /** Ended calls whose card goes when their wrap-up is over. */
  const wrapUps = new Map<string, WrapUpPhase>();
  /** The agent's wrap-up as the server last said (null: none running). */
  let wrapUpUntil: number | null = null;
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
    // A wrap-up already running when the call ends (a longer one kept, or its push came first) is this call's too.
    if (endedAfterTalk(call) && !wrapUps.has(call.callId)) wrapUps.set(call.callId, wrapUpUntil === null ? 'awaiting' : 'running');
    if (calls.size > MAX_CALL_CARDS) {
      const finished = sorted().filter((c) => !isLive(c) && c.callId !== call.callId);
      for (const old of finished.slice(Math.max(0, finished.length - (calls.size - MAX_CALL_CARDS)))) forget(old.callId);
    }
    announce();
  }

  function forget(callId: string): boolean {
    wrapUps.delete(callId);
    return calls.delete(callId);
  }

  function onPresence(raw: unknown): void {
    const parsed = presenceChangedSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    wrapUpUntil = parsed.data.wrapUpUntil;
    let gone = false;
    for (const [callId, phase] of wrapUps) {
      if (wrapUpUntil !== null) wrapUps.set(callId, 'running');
      else if (phase === 'running') gone = forget(callId) || gone;
    }
    if (gone) announce();
  }

  socket.on('cti:call', onCall);
  socket.on('presence:changed', onPresence);

  return {
    calls: sorted,
    dismiss(callId) {
      if (!forget(callId)) return false;
      announce();
      return true;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      calls.clear();
      wrapUps.clear();
      socket.off('cti:call', onCall);
      socket.off('presence:changed', onPresence);
    },
  };
}
