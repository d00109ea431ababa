/**
 * `GET /api/v1/reports/charts` over a real server (SQLite file, test clock): contacts posted
 * through `POST /api/v1/inbound` at known China-local hours come back in the hourly series,
 * their SLA outcomes in the 14 days; agents, integrations and strangers are refused, a query
 * is refused, and a flood spends the same per-user budget as every other request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../shared/httpApi.js';
import { boardChartsSchema, type BoardCharts } from '../../shared/charts.js';
import { DEFAULT_RATE_LIMITS } from '../rateLimits.js';
import { TEST_INTEGRATION_TOKEN, getJson, login, postJson, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Friday 2024-11-08 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);
const WEEK_AGO = MIDNIGHT - 7 * 24 * HOUR;
/** A small budget, so the flood case is short; the other cases stay well inside it. */
const BUDGET = 30;

let t: TestServer;
let leadToken: string;
let adminToken: string;
let agentToken: string;
let customer = 0;

async function contact(channel: 'phone' | 'chat' | 'social' | 'email', at: number): Promise<void> {
  t.clock.set(at);
  customer += 1;
  // Plain words: triage makes it a normal-priority ticket, due 4 h after it arrived.
  const body = { channel, customer: { name: `客户${String(customer)}`, phone: `+86 138 0000 ${String(1000 + customer)}` }, text: '请问我的订单什么时候发货？' };
  const response = await postJson(`${t.url}/api/v1/inbound`, JSON.stringify(body), TEST_INTEGRATION_TOKEN);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

function charts(token: string | null, query = ''): ReturnType<typeof getJson<BoardCharts>> {
  return getJson<BoardCharts>(`${t.url}/api/v1/reports/charts${query}`, token ?? undefined);
}

beforeAll(async () => {
  t = await startTestServer({ tokenTtlMs: 24 * 60 * 60 * 1000, rateLimits: { ...DEFAULT_RATE_LIMITS, requestsPerUser: { points: BUDGET, durationSec: 60 } } });
  await seedTestOrganisation(t.store, [
    { username: 'lead1', displayName: '李娜', role: 'lead', channels: ['chat'] },
    { username: 'admin1', displayName: '管理员', role: 'admin', channels: [] },
    { username: 'agent1', displayName: '王芳', channels: ['chat'] },
    { username: 'flooder', displayName: '刷新狂', role: 'lead', channels: [] },
  ]);
  // A week ago (Friday 11-01): two chats at 09:15 and 09:40, an email at 21:00.
  await contact('chat', WEEK_AGO + 9 * HOUR + 15 * MIN);
  await contact('chat', WEEK_AGO + 9 * HOUR + 40 * MIN);
  await contact('email', WEEK_AGO + 21 * HOUR);
  // Today (Friday 11-08): a chat at 09:05, a phone call at 10:20.
  await contact('chat', MIDNIGHT + 9 * HOUR + 5 * MIN);
  await contact('phone', MIDNIGHT + 10 * HOUR + 20 * MIN);
  t.clock.set(MIDNIGHT + 10 * HOUR + 30 * MIN);
  leadToken = (await login(t.url, 'lead1')).token;
  adminToken = (await login(t.url, 'admin1')).token;
  agentToken = (await login(t.url, 'agent1')).token;
});

afterAll(async () => {
  await t?.stop();
});

describe('the Board charts over HTTP', () => {
  it('gives a lead today’s contacts per hour against the same weekday last week, and the SLA days', async () => {
    const response = await charts(leadToken);
    expect(response.status).toBe(200);
    const body = boardChartsSchema.parse(response.body);
    expect(body).toMatchObject({ day: '2024-11-08', comparisonDay: '2024-11-01', asOf: MIDNIGHT + 10 * HOUR + 30 * MIN });
    const chat = body.hourly.find((series) => series.channel === 'chat')!;
    const phone = body.hourly.find((series) => series.channel === 'phone')!;
    const email = body.hourly.find((series) => series.channel === 'email')!;
    expect(chat.today.slice(8, 12)).toEqual([0, 1, 0, null]);
    expect(chat.comparison[9]).toBe(2);
    expect(phone.today[10]).toBe(1);
    expect(email.comparison[21]).toBe(1);
    expect(body.hourly.flatMap((series) => series.today).reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBe(2);
    // 11-01: the three open tickets were due 13:15, 13:40 and (the email) 01:00 on 11-02.
    expect(body.sla.find((day) => day.day === '2024-11-01')).toMatchObject({ due: 2, met: 0, missed: 2, compliance: 0 });
    expect(body.sla.find((day) => day.day === '2024-11-02')).toMatchObject({ due: 1, missed: 1, compliance: 0 });
    // Today: due 13:05 and 14:20, open, not yet late at 10:30.
    expect(body.sla.at(-1)).toEqual({ day: '2024-11-08', due: 2, met: 0, missed: 0, pending: 2, compliance: null });
  });

  it('gives an admin the same; refuses an agent, an integration token and a stranger', async () => {
    expect((await charts(adminToken)).status).toBe(200);
    const agent = await charts(agentToken);
    expect(agent).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'Charts are for shift leads and administrators.' } } });
    // Even a query the schema refuses tells an agent only "not for you".
    expect((await charts(agentToken, '?day=2024-11-01')).status).toBe(403);
    expect((await charts(TEST_INTEGRATION_TOKEN)).status).toBe(403);
    expect((await charts('not-a-token')).status).toBe(401);
    expect((await charts(null)).status).toBe(401);
  });

  it('takes no query: a parameter is refused by name rather than ignored', async () => {
    const response = await charts(leadToken, '?day=2024-11-01');
    expect(response.status).toBe(400);
    expect((response.body as ApiErrorBody).error).toMatchObject({ code: 'invalid_request' });
    expect(JSON.stringify((response.body as ApiErrorBody).error)).toContain('day');
  });

  it('spends the user’s request budget: a flood is refused with a time to retry, other leads are not', async () => {
    const flooder = (await login(t.url, 'flooder')).token;
    for (let i = 0; i < BUDGET; i += 1) expect((await charts(flooder)).status).toBe(200);
    const refused = await charts(flooder);
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limited', retryAfterMs: expect.any(Number) as number } } });
    expect((await charts(leadToken)).status).toBe(200);
  });
});
