/**
 * Issue 11 end to end: a lead watches the board while web chat contacts arrive and an agent
 * completes them, then the customers rate the chats in the widget and the chat row's CSAT %
 * follows. The real server process (demo organisation, site `demo`), lead1's and agent6's
 * (Emily Chen, chat + email) workstation processes, and Chromium for the lead (1280x800),
 * the agent and the customers. Every figure is read from the board's cells and compared with
 * the exact value the step must give (pending, in progress, completed today, today's total,
 * CSAT % with its "n of m" title); the handling time, which depends on the clock, must appear
 * and lie between 0 and the minutes the test took. Screenshots in English and Chinese.
 */
import { expect, test, type Page } from '@playwright/test';
import { acceptOffer, CHAT_LIVE_MS, completeOpenTicket, rateInWidget, signInAvailableAgent, visitorWrites } from './chatVisit.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // A long offer timeout: the agent accepts by hand on a loaded 2-core machine.
  stack = await startDemoStack('board-work', { OFFER_TIMEOUT_MS: '60000' });
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

/** The chat row's figures as the board shows them (cells' text). */
interface ChatRow {
  pending: number;
  inProgress: number;
  completed: number;
  total: number;
  handling: string;
  csat: string;
}

async function chatRow(board: Page): Promise<ChatRow> {
  const cell = (name: string) => board.locator(`tr[data-channel="chat"] td[data-figure="${name}"]`);
  const count = async (name: string) => Number(/\d+/.exec(await cell(name).innerText())?.[0] ?? Number.NaN);
  return {
    pending: await count('pending'),
    inProgress: await count('inProgress'),
    completed: await count('completed'),
    total: await count('total'),
    handling: (await cell('handling').innerText()).trim(),
    csat: (await cell('csat').innerText()).trim(),
  };
}

test('a lead watches the chat row while chats arrive, are completed and rated: exact counts, handling time and CSAT %', async ({ browser }) => {
  test.setTimeout(240_000);
  const board = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await board.getByRole('button', { name: 'Board', exact: true }).click();
  await expect(board.getByRole('table', { name: 'Live status of each channel' }).getByRole('rowheader')).toHaveText(['Phone', 'Chat', 'Social', 'Email']);
  const csatCell = board.locator('tr[data-channel="chat"] td[data-figure="csat"]');
  const handlingCell = board.locator('tr[data-channel="chat"] td[data-figure="handling"]');

  const agent = await signInAvailableAgent(browser, stack.agentDesk.url, 'agent6');
  // The demo has no chat completed or rated today: handling and CSAT are "—", never a made-up number.
  await expect(handlingCell).toHaveText('—');
  await expect(csatCell).toHaveText('—');
  // Offers to Emily of the demo's queued chats leave them pending: the row does not move while she is signed in.
  const before = await chatRow(board);
  expect(before.total).toBe(before.pending + before.inProgress + before.completed);
  const started = Date.now();

  // A visitor writes: one more pending, one more in today's total.
  const first = await visitorWrites(browser, stack.server.url, 'zh-CN', '你好，我想查询订单');
  await expect.poll(() => chatRow(board), { timeout: CHAT_LIVE_MS }).toEqual({ ...before, pending: before.pending + 1, total: before.total + 1 });

  // Emily accepts: pending back, one more in progress.
  const firstTicket = await acceptOffer(agent, '你好，我想查询订单');
  await expect.poll(() => chatRow(board), { timeout: CHAT_LIVE_MS }).toEqual({ ...before, inProgress: before.inProgress + 1, total: before.total + 1 });

  // She completes it: in progress back, completed today +1, the total unchanged, and a handling time appears.
  await completeOpenTicket(agent, firstTicket, '已告知订单物流信息。');
  await expect
    .poll(
      async () => {
        const { handling, ...counts } = await chatRow(board);
        return { ...counts, handlingShown: /^\d+\.\d$/.test(handling) };
      },
      { timeout: CHAT_LIVE_MS },
    )
    .toEqual({
      pending: before.pending,
      inProgress: before.inProgress,
      completed: before.completed + 1,
      total: before.total + 1,
      csat: '—',
      handlingShown: true,
    });
  // Completed − created of the one chat completed today, in minutes to one decimal: within the time this test took.
  const handlingMinutes = Number(await handlingCell.innerText());
  expect(handlingMinutes).toBeGreaterThanOrEqual(0);
  expect(handlingMinutes).toBeLessThanOrEqual(Number(((Date.now() - started) / 60_000).toFixed(1)) + 0.05);
  await board.screenshot({ path: test.info().outputPath('board-completed-en.png') });

  // The visitor rates 5 4 5 4 (overall 4.5, satisfied): 1 of 1 → 100.00%.
  await rateInWidget(first, 'zh-CN', [5, 4, 5, 4]);
  await expect(csatCell).toHaveText('100.00%', { timeout: CHAT_LIVE_MS });
  await expect(csatCell).toHaveAttribute('title', '1 of 1 answer received today rated 4 or more overall');
  // Only the chat row: no other channel had an answer.
  await expect(board.locator('tr[data-channel="email"] td[data-figure="csat"]')).toHaveText('—');
  await board.screenshot({ path: test.info().outputPath('board-csat-en.png') });

  // A second visitor (English), accepted and completed, rates 4 4 4 3: overall 3.75, just under 4 — not satisfied: 1 of 2 → 50.00%.
  const second = await visitorWrites(browser, stack.server.url, 'en-US', 'Can I change my delivery address?');
  await expect
    .poll(() => chatRow(board), { timeout: CHAT_LIVE_MS })
    .toMatchObject({
      pending: before.pending + 1,
      completed: before.completed + 1,
      total: before.total + 2,
    });
  const secondTicket = await acceptOffer(agent, 'Can I change my delivery address?');
  await completeOpenTicket(agent, secondTicket, 'Address changed.');
  await expect
    .poll(() => chatRow(board), { timeout: CHAT_LIVE_MS })
    .toMatchObject({
      pending: before.pending,
      inProgress: before.inProgress,
      completed: before.completed + 2,
      total: before.total + 2,
      csat: '100.00%',
    });
  await rateInWidget(second, 'en-US', [4, 4, 4, 3]);
  await expect(csatCell).toHaveText('50.00%', { timeout: CHAT_LIVE_MS });
  await expect(csatCell).toHaveAttribute('title', '1 of 2 answers received today rated 4 or more overall');
  await expect(handlingCell).toHaveText(/^\d+\.\d$/);
  await board.screenshot({ path: test.info().outputPath('board-csat-2-en.png') });

  await board.getByLabel('Language').selectOption('zh-CN');
  await expect(board.getByRole('table', { name: '各渠道实时处理状态' }).getByRole('columnheader', { name: '今日满意率' })).toBeVisible();
  await expect(csatCell).toHaveText('50.00%');
  await expect(csatCell).toHaveAttribute('title', '今日收到 2 份答卷，其中 1 份总体评分不低于 4 分');
  expect(await chatRow(board)).toMatchObject({
    pending: before.pending,
    inProgress: before.inProgress,
    completed: before.completed + 2,
    total: before.total + 2,
  });
  await board.screenshot({ path: test.info().outputPath('board-csat-zh.png') });
});
