/**
 * A signed-in user who floods the server with requests (a script hammering reads, a runaway
 * client) is stopped by one budget shared by their sockets and their HTTP API calls; other
 * users are not slowed, and the refusal says when to try again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { getJson, login, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';
import { connectTestSocket, disconnectTestSockets } from './testing/sockets.js';

let t: TestServer | null = null;

afterEach(async () => {
  disconnectTestSockets();
  await t?.stop();
  t = null;
});

describe('the per-user request budget', () => {
  it('refuses a flood of socket events and API calls from one user, and only from that user', async () => {
    t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000, rateLimits: { ...DEFAULT_RATE_LIMITS, requestsPerUser: { points: 5, durationSec: 60 } } });
    await seedTestOrganisation(t.store, [
      { username: 'agent1', displayName: '王芳', channels: ['chat'] },
      { username: 'agent2', displayName: '赵磊', channels: ['chat'] },
    ]);
    const flooder = await connectTestSocket(t, 'agent1');
    const other = await connectTestSocket(t, 'agent2');

    for (let i = 0; i < 4; i += 1) expect(await flooder.ask('sync:pull', { since: 0 })).toMatchObject({ ok: true });
    const { token } = await login(t.url, 'agent1');
    expect((await getJson(`${t.url}/api/v1/tickets`, token)).status).toBe(200); // the fifth request of the budget

    const refused = await flooder.ask('sync:pull', { since: 0 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(refused.ok ? '' : refused.error.message).toMatch(/try again in \d+ s/);
    // Malformed and unknown requests spend the budget too: they are refused before any handler runs.
    expect(await flooder.ask('board:get', 'not even an object')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    flooder.socket.emit('no:such:event' as 'sync:pull', { since: 0 }, () => undefined);

    const api = await getJson(`${t.url}/api/v1/tickets`, token);
    expect(api).toMatchObject({ status: 429, body: { error: { code: 'rate_limited', retryAfterMs: expect.any(Number) as number } } });

    // Someone else's budget is their own.
    expect(await other.ask('sync:pull', { since: 0 })).toMatchObject({ ok: true });
    expect(flooder.socket.connected).toBe(true);
    // The log says who, once for the flood, not once per refusal.
    expect(t.logLines.filter((line) => line.includes('agent1 is over the request limit'))).toHaveLength(1);
  });
});
