/**
 * Phone (CTI) end to end: the real server process (demo organisation; CTI on with the demo
 * secret), a real workstation process and Chromium, one window in English and one in
 * Chinese on the same desk. A signed `offered` event pops the caller's card on agent1's
 * (王芳, extension 8001) screen with 张伟's recent tickets; `answered` names the call's
 * ticket and she writes a note during the call; `ended` puts the call with its duration in
 * the ticket's timeline; a missed call creates a callback ticket. The cards sit above the
 * ticket pane, never over the inbox (its rows stay clickable, at 1280 and at 960 px wide);
 * `o` opens the call's ticket; an answered call's card goes by itself when the wrap-up after
 * it is over, unless a note typed on it is unsaved. Screenshots at 1280x800.
 */
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { demoToken, postDemoInbound } from './demoApi.js';
import { workstationHandshakeAuth } from '../shared/sync.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

const CTI_SECRET = 'demo-cti-secret';
const RUN = Date.now().toString(36);
const CALL_ID = `e2e-call-${RUN}`;
const MISSED_CALL_ID = `e2e-missed-${RUN}`;
/** 张伟 of the demo organisation (VIP customer with phone and email tickets). */
const ZHANG_WEI = '13800138000';
const ZHANG_WEI_MASKED = '138****8000';
const UNKNOWN_CALLER = '13655550123';
/** A new caller whose call an IVR answered (no extension): a ticket of its own in the queue, subject 来电 and the number. */
const IVR_CALLER = '13655550456';
const IVR_CALLER_MASKED = '136****0456';
const NOTE = '客户催促物流进度，已承诺今天 17:00 前回电。';
const AFTER_CALL_NOTE = '话后补充：客户同意周五前换货。';

let server: RunningProcess;
let desk: RunningProcess;
let leadDesk: RunningProcess | null = null;
let root = '';
let en: Page;
let zh: Page;
let callTicket = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-e2e-cti-'));
  server = await startServerProcess({ dataDir: path.join(root, 'server'), demo: true });
  desk = await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'agent1') });
  await setPhoneWrapUp(600);
});

/**
 * admin1 sets the phone wrap-up (Admin → Policies), so a wrap-up outlasts a slow run's
 * screenshots: the cards are seen to leave when she says Ready, not at a deadline that a
 * loaded machine may or may not reach first.
 */
async function setPhoneWrapUp(seconds: number): Promise<void> {
  const token = await demoToken(server.url, 'admin1');
  const socket = io(server.url, { auth: workstationHandshakeAuth(token, randomUUID()), transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const read = (await socket.timeout(10_000).emitWithAck('admin:policies', {})) as {
      ok: boolean;
      result: { policies: { wrapUpSeconds: Record<string, number> } };
    };
    expect(read.ok).toBe(true);
    const policies = { ...read.result.policies, wrapUpSeconds: { ...read.result.policies.wrapUpSeconds, phone: seconds } };
    const set = (await socket.timeout(10_000).emitWithAck('admin:setPolicies', { policies })) as { ok: boolean };
    expect(set.ok, JSON.stringify(set)).toBe(true);
  } finally {
    socket.disconnect();
  }
}

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
  await desk?.stop();
  await leadDesk?.stop();
  await server?.stop();
});

