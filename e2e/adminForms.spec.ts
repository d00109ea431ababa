/**
 * The Admin view's forms driven as an administrator would, end to end: the real demo server
 * process, three workstation processes (agent1's, lead1's, admin1's) and Chromium at 1280x800.
 * In English: the policies (typed with the keyboard) survive a reload, and a backlog threshold
 * is set in the Alerts view; agent2's password is reset and they sign in with the new one only;
 * their skills and capacity are changed; lead1 sees all of it read-only (the user, the policies and
 * the channel registry as text, not disabled fields) and changes capacity
 * and presence from the Team view as the Admin view tells them. In Chinese: a customer's VIP tier reaches the agent's customer panel; the social
 * channel's registry entry (owner, volume, customer group, hours) is saved and the channel
 * switched off, after which the inbound API refuses a contact on it. Every change is in the
 * change log with who, what, before and after. Each admin section is also photographed in the
 * other language.
 */
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { openFromInboxOrQueue, postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, startWorkstationProcess, type DemoStack, type RunningProcess } from './stack.js';

let stack: DemoStack;
let adminDesk: RunningProcess;
let admin: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startDemoStack('admin-forms', { OFFER_TIMEOUT_MS: '60000' });
  adminDesk = await startWorkstationProcess({ serverUrl: stack.server.url, dataDir: path.join(stack.root, 'admin1') });
  admin = await openAdmin(browser, 'en-US');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await adminDesk?.stop();
  await stack?.stop();
});

async function openAdmin(browser: Browser, locale: 'en-US' | 'zh-CN'): Promise<Page> {
  const page = await openDesk(browser, adminDesk.url, 'admin1', locale);
  await page.getByRole('button', { name: locale === 'en-US' ? 'Admin' : '系统管理', exact: true }).click();
  return page;
}

/** Replaces a field's value by keyboard: focus, select all, type. */
async function retype(field: Locator, value: string): Promise<void> {
  await field.focus();
  await field.press('ControlOrMeta+a');
  await field.pressSequentially(value);
}

/** The bits of the DOM the check below uses (the e2e code is compiled without the DOM library). */
interface TextLike {
  textContent: string | null;
}
interface RangeLike {
  setStart(node: TextLike, offset: number): void;
  setEnd(node: TextLike, offset: number): void;
  getClientRects(): ArrayLike<{ top: number }>;
}
interface ElementLike {
  ownerDocument: { createRange(): RangeLike; createTreeWalker(root: ElementLike, whatToShow: number): { nextNode(): TextLike | null } };
}
/** NodeFilter.SHOW_TEXT */
const SHOW_TEXT = 4;

/**
 * The Latin words (and numbers) of an element's text that the browser split across two lines:
 * each one's range has client rects on different lines. Chinese text may break anywhere.
 */
async function wordsBrokenAcrossLines(element: Locator): Promise<string[]> {
  return element.evaluate((root: ElementLike, showText: number) => {
    const broken: string[] = [];
    const walker = root.ownerDocument.createTreeWalker(root, showText);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (const match of text.matchAll(/[A-Za-z0-9:]+/g)) {
        const range = root.ownerDocument.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
    return broken;
  }, SHOW_TEXT);
}

async function shoot(page: Page, name: string, section?: Locator): Promise<void> {
  if (section) await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath(name) });
}

