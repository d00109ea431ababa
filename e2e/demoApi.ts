/**
 * What the end-to-end specs do against a demo server and a workstation page besides
 * clicking: post an inbound contact with the demo integration token, get a demo user's
 * token, sign a page in.
 */
import { expect, type Page } from '@playwright/test';
import type { InboundResponse } from '../shared/httpApi.js';

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
