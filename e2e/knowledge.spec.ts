/**
 * Knowledge base (知识库) end to end: the real server process (demo organisation with its seeded
 * articles), two real workstation processes (agent1's and lead1's) and Chromium. An agent on a
 * ticket about 退货 opens the knowledge panel with B, finds the returns article among the
 * ticket's words, inserts its text and sends the reply; suggests an edit; the lead accepts it
 * on the manage screen, and the agent's open panel shows the new text without a reload.
 * The lead then edits the article and reads its history (修改记录: who did what when, which
 * fields changed) under it; the agent's panel has none.
 * Screenshots at 1280x800 of the panel and the lead's screen in Chinese and English.
 */
import { expect, test } from '@playwright/test';
import { fitsItsBox, openDesk } from './desk.js';
import { demoToken, postDemoInbound, reassignAsLead } from './demoApi.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  stack = await startDemoStack('knowledge');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

test('an agent finds the returns article for a 退货 ticket, inserts it and sends; suggests an edit the lead accepts, seen live', async ({ browser }) => {
  test.setTimeout(180_000);
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'zh-CN');
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject: '退货申请：衣服尺码不合适',
    customer: { name: '周婷', email: 'zhouting.kb@example.cn' },
    text: '我想退货，衣服尺码不合适，请问怎么办理？',
  });
  await reassignAsLead(stack.server.url, [ticketId], 'agent1');
  const row = agent.getByRole('listbox', { name: '工单' }).getByRole('option').filter({ hasText: ticketId });
  await row.click();
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();

  // The ? sheet lists the panel's key.
  await agent.keyboard.press('?');
  const sheet = agent.getByRole('dialog', { name: '键盘快捷键' });
  await expect(sheet.getByRole('row').filter({ hasText: '打开或关闭回复框旁的知识库面板' })).toContainText('b');
  await agent.keyboard.press('Escape');
  await expect(sheet).toHaveCount(0);

  // B opens the panel beside the reply, its search filled with the ticket's words; the returns article comes first.
  await row.focus();
  await agent.keyboard.press('b');
  const panel = agent.getByRole('complementary', { name: '知识库' });
  await expect(panel).toBeVisible();
  const search = panel.getByRole('searchbox', { name: '搜索知识库' });
  await expect(search).toBeFocused();
  await expect(search).toHaveValue(/退货/);
  const results = panel.getByRole('list', { name: '文章' }).getByRole('button');
  await expect(results.first()).toContainText('退货流程');
  await agent.screenshot({ path: test.info().outputPath('panel-search-zh.png') });
  // One two-character word alone (a trigram index matches nothing under three characters) still finds it.
  await search.fill('退货');
  await expect(results.first()).toContainText('退货流程');

  // Enter opens the best match; Insert text puts its body in the reply, which is sent.
  await search.press('Enter');
  await expect(panel.getByRole('heading', { name: '退货流程' })).toBeVisible();
  await panel.getByRole('button', { name: '插入正文' }).click();
  const reply = agent.getByRole('textbox', { name: '回复', exact: true });
  await expect(reply).toHaveValue(/七天无理由退货/);
  await expect(reply).toBeFocused();
  await panel.getByRole('button', { name: '插入引用' }).click();
  await expect(reply).toHaveValue(/知识库文章《退货流程》（编号 KB[0-9A-Z]{10}）$/);
  await agent.getByRole('button', { name: '发送', exact: true }).click();
  await expect(agent.locator('section.ticket-pane .timeline').getByText('七天无理由退货', { exact: false })).toBeVisible();
  await expect(reply).toHaveValue('');

  // Suggest an edit: the leads decide it.
  await panel.getByRole('button', { name: '建议修改' }).click();
  const form = panel.getByRole('form', { name: '建议修改《退货流程》' });
  const body = form.getByLabel('正文');
  await body.fill(`${await body.inputValue()}\n运费险：已购买运费险的订单，退货运费由保险承担。`);
  await form.getByLabel('给主管的说明').fill('补充运费险的说明');
  await agent.screenshot({ path: test.info().outputPath('panel-suggest-zh.png') });
  await form.getByRole('button', { name: '提交建议' }).click();
  await expect(panel.getByRole('status')).toContainText('建议已提交');
  await expect(panel.locator('.kb-body')).not.toContainText('运费险');

  // The lead, in English: the suggestion waits on the manage screen; Accept.
  const lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  await lead.getByRole('button', { name: 'Knowledge', exact: true }).click();
  const manager = lead.getByRole('dialog', { name: 'Knowledge base' });
  await expect(manager.getByText('大促期间退货预案（草稿）')).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('manager-articles-en.png') });
  await manager.getByRole('tab', { name: /^Suggestions/ }).click();
  const suggestion = manager.getByRole('listitem', { name: 'Edit of “退货流程”' });
  await expect(suggestion).toContainText('补充运费险的说明');
  await expect(suggestion).toContainText('Waiting for a decision');
  // The lead reads what changes before deciding: the added line, against the article as it is now.
  await expect(suggestion.locator('.kb-diff-line.added')).toHaveText(/运费险：已购买运费险的订单/);
  await lead.screenshot({ path: test.info().outputPath('manager-suggestions-en.png') });
  await suggestion.getByRole('button', { name: 'Accept' }).click();
  await expect(suggestion).toContainText('Accepted by 李主管');

  // The agent's open panel shows the accepted text by itself: no reload, no click.
  await expect(panel.locator('.kb-body')).toContainText('运费险：已购买运费险的订单', { timeout: 15_000 });
  await expect(panel.getByText(/第 2 版/)).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('panel-article-zh.png') });

  // A draft is not in the agent's knowledge base; once the lead publishes it, the agent's results show it by themselves.
  await panel.getByRole('button', { name: /返回结果/ }).click();
  await panel.getByRole('searchbox', { name: '搜索知识库' }).fill('大促');
  await expect(panel.getByText('没有包含这些关键词的文章。')).toBeVisible();
  await manager.getByRole('tab', { name: 'Articles' }).click();
  await manager.getByRole('button', { name: 'Edit 大促期间退货预案（草稿）' }).click();
  await manager.getByLabel('Title').fill('大促期间退货预案');
  await manager.getByLabel('Status').selectOption('published');
  await manager.getByRole('button', { name: 'Save' }).click();
  // The form closes once the saved list is read back (a refetch of the cache first): slow when the machine is busy.
  await expect(manager.getByRole('listitem').filter({ hasText: '大促期间退货预案' })).toContainText('Published', { timeout: 15_000 });
  const agentResults = panel.getByRole('list', { name: '文章' }).getByRole('button');
  await expect(agentResults).toHaveText([/大促期间退货预案/], { timeout: 15_000 });
  await agentResults.first().click();

  // The same panel and the agent's suggestions in English.
  await agent.getByLabel('语言').selectOption('en');
  const panelEn = agent.getByRole('complementary', { name: 'Knowledge base' });
  await expect(panelEn.getByRole('button', { name: 'Insert text' })).toBeVisible();
  await agent.screenshot({ path: test.info().outputPath('panel-article-en.png') });
  await agent.getByRole('button', { name: 'Knowledge', exact: true }).click();
  const agentManager = agent.getByRole('dialog', { name: 'Knowledge base' });
  await agentManager.getByRole('tab', { name: 'My suggestions' }).click();
  await expect(agentManager.getByRole('listitem', { name: 'Edit of “退货流程”' })).toContainText('Accepted by 李主管');
  await agent.screenshot({ path: test.info().outputPath('my-suggestions-en.png') });

  // The lead's screen in Chinese.
  await lead.getByLabel('Language').selectOption('zh-CN');
  const managerZh = lead.getByRole('dialog', { name: '知识库' });
  await managerZh.getByRole('tab', { name: '文章' }).click();
  await expect(managerZh.getByRole('button', { name: '新建文章' })).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('manager-articles-zh.png') });

  // The lead edits the returns article, then opens its history from the keyboard: the edit is on top, then the
  // accepted suggestion (the acceptance, the edit it made, the agent's suggestion), then the seeded creation.
  const returnsItem = managerZh.getByRole('listitem').filter({ has: lead.getByRole('button', { name: '编辑 退货流程', exact: true }) });
  await returnsItem.getByRole('button', { name: '编辑 退货流程', exact: true }).click();
  await managerZh.getByLabel('标签（用空格分隔）').fill('退货 售后 七天无理由 运费险');
  const editBody = managerZh.getByLabel('正文');
  await editBody.fill(`${await editBody.inputValue()}\n退货地址以审核通过后页面显示为准。`);
  await managerZh.getByRole('button', { name: '保存' }).click();
  await expect(returnsItem).toContainText('第 3 版', { timeout: 15_000 });
  const history = returnsItem.locator('details.kb-history');
  await expect(history.locator('.kb-history-list')).toHaveCount(0);
  await history.locator('summary').focus();
  await lead.keyboard.press('Enter');
  const entries = history.getByRole('list', { name: '“退货流程”的修改记录' }).getByRole('listitem');
  await expect(entries).toHaveText([
    /李主管 修改了文章 · 第 3 版 · 改动：正文、标签$/,
    /李主管 采纳了建议 · 第 2 版$/,
    /李主管 修改了文章（采纳建议） · 第 2 版 · 改动：正文$/,
    /王芳 提交了修改建议$/,
    /李主管 创建了文章 · 第 1 版$/,
  ]);
  await entries.last().scrollIntoViewIfNeeded();
  await lead.screenshot({ path: test.info().outputPath('manager-history-zh.png') });
  await lead.getByLabel('语言').selectOption('en');
  const historyEn = lead
    .getByRole('dialog', { name: 'Knowledge base' })
    .getByRole('listitem')
    .filter({ has: lead.getByRole('button', { name: 'Edit 退货流程', exact: true }) })
    .locator('details.kb-history');
  const entriesEn = historyEn.getByRole('list', { name: 'History of “退货流程”' }).getByRole('listitem');
  await expect(entriesEn.first()).toHaveText(/李主管 edited the article · version 3 · changed: text, tags$/);
  await expect(entriesEn.nth(2)).toHaveText(/李主管 edited the article \(from a suggestion\) · version 2 · changed: text$/);
  await expect(historyEn.locator('summary')).toHaveText('History');
  await lead.screenshot({ path: test.info().outputPath('manager-history-en.png') });

  // An agent reads the article but not its history.
  await expect(panelEn.getByRole('button', { name: 'Insert text' })).toBeVisible();
  await expect(panelEn.locator('.kb-history')).toHaveCount(0);
});

