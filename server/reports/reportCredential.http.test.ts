/**
 * Report-reader credentials over a real server (SQLite file, socket.io clients): an admin
 * makes one over the admin socket (leads and agents are refused `forbidden`), and another
 * system pulls the day report (JSON and CSV) and the charts with it; every other endpoint and
 * the socket handshake refuse it by name, its budget is its own, and once revoked it is 401.
 */
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminAuditResult, ReportCredentialCreateResult, ReportCredentialsResult } from '../../shared/admin.js';
import { boardChartsSchema } from '../../shared/charts.js';
import type { ApiErrorBody } from '../../shared/httpApi.js';
import { reportSchema } from '../../shared/reports.js';
import { REPORT_CREDENTIAL_SOCKET_ERROR, workstationHandshakeAuth } from '../../shared/sync.js';
import { REPORT_CREDENTIAL_SCOPE_MESSAGE } from '../http.js';
import { DEFAULT_RATE_LIMITS } from '../rateLimits.js';
import { TEST_INTEGRATION_TOKEN, getJson, postJson, seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import { connectTestSocket, disconnectTestSockets, okResult, type TestConnection } from '../testing/sockets.js';

/** A small budget, so the flood case is short; the admin socket (which spends the same per-user budget) stays well inside it. */
const BUDGET = 40;

let t: TestServer;
let admin: TestConnection;
let lead: TestConnection;
let agent: TestConnection;

async function createCredential(name: string): Promise<{ id: string; secret: string }> {
  const result = okResult(await admin.ask<ReportCredentialCreateResult>('admin:createReportCredential', { name }));
  if (!result.ok) throw new Error(result.message);
  return { id: result.credential.id, secret: result.secret };
}

function get(path: string, token: string, method = 'GET'): Promise<Response> {
  return fetch(`${t.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000, rateLimits: { ...DEFAULT_RATE_LIMITS, requestsPerUser: { points: BUDGET, durationSec: 60 } } });
  await seedTestOrganisation(t.store, [
    { username: 'admin1', displayName: '管理员', role: 'admin', channels: [] },
    { username: 'lead1', displayName: '李娜', role: 'lead', channels: ['chat'] },
    { username: 'agent1', displayName: '王芳', channels: ['chat'] },
  ]);
  const posted = await postJson(
    `${t.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name: '张伟', phone: '+86 138 0000 1001' }, text: '请问我的订单什么时候发货？' }),
    TEST_INTEGRATION_TOKEN,
  );
  expect(posted.status).toBe(201);
  admin = await connectTestSocket(t, 'admin1');
  lead = await connectTestSocket(t, 'lead1');
  agent = await connectTestSocket(t, 'agent1');
});

afterAll(async () => {
  disconnectTestSockets();
  await t?.stop();
});