/** Posts one call event to the CTI webhook, signed as a telephony system would. */
async function postCall(event: Record<string, unknown>): Promise<{ state: string; ticketId: string | null }> {
  const body = JSON.stringify({ at: Date.now(), to: '4008001234', agentExtension: '8001', ...event });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `sha256=${createHmac('sha256', CTI_SECRET)
    .update(`${String(timestamp)}.${body}`)
    .digest('hex')}`;
  const response = await fetch(`${server.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-omnidesk-timestamp': String(timestamp), 'x-omnidesk-signature': signature },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { state: string; ticketId: string | null };
}

/** Signs agent1 in (each window is a browser profile of its own: its own seat and core) and sets her Away, so no routing offer covers the cards. */
async function openDesk(browser: Browser, locale: 'en-US' | 'zh-CN'): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(desk.url);
  const username = page.getByLabel(locale === 'en-US' ? 'Username' : '用户名');
  const presence = page.getByLabel(locale === 'en-US' ? 'Presence' : '在线状态', { exact: true });
  await expect(username.or(presence)).toBeVisible();
  if (await username.isVisible()) {
    await username.fill('agent1');
    await page.getByLabel(locale === 'en-US' ? 'Password' : '密码').fill('demo');
    await page.getByRole('button', { name: locale === 'en-US' ? 'Sign in' : '登录' }).click();
  }
  // A sign-in on a loaded machine (other suites running) can take longer than the default 5 s.
  await expect(presence).toBeVisible({ timeout: 20_000 });
  await presence.selectOption('away');
  await expect(page.locator('.offer-card')).toHaveCount(0, { timeout: 15_000 });
  return page;
}

function card(page: Page, callId: string) {
  return page.locator(`.call-card[data-call-id="${callId}"]`);
}

/** The call cards and the inbox list share no pixel: every row the agent could click stays clickable. */
async function expectInboxUncovered(page: Page): Promise<void> {
  const list = await page.locator('.inbox-list').boundingBox();
  expect(list).not.toBeNull();
  for (const box of await Promise.all((await page.locator('.call-card').all()).map((c) => c.boundingBox()))) {
    expect(box).not.toBeNull();
    const apart = box!.x >= list!.x + list!.width || box!.x + box!.width <= list!.x || box!.y >= list!.y + list!.height || box!.y + box!.height <= list!.y;
    expect(apart, `a call card ${JSON.stringify(box)} over the inbox list ${JSON.stringify(list)}`).toBe(true);
  }
  // The list's last row, scrolled into view at its bottom edge, takes its own click: Playwright's trial click fails while anything is drawn over it.
  const rows = page.locator('.inbox-list .inbox-row');
  await rows.nth((await rows.count()) - 1).click({ trial: true, timeout: 5_000 });
}

test('an offered call pops 张伟 with his recent tickets on both windows', async ({ browser }) => {
  // Two sign-ins, the layout checked at two window sizes and the `?` sheet: near 60 s on a loaded machine.
  test.setTimeout(120_000);
  en = await openDesk(browser, 'en-US');
  zh = await openDesk(browser, 'zh-CN');

  await postCall({ callId: CALL_ID, event: 'offered', from: ZHANG_WEI });
  const enCard = card(en, CALL_ID);
  await expect(enCard).toBeVisible();
  await expect(enCard.getByRole('heading', { name: 'Incoming call' })).toBeVisible();
  await expect(enCard).toContainText('张伟');
  // The agent sees the caller's number masked; one click shows it (the server records who looked), in that window only.
  await expect(enCard).toContainText(ZHANG_WEI_MASKED);
  await expect(enCard).not.toContainText(ZHANG_WEI);
  await enCard.getByRole('button', { name: "Show the caller's number in full (your viewing is recorded)" }).click();
  await expect(enCard).toContainText(ZHANG_WEI);
  await expect(enCard.getByRole('heading', { name: 'Recent tickets' })).toBeVisible();
  await expect(enCard.locator('.call-recent-ticket').first()).toBeVisible();
  await expect(enCard).toContainText('Notes can be written once the call is answered.');
  await expectInboxUncovered(en);
  const zhCard = card(zh, CALL_ID);
  await expect(zhCard.getByRole('heading', { name: '来电' })).toBeVisible();
  await expect(zhCard).toContainText('最近工单');
  await expect(zhCard).toContainText(ZHANG_WEI_MASKED);
  await expectInboxUncovered(zh);
  await en.screenshot({ path: test.info().outputPath('call-ringing-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-ringing-zh.png') });

  // An inbox row takes its click while the card shows.
  const firstRow = en.locator('.inbox-list .inbox-row').first();
  const rowTicket = (await firstRow.locator('.ticket-id').first().textContent())!;
  await firstRow.click();
  await expect(en.locator('.ticket-pane .ticket-header')).toContainText(rowTicket);

  // While it rings the call has no ticket yet: `o` opens his newest ticket that is hers, the card's first button, which shows the key.
  const mine = enCard.locator('button.call-recent-ticket').first();
  await expect(mine).toHaveAttribute('aria-keyshortcuts', 'o');
  await expect(mine.locator('.call-key')).toHaveText('o');
  const ticketId = (await mine.locator('.ticket-id').textContent())!;
  await en.locator('.inbox-list .inbox-row').first().focus();
  await en.keyboard.press('o');
  await expect(en.locator('.ticket-pane .ticket-header')).toContainText(ticketId);
  // The `?` sheet lists the key.
  await en.keyboard.press('?');
  await expect(en.getByRole('dialog').getByRole('row').filter({ hasText: "Open the phone call's ticket" })).toContainText('o');
  await en.keyboard.press('Escape');

  // The narrowest window the desktop app allows (960 px): the card still leaves the inbox alone.
  await en.setViewportSize({ width: 960, height: 640 });
  await expectInboxUncovered(en);
  await en.screenshot({ path: test.info().outputPath('call-ringing-960-en.png') });
  await en.setViewportSize({ width: 1280, height: 800 });
});

test('answered: she writes a note during the call; ended: the call and its duration are in the timeline', async () => {
  // Two windows, eight screenshots: past 60 s on a loaded machine.
  test.setTimeout(120_000);
  const answeredAt = Date.now();
  const answered = await postCall({ callId: CALL_ID, event: 'answered', from: ZHANG_WEI, at: answeredAt });
  expect(answered.state).toBe('answered');
  callTicket = answered.ticketId!;
  const enCard = card(en, CALL_ID);
  await expect(enCard.getByRole('heading', { name: 'On the call' })).toBeVisible();
  const openButton = enCard.getByRole('button', { name: `Open ticket ${callTicket}` });
  await expect(openButton).toBeVisible();
  await expect(openButton).toHaveAttribute('aria-keyshortcuts', 'o');
  await expect(enCard.locator('.call-key')).toHaveCount(1);

  // Keyboard only: into the notes box, type, Ctrl+Enter saves; Esc leaves the box (the card stays), `o` opens the call's ticket.
  const notes = enCard.getByLabel('Call notes');
  await notes.focus();
  await en.keyboard.type(NOTE);
  await en.keyboard.press('o');
  await expect(notes).toHaveValue(`${NOTE}o`);
  await en.keyboard.press('Backspace');
  await en.keyboard.press('Control+Enter');
  await expect(enCard.getByRole('status')).toHaveText(`1 note saved to ${callTicket}`);
  await expect(notes).toHaveValue('');
  await en.keyboard.press('Escape');
  await expect(notes).not.toBeFocused();
  await expect(enCard).toBeVisible();
  await en.keyboard.press('o');
  await expect(en.locator('.ticket-pane .ticket-header')).toContainText(callTicket);
  await expect(en.locator('.timeline .message-call').last()).toContainText('In progress');
  await expect(card(zh, CALL_ID).getByRole('heading', { name: '通话中' })).toBeVisible();
  await zh.keyboard.press('o');
  await expect(zh.locator('.ticket-pane .ticket-header')).toContainText(callTicket);
  await expectInboxUncovered(en);
  await en.screenshot({ path: test.info().outputPath('call-answered-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-answered-zh.png') });

  await postCall({ callId: CALL_ID, event: 'ended', from: ZHANG_WEI, at: answeredAt + 192_000 });
  await expect(enCard.getByRole('heading', { name: 'Call ended · 3:12' })).toBeVisible();
  const zhCard = card(zh, CALL_ID);
  await expect(zhCard.getByRole('heading', { name: '通话结束 · 3分12秒' })).toBeVisible();
  // The card counts the wrap-up (话后处理) down, with Ready.
  await expect(enCard.locator('.wrap-up')).toContainText('Wrap-up · Phone');
  await expect(zhCard.locator('.wrap-up')).toContainText('话后处理 · 电话');
  // In the Chinese window a note is typed after the call and not saved yet.
  await zhCard.getByLabel('通话记录').fill(AFTER_CALL_NOTE);
  await en.screenshot({ path: test.info().outputPath('call-ended-wrap-up-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-ended-wrap-up-zh.png') });

  // Ready ends the wrap-up: the card goes by itself where nothing on it is unsaved...
  await enCard.locator('.wrap-up').getByRole('button', { name: 'Ready' }).click();
  await expect(enCard).toHaveCount(0);
  await expect(en.locator('.app-header .wrap-up')).toHaveCount(0);
  // ...and stays, the note kept, where it is, until the note is saved.
  await expect(zh.locator('.app-header .wrap-up')).toHaveCount(0);
  await expect(zhCard).toHaveCount(1);
  await expect(zhCard.getByLabel('通话记录')).toHaveValue(AFTER_CALL_NOTE);
  await zhCard.getByLabel('通话记录').press('Control+Enter');
  await expect(zhCard).toHaveCount(0);

  const enTimeline = en.locator('.timeline');
  await expect(enTimeline.locator('.message-call')).toContainText('Call 3:12');
  // The call's summary in each window's language only (issue 12).
  await expectOneLanguage(enTimeline.locator('.message-call').last(), 'en');
  await expectOneLanguage(zh.locator('.timeline .message-call').last(), 'zh-CN');
  await expect(enTimeline).toContainText(NOTE);
  await expect(zh.locator('.timeline .message-call')).toContainText('通话 3分12秒');
  await expect(zh.locator('.timeline')).toContainText(NOTE);
  await expect(zh.locator('.timeline')).toContainText(AFTER_CALL_NOTE);
  // The customer's history says the call as the timeline does (walk-7: it showed the stored code, `call_answered(192): Call 3:12`).
  for (const [page, said] of [
    [en, 'Call 3:12'],
    [zh, '通话 3分12秒'],
  ] as const) {
    const current = page.locator('.customer-history .history-current');
    await current.locator('summary').click();
    await expect(current.locator('.history-messages')).toContainText(said);
    await expect(current.locator('.history-messages')).not.toContainText('call_answered');
  }
  await en.screenshot({ path: test.info().outputPath('call-ended-timeline-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-ended-timeline-zh.png') });

  // Ready made her available: back to Away, so no routing offer comes meanwhile.
  await en.getByLabel('Presence', { exact: true }).selectOption('away');
  await expect(en.locator('.offer-card')).toHaveCount(0, { timeout: 15_000 });
  await expect(zh.locator('.offer-card')).toHaveCount(0, { timeout: 15_000 });
});

test('a missed call from an unknown number becomes a callback ticket', async () => {
  await postCall({ callId: MISSED_CALL_ID, event: 'ringing', from: UNKNOWN_CALLER });
  await expect(card(en, MISSED_CALL_ID)).toContainText('Unknown caller');
  await expect(card(zh, MISSED_CALL_ID)).toContainText('陌生来电');
  await en.screenshot({ path: test.info().outputPath('call-unknown-en.png') });
  const missed = await postCall({ callId: MISSED_CALL_ID, event: 'missed', from: UNKNOWN_CALLER });
  expect(missed.state).toBe('missed');
  const callbackTicketId = missed.ticketId;
  if (callbackTicketId === null) throw new Error('the missed call left no callback ticket');
  const enCard = card(en, MISSED_CALL_ID);
  await expect(enCard.getByRole('heading', { name: 'Missed call' })).toBeVisible();
  await expect(card(zh, MISSED_CALL_ID).getByRole('heading', { name: '未接来电' })).toBeVisible();
  await en.screenshot({ path: test.info().outputPath('call-missed-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-missed-zh.png') });

  await enCard.getByRole('button', { name: `Callback task ${callbackTicketId}` }).click();
  const pane = en.locator('.ticket-pane');
  await expect(pane).toContainText(callbackTicketId);
  // The callback task's subject and its call in English only (the server stored "未接来电，请回拨 / Missed call — call back").
  await expect(pane.locator('.ticket-subject')).toHaveText('Missed call — call back');
  await expect(pane.locator('.message-call')).toContainText('Missed call');
  await expectOneLanguage(pane.locator('.ticket-subject'), 'en');
  await expectOneLanguage(pane.locator('.message-call'), 'en');
  await en.screenshot({ path: test.info().outputPath('callback-ticket-en.png') });
  // No wrap-up follows a missed call: its card stays until dismissed; `o` opens its callback task.
  await en.locator('.inbox-list .inbox-row').first().focus();
  await en.keyboard.press('o');
  await expect(pane.locator('.ticket-header')).toContainText(callbackTicketId);
  await card(zh, MISSED_CALL_ID)
    .getByRole('button', { name: `回拨任务 ${callbackTicketId}` })
    .click();
  const zhPane = zh.locator('.ticket-pane');
  await expect(zhPane.locator('.ticket-subject')).toHaveText('未接来电，请回拨');
  await expect(zhPane.locator('.message-call')).toContainText('未接来电');
  await expectOneLanguage(zhPane.locator('.ticket-subject'), 'zh-CN');
  await expectOneLanguage(zhPane.locator('.message-call'), 'zh-CN');
  await zh.screenshot({ path: test.info().outputPath('callback-ticket-zh.png') });

  // Search finds the callback task in either language, as it did when its subject held both.
  await expectSearchFinds(en, 'en', 'Missed call', callbackTicketId, 'Missed call — call back');
  await expectSearchFinds(zh, 'zh-CN', '未接来电', callbackTicketId, '未接来电，请回拨');
});

/** A line of the window in its language only: no Chinese in English; in Chinese, Latin letters only in numbers and IDs ("ext." is English). */
async function expectOneLanguage(line: Locator, language: 'en' | 'zh-CN'): Promise<void> {
  const text = (await line.innerText()).trim();
  expect(text.length).toBeGreaterThan(0);
  if (language === 'en') expect(text, text).not.toMatch(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/);
  else expect(text.replace(/\bGD\d+\b/g, ''), text).not.toMatch(/[A-Za-z]/);
}

/**
 * Types a term into the inbox search: the callback task waits in the queue, so the search's
 * queue hint lists it, its subject in the window's language (and a hit inside its call's text
 * said in that language, not as the server's code). Then back to her tickets, search cleared.
 */
async function expectSearchFinds(
  page: Page,
  language: 'en' | 'zh-CN',
  term: string,
  ticketId: string,
  subject: string,
  shot = 'callback-search',
): Promise<void> {
  const w =
    language === 'en'
      ? { search: 'Search', matches: /^Matches in the queue: /, results: 'Waiting tickets that match', mine: 'My tickets' }
      : { search: '搜索', matches: /^排队中有 /, results: '符合条件的排队工单', mine: '我的工单' };
  const search = page.getByLabel(w.search, { exact: true });
  await search.fill(term);
  await page.getByRole('button', { name: w.matches }).click();
  const row = page.getByRole('list', { name: w.results, exact: true }).getByRole('button').filter({ hasText: ticketId });
  await expect(row).toHaveCount(1);
  await expect(row.locator('.subject')).toHaveText(subject);
  await expect(row).not.toContainText('call_missed(');
  await expectOneLanguage(row, language);
  await page.screenshot({ path: test.info().outputPath(`${shot}-${language === 'en' ? 'en' : 'zh'}.png`) });
  await search.fill('');
  await page.getByRole('button', { name: w.mine, exact: true }).click();
  await expect(page.locator('.inbox-list .inbox-row').first()).toBeVisible();
}

/** The lead's team board on their own workstation, in one language. */
async function openTeamBoard(browser: Browser, locale: 'en-US' | 'zh-CN'): Promise<Page> {
  leadDesk ??= await startWorkstationProcess({ serverUrl: server.url, dataDir: path.join(root, 'lead1') });
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await page.goto(leadDesk.url);
  const username = page.getByLabel(locale === 'en-US' ? 'Username' : '用户名');
  const team = page.getByRole('button', { name: locale === 'en-US' ? 'Team' : '团队', exact: true });
  await expect(username.or(team)).toBeVisible();
  if (await username.isVisible()) {
    await username.fill('lead1');
    await page.getByLabel(locale === 'en-US' ? 'Password' : '密码').fill('demo');
    await page.getByRole('button', { name: locale === 'en-US' ? 'Sign in' : '登录' }).click();
  }
  await team.click();
  return page;
}

test('during a live call she gets no new chats, and the header says why; when it ends they come', async ({ browser }) => {
  // It starts lead1's workstation and opens the Team view twice: past 60 s on a loaded machine.
  test.setTimeout(120_000);
  const LIVE_CALL_ID = `e2e-live-${RUN}`;
  await postCall({ callId: LIVE_CALL_ID, event: 'ringing', from: ZHANG_WEI });
  const { ticketId: liveTicket } = await postCall({ callId: LIVE_CALL_ID, event: 'answered', from: ZHANG_WEI });
  // Two calls on screen (this one and the missed one): side by side above the ticket, the key on the live call's card.
  await expect(card(en, LIVE_CALL_ID).getByRole('heading', { name: 'On the call' })).toBeVisible();
  await expect(en.locator('.call-card')).toHaveCount(2);
  await expect(card(en, LIVE_CALL_ID).getByRole('button', { name: `Open ticket ${liveTicket!}` })).toHaveAttribute('aria-keyshortcuts', 'o');
  await expect(card(en, MISSED_CALL_ID).locator('.call-key')).toHaveCount(0);
  await expectInboxUncovered(en);
  await expectInboxUncovered(zh);
  await en.screenshot({ path: test.info().outputPath('two-calls-en.png') });
  await zh.screenshot({ path: test.info().outputPath('two-calls-zh.png') });
  await postDemoInbound(server.url, { channel: 'chat', customer: { name: '刘芳', phone: '13512345678' }, text: '你好，请问发票什么时候开？' });
  // Back to Available on a call: chats wait for someone else, and she is told so.
  await en.getByLabel('Presence', { exact: true }).selectOption('available');
  const enSkip = en.locator('.routing-skip-on_call');
  await expect(enSkip).toContainText('On a call: no new chats until it ends');
  await expect(enSkip).toContainText('waiting');
  await expect(zh.locator('.routing-skip-on_call')).toContainText('通话中：挂断前不分配在线客服');
  await en.screenshot({ path: test.info().outputPath('header-skipped-on-call-en.png') });
  await zh.screenshot({ path: test.info().outputPath('header-skipped-on-call-zh.png') });
  // The lead's board shows her available, and on a call.
  for (const [locale, onCall] of [
    ['en-US', 'On a call'],
    ['zh-CN', '通话中'],
  ] as const) {
    const board = await openTeamBoard(browser, locale);
    await expect(board.locator('.team-row').filter({ hasText: '王芳' }).locator('.on-call-tag')).toHaveText(onCall);
    await board.screenshot({ path: test.info().outputPath(`team-on-call-${locale}.png`) });
    await board.context().close();
  }

  await postCall({ callId: LIVE_CALL_ID, event: 'ended', from: ZHANG_WEI, durationSec: 45 });
  await expect(enSkip).toHaveCount(0);
  // The call's end starts her wrap-up (话后处理; 600 s for phone here): no offer until it ends or she says Ready.
  const wrapUp = en.locator('.app-header .wrap-up');
  // It says which contact it follows: the phone call.
  await expect(wrapUp).toContainText('Wrap-up · Phone');
  await expect(zh.locator('.app-header .wrap-up')).toContainText('话后处理 · 电话');
  await expect(en.locator('.offer-card')).toHaveCount(0);
  await en.screenshot({ path: test.info().outputPath('header-wrap-up-en.png') });
  await zh.screenshot({ path: test.info().outputPath('header-wrap-up-zh.png') });
  await wrapUp.getByRole('button', { name: 'Ready' }).click();
  await expect(wrapUp).toHaveCount(0);
  // The call's card leaves with its wrap-up, in both windows; the missed call's stays.
  await expect(card(en, LIVE_CALL_ID)).toHaveCount(0);
  await expect(card(zh, LIVE_CALL_ID)).toHaveCount(0);
  await expect(en.locator('.offer-card').first()).toBeVisible();
  await en.screenshot({ path: test.info().outputPath('header-after-call-en.png') });

  // Escape on a card dismisses it. The two windows are two browser profiles, so two seats
  // of the workstation with a core each (docs/technical/hosts.md): the other keeps its card until dismissed there.
  const enMissed = card(en, MISSED_CALL_ID);
  await enMissed.locator('.call-dismiss').focus();
  await en.keyboard.press('Escape');
  await expect(enMissed).toHaveCount(0);
  const zhMissed = card(zh, MISSED_CALL_ID);
  await expect(zhMissed).toHaveCount(1);
  await zhMissed.locator('.call-dismiss').focus();
  await zh.keyboard.press('Escape');
  await expect(zhMissed).toHaveCount(0);
});

test("an answered call's ticket, stored as 来电 and the caller, is 'Call from …' in English and 来电 … in Chinese; 通话 finds it", async () => {
  // Away, so the queued call is not offered to her meanwhile.
  await en.getByLabel('Presence', { exact: true }).selectOption('away');
  await expect(en.locator('.offer-card')).toHaveCount(0, { timeout: 15_000 });
  const IVR_CALL_ID = `e2e-ivr-${RUN}`;
  const { ticketId } = await postCall({ callId: IVR_CALL_ID, event: 'answered', from: IVR_CALLER, agentExtension: null });
  if (ticketId === null) throw new Error('the answered call left no ticket');
  await postCall({ callId: IVR_CALL_ID, event: 'ended', from: IVR_CALLER, agentExtension: null, durationSec: 30 });
  // Stored in the organisation's words, as before: only the window says it in English.
  const token = await demoToken(server.url, 'lead1');
  const stored = (await (await fetch(`${server.url}/api/v1/tickets/${ticketId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    ticket: { subject: string };
  };
  expect(stored.ticket.subject).toBe(`来电 ${IVR_CALLER}`);
  await expectSearchFinds(en, 'en', ticketId, ticketId, `Call from ${IVR_CALLER_MASKED}`, 'answered-call-search');
  // In Chinese by the word the call is said in ("通话 0:30" is stored as call_answered(30)).
  await expectSearchFinds(zh, 'zh-CN', '通话', ticketId, `来电 ${IVR_CALLER_MASKED}`, 'answered-call-search');
});