test('in English, an agent finds the refund article, inserts its reference; the customer gets its title and number, which the search finds again', async ({
  browser,
}) => {
  test.setTimeout(60_000);
  const agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject: 'Refund for a faulty kettle',
    customer: { name: 'Grace Miller', email: 'grace.miller.kb@example.com' },
    text: 'My kettle arrived faulty. How do I get a refund?',
  });
  await reassignAsLead(stack.server.url, [ticketId], 'agent1');
  await agent.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId }).click();
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();

  await agent.locator('body').press('b');
  const panel = agent.getByRole('complementary', { name: 'Knowledge base' });
  const search = panel.getByRole('searchbox', { name: 'Search the knowledge base' });
  await expect(search).toHaveValue(/refund/i);
  const results = panel.getByRole('list', { name: 'Articles' }).getByRole('button');
  await expect(results.first()).toContainText('Refund policy');
  await expect(panel.getByText('Filled with the ticket’s words; change them to search for something else.')).toBeVisible();
  // With the panel beside it at 1280x800, the ticket's subject is still read whole (it was cut to "Refund for a fa…").
  const subject = agent.getByRole('region', { name: ticketId }).locator('.ticket-subject');
  await expect(subject).toHaveText('Refund for a faulty kettle');
  expect(await fitsItsBox(subject)).toBe(true);
  await agent.screenshot({ path: test.info().outputPath('panel-search-en.png') });
  await search.press('Enter');
  await expect(panel.getByRole('heading', { name: 'Refund policy' })).toBeVisible();

  // The knowledge base is internal (docs/technical/knowledge.md, "Insert link"): the reference is the title and number, no URL.
  await panel.getByRole('button', { name: 'Insert reference' }).click();
  const reply = agent.getByRole('textbox', { name: 'Reply', exact: true });
  await expect(reply).toHaveValue(/^Help article "Refund policy" \(No\. KB[0-9A-Z]{10}\)$/);
  const reference = await reply.inputValue();
  const articleNumber = /KB[0-9A-Z]{10}/.exec(reference)![0];
  await agent.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(agent.locator('section.ticket-pane .timeline').getByText(reference)).toBeVisible();

  // What the server sends the customer is that sentence.
  const token = await demoToken(stack.server.url, 'agent1');
  await expect
    .poll(async () => {
      const response = await fetch(`${stack.server.url}/api/v1/tickets/${ticketId}`, { headers: { authorization: `Bearer ${token}` } });
      const bundle = (await response.json()) as { messages: Array<{ direction: string; text: string }> };
      return bundle.messages.filter((m) => m.direction === 'outbound').map((m) => m.text);
    })
    .toEqual([reference]);

  // The customer quoting the number back: the agent's search finds the article by it.
  await panel.getByRole('button', { name: /Back to the results/ }).click();
  await search.fill(articleNumber);
  await expect(results).toHaveText([/Refund policy/]);
  // The agent's own words are not "the ticket's words" any more.
  await expect(panel.locator('.kb-hint')).toHaveCount(0);
  await agent.screenshot({ path: test.info().outputPath('panel-number-search-en.png') });
});
