/**
 * How large a frame a peer can make the server read (server/frameLimits.ts), against the real
 * server: a script's socket.io client (any Origin header it likes, no token) and plain HTTP
 * long-polling on the public port, as anyone who can load the web chat widget can open them;
 * and socket.io clients signed in as a workstation, whose pushes must still go through at full size.
 */
import { randomUUID } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PUSH_BATCH, MAX_PUSH_FRAME_BYTES, pushBatchLength, workstationHandshakeAuth, type Ack, type Mutation, type PushResult } from '../shared/sync.js';
import { MAX_TEXT_LENGTH } from '../shared/domain.js';
import type { WebchatAck, WebchatSent } from '../shared/webchat.js';
import { MAX_SIGNED_IN_FRAME_BYTES, MAX_UNAUTHENTICATED_FRAME_BYTES } from './frameLimits.js';
import { TEST_INTEGRATION_TOKEN, login, postJson, seedTestOrganisation, startTestServer, testWebchatChannel, type TestServer } from './testHarness.js';

const FOREIGN_ORIGIN = 'https://attacker.example';
/** What the earlier reviewer sent: just under the old 16 MiB limit. */
const ATTACK_FRAME_BYTES = 15 * 1024 * 1024;

let t: TestServer;
const sockets: Socket[] = [];

beforeEach(async () => {
  t = await startTestServer({ tokenTtlMs: 60 * 60 * 1000, channels: [testWebchatChannel()] });
  await seedTestOrganisation(t.store, [{ username: 'lead1', displayName: '李主管', role: 'lead', channels: [] }]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t.stop();
});

/** A handshake as the widget sends it, padded to about `bytes` bytes: the old server parsed all of it, refused it in words and kept the connection. */
function paddedHandshake(bytes: number): Record<string, unknown> {
  return { site: 'demo', visitorId: 'visitor-big-handshake', padding: 'x'.repeat(bytes) };
}

/** A script's socket.io client on the widget's namespace: the Origin header it chooses, no token. */
function attacker(auth: Record<string, unknown>, origin: string = FOREIGN_ORIGIN): Socket {
  const socket = connect(`${t.url}/webchat`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { origin } });
  sockets.push(socket);
  return socket;
}

/** What the server did with the connection: closed it (the client sees the transport close), or answered the frame (it read and parsed it, and kept the connection). */
function outcomeOf(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    // 'forced close' is the client closing itself on a refusal (before its connect_error is told): not the server's doing.
    socket.io.on('close', (reason) => reason !== 'forced close' && resolve(`closed: ${reason}`));
    socket.once('connect', () => resolve('answered: connected'));
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) => resolve(`answered: ${error.data?.code ?? error.message}`));
  });
}