test('policies typed with the keyboard are saved, survive a reload and are in the change log with before and after', async () => {
  const policies = admin.getByRole('form', { name: 'Policies' });
  await expect(policies.getByText('Defaults (never changed)')).toBeVisible();
  await retype(policies.getByLabel('Urgent', { exact: true }), '90');
  await admin.keyboard.press('Tab');
  await admin.keyboard.press('ControlOrMeta+a');
  await admin.keyboard.type('180');
  await retype(policies.getByLabel('Complaints (minutes; empty = by priority)'), '60');
  await retype(policies.getByRole('group', { name: 'First-response target per channel (minutes)' }).getByLabel('Chat', { exact: true }), '3');
  await retype(policies.getByLabel(/^Offer timeout/), '12');
  // Enter in a field submits the form, as a keyboard user expects.
  await admin.keyboard.press('Enter');
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('Saved.');
  await expect(policies.getByText(/Last changed by 系统管理员/)).toBeVisible();

  await admin.reload();
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  const reloaded = admin.getByRole('form', { name: 'Policies' });
  await expect(reloaded.getByLabel('Urgent', { exact: true })).toHaveValue('90');
  await expect(reloaded.getByLabel('Normal', { exact: true })).toHaveValue('180');
  await expect(reloaded.getByLabel('Complaints (minutes; empty = by priority)')).toHaveValue('60');
  await expect(reloaded.getByLabel(/^Offer timeout/)).toHaveValue('12');

  const log = admin.getByRole('region', { name: 'Recent administrative changes' });
  const entry = log.getByRole('listitem').filter({ hasText: 'changed the policies' });
  await expect(entry).toContainText('系统管理员 changed the policies');
  await expect(entry).toContainText('Resolution target (min) · Urgent: 120 → 90');
  await expect(entry).toContainText('Resolution target (min) · Normal: 240 → 180');
  await expect(entry).toContainText('Complaint target (min): — → 60');
  await expect(entry).toContainText('First response (min) · Chat: 2 → 3');
  await expect(entry).toContainText('Offer timeout (s): 15 → 12');
  await shoot(admin, 'policies-en.png', reloaded);

  // Backlog thresholds are set in the Alerts view, as the policies' note says; the change log has them too.
  await admin.getByRole('button', { name: /^Alerts/ }).click();
  await retype(admin.getByLabel('Threshold for Social'), '25');
  await admin.keyboard.press('Enter');
  await expect(admin.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await admin.getByRole('button', { name: 'Admin', exact: true }).click();
  const threshold = log.getByRole('listitem').filter({ hasText: 'set the backlog threshold · Social' });
  await expect(threshold).toContainText('系统管理员');
  await expect(threshold).toContainText(/Backlog threshold: \d+ → 25/);
});

/** Signs a page in with a password (not the demo one); waits for the sign-in screen to leave or an alert to say why not. */
async function signInWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test("an admin resets agent2's password (the new one signs in, the old is refused) and changes their skills and capacity", async ({ browser }) => {
  const users = admin.getByRole('table');
  const outcome = admin.locator('.admin-view [role=status]');
  await users.getByRole('button', { name: 'agent2', exact: true }).click();
  const editor = admin.getByRole('form', { name: 'Edit 张强' });
  await expect(editor).toBeVisible();

  await retype(admin.getByLabel('New password (at least 8 characters)'), 'harbour-lights-7');
  await admin.keyboard.press('Enter');
  await expect(outcome).toHaveText('The password of 张强 was reset; their sessions ended.');

  // agent2 on agent1's workstation: the demo password is refused, the new one signs in.
  const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await desk.goto(stack.agentDesk.url);
  await expect(desk.getByLabel('Username')).toBeVisible();
  await signInWithPassword(desk, 'agent2', 'demo');
  await expect(desk.getByRole('alert')).toBeVisible();
  await expect(desk.getByLabel('Username')).toBeVisible();
  await signInWithPassword(desk, 'agent2', 'harbour-lights-7');
  await expect(desk.getByRole('button', { name: 'Sign out' })).toBeVisible({ timeout: 15_000 });
  await desk.getByRole('button', { name: 'Sign out' }).click();
  await desk.close();

  // Skills: role stays agent; Email and Billing added, tier 2, senior, languages, a new extension.
  await editor.getByLabel('Role').selectOption('agent');
  await editor.getByRole('group', { name: 'Channels' }).getByLabel('Email').check();
  await editor.getByRole('group', { name: 'Groups' }).getByLabel('Billing').check();
  await editor.getByLabel('Tier').selectOption('2');
  await editor.getByLabel('Senior (VIP and urgent contacts first)').check();
  await retype(editor.getByLabel('Languages (codes, comma separated)'), 'zh, en');
  await retype(editor.getByLabel('Extension (digits, optional)'), '8012');
  await editor.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(outcome).toHaveText('Saved.');
  const row = users.getByRole('row', { name: /agent2/ });
  await expect(row).toContainText('Phone, Chat, Email');
  await expect(row).toContainText('Orders, Billing');
  await expect(row).toContainText('2 · Senior');
  await expect(row).toContainText('8012');

  const capacity = admin.getByRole('form', { name: 'Capacity per channel' });
  await retype(capacity.getByLabel('Chat'), '4');
  await admin.keyboard.press('Enter');
  await expect(outcome).toHaveText('Saved.');
  await expect(admin.getByRole('form', { name: 'Capacity per channel' }).getByLabel('Chat')).toHaveValue('4');

  // The user's own history and the change log: who, what, before and after.
  const history = admin.getByRole('region', { name: 'History' });
  await expect(history.getByRole('listitem').filter({ hasText: 'reset the password' })).toContainText('系统管理员');
  const changed = history.getByRole('listitem').filter({ hasText: 'changed' }).filter({ hasText: 'Extension' });
  await expect(changed).toContainText('Extension: 8002 → 8012');
  await expect(changed).toContainText('Channels: Phone, Chat → Phone, Chat, Email');
  await expect(changed).toContainText('Tier: 1 → 2');
  await expect(changed).toContainText('Senior: no → yes');
  await expect(changed).toContainText('Languages: zh → zh, en');
  const log = admin.getByRole('region', { name: 'Recent administrative changes' });
  await expect(log.getByRole('listitem').filter({ hasText: 'set the capacity' }).first()).toContainText('· 张强');
  await expect(log.getByRole('listitem').filter({ hasText: 'set the capacity' }).first()).toContainText('Chat: 3 → 4');
  await shoot(admin, 'users-en.png', editor);
});

test('the lead sees the Admin view read-only and changes capacity and presence from the Team view, which the change log shows', async ({ browser }) => {
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await lead.getByRole('button', { name: 'Admin', exact: true }).click();
  await expect(lead.getByText('Read-only: only administrators change users and policies. Capacity and presence are changed from the Team view.')).toBeVisible();
  await lead.getByRole('table').getByRole('button', { name: 'agent2', exact: true }).click();
  // The user, the policies and the channel registry read as text with a note saying who may change
  // them: no field at all, so nothing looks editable (disabled inputs looked like live ones).
  const editor = lead.getByRole('region', { name: 'User 张强', exact: true });
  await expect(editor.getByText('Only an administrator can change users.')).toBeVisible();
  await expect(editor.getByRole('row', { name: /^Role/ })).toContainText('Agent');
  await expect(editor.getByRole('row', { name: /^Channels/ })).toContainText('Phone, Chat, Email');
  await expect(editor.getByRole('row', { name: /^Groups/ })).toContainText('Orders, Billing');
  await expect(editor.getByRole('row', { name: /^Tier/ })).toContainText('2 · Senior');
  await expect(editor.getByRole('row', { name: /^Languages/ })).toContainText('zh, en');
  await expect(editor.getByRole('row', { name: /^Extension/ })).toContainText('8012');
  await expect(editor.locator('input, select, textarea')).toHaveCount(0);
  await expect(lead.getByRole('form', { name: 'Edit 张强' })).toHaveCount(0);
  const policies = lead.getByRole('region', { name: 'Policies', exact: true });
  await expect(policies.getByText('Only an administrator can change these policies.')).toBeVisible();
  await expect(policies.getByRole('row', { name: /^Resolution target/ })).toContainText('Urgent 90 min');
  await expect(policies.getByRole('row', { name: /^Resolution target/ })).toContainText('Normal 180 min');
  await expect(policies.getByRole('row', { name: /^Complaints/ })).toContainText('60 min');
  await expect(policies.getByRole('row', { name: /^First-response target/ })).toContainText('Chat 3 min');
  await expect(policies.getByRole('row', { name: /^Offer timeout/ })).toContainText('12 s');
  await expect(policies.locator('input, select, textarea')).toHaveCount(0);
  await expect(lead.getByRole('form', { name: 'Policies' })).toHaveCount(0);
  await shoot(lead, 'lead-policies-en.png', policies);
  const channels = lead.getByRole('region', { name: 'Channels', exact: true });
  await expect(channels.getByText('Only an administrator can change the channel registry.')).toBeVisible();
  const socialView = channels.getByRole('region', { name: 'Social', exact: true });
  await expect(socialView.getByRole('row', { name: /^Takes new contacts/ })).toContainText('Yes');
  await expect(socialView.getByRole('row', { name: /^Owner/ })).toContainText('Nobody');
  await expect(socialView.getByRole('row', { name: /^Business hours/ })).toContainText('Around the clock (24 h)');
  await expect(channels.locator('input, select, textarea')).toHaveCount(0);
  await expect(lead.getByRole('form', { name: 'Social', exact: true })).toHaveCount(0);
  await shoot(lead, 'lead-channels-en.png', channels);
  // No way to save any of it: no save, reset, deactivate or VIP buttons.
  for (const name of ['Save', 'Save policies', 'Save Social', 'Reset password', 'Save capacity', 'Deactivate', 'New user', 'Set tier']) {
    await expect(lead.getByRole('button', { name, exact: true })).toHaveCount(0);
  }
  await shoot(lead, 'lead-admin-en.png', editor);

  await lead.getByRole('button', { name: 'Team', exact: true }).click();
  await retype(lead.getByLabel('Social capacity of 刘洋'), '5');
  await lead.keyboard.press('Enter');
  await lead.getByLabel('Presence of 刘洋').selectOption('away:meeting');
  await lead.getByRole('button', { name: 'Admin', exact: true }).click();
  await lead.getByRole('button', { name: 'Refresh' }).click();
  const presence = lead.getByRole('region', { name: 'Recent administrative changes' }).getByRole('listitem').filter({ hasText: '李主管 set the presence' });
  await expect(presence).toContainText('· 刘洋');
  await expect(presence).toContainText('→ Away');
  await expect(presence).toContainText('Away reason: — → Meeting');
  const entry = lead.getByRole('region', { name: 'Recent administrative changes' }).getByRole('listitem').filter({ hasText: '李主管 set the capacity' });
  await expect(entry).toContainText('· 刘洋');
  await expect(entry).toContainText(/Capacity · Social: \d+ → 5/);
  await shoot(lead, 'lead-changes-en.png', entry);
});

test("in Chinese: a VIP tier set by the admin shows in the agent's customer panel; the social channel's registry is saved and switching it off refuses contacts", async ({
  browser,
}) => {
  const run = Date.now().toString(36);
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject: '发票抬头修改',
    customer: { name: '周敏', email: `zhoumin.${run}@example.cn` },
    text: '你好，发票抬头需要改成公司名称。',
  });
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  await openFromInboxOrQueue(agent, ticketId);
  const panel = agent.locator('aside.customer-panel');
  await expect(panel.locator('.vip-badge')).toHaveText('普通客户');
  const customerId = (await panel.locator('dt', { hasText: '客户编号' }).locator('xpath=following-sibling::dd[1]').innerText()).trim();

  await admin.getByLabel('Language', { exact: true }).selectOption('zh-CN');
  const vip = admin.getByRole('form', { name: '客户 VIP 等级' });
  await vip.getByLabel('客户编号（如 CUS20241108001）').fill(customerId);
  await vip.getByLabel('VIP 等级').selectOption('3');
  await vip.getByRole('button', { name: '设置等级' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText(`已设置 VIP 等级：${customerId} → VIP 3。`);
  // The agent sees it where they see the customer: reopening the ticket shows the tier.
  await openFromInboxOrQueue(agent, ticketId);
  await expect(panel.locator('.vip-badge')).toHaveText('VIP 3', { timeout: 15_000 });
  await agent.screenshot({ path: test.info().outputPath('agent-vip-zh.png') });

  const social = admin.getByRole('form', { name: '社交媒体', exact: true });
  await social.getByLabel('负责人').selectOption({ label: '李主管' });
  await retype(social.getByLabel('预计日均量'), '800');
  await retype(social.getByLabel('客户群体'), '企业客户');
  await social.getByLabel('全天 24 小时服务（不发自动回复）').uncheck();
  await retype(social.getByLabel('周一', { exact: true }), '09:00-12:00, 13:00-18:00');
  await retype(social.getByLabel('非工作时间自动回复（留空 = 不回复）'), '您好，社交媒体客服的工作时间为周一至周五 9:00–18:00。');
  await social.getByLabel('启用：接收新咨询').uncheck();
  await expect(social.getByText('已停用：新咨询将被拒绝', { exact: false })).toBeVisible();
  await social.getByRole('button', { name: '保存社交媒体' }).click();
  await expect(admin.locator('.admin-view [role=status]')).toHaveText('已保存渠道：社交媒体。');
  const saved = admin.getByRole('form', { name: '社交媒体', exact: true });
  await expect(saved.locator('.admin-channel-state')).toHaveText('已停用');
  await expect(saved.getByLabel('负责人')).toHaveValue('lead1');
  await expect(saved.getByLabel('客户群体')).toHaveValue('企业客户');

  // A contact arriving on a switched-off channel is refused, as the form says: HTTP 503, nothing stored.
  const refused = await fetch(`${stack.server.url}/api/v1/inbound`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'social', customer: { name: '微博用户', socialId: `weibo-off-${run}` }, text: '在吗？' }),
  });
  expect(refused.status).toBe(503);

  const log = admin.getByRole('region', { name: '最近的管理变更' });
  const vipEntry = log.getByRole('listitem').filter({ hasText: '设置了 VIP 等级' });
  await expect(vipEntry).toContainText('系统管理员 设置了 VIP 等级');
  await expect(vipEntry).toContainText('VIP 等级：0 → 3');
  const channelEntry = log.getByRole('listitem').filter({ hasText: '修改了渠道 · 社交媒体' });
  await expect(channelEntry).toContainText('系统管理员');
  await expect(channelEntry).toContainText('启用：是 → 否');
  await expect(channelEntry).toContainText('负责人：— → 李主管');
  await expect(channelEntry).toContainText('预计日均量：0 → 800');
  await expect(channelEntry).toContainText('客户群体：— → 企业客户');
  await expect(channelEntry).toContainText('工作时间 · 周一：09:00-18:00 → 09:00-12:00, 13:00-18:00');
  await shoot(admin, 'channels-zh.png', saved);
  await shoot(admin, 'changes-zh.png', log);
});

