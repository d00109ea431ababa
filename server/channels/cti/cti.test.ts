/**
 * The phone channel on the real server: signed call events and Twilio status callbacks over
 * real HTTP, the screen pop over a real socket.io client, real SQLite underneath.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MISSED_CALL_SUBJECT, readCallMessageText, type CtiCall, type CtiEventInput } from '../../../shared/cti.js';
import type { Ticket } from '../../../shared/domain.js';
import { offerResponseResultSchema, type PresenceChanged, type RoutingOffer } from '../../../shared/routing.js';
import { workstationHandshakeAuth, ackSchema, type ClientToServerEvents, type ServerToClientEvents } from '../../../shared/sync.js';
import { TEST_INTEGRATION_TOKEN, TEST_PASSWORD, createTestClock, login, postJson, startTestServer, type TestServer } from '../../testHarness.js';
import { createManualScheduler } from '../../routing/scheduler.js';
import { signWebhookBody, signedWebhookHeaders } from '../signature.js';
import { LIVE_CALL_WINDOW_MS } from './callStore.js';
import { ctiChannel, type CtiEventResponse } from './ctiChannel.js';
import { twilioSignature } from './twilio.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const SECRET = 'cti-secret-for-tests';
const TWILIO_TOKEN = '2bd9e9638872de601313dc77410d3b23';
/** The URL of twilio-ruby's published Voice request example (spec/util/request_validator_spec.rb). */
const TWILIO_URL = 'http://twiliotests.heroku.com/validate/voice';
const ZHANG_WEI_PHONE = '13800138000';

let t: TestServer;
const sockets: ClientSocket[] = [];

function channels() {
  return [ctiChannel({ secret: SECRET, twilio: { authToken: TWILIO_TOKEN, publicUrl: TWILIO_URL } })];
}

async function seed(server: TestServer): Promise<void> {
  await server.store.createUser({
    id: 'agent1',
    username: 'agent1',
    password: TEST_PASSWORD,
    displayName: '王芳',
    role: 'agent',
    channels: ['phone', 'email'],
    extension: '8001',
  });
  await server.store.createUser({
    id: 'agent2',
    username: 'agent2',
    password: TEST_PASSWORD,
    displayName: '张强',
    role: 'agent',
    channels: ['phone'],
    extension: '8002',
  });
  await server.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
}

