/**
 * Web chat end to end: the real server process (demo organisation, site `demo`), a real
 * workstation process for agent6 Emily Chen (chat + email, orders), and Chromium playing both sides: a
 * customer on the server's chat page (`/chat/?site=demo`, in Chinese) and the agent on the
 * workstation (in English). Nobody online → the offline form; the agent signs in → the
 * chat opens; the customer's message is routed and accepted; typing shows both ways; the
 * reply arrives live and the agent sees it marked read. Then, in English: the offline form
 * (its address shown to the agent as unverified), a forged identity refused, a visitor
 * sending too fast told to wait (the message goes by itself once allowed), and the widget
 * refused on a site that is not on the allowed origins. Visitors arriving while the agent is full
 * wait in the queue and see their place and the estimated wait.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';
import { replyTakingIfQueued } from './demoApi.js';

const LIVE_MS = 20_000;
/** Messages one visitor may send per 10 s in these tests. */
const VISITOR_MESSAGES = 3;

let server: RunningProcess;
let desk: RunningProcess;
/** The agent's workstation page, kept open (and so connected) across the tests. */
let agent: Page;
/** The first customer's chat page (in Chinese), whose conversation stays open across the tests. */
let customerPage: Page;
/** The first customer's chat ticket, rated at the end. */
let chatTicketId = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-webchat-'));
  // A long offer timeout: the agent accepts by hand on a loaded 2-core machine.
  // A small per-visitor message budget, so the rate-limit test is short.
  server = await startServerProcess({
    dataDir: path.join(root, 'server'),
    demo: true,
    env: { OFFER_TIMEOUT_MS: '60000', RATE_LIMITS: `webchatMessagesPerVisitor=${String(VISITOR_MESSAGES)}/10` },
  });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent6') });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await server?.stop();
});

/** Unix seconds `seconds` from now (a signed identity's exp). */
function expIn(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

/** The demo site's chat page for its user u1001 (张伟), signed with the demo secret as docs/technical/channels.md shows. */
function signedChatLink(exp: number): string {
  const signature = createHmac('sha256', 'demo-chat-secret')
    .update(`u1001\n\n${String(exp)}\n张伟`, 'utf8')
    .digest('hex');
  return `${server.url}/chat/?site=demo&userId=u1001&name=${encodeURIComponent('张伟')}&exp=${String(exp)}&signature=${signature}`;
}

/** The widget lives in a shadow root; Playwright's locators pierce it. */
function widget(page: Page) {
  return page.locator('#omnidesk-chat');
}

test('a customer chats on the web and an agent answers on the workstation', async ({ browser }) => {
  test.setTimeout(120_000);
  const customerContext = await browser.newContext({ locale: 'zh-CN' });
  const agentContext = await browser.newContext({ locale: 'en-US' });
  const customer = await customerContext.newPage();
  customerPage = customer;
  agent = await agentContext.newPage();

  // Nobody is online yet: the widget offers the offline form.
  await customer.goto(`${server.url}/chat/?site=demo`);
  const chat = widget(customer);
  await expect(chat.getByText('暂无客服在线。请留下您的问题，我们会通过邮件回复您。')).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByLabel('邮箱')).toBeVisible();
  await customer.screenshot({ path: test.info().outputPath('widget-offline-zh.png') });

  // The agent signs in and becomes available: the widget switches to the chat at once.
  await agent.goto(desk.url);
  await agent.getByLabel('Username').fill('agent6');
  await agent.getByLabel('Password').fill('demo');
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await expect(agent.getByLabel('Presence', { exact: true })).toHaveValue('available', { timeout: LIVE_MS });
  const input = chat.getByLabel('消息');
  await expect(input).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByText('客服在线', { exact: true })).toBeVisible();

  await input.fill('你好，我想查询订单');
  await input.press('Enter');
  await expect(chat.getByText('你好，我想查询订单')).toBeVisible();

  // Routed to Emily as a chat offer (after the older queued chat of 何静); accepting opens the ticket with the customer's words.
  const offer = agent.getByRole('alertdialog').filter({ hasText: '你好，我想查询订单' });
  await expect(offer).toBeVisible({ timeout: LIVE_MS });
  await offer.getByRole('button', { name: 'Accept' }).click();
  const pane = agent.locator('section.ticket-pane');
  await expect(pane.locator('.timeline').getByText('你好，我想查询订单')).toBeVisible({ timeout: LIVE_MS });
  chatTicketId = (await pane.getAttribute('aria-label')) ?? '';

  // The customer types: the agent sees it.
  await input.pressSequentially('订单号是 DD2024', { delay: 20 });
  await expect(pane.getByRole('status').filter({ hasText: 'Customer is typing…' })).toBeVisible({ timeout: LIVE_MS });
  await agent.screenshot({ path: test.info().outputPath('agent-typing-en.png') });

  // The agent types: the customer sees it; then the reply arrives live.
  const reply = agent.getByLabel('Reply');
  await reply.pressSequentially('您好，请稍等，', { delay: 20 });
  await expect(chat.getByText('Emily Chen 正在输入…')).toBeVisible({ timeout: LIVE_MS });
  await reply.pressSequentially('我帮您查询。', { delay: 20 });
  await agent.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(chat.getByText('您好，请稍等，我帮您查询。')).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByText('Emily Chen 正在输入…')).toHaveCount(0);
  await customer.screenshot({ path: test.info().outputPath('widget-chat-zh.png') });

  // The customer's widget was on screen, so the agent sees the reply read.
  const sent = pane.locator('.timeline-message.outbound').filter({ hasText: '您好，请稍等，我帮您查询。' });
  await expect(sent.getByText('Read', { exact: true })).toBeVisible({ timeout: LIVE_MS });
  await expect(sent.getByText('Sent', { exact: true })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('agent-read-en.png') });

  // The same pane in Chinese.
  await agent.getByLabel('Language').selectOption('zh-CN');
  await expect(pane.locator('.timeline-message.outbound').filter({ hasText: '您好，请稍等，我帮您查询。' }).getByText('已读', { exact: true })).toBeVisible();
  await input.pressSequentially('3', { delay: 20 });
  await expect(pane.getByRole('status').filter({ hasText: '客户正在输入…' })).toBeVisible({ timeout: LIVE_MS });
  await agent.screenshot({ path: test.info().outputPath('agent-indicators-zh.png') });
});

