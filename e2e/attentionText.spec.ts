/**
 * The text of a refused change in "needs attention", end to end: the real demo server process,
 * two workstation processes (lead1 李主管, agent1 王芳) and Chromium at 1280x800. The lead
 * transfers a mail to 王芳 with a long handover note; she signs out before the lead confirms, so
 * the server refuses and the core undoes the transfer. The list shows the note (a bounded
 * preview, all of it on request), in English and in Chinese; the keyboard alone puts it back into
 * the ticket's note box; dismissing drops it. Then sixty refusals at once (as after a long
 * offline shift): the list shows the newest page of previews with how many wait, the rest on demand.
 */
import { expect, test, type Page } from '@playwright/test';
import { postDemoInbound } from './demoApi.js';
import { openDesk } from './desk.js';
import { closeContexts, startDemoStack, type DemoStack } from './stack.js';

let stack: DemoStack;
let lead: Page;
let agent: Page;

/**
 * Calls the page's workstation core the way a second tab of the same browser profile would
 * (its launch key and seat, the host's WebSocket): each call, then the `attention` event of its
 * refusal before the next (a transfer waiting for the server's answer would refuse the next one
 * locally). Many refusals in seconds, where the transfer dialog would take minutes.
 */
async function refuseFromPage(page: Page, method: string, paramsList: unknown[]): Promise<void> {
  await page.evaluate(
    async ({ method, paramsList }) => {
      // The page's own globals (this runs in Chromium; the e2e project has no DOM types).
      type Storage = { getItem(key: string): string | null };
      const tab = globalThis as unknown as { sessionStorage: Storage; localStorage: Storage; location: { host: string } };
      const key = tab.sessionStorage.getItem('omnidesk.launchKey') ?? '';
      const seat = tab.localStorage.getItem('omnidesk.seat');
      const ws = new WebSocket(`ws://${tab.location.host}/rpc?k=${encodeURIComponent(key)}${seat ? `&s=${encodeURIComponent(seat)}` : ''}`);
      let refusals = 0;
      let wake: () => void = () => undefined;
      const answers = new Map<number, { ok: boolean; message: string }>();
      ws.addEventListener('message', (event: MessageEvent) => {
        const envelope = JSON.parse(String(event.data)) as { type: string; id?: number; ok?: boolean; event?: string; error?: { message: string } };
        if (envelope.type === 'event' && envelope.event === 'attention') refusals += 1;
        if (envelope.type === 'response' && envelope.id !== undefined)
          answers.set(envelope.id, { ok: envelope.ok === true, message: envelope.error?.message ?? method });
        wake();
      });
      const until = (done: () => boolean) =>
        new Promise<void>((resolve) => {
          wake = () => {
            if (done()) resolve();
          };
          wake();
        });
      await new Promise((resolve, reject) => {
        ws.addEventListener('open', resolve);
        ws.addEventListener('error', reject);
      });
      for (const [index, params] of paramsList.entries()) {
        ws.send(JSON.stringify({ type: 'request', id: index + 1, method, params }));
        await until(() => answers.has(index + 1));
        const answer = answers.get(index + 1)!;
        if (!answer.ok) throw new Error(answer.message);
        await until(() => refusals > index);
      }
      ws.close();
    },
    { method, paramsList },
  );
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  stack = await startDemoStack('attention-text');
  lead = await openDesk(browser, stack.leadDesk.url, 'lead1', 'en-US');
  // 王芳 is signed in (Away still takes a transfer), so the lead's dialog offers her.
  agent = await openDesk(browser, stack.agentDesk.url, 'agent1', 'en-US');
});

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await stack?.stop();
});

