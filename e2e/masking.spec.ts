/**
 * Personal data masking end to end: the real server process (demo organisation), one
 * workstation process for agent1 (王芳) and one for the lead (李主管), Chromium windows in
 * English and Chinese. A customer writes his phone, e-mail, ID card and bank card; the agent
 * sees them masked in the ticket pane and the customer panel, reveals the phone and the
 * message with one click each (only in the window that asked); the lead sees everything
 * clear and reads who viewed what. Screenshots at 1280x800.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { openFromInboxOrQueue, postDemoInbound } from './demoApi.js';
import { openDesk, type Locale } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack, type RunningProcess } from './stack.js';

let stack: DemoStack;
let ticketId: string;

const PHONE = '13712349876';
const EMAIL = 'sun.yue@example.cn';
const ID_CARD = '110101199003077777';
const TEXT = `我的身份证${ID_CARD}，手机${PHONE}，请把退款打到卡号6222 0212 3456 7890 123。`;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('masking');
  ticketId = (
    await postDemoInbound(stack.server.url, {
      channel: 'email',
      customer: { name: '孙悦', phone: `+86 ${PHONE}`, email: EMAIL },
      subject: `退款请回电 ${PHONE}`,
      text: TEXT,
    })
  ).ticketId;
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/** A window on a desk, signed in as `username` (an agent set Away so no offer covers the pane), showing the ticket. */
async function openWindow(browser: Browser, desk: RunningProcess, username: string, locale: Locale): Promise<Page> {
  const page = await openDesk(browser, desk.url, username, locale);
  // An Away agent is routed nothing: the ticket waits in their queue (a lead has it in the inbox).
  await openFromInboxOrQueue(page, ticketId);
  return page;
}

test('the agent sees the customer masked and reveals the phone and the message with one click each', async ({ browser }) => {
  const page = await openWindow(browser, stack.agentDesk, 'agent1', 'en-US');
  const pane = page.getByRole('region', { name: ticketId });
  const panel = page.locator('.customer-panel');
  await expect(pane.locator('.ticket-subject')).toHaveText('退款请回电 137****9876');
  await expect(panel).toContainText('+86 137 **** 9876');
  await expect(panel).toContainText('s***@example.cn');
  const message = pane.locator('.timeline-message.inbound').first();
  await expect(message).toContainText('身份证110***********7777');
  await expect(message).toContainText('手机137****9876');
  await expect(message).toContainText('卡号**** **** **** ***0 123');
  await expect(pane).not.toContainText(PHONE);
  await page.screenshot({ path: test.info().outputPath('agent-masked-en.png') });

  await panel.getByRole('button', { name: 'Show the phone number in full (your viewing is recorded)' }).click();
  await expect(panel).toContainText(`+86 ${PHONE.slice(0, 3)} ${PHONE.slice(3, 7)} ${PHONE.slice(7)}`);
  await message.getByRole('button', { name: 'Show a message in full (your viewing is recorded)' }).click();
  await expect(message).toContainText(TEXT);
  await expect(message.locator('.revealed-value')).toHaveAttribute('title', 'Shown in full; your viewing was recorded');
  // The e-mail address was not asked for: it stays masked.
  await expect(panel).toContainText('s***@example.cn');
  await page.screenshot({ path: test.info().outputPath('agent-revealed-en.png') });
});

test('another window of the same agent, in Chinese, shows everything masked until asked', async ({ browser }) => {
  const page = await openWindow(browser, stack.agentDesk, 'agent1', 'zh-CN');
  const panel = page.locator('.customer-panel');
  await expect(panel).toContainText('+86 137 **** 9876');
  await expect(page.locator('.timeline')).not.toContainText(PHONE);
  await expect(panel.getByRole('button', { name: '显示完整的邮箱地址（查看将被记录）' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('agent-masked-zh.png') });
  await panel.getByRole('button', { name: '显示完整的邮箱地址（查看将被记录）' }).click();
  await expect(panel).toContainText(EMAIL);
  await page.screenshot({ path: test.info().outputPath('agent-revealed-zh.png') });
});

test('the lead sees the customer clear, with no Show controls, and who viewed what', async ({ browser }) => {
  test.setTimeout(120_000);
  const en = await openWindow(browser, stack.leadDesk, 'lead1', 'en-US');
  const panel = en.locator('.customer-panel');
  await expect(panel).toContainText(`+86 ${PHONE.slice(0, 3)} ${PHONE.slice(3, 7)} ${PHONE.slice(7)}`);
  await expect(panel).toContainText(EMAIL);
  await expect(en.locator('.timeline')).toContainText(TEXT);
  await expect(en.locator('.reveal-button')).toHaveCount(0);
  const audit = en.getByRole('region', { name: 'Personal data viewed' });
  await expect(audit.getByRole('listitem')).toHaveText([
    /王芳 \(agent\) viewed the email address/,
    /王芳 \(agent\) viewed a message/,
    /王芳 \(agent\) viewed the phone number/,
  ]);
  await en.screenshot({ path: test.info().outputPath('lead-audit-en.png') });

  const zh = await openWindow(browser, stack.leadDesk, 'lead1', 'zh-CN');
  const zhAudit = zh.getByRole('region', { name: '个人信息查看记录' });
  await expect(zhAudit.getByRole('listitem').last()).toContainText('王芳（坐席）查看了电话号码');
  await zh.screenshot({ path: test.info().outputPath('lead-audit-zh.png') });
});