async function workstation(transports: ('websocket' | 'polling')[], session?: { token: string; clientId: string }): Promise<Socket> {
  const { token, clientId } = session ?? { token: (await login(t.url, 'lead1')).token, clientId: `ws-${randomUUID()}` };
  const socket = connect(t.url, {
    auth: workstationHandshakeAuth(token, clientId),
    transports,
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function chatTicket(): Promise<string> {
  const created = await postJson<{ ticketId: string }>(
    `${t.url}/api/v1/inbound`,
    JSON.stringify({ channel: 'chat', customer: { name: '孙丽', phone: '15000150009' }, text: '你好，我的订单三天没有物流更新了' }),
    TEST_INTEGRATION_TOKEN,
  );
  return (created.body as { ticketId: string }).ticketId;
}

/** An outbox of MAX_PUSH_BATCH notes of MAX_TEXT_LENGTH CJK characters (3 bytes each in UTF-8), about 12 MB: sent whole, the push of a core before protocol 3. */
function largestOutbox(ticketId: string): Mutation[] {
  return Array.from({ length: MAX_PUSH_BATCH }, (_, i) => ({
    mutationId: `m-big-${String(i)}`,
    kind: 'note' as const,
    ticketId,
    noteId: `note-big-${String(i)}`,
    text: '长'.repeat(MAX_TEXT_LENGTH),
    createdAt: t.clock.now(),
  }));
}

describe('frames from a peer that has not signed in', () => {
  it('closes the connection of a script with a foreign Origin and no token that sends a 15 MiB frame, before reading it', async () => {
    const socket = attacker(paddedHandshake(ATTACK_FRAME_BYTES));
    expect(await outcomeOf(socket)).toBe('closed: transport close');
  });

  it('closes it at the first frame over the limit, not only at huge ones', async () => {
    const socket = attacker(paddedHandshake(MAX_UNAUTHENTICATED_FRAME_BYTES));
    expect(await outcomeOf(socket)).toBe('closed: transport close');
  });

  it('closes the connection of a script that forged the server’s own Origin and joined /webchat when it sends a 15 MiB event', async () => {
    // Origin is only what the client says: a script passes the widget's check as easily as a browser.
    const socket = attacker({ site: 'demo', visitorId: 'visitor-forged-origin' }, t.url);
    expect(await outcomeOf(socket)).toBe('answered: connected');
    const outcome = new Promise<string>((resolve) => {
      socket.io.once('close', (reason) => resolve(`closed: ${reason}`));
      socket.emit('webchat:send', { clientMessageId: 'cmsg-big-0001', text: 'x'.repeat(ATTACK_FRAME_BYTES) }, (answer: WebchatAck<unknown>) =>
        resolve(`answered: ${answer.ok ? 'ok' : answer.error.code}`),
      );
    });
    expect(await outcome).toBe('closed: transport close');
  });

  it('refuses the same frame over HTTP long-polling with 413', async () => {
    const open = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: FOREIGN_ORIGIN } });
    const text = await open.text();
    const { sid } = JSON.parse(text.slice(1)) as { sid: string };
    const posted = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, {
      method: 'POST',
      headers: { origin: FOREIGN_ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
      body: `40/webchat,${JSON.stringify(paddedHandshake(1024 * 1024))}`,
    });
    expect(posted.status).toBe(413);
  });

  it('tells every client the small limit in the engine.io open packet', async () => {
    const open = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`);
    const { maxPayload } = JSON.parse((await open.text()).slice(1)) as { maxPayload: number };
    expect(maxPayload).toBe(MAX_UNAUTHENTICATED_FRAME_BYTES);
  });

  it('still takes the widget’s largest message (5,000 characters) from a visitor', async () => {
    const visitor = connect(`${t.url}/webchat`, {
      auth: { site: 'demo', visitorId: 'visitor-largest-msg-01' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: t.url },
    });
    sockets.push(visitor);
    const answer = (await visitor
      .timeout(10_000)
      .emitWithAck('webchat:send', { clientMessageId: 'cmsg-largest-01', text: '长'.repeat(5000) })) as WebchatAck<WebchatSent>;
    expect(answer.ok).toBe(true);
  });
});

describe('frames from a signed-in workstation', () => {
  for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']] as const) {
    it(`takes the largest push a core makes (${String(MAX_PUSH_BATCH)} notes of ${String(MAX_TEXT_LENGTH)} characters, cut to the frame) over ${transports.join(' upgraded to ')}`, async () => {
      const ticketId = await chatTicket();
      const socket = await workstation([...transports]);
      if (transports.length === 2 && socket.io.engine.transport.name !== 'websocket') {
        await new Promise<void>((resolve) => socket.io.engine.once('upgrade', () => resolve()));
      }
      const outbox = largestOutbox(ticketId);
      const mutations = outbox.slice(0, pushBatchLength(outbox));
      expect(mutations.length).toBeLessThan(MAX_PUSH_BATCH);
      // As socket.io frames it: `42<ack id>["sync:push",{…}]`.
      const frame = Buffer.byteLength(`420${JSON.stringify(['sync:push', { mutations }])}`);
      expect(frame).toBeGreaterThan(MAX_SIGNED_IN_FRAME_BYTES - 128 * 1024);
      expect(frame).toBeLessThanOrEqual(MAX_SIGNED_IN_FRAME_BYTES);
      const ack = (await socket.timeout(60_000).emitWithAck('sync:push', { mutations })) as Ack<PushResult>;
      expect(ack.ok && ack.result.results.every((result) => result.ok)).toBe(true);
      expect((await t.store.getTicketBundle(ticketId))!.notes).toHaveLength(mutations.length);
    });
  }

  it('cuts any outbox to the frame, one mutation at least: the largest reply (control characters escape to 6 bytes each) fits alone', () => {
    const reply = (text: string, i: number): Mutation => ({
      mutationId: `m-ctl-${String(i)}`,
      kind: 'reply',
      ticketId: 'GD20241108000001',
      messageId: `msg-ctl-${String(i)}`,
      text,
      createdAt: 0,
      subject: '长'.repeat(200),
    });
    const worst = Array.from({ length: 3 }, (_, i) => reply('\u0001'.repeat(MAX_TEXT_LENGTH), i));
    expect(Buffer.byteLength(JSON.stringify(worst[0]))).toBeGreaterThan(6 * MAX_TEXT_LENGTH);
    expect(pushBatchLength(worst)).toBe(3);
    const many = Array.from({ length: 20 }, (_, i) => reply('\u0001'.repeat(MAX_TEXT_LENGTH), i));
    const cut = pushBatchLength(many);
    expect(Buffer.byteLength(`420${JSON.stringify(['sync:push', { mutations: many.slice(0, cut) }])}`)).toBeLessThanOrEqual(MAX_PUSH_FRAME_BYTES);
    expect(Buffer.byteLength(`420${JSON.stringify(['sync:push', { mutations: many.slice(0, cut + 1) }])}`)).toBeGreaterThan(MAX_PUSH_FRAME_BYTES - 1024);
    expect(pushBatchLength(Array.from({ length: 300 }, (_, i) => reply('好', i)))).toBe(MAX_PUSH_BATCH);
  });

  it('closes the connection of a signed-in user that sends a frame over the limit (the old 16 MiB allowed it), and only that one: the same user’s other connection pushes on', async () => {
    const ticketId = await chatTicket();
    const { token } = await login(t.url, 'lead1');
    const session = { token, clientId: 'ws-oversize' };
    const attacker = await workstation(['websocket'], session);
    const other = await workstation(['websocket'], session);
    // 40 notes of 20,000 CJK characters: a valid push of ~2.4 MB, beyond what a core now sends in one frame.
    const oversize = largestOutbox(ticketId).slice(0, 40);
    expect(Buffer.byteLength(JSON.stringify({ mutations: oversize }))).toBeGreaterThan(2 * MAX_SIGNED_IN_FRAME_BYTES);
    const outcome = new Promise<string>((resolve) => {
      attacker.io.engine.once('close', (reason: string) => resolve(`closed: ${reason}`));
      attacker.emit('sync:push', { mutations: oversize }, (ack: Ack<PushResult>) => resolve(`answered: ${ack.ok ? 'ok' : ack.error.code}`));
    });
    expect(await outcome).toBe('closed: transport close');
    const fine = largestOutbox(ticketId).slice(0, 2);
    const ack = (await other.timeout(30_000).emitWithAck('sync:push', { mutations: fine })) as Ack<PushResult>;
    expect(ack.ok && ack.result.results.every((result) => result.ok)).toBe(true);
    expect((await t.store.getTicketBundle(ticketId))!.notes).toHaveLength(2);
    expect(t.logLines.filter((line) => line.includes('a frame over'))).toHaveLength(1);
  });

  it('drops the connection back to the small limit when its signed-in socket leaves and a visitor’s stays', async () => {
    const { token } = await login(t.url, 'lead1');
    const sync = connect(t.url, {
      auth: workstationHandshakeAuth(token, 'ws-shared-conn'),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: t.url },
    });
    sockets.push(sync);
    await new Promise<void>((resolve) => sync.once('connect', () => resolve()));
    const visitor = sync.io.socket('/webchat', { auth: { site: 'demo', visitorId: 'visitor-shared-conn-01' } });
    sockets.push(visitor);
    await new Promise<void>((resolve) => visitor.once('connect', () => resolve()));
    sync.disconnect();
    // socket.io handles a packet on the next tick: a visitor's answer after it shows the server took the sync socket's leave.
    expect(((await visitor.timeout(10_000).emitWithAck('webchat:hello', {})) as WebchatAck<unknown>).ok).toBe(true);
    const outcome = new Promise<string>((resolve) => {
      visitor.io.engine.once('close', (reason: string) => resolve(`closed: ${reason}`));
      visitor.emit('webchat:send', { clientMessageId: 'cmsg-big-0002', text: 'x'.repeat(MAX_UNAUTHENTICATED_FRAME_BYTES) }, (answer: WebchatAck<unknown>) =>
        resolve(`answered: ${answer.ok ? 'ok' : answer.error.code}`),
      );
    });
    expect(await outcome).toBe('closed: transport close');
  });
});
