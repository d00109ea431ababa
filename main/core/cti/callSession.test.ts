/**
 * Phone calls through the workstation core against the real server (demo organisation with
 * the CTI channel) and a real cache: a signed `offered` event becomes the `calls` event and
 * `call.list`; `answered` names the call's ticket, which is in the cache for the agent's
 * notes; `ended` carries the talk time; a dismissed card goes; the card of an answered call
 * goes by itself once the wrap-up after it is over, a missed call's stays; signing out clears the list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import { DEMO_CTI_SECRET, ctiChannel } from '../../../server/channels/cti/ctiChannel.js';
import { signedWebhookHeaders } from '../../../server/channels/signature.js';
import type { CtiCall } from '../../../shared/cti.js';
import type { PresenceChanged } from '../../../shared/routing.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, waitUntil } from '../testing/coreCalls.js';

let root: string;
let server: RunningServer;
let core: WorkstationCore;
let latestCalls: CtiCall[] | null = null;
let latestPresence: PresenceChanged | null = null;

async function postEvent(event: Record<string, unknown>): Promise<{ ticketId: string | null }> {
  const body = JSON.stringify({ callId: 'core-call-1', at: Date.now(), from: '+86 138-0013-8000', to: '4008001234', agentExtension: '8001', ...event });
  const response = await fetch(`${server.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(DEMO_CTI_SECRET, body, Date.now()) },
    body,
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { ticketId: string | null };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'core-cti-'));
  server = await startServer({
    port: 0,
    dataDir: path.join(root, 'server'),
    demo: true,
    log: () => undefined,
    channels: [ctiChannel({ secret: DEMO_CTI_SECRET, twilio: null })],
  });
  core = await createWorkstationCore({ dataDir: path.join(root, 'desk'), serverUrl: server.url });
  core.onEvent((event, payload) => {
    if (event === 'calls') latestCalls = (payload as { calls: CtiCall[] }).calls;
    if (event === 'presence') latestPresence = payload as PresenceChanged;
  });
  await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
  await waitUntil(core, 'agent1 is online', async () => (await call(core, 'session.get', {})).connection.status === 'online');
});

afterAll(async () => {
  await core?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('calls in the workstation core', () => {
  it('pops the call with the demo customer 张伟 and follows it to its end', async () => {
    expect(await call(core, 'call.list', {})).toEqual({ calls: [] });
    await postEvent({ event: 'offered' });
    await waitUntil(core, 'the call pops', () => latestCalls?.[0]?.state === 'ringing');
    const ringing = latestCalls![0]!;
    expect(ringing.customer?.name).toBe('张伟');
    expect(ringing.recentTickets.length).toBeGreaterThan(0);
    expect((await call(core, 'call.list', {})).calls).toEqual(latestCalls);

    const { ticketId } = await postEvent({ event: 'answered' });
    await waitUntil(core, 'the call is answered', () => latestCalls?.[0]?.state === 'answered');
    expect(latestCalls![0]!.ticketId).toBe(ticketId);
    // The ticket is in the cache, so the agent's notes during the call go through at once.
    await waitUntil(core, 'the call ticket is cached', async () => (await core.invoke('ticket.get', { ticketId: ticketId! })).ok);
    const note = await call(core, 'ticket.addNote', { ticketId: ticketId!, text: '客户反映快递三天未更新，已答应今天回电。' });
    expect(note.pending).toBe(true);

    await postEvent({ event: 'ended', at: Date.now() + 65_000 });
    await waitUntil(core, 'the call ended', () => latestCalls?.[0]?.state === 'ended');
    expect(latestCalls![0]!.durationSec).toBeGreaterThanOrEqual(65);
    await waitUntil(core, 'the duration reached the cached message', async () => {
      const detail = await call(core, 'ticket.get', { ticketId: ticketId! });
      return detail.messages.some((m) => m.call?.callId === 'core-call-1' && m.call.durationSec >= 65);
    });

    expect(await call(core, 'call.dismiss', { callId: 'core-call-1' })).toEqual({ dismissed: true });
    expect(latestCalls).toEqual([]);
    expect(await call(core, 'call.dismiss', { callId: 'core-call-1' })).toEqual({ dismissed: false });
  });

  it("takes an answered call's card away once the wrap-up after it is over; a missed call's card stays", async () => {
    const has = (callId: string) => latestCalls?.some((c) => c.callId === callId) ?? false;
    await postEvent({ event: 'ringing', callId: 'core-call-missed', from: '13655550123' });
    await postEvent({ event: 'missed', callId: 'core-call-missed', from: '13655550123' });
    await waitUntil(core, 'the missed call is on a card', () => latestCalls?.some((c) => c.callId === 'core-call-missed' && c.state === 'missed') ?? false);

    await postEvent({ event: 'offered', callId: 'core-call-3' });
    await postEvent({ event: 'answered', callId: 'core-call-3' });
    await postEvent({ event: 'ended', callId: 'core-call-3', durationSec: 40 });
    await waitUntil(core, 'the call ended', () => latestCalls?.some((c) => c.callId === 'core-call-3' && c.state === 'ended') ?? false);
    // Its wrap-up (30 s for phone by default) is running: the card stays, counting it down.
    await waitUntil(core, 'the wrap-up runs', () => latestPresence?.wrapUpUntil != null && latestPresence.wrapUpChannel === 'phone');
    expect(has('core-call-3')).toBe(true);

    // Ready (就绪) ends the wrap-up on the server; the card goes with it, without a dismiss.
    await call(core, 'presence.set', { presence: 'available' });
    await waitUntil(core, 'the ended call leaves', () => !has('core-call-3'));
    expect(latestPresence?.wrapUpUntil).toBeNull();
    expect((await call(core, 'call.list', {})).calls.map((c) => c.callId)).not.toContain('core-call-3');
    // No wrap-up follows a missed call: its card (the callback task) waits for the agent.
    expect(has('core-call-missed')).toBe(true);
    expect(await call(core, 'call.dismiss', { callId: 'core-call-missed' })).toEqual({ dismissed: true });
  });

  it('drops the cards when the agent signs out', async () => {
    await postEvent({ event: 'offered', callId: 'core-call-2' });
    await waitUntil(core, 'the second call pops', () => latestCalls?.some((c) => c.callId === 'core-call-2') ?? false);
    await call(core, 'session.signOut', {});
    expect(latestCalls).toEqual([]);
    const outcome = await core.invoke('call.list', {});
    expect(outcome.ok ? null : outcome.error.code).toBe('not_signed_in');
  });
});