test('the agent attaches files to the reply (picked, dropped, a pasted screenshot); the visitor sees and downloads them; an oversize file is refused in the agent’s language', async () => {
  test.setTimeout(60_000);
  const pane = agent.locator('section.ticket-pane');
  const fileInput = agent.getByTestId('reply-file-input');
  // The agent's window is in Chinese after the first test: the refusal is said in Chinese, before anything is uploaded.
  await fileInput.setInputFiles({ name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 1) });
  await expect(pane.getByRole('alert').filter({ hasText: 'big.pdf 超过 10.0 MB，未添加。' })).toBeVisible();
  await fileInput.setInputFiles({ name: '发票.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 发票\n', 'utf8') });
  const chip = pane.locator('.file-chip').filter({ hasText: '发票.pdf' });
  await expect(chip).toBeVisible({ timeout: LIVE_MS });
  await expect(chip.getByRole('button', { name: '移除 发票.pdf' })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('composer-attachments-zh.png') });
  await agent.getByLabel('语言').selectOption('en');
  await fileInput.setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await expect(pane.getByRole('alert').filter({ hasText: 'setup.exe cannot be sent' })).toBeVisible();
  // A file dragged from the desktop onto the composer, and a screenshot pasted into the reply box, are attached too.
  // In-page code as text: the e2e project has no DOM types.
  await agent.evaluate(`(() => {
    const form = document.querySelector('section.ticket-pane form.reply-box');
    const files = new DataTransfer();
    files.items.add(new File(['%PDF-1.4 合同'], '合同.pdf', { type: 'application/pdf' }));
    form.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: files }));
    form.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: files }));
  })()`);
  await expect(pane.locator('.file-chip').filter({ hasText: '合同.pdf' })).toBeVisible({ timeout: LIVE_MS });
  await agent.getByLabel('Reply').focus();
  await agent.evaluate(`(() => {
    const clipboard = new DataTransfer();
    clipboard.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], '截图.png', { type: 'image/png' }));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: clipboard }));
  })()`);
  await expect(pane.locator('.file-chip').filter({ hasText: '截图.png' })).toBeVisible({ timeout: LIVE_MS });
  await agent.screenshot({ path: test.info().outputPath('composer-attachments-en.png') });

  await agent.getByLabel('Reply').fill('发票请查收');
  await agent.getByRole('button', { name: 'Send', exact: true }).click();
  const chat = widget(customerPage);
  const link = chat.locator('a.file').filter({ hasText: '发票.pdf' });
  await expect(link).toBeVisible({ timeout: LIVE_MS });
  await customerPage.screenshot({ path: test.info().outputPath('widget-attachment-zh.png') });
  const [download] = await Promise.all([customerPage.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('发票.pdf');
  await expect(chat.locator('a.file').filter({ hasText: '合同.pdf' })).toBeVisible();
  await expect(chat.locator('a.file').filter({ hasText: '截图.png' })).toBeVisible();
  // The agent sees the file on the message in the timeline.
  await expect(pane.locator('.timeline-message.outbound').filter({ hasText: '发票请查收' }).getByText('发票.pdf')).toBeVisible({ timeout: LIVE_MS });
  // Back to Chinese, as the tests after this one expect the agent's window.
  await agent.getByLabel('Language').selectOption('zh-CN');
});

