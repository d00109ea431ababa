/**
 * Why the workstation's link to the server is down or was ended, as the core tells the
 * renderer: a code and the facts, never a sentence. The renderer words it in the agent's
 * language (renderer/src/connectionProblemText.ts); an English sentence from the core would
 * reach a Chinese header as it was.
 */
import { z } from 'zod';

export const connectionProblemSchema = z.discriminatedUnion('code', [
  /** The socket cannot reach the server at this address (down, or no network). */
  z.object({ code: z.literal('server_unreachable'), serverUrl: z.string() }),
  /** Catching up with the server failed and is retried; `detail` is the core's English reason (for the English UI and logs). */
  z.object({ code: z.literal('sync_failed'), detail: z.string() }),
  /** Pushing local changes failed and is retried; `detail` as above. */
  z.object({ code: z.literal('send_failed'), detail: z.string() }),
  /**
   * The server refused this workstation's sync protocol as too old: it stays offline on its
   * cache, keeps its outbox and stops trying until it is updated (shared/sync.ts SYNC_PROTOCOL_VERSION).
   */
  z.object({ code: z.literal('client_outdated') }),
  /** The server refused the session's token (it expired). */
  z.object({ code: z.literal('session_expired') }),
  /** The server ended the session (signed out elsewhere). */
  z.object({ code: z.literal('session_revoked') }),
  /** An offline sign-in's password is no longer the server's. */
  z.object({ code: z.literal('password_refused') }),
  /** The username now belongs to another account on the server. */
  z.object({ code: z.literal('account_changed') }),
  /** The stored session's local cache could not be opened at start; `detail` as above. */
  z.object({ code: z.literal('cache_unreadable'), detail: z.string() }),
]);

export type ConnectionProblem = z.infer<typeof connectionProblemSchema>;
export type ConnectionProblemCode = ConnectionProblem['code'];

/** The local search index's build as the header shows it, in whole percent (`ConnectionState.searchIndex`). */
export function searchIndexPercent(index: { done: number; total: number }): number {
  return Math.floor((100 * index.done) / Math.max(index.total, 1));
}
