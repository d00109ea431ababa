/**
 * The lead sees what an agent is on, live (issue 11, the board's per-agent rows in the Team
 * view): the real demo server and two workstation processes (agent1's and lead1's), each page
 * in its own browser context, Chromium at 1280x800. The agent opens her oldest open ticket and
 * the lead's row for her shows it as open now; she completes it and the oldest open ticket moves
 * on while she still has it on screen; she opens another and the row follows. Each oldest open
 * ticket reads on one line with its age and the table fits the window, in both languages.
 * Screenshots of the lead's Team view in English and Chinese.
 *
 * Then the rest of her row, with Emily Chen (chat + email) signed in on the same desk: the
 * count of offers waiting for her answer goes up as chats are offered and down as she accepts
 * one and declines the other; her idle time reads "never assigned" until she takes work and
 * restarts when she does; completing a chat puts the wrap-up tag (话后处理) on her row, and
 * her Ready takes it off. Offers and idle time in English, the wrap-up in Chinese.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { openFromInboxOrQueue, postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // A long offer timeout: offers wait on the agent's answer here, never on the clock.
  stack = await startDemoStack('team-now', { OFFER_TIMEOUT_MS: '120000' });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/** A text range's line boxes (this tsconfig has no DOM types: the page's range is described here). */
interface TextRange {
  selectNodeContents(node: unknown): void;
  getClientRects(): ArrayLike<{ top: number }>;
}

/**
 * The lead's Team view as a new lead reads it at 1280x800: each oldest open ticket and its age
 * on one line ("GD… · 3 h 29 min": wrapped, the age went under the id with its "·" leading the
 * line), and the table inside the window.
 */
async function teamLaidOut(lead: Page): Promise<void> {
  const lines = await lead.locator('.team-oldest .team-ticket').evaluateAll((buttons) =>
    buttons.map((button) => {
      const range = (globalThis as unknown as { document: { createRange(): TextRange } }).document.createRange();
      range.selectNodeContents(button);
      return new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top))).size;
    }),
  );
  expect(lines.length, 'the demo gives agents open tickets').toBeGreaterThan(0);
  expect(lines, 'lines of each "oldest open" cell').toEqual(lines.map(() => 1));
  const extent = await lead.locator('.team-view').evaluate((view) => {
    const box = view as unknown as { scrollWidth: number; clientWidth: number };
    return { content: box.scrollWidth, shown: box.clientWidth };
  });
  expect(extent.content, 'the Team table is no wider than the window').toBeLessThanOrEqual(extent.shown);
}

/** The ticket id a cell of the lead's row links to ("Open: GD…" / "GD… · 3 min"), or null for "—". */
async function ticketIn(cell: Locator): Promise<string | null> {
  return /GD\d+/.exec(await cell.innerText())?.[0] ?? null;
}

async function completeOpenTicket(agent: Page, ticketId: string): Promise<void> {
  await agent.getByLabel('Status').selectOption('completed');
  const prompt = agent.getByRole('dialog', { name: `Complete ${ticketId}` });
  await prompt.getByLabel('Result').fill('已答复客户，问题已解决');
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(agent.getByLabel('Status')).toHaveValue('completed');
}