beforeEach(async () => {
  t = await startTestServer({ channels: channels(), deliveryRetryDelayMs: 5, agentsPushThrottleMs: 0 });
  await seed(t);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

/** An agent's workstation as far as calls and routing go: the screen pops, the offers and the presence pushes it receives. */
interface Desk {
  socket: ClientSocket;
  calls: CtiCall[];
  offers: RoutingOffer[];
  presence: PresenceChanged[];
}

async function connectDesk(server: TestServer, username: string): Promise<Desk> {
  const { token } = await login(server.url, username);
  const socket: ClientSocket = connect(server.url, {
    auth: workstationHandshakeAuth(token, `client-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const desk: Desk = { socket, calls: [], offers: [], presence: [] };
  socket.on('cti:call', (call) => desk.calls.push(call));
  socket.on('routing:offer', (offer) => desk.offers.push(offer));
  socket.on('presence:changed', (change) => desk.presence.push(change));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return desk;
}

async function connectAs(server: TestServer, username: string): Promise<CtiCall[]> {
  return (await connectDesk(server, username)).calls;
}

async function postEvent(
  event: Partial<CtiEventInput> & Pick<CtiEventInput, 'event'>,
  options: { server?: TestServer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: CtiEventResponse & { error?: { code: string; message: string } } }> {
  const server = options.server ?? t;
  const body = JSON.stringify({
    callId: 'call-zw-1',
    at: new Date(server.clock.now()).toISOString(),
    from: ZHANG_WEI_PHONE,
    to: '4008001234',
    agentExtension: '8001',
    ...event,
  });
  const response = await fetch(`${server.url}/channels/cti/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.headers ?? signedWebhookHeaders(SECRET, body, server.clock.now())) },
    body,
  });
  return { status: response.status, body: (await response.json()) as CtiEventResponse & { error?: { code: string; message: string } } };
}

async function postTwilio(params: Record<string, string>, options: { signature?: string; query?: string } = {}) {
  const form = new URLSearchParams(params).toString();
  const signature = options.signature ?? twilioSignature(TWILIO_TOKEN, TWILIO_URL + (options.query ?? ''), params);
  const response = await fetch(`${t.url}/channels/cti/twilio${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as CtiEventResponse & { error?: { code: string; message: string; fields?: unknown[] } } };
}

/** Everything a refused request must leave untouched. */
async function storedState(server: TestServer = t) {
  return {
    seq: (await server.store.changeLogBounds()).maxSeq,
    tickets: (await server.store.listTickets({ id: 'lead', role: 'lead', channels: [] }, { limit: 500 })).tickets.length,
    call: await server.store.cti.getCall('call-zw-1'),
  };
}

/** 张伟 wrote an email before, and his number is known as his (proven, as by an earlier call); he is a VIP. */
async function seedZhangWei(): Promise<Ticket> {
  const { ticket } = await t.store.ingestInbound(
    {
      channel: 'email',
      customer: { name: '张伟', phone: '+86 138-0013-8000', email: 'zhang.wei@example.cn' },
      subject: '订单物流查询延迟',
      text: '快递三天没动了',
      proven: ['phone', 'email'],
    },
    { now: t.clock.now() },
  );
  await t.store.routing.setCustomerVipTier(ticket.customerId, 2, t.clock.now());
  return ticket;
}

describe('signed CTI events', () => {
  it('pops the caller on the ringing agent, records the answered call with its duration, assigned to that agent', async () => {
    const email = await seedZhangWei();
    const wang = await connectAs(t, 'agent1');
    const zhang = await connectAs(t, 'agent2');

    const offered = await postEvent({ event: 'offered' });
    expect(offered).toMatchObject({ status: 200, body: { callId: 'call-zw-1', state: 'ringing', ticketId: null, duplicate: false, ignored: null } });
    await vi.waitFor(() => expect(wang).toHaveLength(1));
    // The agent sees the caller's number masked (shared/masking.ts); one click reveals it (server/masking.security.test.ts).
    expect(wang[0]).toMatchObject({ callId: 'call-zw-1', state: 'ringing', from: '138****8000', agentExtension: '8001', ticketId: null });
    expect(wang[0]!.customer).toMatchObject({ id: email.customerId, name: '张伟', vipTier: 2 });
    expect(wang[0]!.recentTickets.map((ticket) => [ticket.id, ticket.channel])).toEqual([[email.id, 'email']]);

    t.clock.advance(5_000);
    const answered = await postEvent({ event: 'answered' });
    expect(answered.body).toMatchObject({ state: 'answered', duplicate: false });
    const ticketId = answered.body.ticketId!;
    const bundle = (await t.store.getTicketBundle(ticketId))!;
    expect(bundle.ticket).toMatchObject({
      channel: 'phone',
      customerId: email.customerId,
      status: 'in_progress',
      assigneeId: 'agent1',
      assignmentReason: { code: 'call_answered', byName: '王芳', extension: '8001' },
    });
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({
      source: 'cti',
      externalMessageId: 'cti:call-zw-1',
      call: {
        callId: 'call-zw-1',
        outcome: 'answered',
        from: ZHANG_WEI_PHONE,
        agentExtension: '8001',
        answeredAt: t.clock.now(),
        durationSec: 0,
        endedAt: null,
      },
    });
    // A code the workstation says in the agent's language (not "通话中 / Call in progress" in both UIs), English after it for API readers.
    expect(readCallMessageText(bundle.messages[0]!.text)).toEqual({ code: 'call_in_progress' });
    expect(bundle.messages[0]!.text).toBe('call_in_progress(): Call in progress');
    await vi.waitFor(() => expect(wang).toHaveLength(2));
    expect(wang[1]).toMatchObject({ state: 'answered', ticketId, answeredAt: t.clock.now() });
    expect(wang[1]!.recentTickets.map((ticket) => ticket.id)).toEqual([ticketId, email.id]);

    t.clock.advance(192_000);
    const ended = await postEvent({ event: 'ended', at: t.clock.now() });
    expect(ended.body).toMatchObject({ state: 'ended', ticketId });
    const after = (await t.store.getTicketBundle(ticketId))!;
    expect(after.messages).toHaveLength(1);
    expect(after.messages[0]).toMatchObject({ call: { outcome: 'answered', durationSec: 192, endedAt: t.clock.now() } });
    expect(readCallMessageText(after.messages[0]!.text)).toEqual({ code: 'call_answered', durationSec: 192 });
    expect(after.messages[0]!.text).toBe('call_answered(192): Call 3:12');
    expect(readCallMessageText(after.ticket.lastMessagePreview)).toEqual({ code: 'call_answered', durationSec: 192 });
    await vi.waitFor(() => expect(wang).toHaveLength(3));
    expect(wang[2]).toMatchObject({ state: 'ended', durationSec: 192, endedAt: t.clock.now() });
    // The other phone agent's screen never popped.
    expect(zhang).toEqual([]);
    expect(t.logLines.filter((line) => line.startsWith('cti: call call-zw-1'))).toHaveLength(3);
  });

  it('ignores a repeated event and stores nothing for it', async () => {
    await postEvent({ event: 'offered' });
    const answered = await postEvent({ event: 'answered' });
    const before = await storedState();
    t.clock.advance(1_000);
    const again = await postEvent({ event: 'answered' });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, state: 'answered', ticketId: answered.body.ticketId } });
    expect(await storedState()).toEqual(before);
    // Late news for the call's state is noted, and changes nothing else.
    const late = await postEvent({ event: 'ringing' });
    expect(late.body).toMatchObject({ duplicate: false, ignored: 'the call is already answered', state: 'answered' });
    expect((await storedState()).tickets).toBe(before.tickets);
    expect((await t.store.getTicketBundle(answered.body.ticketId!))!.messages).toHaveLength(1);
  });

  it('turns a missed call into a callback task queued for the phone agents', async () => {
    const wang = await connectAs(t, 'agent1');
    await postEvent({ event: 'ringing', callId: 'call-missed', from: '139 1234 0002' });
    t.clock.advance(30_000);
    const missed = await postEvent({ event: 'missed', callId: 'call-missed', from: '139 1234 0002' });
    expect(missed.body).toMatchObject({ state: 'missed' });
    const bundle = (await t.store.getTicketBundle(missed.body.ticketId!))!;
    expect(bundle.ticket).toMatchObject({ channel: 'phone', subject: MISSED_CALL_SUBJECT, priority: 'normal', followUpAt: t.clock.now() });
    expect(bundle.customer.phone).toBe('+8613912340002');
    expect(bundle.messages[0]).toMatchObject({ source: 'cti', call: { outcome: 'missed', answeredAt: null, durationSec: 0 } });
    expect(readCallMessageText(bundle.messages[0]!.text)).toEqual({ code: 'call_missed', from: '139 1234 0002' });
    expect(bundle.messages[0]!.text).toContain('Missed call from 139 1234 0002');
    // The subject is ticket data in the organisation's language, not "中文 / English".
    expect(bundle.ticket.subject).toBe('未接来电，请回拨');
    // The code in its text is not the caller's words: it needs no language (English would have left it to English speakers).
    expect(bundle.ticket.routing.language).toBeNull();
    await vi.waitFor(() => expect(wang.map((call) => call.state)).toEqual(['ringing', 'missed']));
    expect(wang[1]!.ticketId).toBe(missed.body.ticketId);

    // A call that ends without ever being answered is missed too.
    await postEvent({ event: 'offered', callId: 'call-hangup', from: '13700137001', agentExtension: null });
    const hungUp = await postEvent({ event: 'ended', callId: 'call-hangup', from: '13700137001', agentExtension: null });
    expect(hungUp.body).toMatchObject({ state: 'missed' });
    expect(await t.store.getTicket(hungUp.body.ticketId!)).toMatchObject({ subject: MISSED_CALL_SUBJECT, status: 'unassigned', assigneeId: null });
  });

  it("counts an agent's answer as the ticket's first response: at once on a new ticket, at the answer on a callback task it joins", async () => {
    await postEvent({ event: 'offered' });
    const answered = await postEvent({ event: 'answered' });
    // The phone's first-response target is "answered within 15 s": without this every call read as a miss on the board.
    expect(await t.store.getTicket(answered.body.ticketId!)).toMatchObject({ firstResponseAt: t.clock.now(), createdAt: t.clock.now() });

    const missed = await postEvent({ event: 'missed', callId: 'call-missed-2', from: '139 1234 0003', agentExtension: null });
    expect(await t.store.getTicket(missed.body.ticketId!)).toMatchObject({ firstResponseAt: null });
    t.clock.advance(10 * 60_000);
    // The customer calls again and agent1 answers: the callback task is joined, and answered now.
    await postEvent({ event: 'offered', callId: 'call-back-2', from: '139 1234 0003' });
    const callback = await postEvent({ event: 'answered', callId: 'call-back-2', from: '139 1234 0003' });
    expect(callback.body.ticketId).toBe(missed.body.ticketId);
    expect(await t.store.getTicket(missed.body.ticketId!)).toMatchObject({ firstResponseAt: t.clock.now(), assigneeId: 'agent1' });
  });

  it('answers a call at an extension nobody has by routing its ticket like any phone contact', async () => {
    await postEvent({ event: 'offered', agentExtension: '8999' });
    const answered = await postEvent({ event: 'answered', agentExtension: '8999' });
    // Nobody of the team is known to have spoken to the caller: no first response yet.
    expect(await t.store.getTicket(answered.body.ticketId!)).toMatchObject({ channel: 'phone', assigneeId: null, status: 'unassigned', firstResponseAt: null });
    expect(t.logLines.some((line) => line.includes('at extension 8999 (no such agent)'))).toBe(true);
  });

  it('refuses bad signatures, stale or missing timestamps and unknown events, logs why and stores nothing', async () => {
    const before = await storedState();
    const body = JSON.stringify({ callId: 'call-zw-1', event: 'offered', at: t.clock.now(), from: ZHANG_WEI_PHONE, to: '4008001234', agentExtension: '8001' });
    const ts = Math.floor(t.clock.now() / 1000);
    const cases: Array<{ headers: Record<string, string>; event?: Partial<CtiEventInput> & { event: string }; status: number; log: RegExp }> = [
      {
        headers: { 'X-OmniDesk-Timestamp': String(ts), 'X-OmniDesk-Signature': signWebhookBody('wrong-secret', ts, body) },
        status: 401,
        log: /does not match/,
      },
      { headers: { 'X-OmniDesk-Timestamp': String(ts - 301), 'X-OmniDesk-Signature': signWebhookBody(SECRET, ts - 301, body) }, status: 401, log: /301 s old/ },
      {
        headers: { 'X-OmniDesk-Timestamp': String(ts + 400), 'X-OmniDesk-Signature': signWebhookBody(SECRET, ts + 400, body) },
        status: 401,
        log: /400 s in the future/,
      },
      { headers: { 'X-OmniDesk-Signature': signWebhookBody(SECRET, ts, body) }, status: 401, log: /Timestamp header is missing/ },
      { headers: { 'X-OmniDesk-Timestamp': String(ts) }, status: 401, log: /Signature header is missing/ },
    ];
    for (const refused of cases) {
      const response = await fetch(`${t.url}/channels/cti/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...refused.headers },
        body,
      });
      expect(response.status).toBe(refused.status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect(t.logLines.at(-1)).toMatch(refused.log);
    }
    // A body changed after signing (the caller's number swapped) fails the signature too.
    const tampered = body.replace(ZHANG_WEI_PHONE, '13900000000');
    const swapped = await fetch(`${t.url}/channels/cti/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-OmniDesk-Timestamp': String(ts), 'X-OmniDesk-Signature': signWebhookBody(SECRET, ts, body) },
      body: tampered,
    });
    expect(swapped.status).toBe(401);

    const unknown = await postEvent({ event: 'transferred' as CtiEventInput['event'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe('invalid_request');
    expect(t.logLines.at(-1)).toMatch(/^cti: refused a call event from .*: event Invalid option/);
    const badNumber = await postEvent({ event: 'offered', from: '张伟的手机' });
    expect(badNumber.status).toBe(400);
    expect(t.logLines.at(-1)).toMatch(/from is not a phone number/);
    expect(await storedState()).toEqual(before);
    expect(before.call).toBeNull();
  });

  it('keeps a call across a server restart: the agent gets the card back and the end lands on the same message', async () => {
    await connectAs(t, 'agent1');
    await postEvent({ event: 'offered' });
    const answered = await postEvent({ event: 'answered' });
    for (const socket of sockets.splice(0)) socket.disconnect();
    await t.server.close();

    const clock = t.clock;
    const restarted = await startTestServer({ dataDir: t.dataDir, clock, channels: channels() });
    t = restarted;
    const wang = await connectAs(restarted, 'agent1');
    await vi.waitFor(() => expect(wang).toHaveLength(1));
    expect(wang[0]).toMatchObject({ callId: 'call-zw-1', state: 'answered', ticketId: answered.body.ticketId });

    clock.advance(45_000);
    const ended = await postEvent({ event: 'ended', at: clock.now() });
    expect(ended.body).toMatchObject({ state: 'ended', ticketId: answered.body.ticketId });
    const messages = (await restarted.store.getTicketBundle(answered.body.ticketId!))!.messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ call: { durationSec: 45 } });
    expect(readCallMessageText(messages[0]!.text)).toEqual({ code: 'call_answered', durationSec: 45 });
  });

  it('refuses a written reply on a phone ticket at once, with the ways that would work, and stores nothing', async () => {
    await postEvent({ event: 'offered' });
    const { body } = await postEvent({ event: 'answered' });
    const agent = (await t.store.getUser('agent1'))!;
    const result = await t.store.applyMutation(
      agent,
      'desk-1',
      { mutationId: 'm1', kind: 'reply', ticketId: body.ticketId!, messageId: 'reply1', text: '您好，我们已为您处理。', createdAt: t.clock.now() },
      t.clock.now(),
    );
    expect(result).toMatchObject({
      ok: false,
      refusal: { code: 'no_reply_route', via: null, routes: [], alternatives: ['add_note', 'call_back', 'add_email'] },
    });
    expect((await t.store.getTicketBundle(body.ticketId!))!.messages.map((m) => m.id)).not.toContain('reply1');
  });
});

describe('Twilio status callbacks', () => {
  /** twilio-ruby's published Voice request (signature oVb2kXoVy8GEfwBDjR8bk/ZZ6eA= with auth token 2bd9e963…). */
  const PUBLISHED_VOICE_REQUEST: Record<string, string> = {
    ToState: 'California',
    CalledState: 'California',
    Direction: 'inbound',
    FromState: 'CA',
    AccountSid: 'ACba8bc05eacf94afdae398e642c9cc32d',
    Caller: '+14153595711',
    CallerZip: '94108',
    CallerCountry: 'US',
    From: '+14153595711',
    FromCity: 'SAN FRANCISCO',
    CallerCity: 'SAN FRANCISCO',
    To: '+14157669926',
    FromZip: '94108',
    FromCountry: 'US',
    ToCity: '',
    CallStatus: 'ringing',
    CalledCity: '',
    CallerState: 'CA',
    CalledZip: '',
    ToZip: '',
    ToCountry: 'US',
    CallSid: 'CA136d09cd59a3c0ec8dbff44da5c03f31',
    CalledCountry: 'US',
    Called: '+14157669926',
    ApiVersion: '2010-04-01',
    ApplicationSid: 'AP44efecad51364e80b133bb7c07eb8204',
  };

  it('computes the signatures Twilio published', () => {
    expect(twilioSignature(TWILIO_TOKEN, TWILIO_URL, PUBLISHED_VOICE_REQUEST)).toBe('oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=');
    // The example of Twilio's security documentation (a query string in the URL).
    expect(
      twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', {
        CallSid: 'CA1234567890ABCDE',
        Caller: '+12349013030',
        Digits: '1234',
        From: '+12349013030',
        To: '+18005551212',
      }),
    ).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('accepts the published request as it was signed, then records the answered and completed call', async () => {
    const ringing = await postTwilio(PUBLISHED_VOICE_REQUEST, { signature: 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=' });
    expect(ringing).toMatchObject({ status: 200, body: { callId: 'CA136d09cd59a3c0ec8dbff44da5c03f31', state: 'ringing', duplicate: false } });

    // Twilio dialled the agent's Twilio Client; the extension travels in the callback URL.
    const answered = await postTwilio({ ...PUBLISHED_VOICE_REQUEST, CallStatus: 'in-progress' }, { query: '?ext=8002' });
    expect(answered.body).toMatchObject({ state: 'answered' });
    expect(await t.store.getTicket(answered.body.ticketId!)).toMatchObject({
      assigneeId: 'agent2',
      assignmentReason: { code: 'call_answered', extension: '8002' },
    });

    const completed = await postTwilio(
      { ...PUBLISHED_VOICE_REQUEST, CallStatus: 'completed', CallDuration: '75', Timestamp: 'Fri, 08 Nov 2024 02:01:15 +0000' },
      { query: '?ext=8002' },
    );
    expect(completed.body).toMatchObject({ state: 'ended', ticketId: answered.body.ticketId });
    const message = (await t.store.getTicketBundle(answered.body.ticketId!))!.messages[0]!;
    expect(message).toMatchObject({ source: 'cti', call: { from: '+14153595711', durationSec: 75 } });
    expect(readCallMessageText(message.text)).toEqual({ code: 'call_answered', durationSec: 75 });
    // Twilio retries callbacks: the repeat changes nothing.
    const retried = await postTwilio({ ...PUBLISHED_VOICE_REQUEST, CallStatus: 'completed', CallDuration: '75' }, { query: '?ext=8002' });
    expect(retried.body).toMatchObject({ duplicate: true });
  });

  it('maps busy / no-answer to a missed call', async () => {
    const busy = await postTwilio({ CallSid: 'CA00000000000000000000000000000001', CallStatus: 'no-answer', From: '+8613912340002', To: 'client:8001' });
    expect(busy.body).toMatchObject({ state: 'missed' });
    expect(await t.store.getTicket(busy.body.ticketId!)).toMatchObject({ subject: MISSED_CALL_SUBJECT });
    expect(await t.store.cti.getCall('CA00000000000000000000000000000001')).toMatchObject({ agentExtension: '8001', agentId: 'agent1' });
  });

  it('refuses a wrong signature, a signature for another URL and unknown statuses, storing nothing', async () => {
    const before = { seq: (await t.store.changeLogBounds()).maxSeq, call: await t.store.cti.getCall(PUBLISHED_VOICE_REQUEST.CallSid!) };
    const wrong = await postTwilio(PUBLISHED_VOICE_REQUEST, { signature: 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eB=' });
    expect(wrong.status).toBe(401);
    expect(t.logLines.at(-1)).toMatch(/^cti: refused a Twilio callback .*signature does not match/);
    const otherUrl = await postTwilio(PUBLISHED_VOICE_REQUEST, {
      signature: twilioSignature(TWILIO_TOKEN, 'http://evil.example/validate/voice', PUBLISHED_VOICE_REQUEST),
    });
    expect(otherUrl.status).toBe(401);
    const unsigned = await fetch(`${t.url}/channels/cti/twilio`, { method: 'POST', body: new URLSearchParams(PUBLISHED_VOICE_REQUEST) });
    expect(unsigned.status).toBe(401);
    expect(t.logLines.at(-1)).toMatch(/X-Twilio-Signature header is missing/);
    const unknownStatus = await postTwilio({ ...PUBLISHED_VOICE_REQUEST, CallStatus: 'on-hold' });
    expect(unknownStatus.status).toBe(400);
    expect(t.logLines.at(-1)).toMatch(/CallStatus/);
    expect({ seq: (await t.store.changeLogBounds()).maxSeq, call: await t.store.cti.getCall(PUBLISHED_VOICE_REQUEST.CallSid!) }).toEqual(before);
  });
});

describe('live calls and chats', () => {
  /** Accepts an offer the way the workstation does, and checks it was taken. */
  async function accept(desk: Desk, ticketId: string): Promise<void> {
    const raw: unknown = await desk.socket.timeout(5_000).emitWithAck('offer:respond', { ticketId, accept: true });
    expect(ackSchema(offerResponseResultSchema).parse(raw)).toMatchObject({ ok: true, result: { outcome: 'accepted' } });
  }
  const chat = (name: string, phone: string) =>
    postJson<{ ticketId: string }>(
      `${t.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'chat', customer: { name, phone }, text: '你好，订单什么时候发货？' }),
      TEST_INTEGRATION_TOKEN,
    ).then((response) => (response.body as { ticketId: string }).ticketId);

  /** 刘洋, a phone and chat agent at extension 8003. */
  const createLiu = (store: TestServer['store']) =>
    store.createUser({
      id: 'agent3',
      username: 'agent3',
      password: TEST_PASSWORD,
      displayName: '刘洋',
      role: 'agent',
      channels: ['phone', 'chat'],
      extension: '8003',
    });

  it('gives chats to an agent with an open call-back ticket, none while a call is live on their phone, and tells them why', async () => {
    await createLiu(t.store);
    const liu = await connectDesk(t, 'agent3');

    // A call rings at 8003 and is missed: the call-back task is routed to the phone agent on duty, who takes it.
    await postEvent({ event: 'ringing', callId: 'call-missed-8003', from: '139 1234 0002', agentExtension: '8003' });
    const missed = await postEvent({ event: 'missed', callId: 'call-missed-8003', from: '139 1234 0002', agentExtension: '8003' });
    await vi.waitFor(() => expect(liu.offers.map((o) => o.ticketId)).toEqual([missed.body.ticketId]));
    await accept(liu, missed.body.ticketId!);
    expect(t.server.routing.agents().find((a) => a.userId === 'agent3')).toMatchObject({ load: { phone: 1 } });

    // Holding a call-back to make is no reason to keep chats away.
    const first = await chat('李娜', '13912340002');
    await vi.waitFor(() => expect(liu.offers.map((o) => o.ticketId)).toContain(first));
    await accept(liu, first);
    expect(t.server.routing.agents().find((a) => a.userId === 'agent3')).toMatchObject({ load: { phone: 1, chat: 1 }, onCall: false });

    // A live call: no new chat for them until it ends, and their header says why.
    await postEvent({ event: 'ringing', callId: 'call-live-8003', agentExtension: '8003' });
    await postEvent({ event: 'answered', callId: 'call-live-8003', agentExtension: '8003' });
    expect(t.server.routing.agents().find((a) => a.userId === 'agent3')).toMatchObject({ onCall: true });
    const second = await chat('陈晓燕', '15800158003');
    expect(await t.store.getTicket(second)).toMatchObject({
      assigneeId: null,
      routing: { offer: null },
      // Not "at capacity": the chat goes to them when the call ends.
      assignmentReason: { code: 'queued', cause: 'agents_on_call' },
    });
    await vi.waitFor(() =>
      expect(liu.presence.at(-1)).toMatchObject({ presence: 'available', skipped: [{ channel: 'chat', reason: 'on_call', load: 1, capacity: 3, waiting: 1 }] }),
    );

    // The call ends after a minute and a half: wrap-up (话后处理, 30 s by the default policy) keeps the chat away
    // and their header counts it down; saying Ready ends it, and the waiting chat is offered at once.
    t.clock.advance(95_000);
    await postEvent({ event: 'ended', callId: 'call-live-8003', agentExtension: '8003', durationSec: 95 });
    await vi.waitFor(() => expect(liu.presence.at(-1)).toMatchObject({ wrapUpUntil: t.clock.now() + 30_000, wrapUpChannel: 'phone' }));
    expect(liu.offers.map((o) => o.ticketId)).not.toContain(second);
    await vi.waitFor(async () => expect(await t.store.getTicket(second)).toMatchObject({ assignmentReason: { code: 'queued', cause: 'agents_in_wrap_up' } }));
    const ready: unknown = await liu.socket.timeout(5_000).emitWithAck('presence:set', { presence: 'available' });
    expect(ready).toMatchObject({ ok: true, result: { presence: 'available' } });
    await vi.waitFor(() => expect(liu.offers.map((o) => o.ticketId)).toContain(second));
    expect(liu.presence.at(-1)).toMatchObject({ wrapUpUntil: null });
    await vi.waitFor(() => expect(liu.presence.at(-1)).toMatchObject({ presence: 'available', skipped: [] }));
    expect(liu.offers.map((o) => o.ticketId)).toEqual([missed.body.ticketId, first, second]);
  });

  it('gives the chats back to an agent whose call lost its end, once the call stops counting as live', async () => {
    const clock = createTestClock();
    const scheduler = createManualScheduler(clock);
    const server = await startTestServer({ channels: channels(), clock, scheduler, agentsPushThrottleMs: 0 });
    try {
      await seed(server);
      await createLiu(server.store);
      const liu = await connectDesk(server, 'agent3');
      await server.server.routing.idle();
      // A call is answered on 8003; its `ended` never arrives (lost between the PBX and the server).
      await postEvent({ event: 'ringing', callId: 'call-lost-8003', agentExtension: '8003' }, { server });
      await postEvent({ event: 'answered', callId: 'call-lost-8003', agentExtension: '8003' }, { server });
      expect(server.server.routing.agents().find((a) => a.userId === 'agent3')).toMatchObject({ onCall: true });
      const chat = await postJson<{ ticketId: string }>(
        `${server.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '你好，订单什么时候发货？' }),
        TEST_INTEGRATION_TOKEN,
      );
      const ticketId = (chat.body as { ticketId: string }).ticketId;
      expect(await server.store.getTicket(ticketId)).toMatchObject({ assigneeId: null, assignmentReason: { code: 'queued', cause: 'agents_on_call' } });
      // Past the live-call window a call not heard of is over (callStore.ts): nothing else happens, and the routing
      // timer alone must give the waiting chat to the agent, who has room and is available all along.
      scheduler.advance(LIVE_CALL_WINDOW_MS + 1_000);
      await server.server.routing.idle();
      expect(server.server.routing.agents().find((a) => a.userId === 'agent3')).toMatchObject({ onCall: false, presence: 'available' });
      expect((await server.store.getTicket(ticketId))!.routing.offer).toMatchObject({ agentId: 'agent3' });
      await vi.waitFor(() => expect(liu.offers.map((o) => o.ticketId)).toEqual([ticketId]));
    } finally {
      await server.stop();
    }
  });
});
