/**
 * The agent's one-step actions end to end, in Chinese and in English: the real demo server
 * process, agent1's real workstation process and Chromium on the built renderer. 王芳 takes a
 * queued mail with the Take (领取) button; replying on another queued mail asks first ("not
 * yours"), cancel sends nothing, "reply and take it" sends and takes it; beside Send, "send
 * and complete" says the result is missing and "send and set awaiting customer" sends the reply
 * and sets the status in one step (by the menu, and by Ctrl+Shift+Enter). Screenshots at
 * 1280x800 of the composer with its send menu open, in both languages.
 */
import { expect, test, type Page } from '@playwright/test';
import { openQueued, postDemoInbound } from './demoApi.js';
import { fitsItsBox, openDesk, type Locale } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('agent-actions');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/** The words the page shows, per language (i18nActions.ts and the ticket pane's). */
function words(locale: Locale) {
  return locale === 'en-US'
    ? {
        take: 'Take',
        status: 'Status',
        reply: 'Reply',
        send: 'Send',
        more: 'Also mark the ticket',
        notYours: 'This ticket is not yours',
        queuedText: /Nobody holds GD\d+: it is waiting in the queue\. Replying takes it, and it becomes yours\./,
        cancel: 'Cancel',
        replyAndTake: 'Reply and take it',
        sendAwaiting: 'Send and set “Awaiting customer”',
        sendComplete: 'Send and complete',
        resultMissing: /Record the result of GD\d+ before completing it\./,
        me: '王芳',
      }
    : {
        take: '领取',
        status: '状态',
        reply: '回复',
        send: '发送',
        more: '同时标记工单',
        notYours: '这不是您的工单',
        queuedText: /工单 GD\d+ 无人处理，正在排队。回复即领取，工单将由您处理。/,
        cancel: '取消',
        replyAndTake: '回复并领取',
        sendAwaiting: '发送并设为“待反馈”',
        sendComplete: '发送并完成',
        resultMissing: /请先填写工单 GD\d+ 的处理结果，再完成工单。/,
        me: '王芳',
      };
}

/** A new mail nobody can be given now (agent1 is Away, the other email agents are signed out): it waits in the queue. */
async function queuedMail(name: string, email: string, text: string): Promise<string> {
  const { ticketId } = await postDemoInbound(stack.server.url, { channel: 'email', customer: { name, email }, subject: text, text });
  return ticketId;
}

function pane(page: Page, ticketId: string) {
  return page.getByRole('region', { name: ticketId });
}

/** The ticket header with a Take that cannot be pressed: the subject, the button's word and the reason each fit their box. */
async function expectHeaderFits(page: Page, ticketId: string): Promise<void> {
  const header = pane(page, ticketId).locator('.ticket-header');
  for (const part of [header.locator('.ticket-subject'), header.locator('.take-button'), header.locator('.take-reason')]) {
    await expect(part).toBeVisible();
    expect(await fitsItsBox(part), await part.evaluate((element) => (element as unknown as { outerHTML: string }).outerHTML)).toBe(true);
  }
  const button = await header.locator('.take-button').boundingBox();
  const status = await header.getByRole('combobox').first().boundingBox();
  // One line: the button no taller than the status select beside it.
  expect(button!.height).toBeLessThanOrEqual(status!.height + 2);
}

