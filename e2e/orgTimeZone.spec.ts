/**
 * The organisation's time zone end to end: the real demo server process, agent1's and
 * admin1's workstation processes and Chromium at 1280x800. The admin types a zone the
 * system does not know ("Mars/Olympus") and the Policies form says so, in English and in
 * Chinese; then sets America/New_York, and the time of a message on agent1's open ticket
 * changes from Shanghai time to New York time without a reload (pushed server → core →
 * window). The field is photographed in both languages.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { openFromInboxOrQueue, postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, startWorkstationProcess, type DemoStack, type RunningProcess } from './stack.js';

let stack: DemoStack;
let adminDesk: RunningProcess;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('org-tz');
  adminDesk = await startWorkstationProcess({ serverUrl: stack.server.url, dataDir: path.join(path.dirname(path.dirname(stack.agentDesk.logFile)), 'admin1') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await adminDesk?.stop();
  await stack?.stop();
});

/** A time of today as the workstation shows it in a zone ("21:07"), computed here with the same options. */
function clockIn(timeZone: string, epochMs: number): string {
  return new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(epochMs);
}

async function retype(field: Locator, value: string): Promise<void> {
  await field.focus();
  await field.press('ControlOrMeta+a');
  await field.pressSequentially(value);
}

async function shoot(page: Page, name: string, section: Locator): Promise<void> {
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath(name) });
}

test('an unknown zone is refused in the Admin view; a new zone changes the ticket times an agent sees', async ({ browser }) => {
  test.setTimeout(180_000);
  const run = Date.now().toString(36);
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject: '时区测试',
    customer: { name: '周敏', email: `zhoumin.${run}@example.cn` },
    text: '你好，请问几点上班？',
  });
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  await openFromInboxOrQueue(agent, ticketId);
  const messageTime = agent.locator('li.timeline-message', { hasText: '你好，请问几点上班？' }).locator('time').first();
  await expect(messageTime).toBeVisible();
  const at = Date.parse((await messageTime.getAttribute('datetime'))!);
  // A message of today: the time alone, in Shanghai until the admin changes the zone.
  await expect(messageTime).toHaveText(clockIn('Asia/Shanghai', at));

  const admin = await openDesk(browser, adminDesk.url, 'admin1', 'en-US');
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  const policies = admin.getByRole('form', { name: 'Policies' });
  const zone = policies.getByLabel(/^Organisation time zone/);
  await expect(zone).toHaveValue('Asia/Shanghai');
  await retype(zone, 'Mars/Olympus');
  await policies.getByRole('button', { name: 'Save policies' }).click();
  await expect(policies.getByRole('alert')).toHaveText(
    'Check the form: Organisation time zone: is not a time zone this system knows: write an IANA name such as Asia/Shanghai or Europe/Berlin',
  );
  await shoot(admin, 'org-time-zone-refused-en.png', zone);
  // Nothing was saved: the agent still sees Shanghai time.
  await expect(messageTime).toHaveText(clockIn('Asia/Shanghai', at));

  await retype(zone, 'America/New_York');
  await policies.getByRole('button', { name: 'Save policies' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('Saved.');
  await expect(policies.getByRole('alert')).toHaveCount(0);
  // Pushed to agent1's workstation: the same message, now in New York time, with no reload.
  await expect(messageTime).toHaveText(clockIn('America/New_York', at), { timeout: 20_000 });
  expect(clockIn('America/New_York', at)).not.toBe(clockIn('Asia/Shanghai', at));

  // The change log is loaded with the view (saving the policies reloads the policies alone).
  await admin.reload();
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  await expect(zone).toHaveValue('America/New_York');
  const log = admin.getByRole('region', { name: 'Recent administrative changes' });
  await expect(log.getByRole('listitem').filter({ hasText: 'changed the policies' }).first()).toContainText('Time zone: Asia/Shanghai → America/New_York');
  await shoot(admin, 'org-time-zone-en.png', zone);

  // In Chinese: the label, the refusal, and the saved zone.
  await admin.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  const policiesZh = admin.getByRole('form', { name: '服务策略' });
  const zoneZh = policiesZh.getByLabel(/^机构时区/);
  await expect(zoneZh).toHaveValue('America/New_York');
  await shoot(admin, 'org-time-zone-zh.png', zoneZh);
  await retype(zoneZh, 'Mars/Olympus');
  await policiesZh.getByRole('button', { name: '保存策略' }).click();
  await expect(policiesZh.getByRole('alert')).toHaveText('请检查表单：机构时区：不是系统认识的时区：请填写标准时区名，例如 Asia/Shanghai');
  await shoot(admin, 'org-time-zone-refused-zh.png', zoneZh);
});