test('a refused transfer keeps its handover note: shown, put back into the note box by keyboard, dropped on dismissal', async () => {
  test.setTimeout(150_000);
  const subject = `发票重开 ${String(Date.now())}`;
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject,
    customer: { name: '孙丽', email: 'sunli.attention@example.cn' },
    text: `${subject}，请尽快处理。`,
  });
  await lead.getByLabel('Search').fill(subject);
  const row = lead.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await row.click();
  const pane = lead.getByRole('region', { name: ticketId });
  await expect(pane).toBeVisible();

  const handover = `客户要求重开发票，抬头改为“上海某某科技有限公司”。${'金额与明细请再核对一遍，客户周五前需要。'.repeat(20)}END`;
  await pane.getByRole('button', { name: 'Transfer…' }).click();
  const dialog = lead.getByRole('dialog', { name: `Transfer ${ticketId}` });
  await dialog.getByLabel('A colleague').check();
  const wang = dialog.locator('.transfer-agent-list li').filter({ hasText: '王芳' }).getByRole('radio');
  await expect(wang).toBeEnabled();
  await wang.check();
  await dialog.getByLabel('Handover note (required)').fill(handover);
  // 王芳 signs out before the lead confirms: the server counts her offline and refuses.
  await agent.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(agent.getByLabel('Username')).toBeVisible();
  await dialog.getByRole('button', { name: 'Transfer', exact: true }).click();
  await expect(dialog).toHaveCount(0);

  const attention = lead.getByRole('button', { name: 'Needs attention (1)' });
  await expect(attention).toBeVisible({ timeout: 20_000 });
  await attention.click();
  const list = lead.getByRole('dialog', { name: 'Needs attention' });
  const kept = list.getByLabel('What you wrote');
  // A preview first: the start of the note, not its end.
  await expect(kept).toContainText('客户要求重开发票');
  await expect(kept).not.toContainText('END');
  await expect(list.getByText('What you wrote in a refused change is kept here until you dismiss it.')).toBeVisible();
  await kept.getByRole('button', { name: /^Show all \(\d+ characters\)$/ }).click();
  await expect(kept).toContainText('END');
  await lead.screenshot({ path: test.info().outputPath('attention-text-en.png') });

  await lead.getByLabel('Language').selectOption('zh-CN');
  const zhList = lead.getByRole('dialog', { name: '需处理' });
  await expect(zhList.getByLabel('您写的内容').getByRole('button', { name: '放回备注框' })).toBeVisible();
  await expect(zhList.getByRole('button', { name: '知道了，并删除保留的文字' })).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('attention-text-zh.png') });

  // Keyboard only: focus the "put back" button and press Enter.
  const putBack = zhList.getByRole('button', { name: '放回备注框' });
  await putBack.focus();
  await lead.keyboard.press('Enter');
  await expect(zhList).toHaveCount(0);
  await expect(pane.getByLabel('内部备注')).toHaveValue(handover);
  await lead.getByLabel('语言').selectOption('en');

  // Still listed until dismissed; dismissing deletes it.
  await attention.click();
  await list.getByRole('button', { name: 'Dismiss and delete the kept text' }).click();
  await expect(list.getByLabel('What you wrote')).toHaveCount(0);
  await list.getByRole('button', { name: 'Close' }).click();
  await expect(attention).toHaveCount(0);
});

test('sixty refused transfers: the newest page of previews and how many wait, the rest on demand', async () => {
  test.setTimeout(150_000);
  const subject = `退款进度 ${String(Date.now())}`;
  const { ticketId } = await postDemoInbound(stack.server.url, {
    channel: 'email',
    subject,
    customer: { name: '周杰', email: 'zhou.attention@example.cn' },
    text: `${subject}，退款还没有到账。`,
  });
  await lead.getByLabel('Search').fill(subject);
  await expect(lead.getByRole('listbox', { name: 'Tickets' }).getByRole('option').filter({ hasText: ticketId })).toBeVisible({ timeout: 15_000 });
  // 王芳 is still signed out: the server refuses every transfer to her.
  const refused = 60;
  const noteOf = (n: number) => `第${String(n + 1)}次转办：客户要求退款到原支付账户，${'请财务核对到账时间并回电客户。'.repeat(25)}END`;
  await refuseFromPage(
    lead,
    'ticket.transfer',
    Array.from({ length: refused }, (_, n) => ({ ticketId, to: { kind: 'agent', agentId: 'agent1', agentName: '王芳' }, note: noteOf(n) })),
  );
  const attention = lead.getByRole('button', { name: `Needs attention (${String(refused)})` });
  await expect(attention).toBeVisible({ timeout: 30_000 });
  await attention.click();
  const list = lead.getByRole('dialog', { name: 'Needs attention' });
  await expect(list.getByText(`Showing the newest 50 of ${String(refused)}.`)).toBeVisible();
  const kept = list.getByLabel('What you wrote');
  await expect(kept).toHaveCount(50);
  // Previews only: the newest note's start, not its end, until asked for.
  await expect(kept.first()).toContainText(`第${String(refused)}次转办`);
  await expect(kept.first()).not.toContainText('END');
  await lead.screenshot({ path: test.info().outputPath('attention-many-en.png') });

  await list.getByRole('button', { name: 'Show 10 more' }).click();
  await expect(kept).toHaveCount(refused);
  await expect(list.getByText(/^Showing the newest/)).toHaveCount(0);
  await expect(list.getByRole('button', { name: /^Show \d+ more$/ })).toHaveCount(0);
  const oldest = kept.last();
  await expect(oldest).toContainText('第1次转办');
  await oldest.getByRole('button', { name: /^Show all \(\d+ characters\)$/ }).click();
  await expect(oldest).toContainText('END');

  await lead.getByLabel('Language').selectOption('zh-CN');
  const zhList = lead.getByRole('dialog', { name: '需处理' });
  await zhList.getByRole('button', { name: '关闭' }).click();
  await lead.getByRole('button', { name: `需处理 ${String(refused)}` }).click();
  await expect(zhList.getByText(`显示最新的 50 条，共 ${String(refused)} 条。`)).toBeVisible();
  await expect(zhList.getByRole('button', { name: '再显示 10 条' })).toBeVisible();
  await lead.screenshot({ path: test.info().outputPath('attention-many-zh.png') });
  await lead.getByLabel('语言').selectOption('en');
});
