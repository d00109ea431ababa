/**
 * A web chat from both ends, as the specs of the board and of the alarms drive it: a visitor
 * writes in the widget of the demo site, an available agent accepts the offer and completes the
 * ticket, and the visitor rates it in the widget's satisfaction card (the CSAT survey path of
 * a chat, server/csat).
 */
import { expect, type Browser, type Page } from '@playwright/test';

export const CHAT_LIVE_MS = 20_000;

export type VisitorLocale = 'zh-CN' | 'en-US';

/** An agent with chat signs in on `deskUrl` and stays available (openDesk would set an agent away, and then nobody takes chats). */
export async function signInAvailableAgent(browser: Browser, deskUrl: string, username: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const agent = await context.newPage();
  await agent.goto(deskUrl);
  await agent.getByLabel('Username').fill(username);
  await agent.getByLabel('Password').fill('demo');
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await expect(agent.getByLabel('Presence', { exact: true })).toHaveValue('available', { timeout: CHAT_LIVE_MS });
  return agent;
}

/** The widget lives in a shadow root; Playwright's locators pierce it. */
function widget(page: Page) {
  return page.locator('#omnidesk-chat');
}

/** A visitor opens the demo site's chat page in `locale` and writes `text`; returns the page. */
export async function visitorWrites(browser: Browser, serverUrl: string, locale: VisitorLocale, text: string): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${serverUrl}/chat/?site=demo`);
  const input = widget(page).getByLabel(locale === 'zh-CN' ? '消息' : 'Message', { exact: true });
  await expect(input).toBeVisible({ timeout: CHAT_LIVE_MS });
  await input.fill(text);
  await input.press('Enter');
  await expect(widget(page).getByText(text)).toBeVisible();
  return page;
}

/** The agent accepts the offer of the chat that starts with `text` and gets its ticket id. */
export async function acceptOffer(agent: Page, text: string): Promise<string> {
  const offer = agent.getByRole('alertdialog').filter({ hasText: text });
  await expect(offer).toBeVisible({ timeout: CHAT_LIVE_MS });
  await offer.getByRole('button', { name: 'Accept' }).click();
  const pane = agent.locator('section.ticket-pane');
  await expect(pane.locator('.timeline').getByText(text)).toBeVisible({ timeout: CHAT_LIVE_MS });
  const ticketId = (await pane.getAttribute('aria-label')) ?? '';
  expect(ticketId).toMatch(/^GD\d+/);
  return ticketId;
}

/** The agent completes the open ticket with a result, as in the ticket pane. */
export async function completeOpenTicket(agent: Page, ticketId: string, result: string): Promise<void> {
  await expect(agent.getByRole('region', { name: ticketId })).toBeVisible();
  await agent.getByLabel('Status').selectOption('completed');
  const prompt = agent.getByRole('dialog', { name: `Complete ${ticketId}` });
  await prompt.getByLabel('Result').fill(result);
  await prompt.getByRole('button', { name: 'Complete' }).click();
  await expect(agent.getByLabel('Status')).toHaveValue('completed');
}

/** The customer rates in the widget's card (Chinese or English words), four ratings in the card's order; returns the feedback id the card shows. */
export async function rateInWidget(customer: Page, locale: VisitorLocale, ratings: [number, number, number, number]): Promise<string> {
  const card = widget(customer).locator('[data-csat="card"]');
  await expect(card.getByRole('heading', { name: locale === 'zh-CN' ? '请为本次服务评分' : 'Please rate our service' })).toBeVisible({ timeout: CHAT_LIVE_MS });
  const dimensions = ['attitude', 'speed', 'resolution', 'professionalism'] as const;
  for (const [index, dimension] of dimensions.entries()) {
    await card
      .locator(`button[data-dimension="${dimension}"]`)
      .filter({ hasText: String(ratings[index]) })
      .click();
  }
  await card.getByRole('button', { name: locale === 'zh-CN' ? '提交评价' : 'Send rating' }).click();
  const status = card.getByRole('status');
  await expect(status).toContainText(locale === 'zh-CN' ? /反馈编号 FK\d{11}/ : /Feedback number FK\d{11}/, { timeout: CHAT_LIVE_MS });
  return /FK\d{11}/.exec(await status.innerText())![0];
}
