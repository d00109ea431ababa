/**
 * What the end-to-end specs do against a demo server and a workstation page besides
 * clicking: post an inbound contact with the demo integration token, get a demo user's
 * token, hand tickets to an agent as the lead, sign a page in.
 */
import { expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import type { Policies, PoliciesResult } from '../shared/admin.js';
import type { BoardGetResult, BoardSnapshot } from '../shared/board.js';
import type { Priority, Ticket } from '../shared/domain.js';
import type { TicketFetchResult } from '../shared/queue.js';
import type { Presence } from '../shared/routing.js';
import type { InboundResponse } from '../shared/httpApi.js';
import { workstationHandshakeAuth } from '../shared/sync.js';

/** Posts a contact to `/api/v1/inbound` as the demo integration and expects it stored (201). */
export async function postDemoInbound(serverUrl: string, body: unknown): Promise<InboundResponse> {
  const response = await fetch(`${serverUrl}/api/v1/inbound`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as InboundResponse;
}

/** A bearer token of a demo user (password `demo`). */
export async function demoToken(serverUrl: string, username: string): Promise<string> {
  const response = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/**
 * lead1 hands the tickets to an agent (`lead:reassign` over the server's socket), as the team
 * view's bulk reassignment does: an agent is sent what they hold, so this puts them in their inbox.
 */
export async function reassignAsLead(serverUrl: string, ticketIds: string[], to: string): Promise<void> {
  const token = await demoToken(serverUrl, 'lead1');
  const socket = io(serverUrl, { auth: workstationHandshakeAuth(token, randomUUID()), transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const ack = (await socket.timeout(10_000).emitWithAck('lead:reassign', { ticketIds, to })) as { ok: boolean; result?: { results: Array<{ ok: boolean }> } };
    expect(ack.ok && ack.result!.results.every((result) => result.ok), JSON.stringify(ack)).toBe(true);
  } finally {
    socket.disconnect();
  }
}

/** Asks the server over its socket as a demo user (`event` with `payload`), expects an ok ack and returns its result. */
async function askAs<T>(serverUrl: string, username: string, event: string, payload: unknown): Promise<T> {
  const token = await demoToken(serverUrl, username);
  const socket = io(serverUrl, { auth: workstationHandshakeAuth(token, randomUUID()), transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    const ack = (await socket.timeout(10_000).emitWithAck(event, payload)) as { ok: boolean; result?: T };
    expect(ack.ok, JSON.stringify(ack)).toBe(true);
    return ack.result!;
  } finally {
    socket.disconnect();
  }
}

/** lead1 sets an agent's presence (the Team view's presence select), e.g. Available: the queue's waiting contacts are offered to them. */
export async function setPresenceAsLead(serverUrl: string, userId: string, presence: Presence): Promise<void> {
  await askAs(serverUrl, 'lead1', 'lead:setPresence', { userId, presence });
}

/** admin1 sets the resolution target of one priority (minutes), the admin screen's policies otherwise unchanged. */
export async function setSlaMinutesAsAdmin(serverUrl: string, priority: Priority, minutes: number): Promise<void> {
  await changePoliciesAsAdmin(serverUrl, (policies) => ({ ...policies, slaMinutes: { ...policies.slaMinutes, [priority]: minutes } }));
}

/** admin1 changes the policies (Admin → Policies) with `change`, and returns what they were before. */
export async function changePoliciesAsAdmin(serverUrl: string, change: (policies: Policies) => Policies): Promise<Policies> {
  const { policies } = await askAs<PoliciesResult>(serverUrl, 'admin1', 'admin:policies', {});
  await askAs(serverUrl, 'admin1', 'admin:setPolicies', { policies: change(policies) });
  return policies;
}

/** The ticket as the server holds it now (lead1's `ticket:fetch`): its timestamps are what the board counts from. */
export async function fetchTicketAsLead(serverUrl: string, ticketId: string): Promise<Ticket> {
  return (await askAs<TicketFetchResult>(serverUrl, 'lead1', 'ticket:fetch', { ticketId })).bundle.ticket;
}

/** The board as lead1's `board:get` answers it now. */
export async function boardAsLead(serverUrl: string): Promise<BoardSnapshot> {
  return (await askAs<BoardGetResult>(serverUrl, 'lead1', 'board:get', {})).board;
}

/** A queued ticket is not in an agent's inbox: it opens from the queue view, which fetches it. */
export async function openQueued(page: Page, ticketId: string): Promise<void> {
  await page
    .getByRole('group', { name: /^(Tickets|工单)$/ })
    .getByRole('button', { name: /^(Queue|排队)/ })
    .click();
  await page
    .getByRole('list', { name: /^(Waiting tickets|排队中的工单)$/ })
    .getByRole('button')
    .filter({ hasText: ticketId })
    .click();
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();
}

/**
 * Opens a ticket from the agent's inbox when routing gave it to them, else from the queue
 * view (it waits there: no agent eligible, or at capacity).
 */
export async function openFromInboxOrQueue(page: Page, ticketId: string): Promise<void> {
  const row = page
    .getByRole('listbox', { name: /^(Tickets|工单)$/ })
    .getByRole('option')
    .filter({ hasText: ticketId });
  const routed = await row.waitFor({ timeout: 5_000 }).then(
    () => true,
    () => false,
  );
  if (!routed) return openQueued(page, ticketId);
  await row.click();
  await expect(page.getByRole('region', { name: ticketId })).toBeVisible();
}

/** Signs the English workstation page in as a demo user, signing out whoever was signed in. */
export async function signIn(page: Page, url: string, username: string): Promise<void> {
  await page.goto(url);
  const signOut = page.getByRole('button', { name: 'Sign out' });
  await expect(page.getByLabel('Username').or(signOut)).toBeVisible();
  if (await signOut.isVisible()) await signOut.click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Username')).toHaveCount(0);
}

/**
 * A reply on a ticket the agent does not hold asks first ("This ticket is not yours"; one opened
 * from the queue by `openFromInboxOrQueue` is such a ticket): answers "Reply and take it" when
 * asked, and waits until the reply `sentText` shows in the open ticket's timeline.
 */
export async function replyTakingIfQueued(page: Page, sentText: string): Promise<void> {
  const question = page.getByRole('dialog', { name: 'This ticket is not yours' });
  const sent = page.locator('section.ticket-pane .timeline').getByText(sentText, { exact: false });
  await expect(question.or(sent).first()).toBeVisible({ timeout: 20_000 });
  if (await question.isVisible()) await question.getByRole('button', { name: 'Reply and take it' }).click();
  await expect(sent.first()).toBeVisible({ timeout: 20_000 });
}
