/**
 * Scripts (话术库) end to end: the real server process (demo organisation with its seeded
 * team scripts), two real workstation processes (agent1's and lead1's) and Chromium. The
 * agent types `/问候` in the reply box, picks the standard greeting with the keyboard and gets
 * it with the customer's and their own names filled in; writes a personal script with blanks
 * on the manage screen, inserts it and moves through the blanks with Tab, and the same with an
 * English script in English (Shift+Tab back too); the lead adds a team
 * script, which the agent's picker offers without a reload. Offers that arrive while the picker
 * is open stand above it: neither covers the other (zh-CN and English). Screenshots at 1280x800
 * of the picker and the manage screen in Chinese and English.
 */
import { expect, test, type Page } from '@playwright/test';
import { setPresenceAsLead } from './demoApi.js';
import { fitsItsBox, openDesk, type Locale } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // A long offer timeout: the last test's offers wait on the agent, never on the clock.
  stack = await startDemoStack('scripts', { OFFER_TIMEOUT_MS: '120000' });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

async function openTicketOf(page: Page, customer: string): Promise<void> {
  await page
    .getByRole('listbox', { name: /^(Tickets|工单)$/ })
    .getByRole('option')
    .filter({ hasText: customer })
    .first()
    .click();
}

function replyBox(page: Page, locale: Locale) {
  return page.getByRole('textbox', { name: locale === 'en-US' ? 'Reply' : '回复', exact: true });
}

async function selection(page: Page, locale: Locale): Promise<string> {
  return replyBox(page, locale).evaluate((area: { value: string; selectionStart: number; selectionEnd: number }) =>
    area.value.slice(area.selectionStart, area.selectionEnd),
  );
}

test('an agent types /问候, picks the greeting with the keyboard, and gets it filled (zh-CN)', async ({ browser }) => {
  const page = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  await openTicketOf(page, '陈晓燕');
  const reply = replyBox(page, 'zh-CN');
  await reply.click();
  await reply.fill('');
  // A bare "/" lists every script under a heading that quotes no empty query.
  await page.keyboard.type('/');
  await expect(page.getByRole('listbox', { name: '全部话术', exact: true })).toBeVisible();
  await expect(page.locator('.script-picker-head')).not.toContainText('“”');
  await page.keyboard.type('问候');
  const picker = page.getByRole('listbox', { name: '与“问候”匹配的话术' });
  await expect(picker).toBeVisible();
  await expect(picker.getByRole('option', { selected: true })).toContainText('标准问候');
  expect(await fitsItsBox(page.locator('.script-picker-head'))).toBe(true);
  await page.screenshot({ path: test.info().outputPath('picker-zh.png') });

  await page.keyboard.press('Escape');
  await expect(picker).toHaveCount(0);
  await expect(reply).toHaveValue('/问候');
  await page.keyboard.type('候');
  await page.keyboard.press('Backspace');
  await expect(picker).toBeVisible();
  await page.keyboard.press('Enter');
  // A chat ticket takes the script's chat line: the customer's and the agent's names filled in.
  await expect(reply).toHaveValue('您好陈晓燕，我是王芳，请问有什么可以帮您？');
  await expect(picker).toHaveCount(0);

  // The complaint script on an email ticket: its email body, the ticket's subject filled, the solution left blank and selected.
  await openTicketOf(page, '赵敏');
  // An email reply has a subject line, the server's default until a script or the agent writes one (issue 12).
  const subject = page.getByRole('textbox', { name: '主题', exact: true });
  await expect(subject).toHaveValue(/^Re: 发票抬头填错了，需要重开 \[GD\d+\]$/);
  await reply.click();
  await reply.fill('');
  await page.keyboard.type('/投诉');
  await page.keyboard.press('Enter');
  await expect(reply).toHaveValue(/^尊敬的赵敏：\n\n非常抱歉给您带来不便。我们已核实您反映的“发票抬头填错了，需要重开”。\n处理方案：\{solution\}/);
  expect(await selection(page, 'zh-CN')).toBe('{solution}');
  await expect(subject).toHaveValue(/^关于您的投诉（工单 GD\d+）的处理$/);
  await page.screenshot({ path: test.info().outputPath('subject-zh.png') });
  await page.keyboard.type('今天为您重开发票');
  await expect(reply).toHaveValue(/处理方案：今天为您重开发票\n/);
  await reply.fill('');
});