for (const locale of ['zh-CN', 'en-US'] as const) {
  test(`takes a queued ticket, asks before replying on one that is not yours, and sends and sets the status in one step (${locale})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const w = words(locale);
    const tag = locale === 'en-US' ? 'en' : 'zh';
    const page = await openDesk(browser, stack.agentDesk.url, 'agent1', locale);

    // Take (领取): the button on a queued ticket, the same action as the `t` key.
    const first = await queuedMail(`周${tag}`, `zhou.${tag}@example.cn`, `退款进度查询 ${tag}`);
    await openQueued(page, first);
    const take = pane(page, first).getByRole('button', { name: w.take, exact: true });
    await expect(take).toBeEnabled();
    await expect(take).toHaveAttribute('data-shortcut', 'take');
    await take.click();
    await expect(pane(page, first).locator('.ticket-meta')).toContainText(w.me);
    await expect(take).toHaveCount(0);
    await expect(pane(page, first).getByLabel(w.status, { exact: true })).toHaveValue('in_progress');

    // Replying on a queued ticket asks first: cancel sends nothing, "reply and take it" sends and takes it.
    const second = await queuedMail(`吴${tag}`, `wu.${tag}@example.cn`, `发票抬头要改 ${tag}`);
    await openQueued(page, second);
    const reply = pane(page, second).getByRole('textbox', { name: w.reply, exact: true });
    await reply.fill('您好，发票抬头已修改，新发票今天寄出。');
    await pane(page, second).getByRole('button', { name: w.send, exact: true }).click();
    const question = page.getByRole('dialog', { name: w.notYours });
    await expect(question).toBeVisible();
    await expect(question).toContainText(w.queuedText);
    await page.screenshot({ path: test.info().outputPath(`not-yours-${tag}.png`) });
    await question.getByRole('button', { name: w.cancel, exact: true }).click();
    await expect(question).toHaveCount(0);
    await expect(reply).toHaveValue('您好，发票抬头已修改，新发票今天寄出。');
    await expect(pane(page, second).locator('.timeline')).not.toContainText('您好，发票抬头已修改');
    await pane(page, second).getByRole('button', { name: w.send, exact: true }).click();
    await question.getByRole('button', { name: w.replyAndTake, exact: true }).click();
    await expect(pane(page, second).locator('.timeline')).toContainText('您好，发票抬头已修改，新发票今天寄出。');
    await expect(reply).toHaveValue('');
    await expect(pane(page, second).locator('.ticket-meta')).toContainText(w.me);

    // Held now: Ctrl+Shift+Enter in the reply box sends and sets "awaiting customer", without asking.
    await reply.fill('如有其他问题请随时回复本邮件。');
    await reply.press('Control+Shift+Enter');
    await expect(pane(page, second).getByLabel(w.status, { exact: true })).toHaveValue('awaiting_customer');
    await expect(pane(page, second).locator('.timeline')).toContainText('如有其他问题请随时回复本邮件。');
    await expect(question).toHaveCount(0);

    // The first ticket: the send menu says "complete" needs the result, and "awaiting customer" goes in one step.
    // Back from the queue to the agent's own tickets.
    await page
      .getByRole('group', { name: /^(Tickets|工单)$/ })
      .getByRole('button', { name: /^(My tickets|我的工单)/ })
      .click();
    await page
      .getByRole('listbox', { name: /^(Tickets|工单)$/ })
      .getByRole('option')
      .filter({ hasText: first })
      .click();
    const firstReply = pane(page, first).getByRole('textbox', { name: w.reply, exact: true });
    await firstReply.fill('退款已提交，预计 3 个工作日内到账。');
    await pane(page, first).getByRole('button', { name: w.more }).click();
    const menu = page.getByRole('menu', { name: w.more });
    await expect(menu).toBeVisible();
    const complete = menu.getByRole('menuitem', { name: new RegExp(`^${w.sendComplete}`) });
    await expect(complete).toHaveAttribute('aria-disabled', 'true');
    await expect(complete).toContainText(w.resultMissing);
    await expect(menu.getByRole('menuitem', { name: new RegExp(`^${w.sendAwaiting}`) })).toHaveAttribute('aria-disabled', 'false');
    await page.screenshot({ path: test.info().outputPath(`composer-send-menu-${tag}.png`) });
    // A choice that cannot be picked sends nothing.
    await complete.click({ force: true });
    await expect(firstReply).toHaveValue('退款已提交，预计 3 个工作日内到账。');
    await menu.getByRole('menuitem', { name: new RegExp(`^${w.sendAwaiting}`) }).click();
    await expect(menu).toHaveCount(0);
    await expect(pane(page, first).getByLabel(w.status, { exact: true })).toHaveValue('awaiting_customer');
    await expect(pane(page, first).locator('.timeline')).toContainText('退款已提交，预计 3 个工作日内到账。');
    await expect(firstReply).toHaveValue('');
  });
}

test('a tier-1 agent who escalated a ticket cannot take it back: Take, the t key and Send say why, in English and Chinese', async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  const ticketId = await queuedMail('郑强', 'zhengqiang@example.cn', '路由器无法联网');
  await openQueued(page, ticketId);
  await pane(page, ticketId).getByRole('button', { name: 'Take', exact: true }).click();
  await expect(pane(page, ticketId).locator('.ticket-meta')).toContainText('王芳');

  // 王芳 escalates it with a reason; the lead approves; no tier-2 agent is signed in, so it waits in the queue.
  await pane(page, ticketId).getByRole('button', { name: 'Escalate', exact: true }).click();
  await pane(page, ticketId).getByLabel('Escalation reason').fill('需要二线工程师远程诊断');
  await pane(page, ticketId).getByRole('button', { name: 'Escalate to tier 2' }).click();
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await lead.getByRole('button', { name: /^Alerts/ }).click();
  const request = lead.locator('tr[data-alarm="escalation_request"]').filter({ hasText: ticketId });
  await request.getByRole('button', { name: 'Approve' }).click({ timeout: 30_000 });
  await expect(request).toContainText('Approved by 李主管');

  // Back in the queue, escalated: the Take button is disabled and says why; the t key says the same and takes nothing.
  await openQueued(page, ticketId);
  const take = pane(page, ticketId).getByRole('button', { name: 'Take', exact: true });
  const why = `Cannot take it: You escalated ${ticketId}: a tier-2 agent handles it from here, so you cannot take it back.`;
  await expect(take).toBeDisabled({ timeout: 30_000 });
  await expect(pane(page, ticketId).locator('.take-reason')).toHaveText(why);
  // The reason is read whole, and leaves the subject and the button their room (it squeezed the subject to nothing and broke 领取 over two lines).
  await expectHeaderFits(page, ticketId);
  await page.locator('body').focus();
  await page.keyboard.press('t');
  await expect(page.locator('.shortcut-notice')).toHaveText(why);
  await expect(pane(page, ticketId).locator('.ticket-meta')).not.toContainText('王芳');
  await page.screenshot({ path: test.info().outputPath('take-back-refused-en.png') });
  // The notice goes with the next click or key: it sat over the note box until another shortcut, and stayed English in a Chinese window.
  await page.locator('[data-shortcut="note"]').click();
  await expect(page.locator('.shortcut-notice')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await page.keyboard.press('t');
  await expect(page.locator('.shortcut-notice')).toHaveText(why);
  await page.keyboard.press('j');
  await expect(page.locator('.shortcut-notice')).toHaveCount(0);
  await page.keyboard.press('t');
  await expect(page.locator('.shortcut-notice')).toHaveText(why);

  // Replying would take it back too: Send says the rules' reason at once, instead of asking "reply and take it?"; the text stays.
  const reply = pane(page, ticketId).getByRole('textbox', { name: 'Reply', exact: true });
  await reply.fill('您好，我继续为您处理');
  await pane(page, ticketId).getByRole('button', { name: 'Send', exact: true }).click();
  await expect(
    pane(page, ticketId).getByText(`You escalated ${ticketId}: a tier-2 agent handles it from here, so you cannot take it back.`, { exact: true }),
  ).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(reply).toHaveValue('您好，我继续为您处理');
  await expect(pane(page, ticketId).locator('.timeline')).not.toContainText('您好，我继续为您处理');

  // A notice goes with the language too, and does not come back with the language it was said in.
  await page.locator('body').focus();
  await page.keyboard.press('t');
  await expect(page.locator('.shortcut-notice')).toHaveText(why);
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.locator('.shortcut-notice')).toHaveCount(0);
  await page.getByLabel('语言').selectOption('en');
  await expect(pane(page, ticketId).locator('.take-reason')).toHaveText(why);
  await expect(page.locator('.shortcut-notice')).toHaveCount(0);
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.locator('.shortcut-notice')).toHaveCount(0);
  await expect(pane(page, ticketId).locator('.take-reason')).toHaveText(`无法领取：工单 ${ticketId} 是您升级的，改由二线坐席处理，您不能再领取。`);
  await expectHeaderFits(page, ticketId);
  await page.screenshot({ path: test.info().outputPath('take-back-refused-zh.png') });
});
