/**
 * The customer's whole history and collision, end to end: the real server process (demo
 * organisation), two real workstation processes (agent1 in Chinese, lead1 in English) and
 * Chromium. 张伟's phone ticket is agent1's; his chat ticket is agent2's: agent1's panel shows
 * it read-only with its messages. On an email ticket of agent1's, the lead opening it shows
 * "李主管 正在查看" on agent1's screen and typing shows too; the lead's reply arriving while
 * agent1 writes makes agent1's send ask first ("ticket changed — send anyway?"), answered
 * from the keyboard. Then the same pages switch language (agent1 to English, the lead to
 * Chinese) and the same collision is read the other way round. The history's entry for the open
 * ticket counts and lists the replies as they land, and in English as in Chinese each entry's
 * time is on its id's line. Screenshots at 1280x800 in Chinese and English.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { openQueued, postDemoInbound, reassignAsLead } from './demoApi.js';
import { fitsItsBox, openDesk, type Locale } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;
let agent: Page;
let lead: Page;

test.describe.configure({ mode: 'serial' });

function inboxRow(page: Page, ticketId: string) {
  return page.locator(`[role="option"][data-ticket-id="${ticketId}"]`);
}

/** The lead's inbox holds every ticket: found by its id through the search box. */
async function leadOpens(ticketId: string): Promise<void> {
  await lead.getByPlaceholder(/^Ticket ID, customer, subject/).fill(ticketId);
  await expect(inboxRow(lead, ticketId)).toBeVisible({ timeout: 20_000 });
  await inboxRow(lead, ticketId).click();
  await expect(lead.getByRole('region', { name: ticketId })).toBeVisible();
}

/** What collision says on screen, in each language (i18nHistory.ts, i18nActions.ts). */
function collisionWords(locale: Locale) {
  return locale === 'en-US'
    ? {
        viewing: (name: string) => `${name} viewing`,
        typing: (name: string) => `${name} typing a reply`,
        changedTitle: 'Ticket changed — send anyway?',
        oneNewMessage: '1 new message arrived',
        review: 'Read them first',
        sendAnyway: 'Send anyway',
        notYoursTitle: 'This ticket is not yours',
        replyAnyway: 'Reply anyway',
        language: 'Language',
        signOut: 'Sign out',
      }
    : {
        viewing: (name: string) => `${name} 正在查看`,
        typing: (name: string) => `${name} 正在输入回复`,
        changedTitle: '客户有新消息 / 工单已变化 — 仍要发送？',
        oneNewMessage: '新到 1 条消息',
        review: '先看新消息',
        sendAnyway: '仍然发送',
        notYoursTitle: '这不是您的工单',
        replyAnyway: '仍然回复',
        language: '语言',
        signOut: '退出',
      };
}

/** Whether a customer history entry's time is on its first line, beside the ticket id (its box starts above the id's bottom). */
async function timeBesideId(entry: Locator): Promise<boolean> {
  const id = (await entry.locator('.ticket-id').boundingBox())!;
  const time = (await entry.locator('.history-time').boundingBox())!;
  return time.y < id.y + id.height;
}

/** The lead replies on agent1's ticket: asked first (it is not theirs), the reply leaves with "Reply anyway" and the ticket stays agent1's. */
async function leadRepliesOnAgentsTicket(locale: Locale, text: string): Promise<void> {
  const words = collisionWords(locale);
  const leadReply = lead.locator('textarea[data-shortcut="reply"]');
  await leadReply.fill(text);
  await leadReply.press('Control+Enter');
  await lead.getByRole('dialog', { name: words.notYoursTitle }).getByRole('button', { name: words.replyAnyway }).click();
  await expect(agent.locator('.timeline')).toContainText(text, { timeout: 20_000 });
}

/**
 * agent1 sends the reply they started before the lead's landed: asked first, the question says
 * one new message arrived, "read them first" has the focus, and Tab, Enter send anyway.
 */