test('an agent writes a personal script with blanks, inserts it and moves through the blanks with Tab', async ({ browser }) => {
  const page = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  await page.getByRole('button', { name: '话术库' }).click();
  const manager = page.getByRole('dialog', { name: '话术库' });
  await expect(manager).toBeVisible();
  // The team library is read-only for an agent.
  await expect(manager.getByText('团队话术由主管和管理员维护。')).toBeVisible();
  await expect(manager.getByRole('button', { name: '编辑' })).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('manage-zh.png') });

  await manager.getByRole('tab', { name: '我的话术' }).click();
  await manager.getByRole('button', { name: '新建话术' }).click();
  await manager.getByLabel('标题').fill('回访确认');
  await manager.getByLabel('快捷关键词').fill('huifang');
  await manager.getByLabel('正文（通用）').fill('{customer.name}您好，关于{ticket.subject}，{result}，请问{question}？');
  await page.screenshot({ path: test.info().outputPath('manage-editor-zh.png') });
  await expect(manager.getByRole('button', { name: '关闭' })).toBeInViewport({ ratio: 1 });
  await expect(manager.getByRole('button', { name: '保存' })).toBeInViewport({ ratio: 1 });
  await manager.getByRole('button', { name: '保存' }).click();
  await expect(manager.getByText('回访确认')).toBeVisible();
  await manager.getByRole('button', { name: '关闭' }).click();

  await openTicketOf(page, '吴婷');
  const reply = replyBox(page, 'zh-CN');
  await reply.click();
  await reply.fill('');
  await page.keyboard.type('/huifang');
  await page.keyboard.press('Enter');
  await expect(reply).toHaveValue('吴婷您好，关于退款什么时候到账，{result}，请问{question}？');
  expect(await selection(page, 'zh-CN')).toBe('{result}');
  await page.keyboard.type('退款已到账');
  await page.keyboard.press('Tab');
  expect(await selection(page, 'zh-CN')).toBe('{question}');
  await page.keyboard.type('还有其他问题吗');
  await expect(reply).toHaveValue('吴婷您好，关于退款什么时候到账，退款已到账，请问还有其他问题吗？');
  // No blank left: Tab leaves the field as usual.
  await page.keyboard.press('Tab');
  await expect(reply).not.toBeFocused();
  await reply.fill('');
});