test('visitors who arrive while the agent is full wait in the queue and see their place, in Chinese and English', async ({ browser }) => {
  test.setTimeout(120_000);
  // Emily (chat capacity 2) holds the first customer's chat; the next visitor's chat is offered
  // to her, and whoever comes after that waits: the widget says where they are, not "nobody online".
  async function visitorSays(locale: string, text: string): Promise<Page> {
    const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/chat/?site=demo`);
    const input = widget(page).getByLabel(locale === 'zh-CN' ? '消息' : 'Message', { exact: true });
    await expect(input).toBeVisible({ timeout: LIVE_MS });
    await input.fill(text);
    await input.press('Enter');
    await expect(widget(page).getByText(text)).toBeVisible();
    return page;
  }
  await visitorSays('zh-CN', '请问发票什么时候能开好？');
  const zh = await visitorSays('zh-CN', '我的退款到账了吗？');
  const zhPlace = widget(zh).getByRole('status').filter({ hasText: '正在排队' });
  // An estimate, not the fallback: the first test's chat was taken minutes ago, so the queue has a pace.
  await expect(zhPlace).toHaveText(/^正在排队：您是第 \d+ 位，预计等待约 \d+ 分钟$/, { timeout: LIVE_MS });
  await expect(widget(zh).getByText('客服繁忙，请稍候')).toBeVisible();
  await zh.screenshot({ path: test.info().outputPath('widget-queue-zh.png') });

  const en = await visitorSays('en-US', 'Can I change my delivery address?');
  const enPlace = widget(en).getByRole('status').filter({ hasText: 'in the queue' });
  await expect(enPlace).toHaveText(/^You are number \d+ in the queue · about \d+ min wait$/, {
    timeout: LIVE_MS,
  });
  // Later arrivals wait behind earlier ones.
  const position = (text: string | null) => Number(/\d+/.exec(text ?? '')?.[0]);
  expect(position(await enPlace.textContent())).toBeGreaterThan(position(await zhPlace.textContent()));
  await expect(widget(en).getByText('All agents are busy')).toBeVisible();
  await en.screenshot({ path: test.info().outputPath('widget-queue-en.png') });
});

test('the widget speaks English to an English browser: the offline form when the agent is busy, and a forged identity refused', async ({ browser }) => {
  // Three pages and an email reply: on a loaded machine this takes more than the default minute.
  test.setTimeout(120_000);
  await agent.getByLabel('语言').selectOption('en');
  // The only chat agent goes busy: a new visitor gets the offline form.
  await agent.getByLabel('Presence', { exact: true }).selectOption('busy');
  await expect(agent.getByLabel('Presence', { exact: true })).toHaveValue('busy', { timeout: LIVE_MS });
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${server.url}/chat/?site=demo`);
  const chat = widget(page);
  await expect(chat.getByRole('heading', { name: 'Customer service' })).toBeVisible();
  await expect(chat.getByText('No agent is available right now. Leave your question and we will answer by email.')).toBeVisible({ timeout: LIVE_MS });
  await chat.getByRole('button', { name: 'Send message' }).click();
  await expect(chat.getByRole('alert').filter({ hasText: 'Please fill in your name, email and question.' })).toBeVisible();
  await chat.getByLabel('Name').fill('Olivia Brown');
  await chat.getByLabel('Email').fill('olivia.brown@example.com');
  await chat.getByLabel('Question').fill('Where is my parcel? Order DD20241108155.');
  await page.screenshot({ path: test.info().outputPath('widget-offline-en.png') });
  await chat.getByRole('button', { name: 'Send message' }).click();
  await expect(chat.getByText('Thank you, we received your message and will reply to olivia.brown@example.com.')).toBeVisible({ timeout: LIVE_MS });
  await expect(chat.getByText('Where is my parcel? Order DD20241108155.')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('widget-offline-sent-en.png') });
  // It waits as an email ticket in the busy agent's e-mail queue: summarised above the inbox, listed in the queue view.
  await expect(agent.getByRole('region', { name: 'Queues of your channels' })).toContainText('Email');
  await agent
    .getByRole('group', { name: 'Tickets' })
    .getByRole('button', { name: /^Queue/ })
    .click();
  const waiting = agent.getByRole('list', { name: 'Waiting tickets' }).getByRole('button').filter({ hasText: 'Olivia Brown' });
  await expect(waiting).toBeVisible({ timeout: LIVE_MS });

  // She wrote on the web chat and left an address: the agent may answer either way and picks email.
  await waiting.click();
  const pane = agent.locator('section.ticket-pane');
  const via = pane.getByLabel('Reply via');
  await expect(via.locator('option')).toHaveText(['via Web chat (as the customer wrote)', 'via Email']);
  await via.selectOption('email');
  await pane.getByLabel('Reply', { exact: true }).fill('Your parcel left our warehouse today; the tracking number follows by email.');
  await pane.getByRole('button', { name: 'Send', exact: true }).click();
  // Opened from the queue, the ticket is nobody's yet: the reply asks first and takes it.
  await replyTakingIfQueued(agent, 'Your parcel left our warehouse today');
  await expect(pane.locator('.timeline').getByLabel('Goes out by Email')).toBeVisible({ timeout: LIVE_MS });
  // She typed that address; nothing proved it is hers.
  await expect(agent.locator('.customer-panel .customer-fields').getByText('Unverified', { exact: true })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('agent-reply-via-en.png') });

  const forged = await context.newPage();
  await forged.goto(`${server.url}/chat/?site=demo&userId=u1001&name=${encodeURIComponent('张伟')}&exp=${String(expIn(300))}&signature=${'0'.repeat(64)}`);
  await expect(widget(forged).getByRole('alert').filter({ hasText: 'We could not verify your identity' })).toBeVisible({ timeout: LIVE_MS });
  await forged.screenshot({ path: test.info().outputPath('widget-refused-en.png') });

  // A link the demo site signed for its user: valid for minutes, as a site's backend signs one for each page it serves.
  const signedIn = await context.newPage();
  await signedIn.goto(signedChatLink(expIn(300)));
  await expect(widget(signedIn).getByText('Signed in as 张伟')).toBeVisible({ timeout: LIVE_MS });
  await signedIn.close();
  // The same kind of link once its exp has passed (kept, shared or planted in someone else's browser) opens nothing.
  for (const lang of ['en', 'zh-CN']) {
    const replayed = await context.newPage();
    await replayed.goto(`${signedChatLink(expIn(-60))}&lang=${lang}`);
    const text = lang === 'en' ? 'Your sign-in for this chat has expired' : '登录凭证已过期';
    await expect(widget(replayed).getByRole('alert').filter({ hasText: text })).toBeVisible({ timeout: LIVE_MS });
    await replayed.screenshot({ path: test.info().outputPath(`widget-identity-expired-${lang}.png`) });
    await replayed.close();
  }
});

