/**
 * Wrong bearer tokens from one client address (attack-9): every wrong token a socket handshake or
 * an HTTP API request carried cost the server a database lookup, with no budget, so a script
 * could make the database look tokens up at wire speed. Against the real server (real HTTP, real
 * socket.io clients), client addresses from X-Forwarded-For behind the trusted proxy; a small
 * `tokenFailuresPerAddress` budget so a flood is a handful of requests.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_FAILURE_LIMIT } from '../shared/connection.js';
import type { ApiErrorBody } from '../shared/httpApi.js';
import { UNAUTHORIZED_SOCKET_ERROR, workstationHandshakeAuth } from '../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { TEST_INTEGRATION_TOKEN, login, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

const BUDGET = 5;
const LIMITS = { ...DEFAULT_RATE_LIMITS, tokenFailuresPerAddress: { points: BUDGET, durationSec: 600 } };
const ATTACKER = '198.51.100.7';
const NEIGHBOUR = '198.51.100.8';

let t: TestServer;
const sockets: Socket[] = [];

beforeEach(async () => {
  t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000, rateLimits: LIMITS, trustProxy: true });
  await seedTestOrganisation(t.store, [{ username: 'agent1', displayName: '王芳', channels: ['chat'] }]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

/** `POST /api/v1/inbound` as an integration sends it, from `address`: the status, the error code and Retry-After. */
async function inbound(token: string, address: string): Promise<{ status: number; code: string | null; retryAfter: string | null }> {
  const response = await fetch(`${t.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-forwarded-for': address },
    body: JSON.stringify({ channel: 'chat', customer: { name: '孙丽', phone: '15000150009' }, text: '你好，我的订单三天没有物流更新了' }),
  });
  const body = (await response.json()) as Partial<ApiErrorBody>;
  return { status: response.status, code: body.error?.code ?? null, retryAfter: response.headers.get('retry-after') };
}

/** A workstation handshake from `address`: 'connected', or the connect_error's message and data. */
function handshake(token: string, address: string): Promise<{ outcome: string; data?: { code?: string; retryAfterMs?: number } }> {
  const socket = connect(t.url, {
    auth: workstationHandshakeAuth(token, 'client-agent1'),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { 'x-forwarded-for': address },
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ outcome: 'connected' }));
    socket.once('connect_error', (error: Error & { data?: { code?: string; retryAfterMs?: number } }) =>
      resolve({ outcome: error.message, ...(error.data ? { data: error.data } : {}) }),
    );
  });
}

describe('wrong bearer tokens on the HTTP API', () => {
  it('answers 429 with Retry-After once the address spent its budget, before looking the token up: even the right token from it waits, not from another address', async () => {
    for (let i = 0; i < BUDGET; i++) expect(await inbound(`wrong-token-${String(i)}`, ATTACKER)).toMatchObject({ status: 401, code: 'unauthorized' });
    const refused = await inbound('wrong-token-next', ATTACKER);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await inbound(TEST_INTEGRATION_TOKEN, ATTACKER)).status).toBe(429);
    expect((await inbound(TEST_INTEGRATION_TOKEN, NEIGHBOUR)).status).toBeLessThan(300);
    expect(t.logLines.filter((line) => line.includes(`${ATTACKER} sent too many wrong tokens`))).toHaveLength(1);
  });

  it('counts an expired session token and a wrong token on the user endpoints too', async () => {
    for (let i = 0; i < BUDGET; i++) {
      const response = await fetch(`${t.url}/api/v1/tickets`, { headers: { authorization: `Bearer not-a-session-${String(i)}`, 'x-forwarded-for': ATTACKER } });
      expect(response.status).toBe(401);
    }
    const { token } = await login(t.url, 'agent1');
    const refused = await fetch(`${t.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ATTACKER } });
    expect(refused.status).toBe(429);
    const elsewhere = await fetch(`${t.url}/api/v1/tickets`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': NEIGHBOUR } });
    expect(elsewhere.status).toBe(200);
  });
});

describe('wrong tokens in socket handshakes', () => {
  it(`refuses with ${TOKEN_FAILURE_LIMIT} (not unauthorized) once the address spent its budget, whatever the token; another address signs in`, async () => {
    for (let i = 0; i < BUDGET; i++) expect((await handshake(`wrong-token-${String(i)}`, ATTACKER)).outcome).toBe(UNAUTHORIZED_SOCKET_ERROR);
    const refused = await handshake('wrong-token-next', ATTACKER);
    expect(refused.outcome).toBe(TOKEN_FAILURE_LIMIT);
    expect(refused.data?.code).toBe(TOKEN_FAILURE_LIMIT);
    expect(refused.data?.retryAfterMs).toBeGreaterThan(0);
    const { token } = await login(t.url, 'agent1');
    expect((await handshake(token, ATTACKER)).outcome).toBe(TOKEN_FAILURE_LIMIT);
    expect((await handshake(token, NEIGHBOUR)).outcome).toBe('connected');
  });

  it('shares one budget with the HTTP API: wrong tokens over HTTP close the handshakes of the address, and the other way round', async () => {
    for (let i = 0; i < BUDGET; i++) await inbound(`wrong-token-${String(i)}`, ATTACKER);
    expect((await handshake('wrong-token-next', ATTACKER)).outcome).toBe(TOKEN_FAILURE_LIMIT);
    for (let i = 0; i < BUDGET; i++) await handshake(`wrong-token-${String(i)}`, NEIGHBOUR);
    expect((await inbound(TEST_INTEGRATION_TOKEN, NEIGHBOUR)).status).toBe(429);
  });
});
