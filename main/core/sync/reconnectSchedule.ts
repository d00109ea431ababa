/**
 * When the sync client tries the server again after its socket failed or dropped. The pace
 * depends on why it failed:
 *
 * - `unreachable`: nothing answered (the server is down or restarting, the network is gone,
 *   the connect attempt timed out). Trying costs a server that is not there nothing, and an
 *   agent expects the Offline badge to go within seconds of the server coming back: the delay
 *   doubles from the first one but never exceeds UNREACHABLE_RETRY_MAX_MS (5 s). Before, it
 *   grew to 30 s like a refusal's, so a server back after a minute's restart stayed "offline"
 *   on the workstation for up to half a minute more.
 * - `busy`: the server turned the connection away with HTTP 429 (too many connections not
 *   signed in from this address): it is there and asks for less, so the delay doubles up to
 *   the full cap (30 s).
 * - `refused`: the server answered the handshake with an error (the sign-in deadline
 *   passed, a middleware refusal): an overloaded node; retried after about half the cap.
 *
 * Every delay is drawn at random, so 1,000 workstations that lost the server at the same
 * moment come back spread out instead of in lockstep. For `unreachable` and `busy` it is drawn
 * from [nominal / 2, nominal], never above: the cap is a promise the agent can count on.
 */

export type ReconnectCause = 'unreachable' | 'busy' | 'refused';

/** The longest wait before trying a server that did not answer again. */
export const UNREACHABLE_RETRY_MAX_MS = 5_000;

/** The schedule's first delay and its caps (the core's reconnectDelayMs / reconnectDelayMaxMs / reconnectUnreachableMaxMs). */
export interface ReconnectPace {
  firstMs: number;
  /** The cap for a server that refuses. */
  maxMs: number;
  /** The cap for a server that did not answer (never above maxMs); default UNREACHABLE_RETRY_MAX_MS. Tests that must not reconnect by themselves raise it. */
  unreachableMaxMs?: number;
}

/** What the sync client chose after a failure (reported to `onReconnectScheduled`, for tests and logs). */
export interface ScheduledReconnect {
  cause: ReconnectCause;
  /** Failures since the last successful connect, this one not counted (0 = the first). */
  attempt: number;
  delayMs: number;
}

/** The wait before the next attempt; `random` in [0, 1) (Math.random by default). */
export function reconnectDelay(cause: ReconnectCause, attempt: number, pace: ReconnectPace, random = Math.random()): number {
  if (cause === 'refused') return (pace.maxMs / 2) * (0.5 + random);
  const cap = cause === 'unreachable' ? Math.min(pace.maxMs, pace.unreachableMaxMs ?? UNREACHABLE_RETRY_MAX_MS) : pace.maxMs;
  // 2 ** attempt stays finite for any attempt a workstation reaches; min() caps it first.
  const nominal = Math.min(cap, pace.firstMs * 2 ** Math.min(attempt, 40));
  return nominal * (0.5 + random / 2);
}