test('each admin section in the other language: users, policies and the lead in Chinese; channels, VIP and the change log in English', async ({ browser }) => {
  // The admin page is in Chinese since the previous test.
  await admin.getByRole('table').getByRole('button', { name: 'agent2', exact: true }).click();
  const editor = admin.getByRole('form', { name: '编辑 张强' });
  await expect(editor.getByLabel('分机号（数字，可不填）')).toHaveValue('8012');
  await expect(admin.getByRole('region', { name: '变更记录' }).getByRole('listitem').filter({ hasText: '修改了用户' })).toContainText(
    '渠道：电话、在线客服 → 电话、在线客服、邮件',
  );
  await shoot(admin, 'users-zh.png', editor);
  const policies = admin.getByRole('form', { name: '服务策略' });
  await expect(policies.getByRole('group', { name: '各渠道首次响应时限（分钟）' }).getByLabel('在线客服')).toHaveValue('3');
  await shoot(admin, 'policies-zh.png', policies);
  const log = admin.getByRole('region', { name: '最近的管理变更' });
  await expect(log.getByRole('listitem').filter({ hasText: '修改了策略' })).toContainText('分配应答时限（秒）：15 → 12');

  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'zh-CN');
  await lead.getByRole('button', { name: '系统管理', exact: true }).click();
  await expect(lead.getByText('只读：仅系统管理员可修改用户与策略。', { exact: false })).toBeVisible();
  await expect(lead.getByRole('button', { name: '保存策略' })).toHaveCount(0);
  await shoot(lead, 'lead-admin-zh.png');
  const policiesZh = lead.getByRole('region', { name: '服务策略', exact: true });
  await expect(policiesZh.getByText('仅系统管理员可修改这些策略。')).toBeVisible();
  await expect(policiesZh.getByRole('row', { name: /^解决时限/ })).toContainText('紧急 90 分钟');
  await expect(policiesZh.getByRole('row', { name: /^首次响应时限/ })).toContainText('在线客服 3 分钟');
  await expect(policiesZh.getByRole('row', { name: /^分配应答时限/ })).toContainText('12 秒');
  await expect(policiesZh.locator('input, select, textarea')).toHaveCount(0);
  await shoot(lead, 'lead-policies-zh.png', policiesZh);
  await lead.getByRole('table').getByRole('button', { name: 'agent2', exact: true }).click();
  const userZh = lead.getByRole('region', { name: '用户 张强', exact: true });
  await expect(userZh.getByText('仅系统管理员可修改用户。')).toBeVisible();
  await expect(userZh.getByRole('row', { name: /^渠道/ })).toContainText('电话、在线客服、邮件');
  await expect(userZh.getByRole('row', { name: /^分机号/ })).toContainText('8012');
  await expect(userZh.locator('input, select, textarea')).toHaveCount(0);
  await shoot(lead, 'lead-user-zh.png', userZh);
  // The social channel as the admin saved it in the previous test, with its hours per weekday.
  const channelsZh = lead.getByRole('region', { name: '渠道登记', exact: true });
  await expect(channelsZh.getByText('仅系统管理员可修改渠道登记。')).toBeVisible();
  const socialZh = channelsZh.getByRole('region', { name: '社交媒体', exact: true });
  await expect(socialZh.getByRole('row', { name: /^接收新咨询/ })).toContainText('否：已停用');
  await expect(socialZh.getByRole('row', { name: /^负责人/ })).toContainText('李主管');
  await expect(socialZh.getByRole('row', { name: /^预计日均量/ })).toContainText('800');
  await expect(socialZh.getByRole('row', { name: /^客户群体/ })).toContainText('企业客户');
  await expect(socialZh.getByRole('row', { name: /^工作时间/ })).toContainText('周一 09:00-12:00, 13:00-18:00');
  await expect(socialZh.getByRole('row', { name: /^工作时间/ })).toContainText('周六 休息');
  await expect(channelsZh.locator('input, select, textarea')).toHaveCount(0);
  await shoot(lead, 'lead-channels-zh.png', socialZh);

  await admin.getByLabel('语言', { exact: true }).selectOption('en');
  const social = admin.getByRole('form', { name: 'Social', exact: true });
  await expect(social.locator('.admin-channel-state')).toHaveText('Switched off');
  await shoot(admin, 'channels-en.png', social);
  await shoot(admin, 'vip-en.png', admin.getByRole('form', { name: 'Customer VIP tier' }));
  const changes = admin.getByRole('region', { name: 'Recent administrative changes' });
  await expect(changes.getByRole('listitem').filter({ hasText: 'changed a channel · Social' })).toContainText('Owner: — → 李主管');
  await shoot(admin, 'changes-en.png', changes);
  // The detail lines wrap between words, not inside them ("Customer grou|p", "80|12").
  for (const detail of await changes.locator('.admin-change-detail').all()) expect(await wordsBrokenAcrossLines(detail)).toEqual([]);
});
