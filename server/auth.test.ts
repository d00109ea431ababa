/**
 * Signing in and out on the real server, beside the attacks of auth.security.test.ts: what
 * is logged, how the budgets are given back and keyed, and sign-out as a client sees it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LogoutResponse } from '../shared/httpApi.js';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './rateLimits.js';
import { TEST_PASSWORD, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

let t: TestServer | null = null;

async function serverWith(options: { rateLimits?: Partial<RateLimitConfig>; trustProxy?: boolean } = {}): Promise<TestServer> {
  t = await startTestServer({ rateLimits: { ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, trustProxy: options.trustProxy ?? false });
  await seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
  return t;
}

afterEach(async () => {
  await t?.stop();
  t = null;
});

async function signIn(server: TestServer, username: string, password: string, forwardedFor?: string): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ username, password }),
  });
  await response.body?.cancel();
  return response.status;
}

describe('sign-in', () => {
  it('logs each failed sign-in with the name as typed (escaped) and the address, and each success', async () => {
    const server = await serverWith();
    expect(await signIn(server, 'agent1', 'wrong')).toBe(401);
    expect(await signIn(server, 'nobody', 'wrong')).toBe(401);
    expect(await signIn(server, 'evil\nsign-in: admin', 'wrong')).toBe(401);
    expect(await signIn(server, 'agent1', TEST_PASSWORD)).toBe(200);
    const lines = server.logLines.filter((line) => line.startsWith('sign-in'));
    expect(lines).toEqual([
      'sign-in failed: user "agent1" from 127.0.0.1: wrong password',
      'sign-in failed: user "nobody" from 127.0.0.1: no such user',
      // One line, whatever the name holds: a typed newline cannot forge a log entry.
      'sign-in failed: user "evil\\nsign-in: admin" from 127.0.0.1: no such user',
      'sign-in: agent1 from 127.0.0.1',
    ]);
  });

  it('gives a user back the failures they spent once they sign in, and logs the first refusal only', async () => {
    const server = await serverWith({ rateLimits: { signInFailuresPerUser: { points: 3, durationSec: 900 } } });
    const statuses: number[] = [];
    for (const password of ['typo-1', 'typo-2', TEST_PASSWORD, 'typo-3', 'typo-4', 'typo-5', 'typo-6', 'typo-7'])
      statuses.push(await signIn(server, 'agent1', password));
    expect(statuses).toEqual([401, 401, 200, 401, 401, 401, 429, 429]);
    expect(server.logLines.filter((line) => line.startsWith('sign-in refused'))).toEqual([
      expect.stringMatching(
        /^sign-in refused: too many attempts for this user \(user "agent1" from 127\.0\.0\.1\); refusing for \d+ s, further refusals not logged$/,
      ),
    ]);
  });

  it('behind a trusted proxy, keys the address budget on the last X-Forwarded-For entry, an IPv6 host by its /64', async () => {
    const server = await serverWith({ trustProxy: true, rateLimits: { signInAttemptsPerAddress: { points: 2, durationSec: 900 } } });
    // The first entries are the client's own claims; the proxy appended the last one.
    expect(await signIn(server, 'a', 'x', '10.0.0.1, 198.51.100.7')).toBe(401);
    expect(await signIn(server, 'b', 'x', '10.0.0.2, 198.51.100.7')).toBe(401);
    expect(await signIn(server, 'c', 'x', '10.0.0.3, 198.51.100.7')).toBe(429);
    expect(await signIn(server, 'd', 'x', '198.51.100.8')).toBe(401);

    expect(await signIn(server, 'e', 'x', '2001:db8:0:0::1')).toBe(401);
    expect(await signIn(server, 'f', 'x', '2001:db8::ffff:2')).toBe(401);
    expect(await signIn(server, 'g', 'x', '2001:0db8:0000:0000:1234::3')).toBe(429);
    expect(await signIn(server, 'h', 'x', '2001:db8:0:1::1')).toBe(401);
    expect(server.logLines).toContain('sign-in failed: user "h" from 2001:db8:0:1::/64: no such user');
  });
});

describe('sign-out', () => {
  it('revokes the token once, answers a repeat with revoked: false, and logs who signed out', async () => {
    const server = await serverWith();
    const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'agent1', password: TEST_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const logout = async () => {
      const response = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as LogoutResponse };
    };
    expect(await logout()).toEqual({ status: 200, body: { revoked: true } });
    expect(await logout()).toEqual({ status: 200, body: { revoked: false } });
    expect(server.logLines.filter((line) => line.startsWith('sign-out'))).toEqual(['sign-out: agent1 from 127.0.0.1']);
    const anonymous = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });
});
