/**
 * An agent who loses the ticket they are answering, in Chinese and in English: the real demo
 * server, agent1's real workstation process and Chromium on the built renderer. While 王芳
 * writes a reply, the lead hands the ticket to Emily Chen: the pane says at once that the ticket is
 * no longer hers and who has it now (李主管 handed it to Emily Chen), with no Send to press (a reply there could only be refused), and that her reply
 * was not sent, showing it (before, the words vanished with the pane without a word about them);
 * they come back in the composer when the ticket is handed back to her. Screenshots at
 * 1280x800 in both languages.
 */
import { expect, test } from '@playwright/test';
import { postDemoInbound, reassignAsLead } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startDemoStack('lost-ticket');
  // Emily Chen (chat, email) signed in on another seat of the same workstation: a lead can hand her the mails.
  await openDesk(browser, stack.agentDesk.url, 'agent6', 'en-US');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

const WORDS = {
  'en-US': {
    reply: 'Reply',
    send: 'Send',
    // Who moved it and to whom (it said "it may have been reassigned": walk-8).
    gone: '李主管 reassigned this ticket to Emily Chen; it is no longer available to you.',
    unsent: 'Your reply was not sent. It is kept in this window, and is back in the reply box if the ticket comes back to you:',
    note: 'Internal note',
    unsentNote: 'Your internal note was not added. It is kept in this window, and is back in the note box if the ticket comes back to you:',
  },
  'zh-CN': {
    reply: '回复',
    send: '发送',
    gone: '李主管已将该工单改派给 Emily Chen，它已不在您的可见范围内。',
    unsent: '您的回复未发送。它保留在本窗口中，工单回到您手中时会重新出现在回复框里：',
    note: '内部备注',
    unsentNote: '您的内部备注未添加。它保留在本窗口中，工单回到您手中时会重新出现在备注框里：',
  },
} as const;

for (const locale of ['zh-CN', 'en-US'] as const) {
  test(`a ticket handed away while the agent writes: no Send, the reason, and the words kept for when it comes back (${locale})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const w = WORDS[locale];
    const page = await openDesk(browser, stack.agentDesk.url, 'agent1', locale);
    const { ticketId } = await postDemoInbound(stack.server.url, {
      channel: 'email',
      customer: { name: '周敏', email: locale === 'en-US' ? 'zhou.min.en@example.cn' : 'zhou.min@example.cn' },
      subject: '退款进度',
      text: '我的退款什么时候到账？',
    });
    await reassignAsLead(stack.server.url, [ticketId], 'agent1');
    const row = page
      .getByRole('listbox', { name: /^(Tickets|工单)$/ })
      .getByRole('option')
      .filter({ hasText: ticketId });
    await row.click({ timeout: 30_000 });
    const pane = page.getByRole('region', { name: ticketId });
    const reply = pane.getByRole('textbox', { name: w.reply, exact: true });
    await reply.fill('您好，退款已经在处理中，预计三个工作日内');
    await pane.getByLabel(w.note).fill('客户第三次来问，财务说周五到账');
    await expect(pane.getByRole('button', { name: w.send, exact: true })).toBeEnabled();

    await reassignAsLead(stack.server.url, [ticketId], 'agent6');
    const gone = page.getByRole('alert').filter({ hasText: w.gone });
    await expect(gone).toBeVisible({ timeout: 30_000 });
    // Whether the words went is the agent's first question: they did not, and here they are.
    await expect(gone.getByText(w.unsent, { exact: true })).toBeVisible();
    await expect(gone.getByText(w.unsentNote, { exact: true })).toBeVisible();
    await expect(gone.locator('blockquote')).toHaveText(['您好，退款已经在处理中，预计三个工作日内', '客户第三次来问，财务说周五到账']);
    await expect(page.getByRole('button', { name: w.send, exact: true })).toHaveCount(0);
    await expect(page.getByRole('textbox', { name: w.reply, exact: true })).toHaveCount(0);
    await page.screenshot({ path: test.info().outputPath(`lost-ticket-${locale}.png`) });

    await reassignAsLead(stack.server.url, [ticketId], 'agent1');
    await row.click({ timeout: 30_000 });
    await expect(pane.getByRole('textbox', { name: w.reply, exact: true })).toHaveValue('您好，退款已经在处理中，预计三个工作日内');
    await expect(pane.getByLabel(w.note)).toHaveValue('客户第三次来问，财务说周五到账');
  });
}
