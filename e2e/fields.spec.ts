/**
 * The ticket's own fields and Transfer (转办) as agents use them: the real server (demo
 * organisation), one real workstation process per agent, Chromium on the real renderer.
 * 王芳 sets the type, sub-category, tags and result of a mail, transfers it to Emily Chen
 * with a hand-over note (the dialog lists who can take it and why not for the others);
 * Emily sees the note first, is asked for the result when completing, and completes it.
 * Screenshots of the pane and the dialogs in English and Chinese.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postDemoInbound, reassignAsLead } from './demoApi.js';
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

async function openDesk(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(desks.get(username)!.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Online' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByLabel('Presence', { exact: true })).toHaveValue('available', { timeout: 20_000 });
  return page;
}

async function openTicket(page: Page, ticketId: string): Promise<void> {
  await page
    .getByRole('listbox', { name: /^(Tickets|工单)$/ })
    .getByRole('option')
    .filter({ hasText: ticketId })
    .click({ timeout: 20_000 });
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();
}

async function setLanguage(page: Page, language: 'en' | 'zh-CN'): Promise<void> {
  await page.getByLabel(/^(Language|语言)$/).selectOption(language);
}

test('an agent sets the type and result, transfers with a note, and the colleague reads it first and completes', async ({ browser }) => {
  test.setTimeout(120_000);
  const wang = await openDesk(browser, 'agent1');
  const emily = await openDesk(browser, 'agent6');
  const { ticketId } = await postDemoInbound(server.url, {
    channel: 'email',
    customer: { name: '孙丽', email: 'sun.li@example.cn' },
    subject: '退货后还没退款',
    text: '上周退回的商品已签收，退款还没到账，麻烦查一下。',
  });
  await reassignAsLead(server.url, [ticketId], 'agent1');
  await openTicket(wang, ticketId);

  // The details: type, sub-category, tags and result, saved through the outbox.
  const details = wang.getByRole('form', { name: 'Ticket details' });
  await details.getByLabel('Type').selectOption('after_sales');
  await details.getByLabel('Sub-category').fill('退款');
  await details.getByLabel('Tags').fill('加急, 退款, 加急');
  await details.getByRole('button', { name: 'Save details' }).click();
  await expect(details.getByRole('list', { name: 'Tags' }).getByRole('listitem')).toHaveText(['加急', '退款']);
  await expect(wang.locator('.ticket-meta')).toContainText('After-sales');

  // Transfer (key f, forward): the colleagues are listed with why some cannot take it; the note is required.
  await wang.locator('body').click();
  await wang.keyboard.press('f');
  const dialog = wang.getByRole('dialog', { name: `Transfer ${ticketId}` });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('A colleague').check();
  const emilyChoice = dialog.getByRole('radio', { name: /Emily Chen/ });
  await expect(emilyChoice).toBeEnabled();
  // 张强 serves phone and chat only, and is not signed in: not pickable, with the reason.
  await expect(dialog.getByRole('listitem').filter({ hasText: '张强' })).toContainText(/cannot take it: (they do not serve this channel|they are offline)/);
  await expect(dialog.getByRole('radio', { name: /张强/ })).toBeDisabled();
  await emilyChoice.check();
  await dialog.getByRole('button', { name: 'Transfer', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Write a handover note.');
  await dialog.getByLabel('Handover note (required)').fill('客户已寄回商品并签收，退款单号 RF2024，需售后确认到账时间。');
  await setLanguageScreens(wang, dialog, 'transfer-dialog');
  await wang
    .getByRole('dialog', { name: `转办 ${ticketId}` })
    .getByRole('button', { name: '转办', exact: true })
    .click();
  await expect(wang.getByRole('status').filter({ hasText: `工单 ${ticketId} 已转给Emily Chen` })).toBeVisible({ timeout: 20_000 });
  await setLanguage(wang, 'en');
  await expect(wang.getByRole('status').filter({ hasText: `${ticketId} was transferred to Emily Chen` })).toBeVisible();

  // Emily: the ticket arrives with the note at the top.
  await openTicket(emily, ticketId);
  const note = emily.getByRole('complementary', { name: 'Handover note from 王芳' });
  await expect(note).toContainText('退款单号 RF2024');
  await expect(note).toContainText('Transferred to Emily Chen');
  await expect(emily.locator('.ticket-meta')).toContainText('Emily Chen');
  // The routing history keeps the transfer with its note.
  await expect(emily.locator('.history-entry.decision-transferred')).toContainText('Transferred to Emily Chen by 王芳: “客户已寄回商品并签收');
  await emily.screenshot({ path: test.info().outputPath('handover-pane-en.png') });
  await setLanguage(emily, 'zh-CN');
  await expect(emily.getByRole('complementary', { name: '王芳 的转办说明' })).toBeVisible();
  await emily.screenshot({ path: test.info().outputPath('handover-pane-zh.png') });
  await setLanguage(emily, 'en');

  // Completing asks for the result first; then the ticket is completed with it.
  await emily.getByLabel('Status').selectOption('completed');
  const prompt = emily.getByRole('dialog', { name: `Complete ${ticketId}` });
  await expect(prompt).toBeVisible();
  await emily.screenshot({ path: test.info().outputPath('complete-prompt-en.png') });
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(prompt.getByRole('alert')).toHaveText('Write the result first.');
  await prompt.getByLabel('Result').fill('已确认退款 3 个工作日内到账，已告知客户。');
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(emily.getByLabel('Status')).toHaveValue('completed');
  await expect(emily.getByRole('form', { name: 'Ticket details' }).getByLabel('Result')).toHaveValue('已确认退款 3 个工作日内到账，已告知客户。');
  await expect(emily.getByText('Pending sync')).toHaveCount(0, { timeout: 20_000 });
  await setLanguage(emily, 'zh-CN');
  await emily.screenshot({ path: test.info().outputPath('completed-pane-zh.png') });
});

/** The open dialog in both languages (the language select sits outside it, so it is switched by the store's own control). */
async function setLanguageScreens(page: Page, dialog: ReturnType<Page['getByRole']>, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}-en.png`) });
  // The dialog is modal: close it, switch, open again with the same choices.
  const note = await dialog.getByLabel('Handover note (required)').inputValue();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await setLanguage(page, 'zh-CN');
  await page.getByRole('button', { name: '转办…' }).click();
  const zh = page.getByRole('dialog', { name: /^转办 / });
  await zh.getByLabel('同事').check();
  await zh.getByRole('radio', { name: /Emily Chen/ }).check();
  await zh.getByLabel('转办说明（必填）').fill(note);
  await page.screenshot({ path: test.info().outputPath(`${name}-zh.png`) });
  await page.screenshot({ path: test.info().outputPath('ticket-pane-zh.png') });
}