test('a lead sees the ticket an agent has open and her oldest open ticket, following her live', async ({ browser }) => {
  test.setTimeout(180_000);
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await lead.getByRole('button', { name: 'Team', exact: true }).click();
  const row = lead.locator('.team-row').filter({ hasText: '王芳' });
  const now = row.locator('.team-now');
  const oldest = row.locator('.team-oldest');

  // The demo gives her open tickets: the oldest is on her row before she does anything.
  await expect(oldest).toContainText(/GD\d+ · /);
  const first = (await ticketIn(oldest))!;

  // A fresh demo: agents at their capacity (phone: one call) are full, in amber, which is
  // normal; red is for over capacity only, and the demo puts nobody over it.
  const cells = lead.locator('.team-load:not(.no-skill)');
  let atCapacity = 0;
  for (let i = 0; i < (await cells.count()); i++) {
    const cell = cells.nth(i);
    const held = Number(await cell.locator('.load-now').innerText());
    const capacity = Number(await cell.locator('.capacity-input').inputValue());
    expect(held, 'the demo puts nobody over capacity').toBeLessThanOrEqual(capacity);
    if (held !== capacity) continue;
    atCapacity += 1;
    await expect(cell).toHaveClass(/\bfull\b/);
    await expect(cell).not.toHaveClass(/\bover\b/);
    // Amber (--risk), not red (--bad, rgb(180, 35, 24)).
    await expect(cell.locator('.load-now')).toHaveCSS('color', 'rgb(154, 77, 0)');
    await expect(cell).toHaveAttribute('title', 'At capacity: no more is offered');
  }
  expect(atCapacity, 'the demo has agents at their capacity').toBeGreaterThan(0);
  await lead.screenshot({ path: test.info().outputPath('team-at-capacity-en.png') });

  // She opens it in her own window: the lead's row shows it, without a reload.
  await openFromInboxOrQueue(agent, first);
  await expect(now).toHaveText(`Open: ${first}`);
  await expect(now.getByRole('button')).toHaveAttribute('title', 'The ticket 王芳 has open now; click to open it');
  await teamLaidOut(lead);
  await lead.screenshot({ path: test.info().outputPath('team-now-en.png') });

  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(row.locator('.team-now')).toHaveText(`正在查看 ${first}`);
  await expect(lead.locator('.team-load.full').first()).toHaveAttribute('title', '已满：不再推送');
  await expect(lead.getByRole('columnheader', { name: '当前处理' })).toBeVisible();
  await expect(lead.getByRole('columnheader', { name: '最早未结工单' })).toBeVisible();
  await teamLaidOut(lead);
  await lead.screenshot({ path: test.info().outputPath('team-now-zh.png') });

  // She completes it: it is no longer her oldest open ticket, and she still has it on screen.
  await completeOpenTicket(agent, first);
  await expect.poll(() => ticketIn(oldest), { timeout: 20_000 }).not.toBe(first);
  await expect(now).toHaveText(`正在查看 ${first}`);

  // She opens another of hers: the row follows.
  const second = await ticketIn(oldest);
  expect(second, 'the demo gives agent1 more than one open ticket').not.toBeNull();
  await openFromInboxOrQueue(agent, second!);
  await expect(now).toHaveText(`正在查看 ${second!}`);
  await lead.getByLabel('语言').selectOption('en');
  await expect(now).toHaveText(`Open: ${second!}`);
  await expect(oldest).toContainText(`${second!} · `);
  await lead.screenshot({ path: test.info().outputPath('team-now-followed-en.png') });
});

/** The chat offer on the agent's screen that shows `text`. */
function offerCard(agent: Page, text: string): Locator {
  return agent.getByRole('alertdialog').filter({ hasText: text });
}

