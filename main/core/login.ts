/**
 * Sign-in and sign-out over the server's HTTP API (`POST /api/v1/auth/login`, `/logout`),
 * with the failures an agent can act on told apart: wrong password, too many attempts
 * (with the wait), server unreachable, server not answering in time, anything else.
 */
import { z } from 'zod';
import { userSchema } from '../../shared/domain.js';
import type { LoginRequest, LoginResponse } from '../../shared/httpApi.js';
import { RpcError } from './errors.js';
import { cannotReachMessage } from './sync/syncClient.js';
import { fetchFromServer } from './serverFetch.js';

export const LOGIN_TIMEOUT_MS = 10_000;
/** Signing out never waits longer than this for the server; an unanswered revocation is queued. */
export const LOGOUT_TIMEOUT_MS = 3_000;

const loginResponseSchema = z.object({
  token: z.string().min(1).max(200),
  expiresAt: z.number().int(),
  user: userSchema,
});

const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), retryAfterMs: z.number().int().positive().optional() }),
});

/** How long a 429 says to wait: the body's `retryAfterMs`, else `Retry-After` seconds, else a minute. */
function retryAfterMsOf(response: Response, body: unknown): number {
  const parsed = errorBodySchema.safeParse(body);
  if (parsed.success && parsed.data.error.retryAfterMs !== undefined) return parsed.data.error.retryAfterMs;
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 60_000;
}

export async function loginToServer(serverUrl: string, credentials: LoginRequest, timeoutMs = LOGIN_TIMEOUT_MS): Promise<LoginResponse> {
  let response: Response;
  try {
    response = await fetchFromServer(`${serverUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // A server that takes the connection and stays silent is busy, not out of reach: "check the network" would mislead.
    if (error instanceof DOMException && error.name === 'TimeoutError')
      throw new RpcError('server_not_answering', `The server at ${serverUrl} did not answer the sign-in within ${String(timeoutMs / 1000)} s.`);
    throw new RpcError('server_unreachable', cannotReachMessage(serverUrl));
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // An empty or non-JSON body is reported by status below.
  }
  if (response.status === 401) throw new RpcError('bad_credentials', 'Wrong username or password');
  if (response.status === 429) {
    const retryAfterMs = retryAfterMsOf(response, body);
    throw new RpcError('rate_limited', `Too many sign-in attempts; try again in ${String(Math.ceil(retryAfterMs / 60_000))} min`, { retryAfterMs });
  }
  if (!response.ok) {
    const parsed = errorBodySchema.safeParse(body);
    const detail = parsed.success ? parsed.data.error.message : `HTTP ${String(response.status)}`;
    // A gateway answering for a server that is down is the same, for the agent, as no answer.
    const gatewayDown = response.status === 502 || response.status === 503 || response.status === 504;
    throw new RpcError(gatewayDown ? 'server_unreachable' : 'internal', `Sign-in failed: ${detail}`);
  }
  const parsed = loginResponseSchema.safeParse(body);
  if (!parsed.success) throw new RpcError('internal', 'Sign-in failed: the server sent an unreadable answer');
  return parsed.data;
}

/**
 * Asks the server to revoke a token. 'done' when the server answered for it (revoked, or
 * already unknown or expired: 200 and 401 alike); 'retry' when it could not be asked (no
 * answer, a gateway error, a 5xx or 429), so the caller keeps it queued.
 */
export async function logoutFromServer(serverUrl: string, token: string): Promise<'done' | 'retry'> {
  try {
    const response = await fetchFromServer(`${serverUrl}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(LOGOUT_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.status >= 500 || response.status === 429 ? 'retry' : 'done';
  } catch {
    return 'retry';
  }
}