test('a visitor sending too fast is told to wait and the message goes once allowed; a page on another site cannot open the chat', async ({ browser }) => {
  test.setTimeout(120_000);
  // The first customer is still in their open conversation (in Chinese) and sends a burst.
  const chat = widget(customerPage);
  const input = chat.getByLabel('消息');
  await expect(input).toBeVisible({ timeout: LIVE_MS });
  for (let i = 1; i <= VISITOR_MESSAGES + 1; i++) {
    await input.fill(`补充信息 ${String(i)}：订单 DD20241108155`);
    await input.press('Enter');
    await expect(chat.getByText(`补充信息 ${String(i)}：订单 DD20241108155`)).toBeVisible();
  }
  const limited = chat.locator('li.msg').filter({ hasText: `补充信息 ${String(VISITOR_MESSAGES + 1)}：` });
  await expect(limited).toContainText(/发送太频繁，\d+ 秒后自动重发/, { timeout: LIVE_MS });
  await customerPage.screenshot({ path: test.info().outputPath('widget-rate-limited-zh.png') });
  // Once the window has passed, the widget sends it by itself (under the same id: nothing doubles).
  await expect(limited.locator('.warn')).toHaveCount(0, { timeout: 30_000 });
  await expect(limited).not.toContainText('发送中…', { timeout: LIVE_MS });
  await expect(chat.getByText(`补充信息 ${String(VISITOR_MESSAGES + 1)}：订单 DD20241108155`)).toHaveCount(1);

  // A shop page (another origin: its own port) that is not on the demo site's allowed origins embeds the widget: refused, and said so.
  const shopServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en"><body><h1>Example shop</h1><script src="${server.url}/chat/widget.js" data-site="demo" data-mode="page"></script></body></html>`,
    );
  });
  await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
  const context = await browser.newContext({ locale: 'en-US' });
  const shop = await context.newPage();
  try {
    await shop.goto(`http://127.0.0.1:${String((shopServer.address() as AddressInfo).port)}/`);
    await expect(widget(shop).getByRole('alert').filter({ hasText: 'This page is not allowed to open this chat' })).toBeVisible({ timeout: LIVE_MS });
  } finally {
    shopServer.close();
  }
  await shop.screenshot({ path: test.info().outputPath('widget-origin-refused-en.png') });
});