async function agentSendsOnChangedTicket(locale: Locale, text: string, screenshot: string): Promise<void> {
  const words = collisionWords(locale);
  const reply = agent.locator('textarea[data-shortcut="reply"]');
  await reply.focus();
  await agent.keyboard.press('Control+Enter');
  const warning = agent.getByRole('dialog', { name: words.changedTitle });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(words.oneNewMessage);
  await expect(warning.getByRole('button', { name: words.review })).toBeFocused();
  await agent.screenshot({ path: test.info().outputPath(screenshot) });
  await agent.keyboard.press('Tab');
  await expect(warning.getByRole('button', { name: words.sendAnyway })).toBeFocused();
  await agent.keyboard.press('Enter');
  await expect(warning).toHaveCount(0);
  await expect(reply).toHaveValue('');
  await expect(agent.locator('.timeline')).toContainText(text);
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startDemoStack('history');
  // agent1 in Chinese, Away so the demo's queued contacts are not offered while they work; the lead in English.
  agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

test('the customer panel shows his ticket on another channel, held by another agent, read-only with its messages', async () => {
  test.setTimeout(90_000);
  await agent.getByRole('option').filter({ hasText: '订单物流查询延迟' }).click();
  const history = agent.locator('.customer-history');
  await expect(history.getByRole('heading', { name: '全渠道历史' })).toBeVisible();
  const chat = history.locator('.history-entry').filter({ hasText: '更改收货地址' });
  await expect(chat).toBeVisible({ timeout: 20_000 });
  await expect(chat).toContainText('只读');
  await expect(chat).toContainText('在线客服');
  await expect(chat.locator('.history-open')).toHaveCount(0);
  await expect(history.locator('.history-current')).toContainText('当前工单');
  await expect(history).toContainText(/已显示 \d+ \/ 共 \d+ 个工单/);
  // Opened from the keyboard: its messages show.
  await chat.locator('summary').focus();
  await agent.keyboard.press('Enter');
  await expect(chat).toContainText('改到公司');
  await agent.screenshot({ path: test.info().outputPath('history-panel-zh-CN.png') });

  // The lead sees the same history in English, every ticket openable.
  const ticketId = (await agent.locator('.ticket-pane').getAttribute('aria-label'))!;
  await leadOpens(ticketId);
  const leadHistory = lead.locator('.customer-history');
  await expect(leadHistory.getByRole('heading', { name: 'History on every channel' })).toBeVisible();
  await expect(leadHistory.locator('.history-entry').filter({ hasText: '更改收货地址' }).locator('button.history-open')).toBeVisible({
    timeout: 20_000,
  });
  await lead.screenshot({ path: test.info().outputPath('history-panel-en.png') });
});

test("the same read-only history in English on the agent's screen", async () => {
  test.setTimeout(30_000);
  // The ticket of the test before, 张伟's phone ticket, with his chat ticket (agent2's) opened in the panel.
  await agent.getByLabel('语言').selectOption('en');
  const history = agent.locator('.customer-history');
  await expect(history.getByRole('heading', { name: 'History on every channel' })).toBeVisible();
  const chat = history.locator('.history-entry').filter({ hasText: '更改收货地址' });
  await expect(chat).toContainText('Read-only');
  await expect(chat).toContainText('Chat');
  await expect(chat).toContainText('改到公司');
  await expect(chat.locator('.history-open')).toHaveCount(0);
  await expect(history.locator('.history-current')).toContainText('This ticket');
  await expect(history).toContainText(/\d+ of \d+ tickets?/);
  // A new user reads English only: no Chinese interface words left in the panel's own labels.
  await expect(history.locator('.history-current')).not.toContainText('当前工单');
  await expect(chat).not.toContainText('只读');
  // Laid out as in Chinese: the time on the id's line, not on a line of its own under the longer English status.
  expect(await timeBesideId(chat)).toBe(true);
  expect(await timeBesideId(history.locator('.history-current'))).toBe(true);
  await agent.screenshot({ path: test.info().outputPath('history-panel-agent-en.png') });
  // The open ticket's entry follows its status as it changes, not the status it had when the page was fetched.
  const status = agent.getByLabel('Status', { exact: true });
  await status.selectOption('awaiting_customer');
  await expect(history.locator('.history-current .status-label')).toHaveText('Awaiting customer');
  // The longest English status wraps inside its own label; the time stays beside the id.
  expect(await timeBesideId(history.locator('.history-current'))).toBe(true);
  await status.selectOption('in_progress');
  await expect(history.locator('.history-current .status-label')).toHaveText('In progress');
  await agent.getByLabel('Language').selectOption('zh-CN');
  await expect(history.getByRole('heading', { name: '全渠道历史' })).toBeVisible();
});

test('a second person viewing and typing on the ticket shows live, and a reply on a changed ticket asks first', async () => {
  test.setTimeout(120_000);
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    customer: { name: '冯磊', email: 'fenglei.history@example.cn' },
    subject: '退款进度',
    text: '上周申请的退款什么时候到账？',
  });
  await reassignAsLead(stack.server.url, [ticketId], 'agent1');
  await expect(inboxRow(agent, ticketId)).toBeVisible({ timeout: 20_000 });
  await inboxRow(agent, ticketId).click();
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();
  const reply = agent.locator('textarea[data-shortcut="reply"]');
  await reply.fill('您好，退款已提交，');

  const chinese = collisionWords('zh-CN');
  const english = collisionWords('en-US');
  await leadOpens(ticketId);
  await expect(agent.locator('.collision-bar')).toContainText(chinese.viewing('李主管'), { timeout: 20_000 });
  await expect(lead.locator('.collision-bar')).toContainText(/typing a reply|viewing/);
  // agent1 types on: the lead reads it in English.
  await reply.press('End');
  await reply.pressSequentially('请');
  await expect(lead.locator('.collision-bar')).toContainText(english.typing('王芳'), { timeout: 20_000 });
  await reply.press('Backspace');

  const leadReply = lead.locator('textarea[data-shortcut="reply"]');
  await leadReply.fill('冯先生您好，');
  await expect(agent.locator('.collision-bar')).toContainText(chinese.typing('李主管'), { timeout: 20_000 });
  await agent.screenshot({ path: test.info().outputPath('collision-typing-zh-CN.png') });
  await lead.screenshot({ path: test.info().outputPath('collision-viewing-en.png') });
  // The lead reads the address the customer wrote from in clear beside its label, not under it (they overlapped at 1280x800).
  const identity = lead.locator('.customer-identities li').filter({ hasText: 'fenglei.history@example.cn' });
  await expect(identity.locator('.identity-kind')).toHaveText('Email via API demo');
  // Squeezed, the label's box shrank and its text ran on under the value: the text must fit its own box.
  expect(await fitsItsBox(identity.locator('.identity-kind'))).toBe(true);

  // The lead's reply lands while agent1 is still writing theirs.
  await leadRepliesOnAgentsTicket('en-US', '冯先生您好，退款将在三个工作日内到账。');
  await agentSendsOnChangedTicket('zh-CN', '您好，退款已提交，', 'collision-warning-zh-CN.png');
  // The history was fetched when the ticket opened (the customer's one message): its entry for the open ticket counts
  // the lead's reply and this one as they land, and lists them.
  const current = agent.locator('.customer-history .history-current');
  await expect(current.locator('summary')).toHaveText('消息（3 / 3）');
  await current.locator('summary').click();
  await expect(current.locator('.history-message').last()).toContainText('您好，退款已提交，');
});