describe('report-reader credentials', () => {
  it('only an admin creates one; a lead lists them read-only, an agent not at all, and nobody sees a secret again', async () => {
    for (const who of [lead, agent]) {
      expect(await who.ask('admin:createReportCredential', { name: 'sneaky' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const { id, secret } = await createCredential('BI 数据仓库');
    expect(await lead.ask('admin:revokeReportCredential', { id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await agent.ask('admin:reportCredentials', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const listed = okResult(await lead.ask<ReportCredentialsResult>('admin:reportCredentials', {}));
    expect(listed.credentials.map((c) => [c.name, c.createdByName])).toEqual([['BI 数据仓库', '管理员']]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(okResult(await admin.ask<ReportCredentialCreateResult>('admin:createReportCredential', { name: 'BI 数据仓库' }))).toMatchObject({
      ok: false,
      refusal: 'name_taken',
    });
    expect(await admin.ask('admin:createReportCredential', { name: '   ' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const audit = okResult(await admin.ask<AdminAuditResult>('admin:audit', {}));
    expect(audit.entries[0]).toMatchObject({ action: 'report_credential_created', actorName: '管理员', targetName: 'BI 数据仓库' });
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('reads the day report as JSON and CSV and the charts, and notes when it was used', async () => {
    const { secret } = await createCredential('warehouse');
    const json = await get('/api/v1/reports?period=day&date=2024-11-08&by=channel', secret);
    expect(json.status).toBe(200);
    const report = reportSchema.parse(await json.json());
    expect(report).toMatchObject({ period: 'day', firstDay: '2024-11-08', total: { volume: 1 } });
    const csv = await get('/api/v1/reports?period=day&date=2024-11-08&by=channel&format=csv&lang=zh', secret);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await csv.text()).toContain('在线');
    const charts = await get('/api/v1/reports/charts', secret);
    expect(charts.status).toBe(200);
    expect(boardChartsSchema.parse(await charts.json()).day).toBe('2024-11-08');
    const listed = okResult(await admin.ask<ReportCredentialsResult>('admin:reportCredentials', {}));
    expect(listed.credentials.find((c) => c.name === 'warehouse')?.lastUsedAt).toBe(t.clock.now());
  });

  it('is refused by every other endpoint and by the socket handshake, saying what it is for', async () => {
    const { secret } = await createCredential('abuse');
    for (const [method, path] of [
      ['GET', '/api/v1/tickets'],
      ['GET', '/api/v1/tickets/GD20241108001'],
      ['GET', '/api/v1/attachments/abc'],
      ['PUT', '/api/v1/uploads/abc'],
      ['POST', '/api/v1/inbound'],
      ['POST', '/api/v1/auth/logout'],
    ] as const) {
      const response = await get(path, secret, method);
      expect([path, response.status]).toEqual([path, 403]);
      expect(((await response.json()) as ApiErrorBody).error).toEqual({ code: 'forbidden', message: REPORT_CREDENTIAL_SCOPE_MESSAGE });
    }
    const socket = connect(t.url, { auth: workstationHandshakeAuth(secret, 'client-bi'), transports: ['websocket'], reconnection: false, forceNew: true });
    const refused = await new Promise<string>((resolve, reject) => {
      socket.once('connect', () => reject(new Error('a report credential opened a socket')));
      socket.once('connect_error', (error) => resolve(error.message));
    });
    socket.disconnect();
    expect(refused).toBe(REPORT_CREDENTIAL_SOCKET_ERROR);
    // Nor is it an integration token, nor a user token.
    expect((await getJson(`${t.url}/api/v1/tickets`, secret)).status).toBe(403);
  });

  it('has a request budget of its own: a flooding credential is refused 429, another credential and the leads are not', async () => {
    const flooder = await createCredential('flooder');
    const other = await createCredential('other');
    for (let i = 0; i < BUDGET; i += 1) expect((await get('/api/v1/reports/charts', flooder.secret)).status).toBe(200);
    const refused = await get('/api/v1/reports/charts', flooder.secret);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as ApiErrorBody).error).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) as number });
    expect((await get('/api/v1/reports/charts', other.secret)).status).toBe(200);
  });

  it('once revoked it is refused 401 at its next request, and the revocation is audited', async () => {
    const { id, secret } = await createCredential('to revoke');
    expect((await get('/api/v1/reports/charts', secret)).status).toBe(200);
    expect(okResult(await admin.ask('admin:revokeReportCredential', { id }))).toEqual({ ok: true, id });
    const after = await get('/api/v1/reports?period=day&date=2024-11-08', secret);
    expect(after.status).toBe(401);
    expect(((await after.json()) as ApiErrorBody).error).toMatchObject({ code: 'unauthorized', message: 'The report credential is not valid or was revoked.' });
    expect((await get('/api/v1/reports/charts', secret)).status).toBe(401);
    expect((await get('/api/v1/reports/charts', 'odr_not-a-credential')).status).toBe(401);
    const listed = okResult(await admin.ask<ReportCredentialsResult>('admin:reportCredentials', {}));
    expect(listed.credentials.map((c) => c.id)).not.toContain(id);
    expect(okResult(await admin.ask<AdminAuditResult>('admin:audit', {})).entries[0]).toMatchObject({
      action: 'report_credential_revoked',
      targetName: 'to revoke',
      after: { id, revokedAt: t.clock.now() },
    });
  });
});