test('the agent completes the chat, the customer rates it in the widget card, and the agent sees the score on the ticket and in the customer panel', async () => {
  test.setTimeout(120_000);
  const chat = widget(customerPage);
  const pane = agent.locator('section.ticket-pane');
  // Back to the first customer's chat (the agent is on another ticket now, in English), from the agent's own tickets.
  await agent
    .getByRole('group', { name: 'Tickets' })
    .getByRole('button', { name: /^My tickets/ })
    .click();
  await agent.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: chatTicketId }).click({ timeout: LIVE_MS });
  await expect(agent.getByRole('region', { name: chatTicketId })).toBeVisible();
  await agent.getByLabel('Status').selectOption('completed');
  const prompt = agent.getByRole('dialog', { name: `Complete ${chatTicketId}` });
  await prompt.getByLabel('Result').fill('已告知订单物流信息。');
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(agent.getByLabel('Status')).toHaveValue('completed');

  // The survey invitation reaches the widget live as a rating card (满意度回访).
  const card = chat.locator('[data-csat="card"]');
  await expect(card.getByRole('heading', { name: '请为本次服务评分' })).toBeVisible({ timeout: LIVE_MS });
  await customerPage.screenshot({ path: test.info().outputPath('widget-csat-card-zh.png') });

  // The same visitor in an English page (same browser, so the same visitor id): the card again, in English.
  const english = await customerPage.context().newPage();
  await english.goto(`${server.url}/chat/?site=demo&lang=en`);
  await expect(widget(english).locator('[data-csat="card"]').getByRole('heading', { name: 'Please rate our service' })).toBeVisible({ timeout: LIVE_MS });
  await english.screenshot({ path: test.info().outputPath('widget-csat-card-en.png') });
  await english.close();

  // Submitting without every rating is refused in the card; then 5 4 5 4 with a comment holding markup (shown as text).
  await card.getByRole('button', { name: '提交评价' }).click();
  await expect(card.getByText('请为每一项选择 1 到 5 分。')).toBeVisible();
  for (const [dimension, score] of [
    ['attitude', '5'],
    ['speed', '4'],
    ['resolution', '5'],
    ['professionalism', '4'],
  ] as const) {
    await card.locator(`button[data-dimension="${dimension}"]`).filter({ hasText: score }).click();
  }
  await card.getByLabel('其他意见（选填）').fill('<b>回复很快</b>，谢谢');
  await card.getByRole('button', { name: '提交评价' }).click();
  await expect(card.getByRole('status')).toContainText(/感谢您的评价！反馈编号 FK\d{11}/, { timeout: LIVE_MS });
  await customerPage.screenshot({ path: test.info().outputPath('widget-csat-thanks-zh.png') });

  // The agent sees the score on the ticket, the comment as text.
  await expect(pane.getByText(/CSAT FK\d{11}: 4\.50 \/ 5/)).toBeVisible({ timeout: LIVE_MS });
  await expect(pane.locator('.entry-text').getByText(/<b>回复很快<\/b>，谢谢/)).toBeVisible();
  // And in the customer panel's history (issue 11): the ticket's score, the four ratings, the comment as text.
  const answer = agent.getByRole('group', { name: `Satisfaction with ${chatTicketId}` });
  await expect(answer).toContainText('Satisfaction 4.50 / 5', { timeout: LIVE_MS });
  await expect(answer.locator('li[data-dimension]')).toHaveText(['Attitude 5', 'Speed 4', 'Resolution 5', 'Professionalism 4']);
  await expect(answer.getByText('<b>回复很快</b>，谢谢')).toBeVisible();
  await answer.scrollIntoViewIfNeeded();
  await agent.screenshot({ path: test.info().outputPath('agent-csat-score-en.png') });
  await agent.getByLabel('Language').selectOption('zh-CN');
  await expect(agent.getByRole('group', { name: `${chatTicketId} 的满意度回访` })).toContainText('满意度 4.50 / 5');
  await agent.screenshot({ path: test.info().outputPath('agent-csat-score-zh.png') });
});