test("a lead sees an agent's offers waiting, her idle time and her wrap-up change live", async ({ browser }) => {
  test.setTimeout(120_000);
  // Emily Chen signs in on the desk 王芳 used: the first test's windows go first.
  await closeContexts(browser);
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent6', 'en-US');
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await lead.getByRole('button', { name: 'Team', exact: true }).click();
  const row = lead.locator('.team-row').filter({ hasText: 'Emily Chen' });
  const offers = row.locator('.offer-count');
  const wrapUp = row.locator('.wrap-up-tag');
  const idle = row.locator('.team-idle');
  // Her chat cell (the second channel column): tickets held against her capacity, offers not counted.
  const chatLoad = row.locator('.team-load').nth(1);

  // Away (openDesk): no idle time (she is not taking work), nothing offered.
  await expect(row.getByLabel('Presence of Emily Chen')).toHaveValue(/^away/);
  await expect(idle).toHaveText('—');
  await expect(offers).toHaveCount(0);

  // A customer writes about an order (the orders group, hers) while she is away: it waits.
  const ours = '你好，我昨天下的订单还没有发货，能帮我看看吗？';
  await postDemoInbound(stack.server.url, {
    channel: 'chat',
    customer: { name: '周小川', phone: '+86 135 0000 2611' },
    subject: '订单未发货',
    text: ours,
    externalMessageId: 'team-now-offers-1',
  });

  // She is ready: the demo's waiting order chat (何静's) and ours are offered to her (chat
  // capacity 2). The lead sees both waiting and her idle time as never assigned: an offer is not work yet.
  await agent.getByLabel('Presence', { exact: true }).selectOption('available');
  await expect(offerCard(agent, ours)).toBeVisible({ timeout: 20_000 });
  await expect(agent.getByRole('alertdialog'), 'the demo leaves one order chat waiting besides ours').toHaveCount(2);
  await expect(offers).toHaveText('2 offers waiting');
  await expect(idle).toHaveText('never assigned');
  // Two offers and no ticket held: 0 of 2, not a full (red) cell.
  await expect(chatLoad.locator('.load-now')).toHaveText('0');
  await expect(chatLoad.getByLabel('Chat capacity of Emily Chen')).toHaveValue('2');
  await expect(chatLoad).not.toHaveClass(/\bfull\b/);
  // The widest English row: "2 offers waiting" and "never assigned" on it, and still the whole table in the window.
  await teamLaidOut(lead);
  await lead.screenshot({ path: test.info().outputPath('team-offers-en.png') });

  // She accepts ours: one offer left, and her idle time starts again from the assignment.
  await offerCard(agent, ours).getByRole('button', { name: 'Accept' }).click();
  await expect(agent.locator('section.ticket-pane .timeline').getByText(ours)).toBeVisible({ timeout: 20_000 });
  const ticketId = (await agent.locator('section.ticket-pane').getAttribute('aria-label')) ?? '';
  expect(ticketId).toMatch(/^GD\d+$/);
  await expect(offers).toHaveText('1 offer waiting');
  await expect(idle).toHaveText(/^\d+ min$/);
  // One ticket and one offer: 1 of 2 held (it read a full 2/2 when offers counted as tickets).
  await expect(chatLoad.locator('.load-now')).toHaveText('1');
  await expect(chatLoad).not.toHaveClass(/\bfull\b/);
  await lead.screenshot({ path: test.info().outputPath('team-one-offer-en.png') });

  // She declines the other: nothing waits for her answer any more.
  await agent.getByRole('alertdialog').getByRole('button', { name: 'Decline' }).click();
  await expect(agent.getByRole('alertdialog')).toHaveCount(0);
  await expect(offers).toHaveCount(0);
  await expect(idle).toHaveText(/^\d+ min$/);

  // In Chinese: she completes the chat, and the lead sees her wrap-up (话后处理) with its countdown.
  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(lead.getByRole('columnheader', { name: '空闲时长' })).toBeVisible();
  await agent.getByLabel('Status').selectOption('completed');
  const prompt = agent.getByRole('dialog', { name: `Complete ${ticketId}` });
  await prompt.getByLabel('Result').fill('已查询，订单今天发货');
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(prompt).toHaveCount(0);
  // A chat wrap-up is 15 s (the default policy): its countdown never reads more.
  // The tag says which contact she is wrapping up: the chat.
  await expect(wrapUp).toHaveText(/^话后处理 · 在线客服 0:(0\d|1[0-5])$/);
  await expect(idle).toHaveText(/^\d+ 分钟$/);
  await expect(offers).toHaveCount(0);
  await lead.screenshot({ path: test.info().outputPath('team-wrap-up-zh.png') });
  await lead.getByLabel('语言').selectOption('en');
  await expect(wrapUp).toHaveText(/^Wrap-up · Chat 0:(0\d|1[0-5])$/);
  await lead.screenshot({ path: test.info().outputPath('team-wrap-up-en.png') });
  await lead.getByLabel('Language').selectOption('zh-CN');

  // She says she is ready: the tag leaves her row (the 15 s would end it anyway), her idle time stays.
  await agent.getByRole('button', { name: 'Ready', exact: true }).click();
  await expect(wrapUp).toHaveCount(0);
  await expect(row.getByLabel('Emily Chen 的在线状态')).toHaveValue('available');
  await expect(idle).toHaveText(/^\d+ 分钟$/);
});