/** The calendar day of an instant in a zone, `YYYY-MM-DD` (en-CA writes dates that way). */
function dayIn(timeZone: string, epochMs: number): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(epochMs);
}

test('after an admin changes the zone, the Reports view and the Board read the new zone’s day and name it, in English and Chinese', async ({ browser }) => {
  test.setTimeout(180_000);
  // A zone whose today is not Shanghai's at this moment: Kiritimati (UTC+14) from 10:00 to 16:00 UTC, Pago Pago (UTC−11) otherwise.
  const now = Date.now();
  const zone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find((candidate) => dayIn(candidate, now) !== dayIn('Asia/Shanghai', now))!;
  const admin = await openDesk(browser, adminDesk.url, 'admin1', 'en-US');
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  const policies = admin.getByRole('form', { name: 'Policies' });
  const zoneField = policies.getByLabel(/^Organisation time zone/);
  await retype(zoneField, 'Asia/Shanghai');
  await policies.getByRole('button', { name: 'Save policies' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('Saved.');

  // In Shanghai the Reports view opens on Shanghai's today, said to be China time.
  await admin.getByRole('button', { name: 'Reports', exact: true }).click();
  const date = admin.getByRole('textbox', { name: 'Date (YYYY-MM-DD)' });
  const shanghaiDay = dayIn('Asia/Shanghai', Date.now());
  await expect(date).toHaveValue(shanghaiDay);
  await expect(admin.getByText(`Tickets created ${shanghaiDay} – ${shanghaiDay} (China time)`, { exact: false })).toBeVisible();

  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  await retype(zoneField, zone);
  await policies.getByRole('button', { name: 'Save policies' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('Saved.');

  // The request for today follows the zone: the new zone's today, its range and its name.
  await admin.getByRole('button', { name: 'Reports', exact: true }).click();
  const zoneDay = dayIn(zone, Date.now());
  expect(zoneDay).not.toBe(shanghaiDay);
  await expect(date).toHaveValue(zoneDay);
  await expect(admin.getByText(`Tickets created ${zoneDay} – ${zoneDay} (${zone} time)`, { exact: false })).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath('org-zone-reports-en.png') });

  await admin.getByRole('button', { name: 'Board', exact: true }).click();
  await expect(admin.getByText(`Live — today ${zoneDay} (${zone} time)`, { exact: false })).toBeVisible({ timeout: 20_000 });
  await expect(admin.getByText(`(${zone} time)`, { exact: false }).first()).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath('org-zone-board-en.png') });

  await admin.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  await expect(admin.getByText(new RegExp(`实时 — 今日 ${zoneDay}（${zone} ?时间）`))).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath('org-zone-board-zh.png') });
  await admin.getByRole('button', { name: '报表', exact: true }).click();
  await expect(admin.getByRole('textbox', { name: '日期（YYYY-MM-DD）' })).toHaveValue(zoneDay);
  await expect(admin.getByText(new RegExp(`${zoneDay} 至 ${zoneDay} 新建的工单（${zone} ?时间）`))).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath('org-zone-reports-zh.png') });

  // Back to the default, for whatever runs next on this server.
  await admin.getByRole('button', { name: '系统管理', exact: true }).click();
  const zoneZh = admin.getByRole('form', { name: '服务策略' }).getByLabel(/^机构时区/);
  await retype(zoneZh, 'Asia/Shanghai');
  await admin.getByRole('form', { name: '服务策略' }).getByRole('button', { name: '保存策略' }).click();
  await expect(zoneZh).toHaveValue('Asia/Shanghai');
});
