/**
 * Issue 12 end to end, in Chinese and in English: the real demo server process, agent1's real
 * workstation process and Chromium on the built renderer. 王芳 types a two-character Chinese
 * word that is only in a queued mail's message (not its subject, not her cache): the inbox says
 * the queue has a match, the queue view lists it with the word marked in the message's excerpt,
 * and the row opens the ticket. Screenshots at 1280x800 of the inbox's hint and the queue's search results.
 */
import { expect, test } from '@playwright/test';
import { postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  stack = await startDemoStack('queue-search');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

for (const locale of ['zh-CN', 'en-US'] as const) {
  test(`an agent's search finds a queued ticket by a word of its message and opens it (${locale})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const en = locale === 'en-US';
    const w = en
      ? { search: 'Search', empty: 'No tickets match.', matches: 'Matches in the queue: 1. Show them', results: 'Waiting tickets that match' }
      : { search: '搜索', empty: '没有符合条件的工单。', matches: '排队中有 1 个工单匹配：查看', results: '符合条件的排队工单' };
    // A word of each run's own, so the English run does not find the Chinese run's mail.
    const word = en ? '海豚' : '鲸鱼';
    const page = await openDesk(browser, stack.agentDesk.url, 'agent1', locale);
    // agent1 is Away and the other email agents are signed out: the mail waits in the queue.
    const { ticketId } = await postDemoInbound(stack.server.url, {
      channel: 'email',
      customer: { name: en ? '孙悟空' : '猪八戒', email: `toy.${en ? 'en' : 'zh'}@example.cn` },
      subject: '玩具售后',
      text: `您好，我上周买的${word}玩具今天坏了，能换一个吗？`,
    });

    await page.getByLabel(w.search, { exact: true }).fill(word);
    await expect(page.getByText(w.empty, { exact: true })).toBeVisible();
    // The empty inbox says so right under its count and the queue's hint, not at the column's foot.
    const emptyTop = (await page.getByText(w.empty, { exact: true }).boundingBox())?.y ?? Infinity;
    const hintTop = (await page.getByRole('button', { name: w.matches, exact: true }).boundingBox())?.y ?? 0;
    expect(emptyTop - hintTop).toBeLessThan(100);
    await expect(page.getByRole('button', { name: w.matches, exact: true })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath(`queue-search-hint-${en ? 'en' : 'zh'}.png`) });
    await page.getByRole('button', { name: w.matches, exact: true }).click();
    const results = page.getByRole('list', { name: w.results, exact: true });
    const row = results.getByRole('button').filter({ hasText: ticketId });
    await expect(row).toHaveCount(1);
    await expect(row.locator('.subject')).toHaveText('玩具售后');
    await expect(row.locator('.queue-excerpt mark.search-hit')).toHaveText(word);
    await page.screenshot({ path: test.info().outputPath(`queue-search-${en ? 'en' : 'zh'}.png`) });

    await row.click();
    const pane = page.getByRole('region', { name: ticketId });
    await expect(pane).toBeVisible();
    await expect(pane.locator('.timeline')).toContainText(`${word}玩具今天坏了`);
  });
}
