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
  /**
   * The server refuses new connections from this workstation's network address for now: too
   * many from it have not signed in yet (a reconnect storm behind one NAT, or someone flooding
   * from it). Retried with the usual backoff; it clears on its own once connections sign in.
   */
  z.object({ code: z.literal('too_many_connections'), serverUrl: z.string() }),
  /**
   * The server is there but closed the connection because the socket's sign-in took longer than
   * its sign-in deadline (SIGN_IN_DEADLINE below: a loaded node, a very slow network). Retried
   * with the refusal's longer pace; before, the agent read "cannot reach the server", which sent
   * them to check a network that was fine.
   */
  z.object({ code: z.literal('sign_in_too_slow'), serverUrl: z.string() }),
  /**
   * The server refused this socket because its user already holds as many signed-in connections
   * on that node as it allows (USER_CONNECTION_LIMIT below: windows, devices, and connections a
   * dropped network left open until the server notices). Retried at the refusal's slow pace: it
   * clears when one of them closes.
   */
  z.object({ code: z.literal('too_many_sessions'), serverUrl: z.string() }),
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

/**
 * The server's refusal of a new socket.io connection because its client address holds too many
 * connections that have not signed in (server/connectionLimits.ts): HTTP 429 with `Retry-After`
 * and this body, before engine.io allocates anything for it. The web chat namespace refuses a
 * visitor over its per-address cap with the same code in the connect_error's `data`.
 */
export const TOO_MANY_CONNECTIONS = 'too_many_connections';
export const TOO_MANY_CONNECTIONS_STATUS = 429;
/** What the refusal suggests waiting before trying again (clients back off further on repeats). */
export const CONNECTION_LIMIT_RETRY_AFTER_MS = 5_000;

/**
 * The reason the server gives a connection it closes because no socket on it signed in within
 * the sign-in deadline (server/connectionLimits.ts, from its opening or from the moment its
 * session ended): the `message` of a `connect_error` on the sync namespace, sent just before
 * the connection closes. A client mid-handshake sees it; one with no socket on the sync
 * namespace (a script, a signed-out one that kept its connection) gets the frame and the close.
 */
export const SIGN_IN_DEADLINE = 'sign_in_deadline';
/** The sign-in deadline's default (CONNECTIONS_SIGNIN_DEADLINE_SECONDS): a handshake takes well under a second; 30 s leaves a slow network and a loaded node plenty. */
export const DEFAULT_SIGN_IN_DEADLINE_MS = 30_000;

/**
 * The `message` of the connect_error a sync socket gets when its user already holds
 * `signedInPerUser` signed-in connections on the node (server/connectionLimits.ts). Not
 * 'unauthorized' (which signs a workstation out): the token is fine, there are just too many.
 */
export const USER_CONNECTION_LIMIT = 'too_many_sessions';

/**
 * The `message` of the connect_error a sync socket gets when its client address has spent its
 * budget of wrong tokens (`tokenFailuresPerAddress`, server/rateLimits.ts): refused before its
 * token is looked up, whatever it is. The HTTP API answers the same budget with 429. A
 * workstation reads it like the per-address connection cap (`too_many_connections`, retried
 * with the refusal backoff), never as a wrong token: its own may well be right.
 */
export const TOKEN_FAILURE_LIMIT = 'too_many_token_failures';

export const connectionRefusalSchema = z.object({
  code: z.literal(TOO_MANY_CONNECTIONS),
  message: z.string(),
  retryAfterMs: z.number().int().positive(),
});
export type ConnectionRefusal = z.infer<typeof connectionRefusalSchema>;

/**
 * Whether a socket.io-client `connect_error` is that refusal. The client never sees the body
 * of a refused WebSocket upgrade, only its status: Node's `ws` puts it in the error's message
 * ("Unexpected server response: 429", the workstation core's case); long-polling gives the XHR
 * status as the error's `description`. (A browser hides a refused WebSocket's status entirely:
 * the widget then sees a plain transport error and backs off like any other.)
 */
export function isConnectionLimitRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const description: unknown = (error as { description?: unknown }).description;
  if (description === TOO_MANY_CONNECTIONS_STATUS) return true;
  if (typeof description !== 'object' || description === null) return false;
  const message: unknown = (description as { message?: unknown }).message;
  return typeof message === 'string' && /\b429\b/.test(message);
}
