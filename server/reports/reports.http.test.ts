/**
 * `GET /api/v1/reports` over a real server with the demo organisation (seeded at
 * 2024-11-08 10:00 Beijing): who may ask, what a bad query is told, and the three formats
 * fetched and parsed back (the XLSX with ExcelJS), Chinese text intact.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../../shared/httpApi.js';
import { reportSchema, type Report } from '../../shared/reports.js';
import { TEST_INTEGRATION_TOKEN, login, startTestServer, type TestServer } from '../testHarness.js';
import { DEMO_PASSWORD } from '../demo.js';

let t: TestServer;
let leadToken: string;
let agentToken: string;
let adminToken: string;

beforeAll(async () => {
  t = await startTestServer({ demo: true, tokenTtlMs: 60 * 60 * 1000 });
  leadToken = (await login(t.url, 'lead1', DEMO_PASSWORD)).token;
  agentToken = (await login(t.url, 'agent1', DEMO_PASSWORD)).token;
  // The demo organisation has an admin (admin1): reports are for leads and admins alike.
  adminToken = (await login(t.url, 'admin1', DEMO_PASSWORD)).token;
});

afterAll(async () => {
  await t.stop();
});

function reportUrl(query: string): string {
  return `${t.url}/api/v1/reports?${query}`;
}

function fetchReport(query: string, token: string | null = leadToken): Promise<Response> {
  return fetch(reportUrl(query), token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

async function refusal(query: string, token: string | null = leadToken): Promise<{ status: number; error: ApiErrorBody['error'] }> {
  const response = await fetchReport(query, token);
  return { status: response.status, error: ((await response.json()) as ApiErrorBody).error };
}

describe('who may read reports', () => {
  it('answers 401 without a token or with an expired one, 403 to an agent or an integration', async () => {
    expect(await refusal('period=day&date=2024-11-08', null)).toMatchObject({ status: 401, error: { code: 'unauthorized' } });
    expect(await refusal('period=day&date=2024-11-08', 'not-a-token')).toMatchObject({ status: 401 });
    const agent = await refusal('period=day&date=2024-11-08', agentToken);
    expect(agent).toMatchObject({ status: 403, error: { code: 'forbidden', message: 'Reports are for shift leads and administrators.' } });
    // Even a bad query tells an agent nothing but "not for you".
    expect((await refusal('period=year', agentToken)).status).toBe(403);
    expect((await refusal('period=day&date=2024-11-08', TEST_INTEGRATION_TOKEN)).status).toBe(401);
    const demoIntegration = await refusal('period=day&date=2024-11-08', 'demo-token');
    expect(demoIntegration).toMatchObject({ status: 403, error: { code: 'forbidden' } });
  });

  it('refuses a token that has expired, saying so', async () => {
    const shortLived = await login(t.url, 'lead1', DEMO_PASSWORD);
    t.clock.advance(60 * 60 * 1000 + 1);
    try {
      const expired = await refusal('period=day&date=2024-11-08', shortLived.token);
      expect(expired.status).toBe(401);
      expect(expired.error.message).toMatch(/expired/);
    } finally {
      t.clock.set(t.clock.now() - 60 * 60 * 1000 - 1);
    }
  });
});

describe('bad queries', () => {
  it.each([
    ['period=year&date=2024-11-08', 'period', 'must be one of day, week, month'],
    ['period=day', 'date', 'Invalid input: expected string, received undefined'],
    ['period=day&date=2024-02-30', 'date', 'must be a calendar date like 2024-11-08'],
    ['period=day&date=08%2F11%2F2024', 'date', 'must be a calendar date like 2024-11-08'],
    ["period=day&date=2024-11-08'%20OR%20'1'%3D'1", 'date', 'must be a date like 2024-11-08'],
    ['period=day&date=1999-12-31', 'date', 'must not be before 2000-01-01'],
    ['period=day&date=2024-11-09', 'date', 'must not be after today (2024-11-08, Asia/Shanghai)'],
    ['period=month&date=2999-01-01', 'date', 'must not be after today (2024-11-08, Asia/Shanghai)'],
    ['period=day&date=2024-11-08&by=channel%3B%20DROP%20TABLE%20tickets', 'by', 'must be one of channel, type, group, agent'],
    ['period=day&date=2024-11-08&by=assignee_id', 'by', 'must be one of channel, type, group, agent'],
    ['period=day&date=2024-11-08&format=pdf', 'format', 'must be one of json, csv, xlsx'],
    ['period=day&date=2024-11-08&lang=fr', 'lang', 'must be one of zh, en'],
    ['period=day&date=2024-11-08&from=2000-01-01&to=2024-11-08', '(body)', 'Unrecognized keys: "from", "to"'],
    ['period=day&period=month&date=2024-11-08', 'period', 'must be given at most once'],
  ])('%s → 400 on %s', async (query, path, message) => {
    const { status, error } = await refusal(query);
    expect(status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toBe('The report query is not valid.');
    expect(error.fields).toContainEqual({ path, message });
  });

  it('leaves the data as it was after the injection attempts', async () => {
    const response = await fetchReport('period=day&date=2024-11-08');
    expect(response.status).toBe(200);
    expect(((await response.json()) as Report).total.volume).toBe(18);
  });
});

describe('the three formats', () => {
  it('answers JSON with the demo day’s KPIs, to leads and admins', async () => {
    const response = await fetchReport('period=day&date=2024-11-08&by=channel');
    expect(response.status).toBe(200);
    const report = reportSchema.parse(await response.json());
    // 20 demo tickets, 2 of them created the day before (26 h and 24.5 h before 10:00).
    expect(report.total.volume).toBe(18);
    // Only the refund e-mail (normal, 4 h) is past due: created 5 h 10 min ago and still open → 1 / 18.
    expect(report.total.overdue).toBe(1);
    expect(report.total.overdueRate).toBeCloseTo(1 / 18, 12);
    expect(report.total.csatAverage).toBeNull();
    expect(report.rows.map((row) => [row.key, row.kpis.volume])).toEqual([
      ['phone', 4],
      ['chat', 7],
      ['social', 2],
      ['email', 5],
    ]);
    const week = reportSchema.parse(await (await fetchReport('period=week&date=2024-11-08&by=agent', adminToken)).json());
    expect(week.total.volume).toBe(20);
    expect(week.rows.at(-1)).toMatchObject({ key: null, kpis: { volume: 4 } });
    // The completed call of the day before: resolved 20 min after it came in, one call, no written reply → first contact.
    const agent2 = week.rows.find((row) => row.key === 'agent2')!;
    expect(agent2).toMatchObject({ name: '张强', kpis: { resolved: 1, avgHandlingMs: 60 * 60_000, firstContactResolution: 1 } });
  });

  it('exports CSV with a UTF-8 BOM and Chinese headers, English with lang=en', async () => {
    const response = await fetchReport('period=day&date=2024-11-08&by=channel&format=csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''report-day-2024-11-08-channel.csv");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(0, -1).map((line) => line.split(','));
    expect(rows[0]).toEqual([
      '统计周期',
      '渠道',
      '工单量',
      '平均首次响应时长（分钟）',
      '平均处理时长（分钟）',
      'SLA 达成率',
      '超时数',
      '超时率',
      '首次解决率',
      '满意度均分',
      '满意度回访率',
    ]);
    expect(rows.map((row) => row[1])).toEqual(['渠道', '电话', '在线客服', '社交媒体', '邮件', '合计']);
    const total = rows.at(-1)!;
    // 1 / 18 = 5.56 %; no CSAT yet: "—".
    expect([total[0], total[2], total[6], total[7], total[9], total[10]]).toEqual(['2024-11-08', '18', '1', '5.56%', '—', '—']);

    const english = await (await fetchReport('period=week&date=2024-11-08&by=type&format=csv&lang=en')).text();
    // fetch's text() drops the BOM; the header and the week's period are English and plain.
    expect(english.split('\r\n')[0]!.split(',').slice(0, 3)).toEqual(['Period', 'Type', 'Tickets']);
    expect(english).toContain('2024-11-04~2024-11-10,Consultation,');
    expect(english).toContain('\r\n2024-11-04~2024-11-10,Total,20,');
  });

  it('exports XLSX that ExcelJS reads back with the Chinese text and real numbers', async () => {
    const response = await fetchReport('period=day&date=2024-11-08&by=agent&format=xlsx');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet('报表')!;
    expect(sheet.getRow(1).getCell(2).value).toBe('客服');
    expect(sheet.getRow(1).getCell(8).value).toBe('超时率');
    const labels = Array.from({ length: sheet.rowCount - 1 }, (_, i) => sheet.getRow(i + 2).getCell(2).value);
    // Chinese collation: by pinyin (Chen, Liu, Wang, Zhang, Zhao), Latin names after, unassigned and the total last.
    expect(labels).toEqual(['陈静', '刘洋', '王芳', '张强', '赵磊', 'Emily Chen', '未分配', '合计']);
    const total = sheet.getRow(sheet.rowCount);
    expect(total.getCell(3).value).toBe(18);
    expect(total.getCell(8).value).toBeCloseTo(1 / 18, 12);
    expect(total.getCell(8).numFmt).toBe('0.00%');
    expect(total.getCell(10).value).toBe('—');
  });
});

describe('the organisation’s time zone, read at the moment of each request', () => {
  it('reports and charts the days of the zone an admin set, and the refusal names it', async () => {
    const admin = (await t.store.getUserByUsername('admin1'))!;
    const { policies } = await t.store.admin.getPolicies();
    // The demo clock is 2024-11-08 10:00 in Beijing, 02:00 UTC: 21:00 on 11-07 in New York (UTC−5).
    await t.store.admin.setPolicies(admin, { ...policies, timeZone: 'America/New_York' }, t.clock.now());
    try {
      const { status, error } = await refusal('period=day&date=2024-11-08');
      expect(status).toBe(400);
      expect(error.fields).toContainEqual({ path: 'date', message: 'must not be after today (2024-11-07, America/New_York)' });
      const report = reportSchema.parse(await (await fetchReport('period=day&date=2024-11-07&by=channel')).json());
      // 2024-11-07 00:00 EST is 05:00 UTC.
      expect(report).toMatchObject({ timeZone: 'America/New_York', start: Date.UTC(2024, 10, 7, 5), end: Date.UTC(2024, 10, 8, 5) });
      const charts = (await (await fetch(`${t.url}/api/v1/reports/charts`, { headers: { authorization: `Bearer ${leadToken}` } })).json()) as {
        timeZone: string;
        day: string;
      };
      expect(charts).toMatchObject({ timeZone: 'America/New_York', day: '2024-11-07' });
    } finally {
      await t.store.admin.setPolicies(admin, policies, t.clock.now());
    }
    expect(reportSchema.parse(await (await fetchReport('period=day&date=2024-11-08')).json()).timeZone).toBe('Asia/Shanghai');
  });
});