test('collision in the other languages: agent1 reads it in English, the lead in Chinese', async () => {
  test.setTimeout(60_000);
  // The ticket of the test before, both still on it: each page switches its language, nothing is set up again.
  const ticketId = (await agent.locator('.ticket-pane').getAttribute('aria-label'))!;
  await expect(lead.getByRole('region', { name: ticketId })).toBeVisible();
  const english = collisionWords('en-US');
  const chinese = collisionWords('zh-CN');
  await agent.getByLabel(chinese.language, { exact: true }).selectOption('en');
  await lead.getByLabel(english.language, { exact: true }).selectOption('zh-CN');
  await expect(agent.locator('.collision-bar')).toHaveText(english.viewing('李主管'), { timeout: 20_000 });
  await expect(lead.locator('.collision-bar')).toHaveText(chinese.viewing('王芳'));

  const reply = agent.locator('textarea[data-shortcut="reply"]');
  await reply.fill('The refund is on its way.');
  await expect(lead.locator('.collision-bar')).toHaveText(chinese.typing('王芳'), { timeout: 20_000 });
  await lead.locator('textarea[data-shortcut="reply"]').fill('冯先生，');
  await expect(agent.locator('.collision-bar')).toHaveText(english.typing('李主管'), { timeout: 20_000 });
  await agent.screenshot({ path: test.info().outputPath('collision-typing-en.png') });
  await lead.screenshot({ path: test.info().outputPath('collision-typing-lead-zh-CN.png') });

  await leadRepliesOnAgentsTicket('zh-CN', '冯先生，款项已原路退回。');
  await agentSendsOnChangedTicket('en-US', 'The refund is on its way.', 'collision-warning-en.png');
  await expect(agent.locator('.customer-history .history-current summary')).toHaveText('Messages (5 of 5)');

  // The lead signing out (their workstation's socket goes) takes them off agent1's screen.
  await lead.getByRole('button', { name: chinese.signOut, exact: true }).click();
  await expect(agent.locator('.collision-bar')).toHaveCount(0, { timeout: 20_000 });
  await agent.getByLabel(english.language, { exact: true }).selectOption('zh-CN');
});

test('a queued ticket of a new customer opened from the queue view: the history comes with the ticket, never an error', async () => {
  test.setTimeout(90_000);
  // agent1 is Away: the chat waits in the queue, where agent1 opens it without holding it.
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'chat',
    customer: { name: '韩雪', phone: '+86 136 5555 0101' },
    text: '你好，我想问一下会员怎么续费？',
  });
  await openQueued(agent, ticketId);
  const history = agent.locator('.customer-history');
  await expect(history.locator('.history-not-yours')).toHaveText('接手此工单后即可查看该客户的全渠道历史。本机上该客户的工单：');
  await expect(history).toContainText('没有其他工单。');
  await expect(history).not.toContainText('历史加载失败');
  await agent.screenshot({ path: test.info().outputPath('history-not-yours-zh-CN.png') });
  await agent.getByLabel('语言').selectOption('en');
  await expect(history.locator('.history-not-yours')).toHaveText(
    'This customer’s history on every channel shows once you take this ticket. Tickets of theirs on this workstation:',
  );
  await expect(history).toContainText('No other tickets.');
  await agent.screenshot({ path: test.info().outputPath('history-not-yours-en.png') });
  await agent.getByLabel('Language').selectOption('zh-CN');

  // Taken (领取, the T key): the history loads by itself, this ticket in it.
  await agent.locator('body').press('t');
  await expect(history.locator('.history-current')).toContainText('当前工单', { timeout: 20_000 });
  await expect(history).toContainText('已显示 1 / 共 1 个工单');
  await expect(history.locator('.history-not-yours')).toHaveCount(0);
});
