/**
 * Reports in the renderer store, on REAL cores and the REAL server: the lead opens Reports
 * and reads the day of two contacts, exports it as a Chinese CSV, is refused nothing; an
 * agent cannot open the view and the server refuses them; offline the store says the report
 * needs the server, and a view opened before the connection was up loads once it is.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkstationCore, type WorkstationCore } from '../../../main/core/index.js';
import { workstationApiOver } from '../../../main/core/testing/coreCalls.js';
import type { TicketListResponse } from '../../../shared/httpApi.js';
import { localDateOf } from '../../../shared/kpi.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, getJson, login, makeTempDir, postJson, startTestServer, type TestServer } from '../../../server/testHarness.js';
import { RpcError } from '../api.js';
import { initStore, type AppStore } from './appStore.js';

const WAIT = { timeout: 20_000, interval: 50 };

let server: TestServer;
let root: string;
const cores: WorkstationCore[] = [];
const disposers: Array<() => void> = [];
/** The China-local day the two contacts arrived on (read back from the server, so a test run across midnight still agrees). */
let contactDay: string;

async function signedInStore(username: string): Promise<AppStore> {
  const core = await createWorkstationCore({ dataDir: `${root}/${username}`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
  cores.push(core);
  const { store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error)));
  disposers.push(dispose);
  await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
  expect(await store.getState().signIn(username, TEST_PASSWORD)).toBe(true);
  await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
  return store;
}

let lead: AppStore;
let agent: AppStore;

beforeAll(async () => {
  root = makeTempDir('renderer-reports-');
  server = await startTestServer({ now: Date.now });
  await server.store.createUser({ id: 'lead1', username: 'lead1', password: TEST_PASSWORD, displayName: '李主管', role: 'lead', channels: [] });
  await server.store.createUser({ id: 'agent1', username: 'agent1', password: TEST_PASSWORD, displayName: '王芳', role: 'agent', channels: ['email'] });
  await server.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
  for (const [channel, customer] of [
    ['email', { name: '张伟', email: 'zhang.wei@example.cn' }],
    ['chat', { name: '李娜', phone: '13912340002' }],
  ] as const) {
    await postJson(`${server.url}/api/v1/inbound`, JSON.stringify({ channel, customer, text: '请问订单什么时候发货？' }), TEST_INTEGRATION_TOKEN);
  }
  const { token } = await login(server.url, 'lead1');
  const { tickets } = (await getJson<TicketListResponse>(`${server.url}/api/v1/tickets`, token)).body as TicketListResponse;
  contactDay = localDateOf(tickets[0]!.createdAt);
  lead = await signedInStore('lead1');
  agent = await signedInStore('agent1');
});

afterAll(async () => {
  for (const dispose of disposers) dispose();
  await Promise.all(cores.map((core) => core.close()));
  await server.stop();
});

describe('reports in the renderer store', () => {
  it('opens on today by channel and reads the day of the contacts', async () => {
    expect(lead.getState().reportRequest).toEqual({ period: 'day', date: localDateOf(Date.now()), by: 'channel' });
    lead.getState().setView('reports');
    expect(lead.getState().view).toBe('reports');
    lead.getState().setReportRequest({ date: contactDay });
    await vi.waitFor(() => expect(lead.getState().report?.firstDay).toBe(contactDay), WAIT);
    const report = lead.getState().report!;
    expect(report.total.volume).toBe(2);
    expect(report.rows.map((row) => [row.key, row.kpis.volume])).toEqual([
      ['phone', 0],
      ['chat', 1],
      ['social', 0],
      ['email', 1],
    ]);
    expect(lead.getState().reportError).toBeNull();
  });

  it('exports the report as a file in the UI language: a Chinese CSV with its BOM', async () => {
    lead.getState().setLanguage('zh-CN');
    const exporting = lead.getState().exportReport('csv');
    expect(lead.getState().exportingReport).toBe('csv');
    // One export at a time: a second press while it runs does nothing.
    expect(await lead.getState().exportReport('xlsx')).toBeNull();
    const download = (await exporting)!;
    expect(lead.getState().exportingReport).toBeNull();
    expect(download.fileName).toBe(`report-day-${contactDay}-channel.csv`);
    const bytes = Buffer.from(download.base64, 'base64');
    expect(download.size).toBe(bytes.length);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toMatch(/^统计周期,渠道,工单量,/);
  });

  it('passes the server’s refusal of a bad date on, in its words', async () => {
    lead.getState().setReportRequest({ date: '2999-01-01' });
    await vi.waitFor(() => expect(lead.getState().reportError).not.toBeNull(), WAIT);
    expect(lead.getState().reportError!.code).toBe('invalid_params');
    expect(lead.getState().reportError!.message).toMatch(
      /^The report query is not valid\. date must not be after today \(\d{4}-\d{2}-\d{2}, Asia\/Shanghai\)$/,
    );
    expect(lead.getState().report).toBeNull();
    lead.getState().setReportRequest({ date: contactDay });
    await vi.waitFor(() => expect(lead.getState().report?.total.volume).toBe(2), WAIT);
  });

  it('gives an agent no Reports view, and the server refuses them the data', async () => {
    agent.getState().setView('reports');
    expect(agent.getState().view).toBe('inbox');
    await agent.getState().loadReport();
    expect(agent.getState().report).toBeNull();
    expect(agent.getState().reportError).toMatchObject({ code: 'forbidden', message: 'Reports are for shift leads and administrators.' });
    expect(await agent.getState().exportReport('xlsx')).toBeNull();
    expect(agent.getState().reportExportError).toMatchObject({ code: 'forbidden' });
  });

  it('opened before the connection is up, loads the report once it is', async () => {
    const core = await createWorkstationCore({ dataDir: `${root}/lead1-early`, serverUrl: server.url, reconnectDelayMs: 100, reconnectDelayMaxMs: 500 });
    cores.push(core);
    const { store, dispose } = initStore(workstationApiOver(core, (error) => new RpcError(error)));
    disposers.push(dispose);
    await vi.waitFor(() => expect(store.getState().sessionChecked).toBe(true));
    expect(await store.getState().signIn('lead1', TEST_PASSWORD)).toBe(true);
    // The lead clicks Reports at once: the core's socket is still connecting, so that first load fails.
    expect(store.getState().connection.status).not.toBe('online');
    store.getState().setView('reports');
    await vi.waitFor(() => expect(store.getState().connection.status).toBe('online'), WAIT);
    await vi.waitFor(() => expect(store.getState().report?.firstDay).toBe(localDateOf(Date.now())), WAIT);
    expect(store.getState().reportError).toBeNull();
  });

  it('says the report needs the server when it is gone', async () => {
    await server.server.close();
    await vi.waitFor(() => expect(lead.getState().connection.status).toBe('offline'), WAIT);
    await lead.getState().loadReport();
    expect(lead.getState().report).toBeNull();
    expect(lead.getState().reportError).toMatchObject({ code: 'offline' });
  });
});
