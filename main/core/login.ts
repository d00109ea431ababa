/**
 * Sign-in over the server's HTTP API (`POST /api/v1/auth/login`), with the failures an
 * agent can act on told apart: wrong password, server unreachable, anything else.
 */
import { z } from 'zod';
import { userSchema } from '../../shared/domain.js';
import type { LoginRequest, LoginResponse } from '../../shared/httpApi.js';
import { RpcError } from './errors.js';
import { cannotReachMessage } from './sync/syncClient.js';

export const LOGIN_TIMEOUT_MS = 10_000;

const loginResponseSchema = z.object({
  token: z.string().min(1).max(200),
  expiresAt: z.number().int(),
  user: userSchema,
});

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export async function loginToServer(serverUrl: string, credentials: LoginRequest): Promise<LoginResponse> {
  let response: Response;
  try {
    response = await fetch(`${serverUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      signal: AbortSignal.timeout(LOGIN_TIMEOUT_MS),
    });
  } catch {
    throw new RpcError('server_unreachable', cannotReachMessage(serverUrl));
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // An empty or non-JSON body is reported by status below.
  }
  if (response.status === 401) throw new RpcError('bad_credentials', 'Wrong username or password');
  if (!response.ok) {
    const parsed = errorBodySchema.safeParse(body);
    const detail = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
    // A gateway answering for a server that is down is the same, for the agent, as no answer.
    const gatewayDown = response.status === 502 || response.status === 503 || response.status === 504;
    throw new RpcError(gatewayDown ? 'server_unreachable' : 'internal', `Sign-in failed: ${detail}`);
  }
  const parsed = loginResponseSchema.safeParse(body);
  if (!parsed.success) throw new RpcError('internal', 'Sign-in failed: the server sent an unreadable answer');
  return parsed.data;
}
