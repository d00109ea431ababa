/**
 * The ticket's own fields and Transfer (转办) as agents use them: the real server (demo
 * organisation), one real workstation process per agent, Chromium on the real renderer.
 * 王芳 sets the type, sub-category, tags and result of a mail, transfers it to Emily Chen
 * with a hand-over note (the dialog lists who can take it and why not for the others);
 * Emily sees the note first, above the conversation, is asked for the result when completing,
 * and completes it. The whole flow runs twice, in English and in Chinese, each typed and
 * checked in its language, with screenshots of the pane and the dialogs.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postDemoInbound, reassignAsLead } from './demoApi.js';
import { fillSignIn, signInWords, type Locale } from './desk.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

let server: RunningProcess;
const desks = new Map<string, RunningProcess>();

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-fields-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  // agent1 王芳 (every channel) and agent6 Emily Chen (chat, email), both of the orders group.
  for (const username of ['agent1', 'agent6']) {
    desks.set(username, await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, username) }));
  }
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  for (const desk of desks.values()) await desk.stop();
  await server?.stop();
});

/** Each run's words (as the UI shows them in its language) and its own customer, so each mail opens its own ticket. */
const RUNS = [
  {
    locale: 'en-US' as Locale,
    customer: { name: '孙丽', email: 'sun.li@example.cn' },
    online: 'Online',
    tickets: 'Tickets',
    details: 'Ticket details',
    type: 'Type',
    subCategory: 'Sub-category',
    tags: 'Tags',
    saveDetails: 'Save details',
    afterSales: 'After-sales',
    transferTitle: (ticketId: string) => `Transfer ${ticketId}`,
    colleague: 'A colleague',
    cannotTake: /cannot take it: (they do not serve this channel|they are offline)/,
    transfer: 'Transfer',
    noteMissing: 'Write a handover note.',
    noteLabel: 'Handover note (required)',
    transferred: (ticketId: string) => `${ticketId} was transferred to Emily Chen`,
    handoverFrom: 'Handover note from 王芳',
    toEmily: 'Transferred to Emily Chen',
    historyEntry: 'Transferred to Emily Chen by 王芳: “客户已寄回商品并签收',
    status: 'Status',
    completeTitle: (ticketId: string) => `Complete ${ticketId}`,
    complete: 'Complete',
    resultMissing: 'Write the result first.',
    result: 'Result',
    pendingSync: 'Pending sync',
  },
  {
    locale: 'zh-CN' as Locale,
    customer: { name: '钱伟', email: 'qian.wei@example.cn' },
    online: '在线',
    tickets: '工单',
    details: '工单信息',
    type: '类型',
    subCategory: '子类',
    tags: '标签',
    saveDetails: '保存信息',
    afterSales: '售后',
    transferTitle: (ticketId: string) => `转办 ${ticketId}`,
    colleague: '同事',
    cannotTake: /无法接收：(对方不负责此渠道|对方离线)/,
    transfer: '转办',
    noteMissing: '请填写转办说明。',
    noteLabel: '转办说明（必填）',
    transferred: (ticketId: string) => `工单 ${ticketId} 已转给 Emily Chen`,
    handoverFrom: '王芳 的转办说明',
    toEmily: '已转给 Emily Chen',
    historyEntry: '由王芳转办给 Emily Chen：“客户已寄回商品并签收',
    status: '状态',
    completeTitle: (ticketId: string) => `完成工单 ${ticketId}`,
    complete: '完成',
    resultMissing: '请先填写处理结果。',
    result: '处理结果',
    pendingSync: '待同步',
  },
];
type Run = (typeof RUNS)[number];