test('the same in English: a personal English script with blanks, picked with /, Tab and Shift+Tab move through its blanks', async ({ browser }) => {
  const page = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  await page.getByRole('button', { name: 'Scripts', exact: true }).click();
  const manager = page.getByRole('dialog', { name: 'Scripts' });
  await expect(manager.getByText('Leads and admins manage the team library.')).toBeVisible();
  await manager.getByRole('tab', { name: 'My scripts' }).click();
  await manager.getByRole('button', { name: 'New script' }).click();
  await manager.getByLabel('Title').fill('Follow-up call');
  await manager.getByLabel('Shortcut keyword').fill('followup');
  await manager.getByLabel('Language').selectOption('en');
  await manager.getByLabel('Text (any channel)').fill('Hi {customer.name}, about "{ticket.subject}": {result}. Could you tell me {question}?');
  await page.screenshot({ path: test.info().outputPath('manage-editor-en.png') });
  await manager.getByRole('button', { name: 'Save' }).click();
  await expect(manager.getByText('Follow-up call')).toBeVisible();
  await manager.getByRole('button', { name: 'Close' }).click();

  await openTicketOf(page, '吴婷');
  const reply = replyBox(page, 'en-US');
  await reply.click();
  await reply.fill('');
  await page.keyboard.type('/');
  await expect(page.getByRole('listbox', { name: 'All scripts', exact: true })).toBeVisible();
  await page.keyboard.type('followup');
  const picker = page.getByRole('listbox', { name: 'Scripts matching “followup”' });
  const option = picker.getByRole('option', { selected: true });
  await expect(option).toContainText('Follow-up call');
  await expect(option.locator('.script-scope')).toHaveText('Mine');
  // The English hint is the longer one: it must show whole, not cut off at the picker's edge.
  const head = page.locator('.script-picker-head');
  await expect(head).toContainText('Tab moves to the next blank');
  expect(await fitsItsBox(head)).toBe(true);
  // The preview is what Enter inserts: the names filled, the blanks left for the agent.
  await expect(option.locator('.script-preview')).toHaveText('Hi 吴婷, about "退款什么时候到账": {result}. Could you tell me {question}?');
  await page.screenshot({ path: test.info().outputPath('picker-blanks-en.png') });
  await page.keyboard.press('Enter');
  await expect(reply).toHaveValue('Hi 吴婷, about "退款什么时候到账": {result}. Could you tell me {question}?');
  expect(await selection(page, 'en-US')).toBe('{result}');
  await page.keyboard.press('Tab');
  expect(await selection(page, 'en-US')).toBe('{question}');
  // Shift+Tab goes back to the blank before.
  await page.keyboard.press('Shift+Tab');
  expect(await selection(page, 'en-US')).toBe('{result}');
  await page.keyboard.type('the refund left us today');
  await page.keyboard.press('Tab');
  expect(await selection(page, 'en-US')).toBe('{question}');
  await page.keyboard.type('whether it has arrived');
  await expect(reply).toHaveValue('Hi 吴婷, about "退款什么时候到账": the refund left us today. Could you tell me whether it has arrived?');
  // No blank left: Tab leaves the field as usual.
  await page.keyboard.press('Tab');
  await expect(reply).not.toBeFocused();
  await reply.fill('');
});

test('a lead adds a team script and the agent’s picker offers it without a reload (English)', async ({ browser }) => {
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');

  await lead.getByRole('button', { name: 'Scripts', exact: true }).click();
  const manager = lead.getByRole('dialog', { name: 'Scripts' });
  await expect(manager.getByRole('button', { name: 'Edit' }).first()).toBeVisible();
  await manager.getByRole('button', { name: 'New script' }).click();
  await manager.getByLabel('Title').fill('Holiday hours');
  await manager.getByLabel('Shortcut keyword').fill('holiday');
  await manager.getByLabel('Language').selectOption('en');
  await manager.getByLabel('Text (any channel)').fill('Hi {customer.name}, during the holiday we answer from 9:00 to 18:00. — {agent.name}');
  await manager.getByLabel('Chat and social: short line (optional)').fill('Hi {customer.name}, holiday hours are 9:00–18:00.');
  await lead.screenshot({ path: test.info().outputPath('manage-team-editor-en.png') });
  // The whole editor shows at 1280x800, down to the dialog's Close: nothing cut off.
  await expect(manager.getByRole('button', { name: 'Close' })).toBeInViewport({ ratio: 1 });
  await expect(manager.getByRole('button', { name: 'Save' })).toBeInViewport({ ratio: 1 });
  await manager.getByRole('button', { name: 'Save' }).click();
  await expect(manager.getByText('Holiday hours')).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('manage-en.png') });

  await openTicketOf(agent, '陈晓燕');
  const reply = replyBox(agent, 'en-US');
  await reply.click();
  await reply.fill('');
  await agent.keyboard.type('/holi');
  const picker = agent.getByRole('listbox', { name: 'Scripts matching “holi”' });
  await expect(picker.getByRole('option', { selected: true })).toContainText('Holiday hours');
  await agent.screenshot({ path: test.info().outputPath('picker-en.png') });
  await agent.keyboard.press('ArrowDown');
  await agent.keyboard.press('ArrowUp');
  await agent.keyboard.press('Enter');
  await expect(reply).toHaveValue('Hi 陈晓燕, holiday hours are 9:00–18:00.');
  await reply.fill('');
  // A chat reply has no subject line; an email one has, here filled from the English email template.
  await expect(agent.getByRole('textbox', { name: 'Subject', exact: true })).toHaveCount(0);
  await openTicketOf(agent, '赵敏');
  await reply.click();
  await reply.fill('');
  await agent.keyboard.type('/hello');
  await agent.keyboard.press('Enter');
  await expect(agent.getByRole('textbox', { name: 'Subject', exact: true })).toHaveValue(/^About your request GD\d+$/);
  await agent.screenshot({ path: test.info().outputPath('subject-en.png') });
  await reply.fill('');
});

