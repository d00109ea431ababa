/**
 * Phone (CTI) end to end: the real server process (demo organisation; CTI on with the demo
 * secret), a real workstation process and Chromium, one window in English and one in
 * Chinese on the same desk. A signed `offered` event pops the caller's card on agent1's
 * (王芳, extension 8001) screen with 张伟's recent tickets; `answered` names the call's
 * ticket and she writes a note during the call; `ended` puts the call with its duration in
 * the ticket's timeline; a missed call creates a callback ticket. Screenshots at 1280x800.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postDemoInbound } from './demoApi.js';
import { startServerProcess, startWorkstationProcess, type RunningProcess, closeContexts } from './stack.js';

const CTI_SECRET = 'demo-cti-secret';
const RUN = Date.now().toString(36);
const CALL_ID = `e2e-call-${RUN}`;
const MISSED_CALL_ID = `e2e-missed-${RUN}`;
/** 张伟 of the demo organisation (VIP customer with phone and email tickets). */
const ZHANG_WEI = '13800138000';
const ZHANG_WEI_MASKED = '138****8000';
const UNKNOWN_CALLER = '13655550123';
const NOTE = '客户催促物流进度，已承诺今天 17:00 前回电。';

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
});

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
  await expect(presence).toBeVisible();
  await presence.selectOption('away');
  await expect(page.locator('.offer-card')).toHaveCount(0, { timeout: 15_000 });
  return page;
}

function card(page: Page, callId: string) {
  return page.locator(`.call-card[data-call-id="${callId}"]`);
}

test('an offered call pops 张伟 with his recent tickets on both windows', async ({ browser }) => {
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
  const zhCard = card(zh, CALL_ID);
  await expect(zhCard.getByRole('heading', { name: '来电' })).toBeVisible();
  await expect(zhCard).toContainText('最近工单');
  await expect(zhCard).toContainText(ZHANG_WEI_MASKED);
  await en.screenshot({ path: test.info().outputPath('call-ringing-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-ringing-zh.png') });

  // A recent ticket of his that is hers opens from the card.
  const mine = enCard.locator('button.call-recent-ticket').first();
  const ticketId = (await mine.locator('.ticket-id').textContent())!;
  await mine.click();
  await expect(en.locator('.ticket-pane')).toContainText(ticketId);
});

test('answered: she writes a note during the call; ended: the call and its duration are in the timeline', async () => {
  const answeredAt = Date.now();
  const answered = await postCall({ callId: CALL_ID, event: 'answered', from: ZHANG_WEI, at: answeredAt });
  expect(answered.state).toBe('answered');
  callTicket = answered.ticketId!;
  const enCard = card(en, CALL_ID);
  await expect(enCard.getByRole('heading', { name: 'On the call' })).toBeVisible();
  await expect(enCard.getByRole('button', { name: `Open ticket ${callTicket}` })).toBeVisible();

  // Keyboard only: into the notes box, type, Ctrl+Enter saves.
  const notes = enCard.getByLabel('Call notes');
  await notes.focus();
  await en.keyboard.type(NOTE);
  await en.keyboard.press('Control+Enter');
  await expect(enCard.getByRole('status')).toHaveText(`1 note saved to ${callTicket}`);
  await expect(notes).toHaveValue('');
  await expect(card(zh, CALL_ID).getByRole('heading', { name: '通话中' })).toBeVisible();
  await enCard.getByRole('button', { name: `Open ticket ${callTicket}` }).click();
  await expect(en.locator('.timeline .message-call').last()).toContainText('In progress');
  await en.screenshot({ path: test.info().outputPath('call-answered-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-answered-zh.png') });

  await postCall({ callId: CALL_ID, event: 'ended', from: ZHANG_WEI, at: answeredAt + 192_000 });
  await expect(enCard.getByRole('heading', { name: 'Call ended · 3:12' })).toBeVisible();
  await expect(card(zh, CALL_ID).getByRole('heading', { name: '通话结束 · 3分12秒' })).toBeVisible();

  await enCard.getByRole('button', { name: `Open ticket ${callTicket}` }).click();
  const enTimeline = en.locator('.timeline');
  await expect(enTimeline.locator('.message-call')).toContainText('Call 3:12');
  await expect(enTimeline).toContainText(NOTE);
  await card(zh, CALL_ID)
    .getByRole('button', { name: `打开工单 ${callTicket}` })
    .click();
  await expect(zh.locator('.timeline .message-call')).toContainText('通话 3分12秒');
  await expect(zh.locator('.timeline')).toContainText(NOTE);
  await en.screenshot({ path: test.info().outputPath('call-ended-timeline-en.png') });
  await zh.screenshot({ path: test.info().outputPath('call-ended-timeline-zh.png') });

  // Escape inside the card dismisses it. The two windows are two browser profiles, so two seats
  // of the workstation with a core each (docs/technical/hosts.md): the other keeps its card until dismissed there.
  await enCard.getByRole('button', { name: `Dismiss the card of the call from ${ZHANG_WEI_MASKED}` }).focus();
  await en.keyboard.press('Escape');
  await expect(enCard).toHaveCount(0);
  const zhCard = card(zh, CALL_ID);
  await expect(zhCard).toHaveCount(1);
  await zhCard.locator('.call-dismiss').focus();
  await zh.keyboard.press('Escape');
  await expect(zhCard).toHaveCount(0);
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
  await expect(pane).toContainText('未接来电，请回拨 / Missed call — call back');
  await expect(pane.locator('.message-call')).toContainText('Missed call');
  await en.screenshot({ path: test.info().outputPath('callback-ticket-en.png') });
  await card(zh, MISSED_CALL_ID)
    .getByRole('button', { name: `回拨任务 ${callbackTicketId}` })
    .click();
  await expect(zh.locator('.ticket-pane')).toContainText('未接来电，请回拨');
  await zh.screenshot({ path: test.info().outputPath('callback-ticket-zh.png') });
});

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
  await postCall({ callId: LIVE_CALL_ID, event: 'answered', from: ZHANG_WEI });
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
  // The call's end starts her wrap-up (话后处理, 30 s for phone by default): no offer until it ends or she says Ready.
  const wrapUp = en.locator('.app-header .wrap-up');
  // It says which contact it follows: the phone call.
  await expect(wrapUp).toContainText('Wrap-up · Phone');
  await expect(zh.locator('.app-header .wrap-up')).toContainText('话后处理 · 电话');
  await expect(en.locator('.offer-card')).toHaveCount(0);
  await en.screenshot({ path: test.info().outputPath('header-wrap-up-en.png') });
  await zh.screenshot({ path: test.info().outputPath('header-wrap-up-zh.png') });
  await wrapUp.getByRole('button', { name: 'Ready' }).click();
  await expect(wrapUp).toHaveCount(0);
  await expect(en.locator('.offer-card').first()).toBeVisible();
  await en.screenshot({ path: test.info().outputPath('header-after-call-en.png') });
});