/** Signs `username` in on a new page in the run's language; the core keeps its session across page loads, so a later run signs out first. */
async function openDesk(browser: Browser, username: string, run: Run): Promise<Page> {
  const w = signInWords(run.locale);
  const context = await browser.newContext({ locale: run.locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(desks.get(username)!.url);
  const signOut = page.getByRole('button', { name: w.signOut, exact: true });
  await expect(page.getByLabel(w.username).or(signOut)).toBeVisible({ timeout: 20_000 });
  if (await signOut.isVisible()) await signOut.click();
  await fillSignIn(page, username, run.locale);
  await expect(page.getByRole('status').filter({ hasText: run.online })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByLabel(w.presence, { exact: true })).toHaveValue('available', { timeout: 20_000 });
  return page;
}

async function openTicket(page: Page, run: Run, ticketId: string): Promise<void> {
  await page.getByRole('listbox', { name: run.tickets }).getByRole('option').filter({ hasText: ticketId }).click({ timeout: 20_000 });
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();
}

for (const run of RUNS) {
  test(`${run.locale}: an agent sets the type and result, transfers with a note, and the colleague reads it first and completes`, async ({ browser }) => {
    test.setTimeout(120_000);
    // A previous run's pages would be signed out by this one: closed first.
    await closeContexts(browser);
    const wang = await openDesk(browser, 'agent1', run);
    const emily = await openDesk(browser, 'agent6', run);
    const { ticketId } = await postDemoInbound(server.url, {
      channel: 'email',
      customer: run.customer,
      subject: '退货后还没退款',
      text: '上周退回的商品已签收，退款还没到账，麻烦查一下。',
    });
    await reassignAsLead(server.url, [ticketId], 'agent1');
    await openTicket(wang, run, ticketId);

    // The details: type, sub-category, tags and result, saved through the outbox.
    const details = wang.getByRole('form', { name: run.details });
    await details.getByLabel(run.type).selectOption('after_sales');
    await details.getByLabel(run.subCategory).fill('退款');
    await details.getByLabel(run.tags).fill('加急, 退款, 加急');
    await details.getByRole('button', { name: run.saveDetails }).click();
    await expect(details.getByRole('list', { name: run.tags }).getByRole('listitem')).toHaveText(['加急', '退款']);
    await expect(wang.locator('.ticket-meta')).toContainText(run.afterSales);

    // Transfer (key f, forward): the colleagues are listed with why some cannot take it; the note is required.
    await wang.locator('body').click();
    await wang.keyboard.press('f');
    const dialog = wang.getByRole('dialog', { name: run.transferTitle(ticketId) });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel(run.colleague).check();
    const emilyChoice = dialog.getByRole('radio', { name: /Emily Chen/ });
    await expect(emilyChoice).toBeEnabled();
    // 张强 serves phone and chat only, and is not signed in: not pickable, with the reason.
    await expect(dialog.getByRole('listitem').filter({ hasText: '张强' })).toContainText(run.cannotTake);
    await expect(dialog.getByRole('radio', { name: /张强/ })).toBeDisabled();
    await emilyChoice.check();
    await dialog.getByRole('button', { name: run.transfer, exact: true }).click();
    await expect(dialog.getByRole('alert')).toHaveText(run.noteMissing);
    await dialog.getByLabel(run.noteLabel).fill('客户已寄回商品并签收，退款单号 RF2024，需售后确认到账时间。');
    await wang.screenshot({ path: test.info().outputPath(`transfer-dialog-${run.locale}.png`) });
    await dialog.getByRole('button', { name: run.transfer, exact: true }).click();
    await expect(wang.getByRole('status').filter({ hasText: run.transferred(ticketId) })).toBeVisible({ timeout: 20_000 });

    // Emily: the ticket arrives with the note at the top, above the conversation.
    await openTicket(emily, run, ticketId);
    const note = emily.getByRole('complementary', { name: run.handoverFrom });
    await expect(note).toContainText('退款单号 RF2024');
    await expect(note).toContainText(run.toEmily);
    await expect(note).toBeInViewport();
    const noteBox = await note.boundingBox();
    const conversationBox = await emily.getByRole('region', { name: ticketId }).locator('.timeline-scroll').boundingBox();
    expect(noteBox!.y + noteBox!.height).toBeLessThanOrEqual(conversationBox!.y);
    await expect(emily.locator('.ticket-meta')).toContainText('Emily Chen');
    // The routing history keeps the transfer with its note.
    await expect(emily.locator('.history-entry.decision-transferred')).toContainText(run.historyEntry);
    await emily.screenshot({ path: test.info().outputPath(`handover-pane-${run.locale}.png`) });

    // Completing asks for the result first; then the ticket is completed with it.
    await emily.getByLabel(run.status, { exact: true }).selectOption('completed');
    const prompt = emily.getByRole('dialog', { name: run.completeTitle(ticketId) });
    await expect(prompt).toBeVisible();
    await emily.screenshot({ path: test.info().outputPath(`complete-prompt-${run.locale}.png`) });
    await prompt.getByRole('button', { name: run.complete, exact: true }).click();
    await expect(prompt.getByRole('alert')).toHaveText(run.resultMissing);
    await prompt.getByLabel(run.result).fill('已确认退款 3 个工作日内到账，已告知客户。');
    await prompt.getByRole('button', { name: run.complete, exact: true }).click();
    await expect(prompt).toHaveCount(0);
    await expect(emily.getByLabel(run.status, { exact: true })).toHaveValue('completed');
    await expect(emily.getByRole('form', { name: run.details }).getByLabel(run.result)).toHaveValue('已确认退款 3 个工作日内到账，已告知客户。');
    await expect(emily.getByText(run.pendingSync)).toHaveCount(0, { timeout: 20_000 });
    await emily.screenshot({ path: test.info().outputPath(`completed-pane-${run.locale}.png`) });
  });
}