/** Two boxes on screen share some area. */
function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The open picker and every offer card on screen are apart, and the picker's hint line takes a click at its far end (nothing drawn over it). */
async function pickerAndOffersApart(page: Page): Promise<void> {
  const picker = (await page.locator('.script-picker').boundingBox())!;
  const cards = page.getByRole('alertdialog');
  for (let i = 0; i < (await cards.count()); i++) {
    const card = (await cards.nth(i).boundingBox())!;
    expect(overlap(picker, card), `offer card ${String(i)} ${JSON.stringify(card)} over the picker ${JSON.stringify(picker)}`).toBe(false);
  }
  const hint = page.locator('.script-picker-head .muted');
  const box = (await hint.boundingBox())!;
  // A trial click runs Playwright's hit-target check there: it fails when another element would take the click.
  await hint.click({ trial: true, position: { x: box.width - 2, y: box.height / 2 }, timeout: 5_000 });
}

test('offers that arrive while the script picker is open stand above it: the hint and both stay readable and usable', async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  await openTicketOf(page, '陈晓燕');
  const reply = replyBox(page, 'zh-CN');
  await reply.click();
  await reply.fill('');
  await page.keyboard.type('/');
  await expect(page.getByRole('listbox', { name: '全部话术', exact: true })).toBeVisible();
  // The lead makes her Available while she is in the picker: the demo's waiting chats are offered to her at once.
  await setPresenceAsLead(stack.server.url, 'agent1', 'available');
  const cards = page.getByRole('alertdialog');
  await expect(cards.first()).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('listbox', { name: '全部话术', exact: true })).toBeVisible();
  await pickerAndOffersApart(page);
  await page.screenshot({ path: test.info().outputPath('picker-offer-zh.png') });
  // Both work: the picker narrows as she types and inserts with Enter; then Accept takes the chat.
  await page.keyboard.type('问候');
  await expect(page.getByRole('listbox', { name: '与“问候”匹配的话术' })).toBeVisible();
  await pickerAndOffersApart(page);
  await page.keyboard.press('Enter');
  await expect(reply).toHaveValue('您好陈晓燕，我是王芳，请问有什么可以帮您？');
  await reply.fill('');

  // The same in English, the offers still waiting.
  await page.getByLabel('语言').selectOption('en');
  await replyBox(page, 'en-US').click();
  await page.keyboard.type('/');
  await expect(page.getByRole('listbox', { name: 'All scripts', exact: true })).toBeVisible();
  await expect(cards.first()).toBeVisible();
  await pickerAndOffersApart(page);
  await page.screenshot({ path: test.info().outputPath('picker-offer-en.png') });
  const offered = (await cards.first().locator('.offer-ticket').innerText()).trim();
  await cards.first().getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('region', { name: offered })).toBeVisible({ timeout: 20_000 });
  await setPresenceAsLead(stack.server.url, 'agent1', 'away');
});
