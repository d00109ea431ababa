/**
 * The lead sees what an agent is on, live (issue 11, the board's per-agent rows in the Team
 * view): the real demo server and two workstation processes (agent1's and lead1's), each page
 * in its own browser context, Chromium at 1280x800. The agent opens her oldest open ticket and
 * the lead's row for her shows it as open now; she completes it and the oldest open ticket moves
 * on while she still has it on screen; she opens another and the row follows. Screenshots of
 * the lead's Team view in English and Chinese.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { openFromInboxOrQueue } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('team-now');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

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

  // She opens it in her own window: the lead's row shows it, without a reload.
  await openFromInboxOrQueue(agent, first);
  await expect(now).toHaveText(`Open: ${first}`);
  await expect(now.getByRole('button')).toHaveAttribute('title', 'The ticket 王芳 has open now; click to open it');
  await lead.screenshot({ path: test.info().outputPath('team-now-en.png') });

  await lead.getByLabel('Language').selectOption('zh-CN');
  await expect(row.locator('.team-now')).toHaveText(`正在查看 ${first}`);
  await expect(lead.getByRole('columnheader', { name: '当前处理' })).toBeVisible();
  await expect(lead.getByRole('columnheader', { name: '最早未结工单' })).toBeVisible();
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
