/**
 * A workstation too old for the server (issue 10 follow-up), against the real server started
 * with a minimum sync protocol version above this core's: the handshake is refused with
 * `client_outdated`, and the core stays signed in and offline on its cache with its outbox
 * kept, tells the agent to update, and stops knocking. The work goes once an updated core
 * (here: a new core on the same data, the server back at its normal minimum) connects.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { assignByLead, seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { SYNC_PROTOCOL_VERSION } from '../../shared/sync.js';
import { SETTINGS_FILE, type WorkstationSettings } from './settings.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { seededServerFixture } from './testing/seededServer.js';

/** The core's reconnect backoff here: an outdated core that kept retrying would knock every ~100 ms. */
const RECONNECT_MAX_MS = 200;
const AGENT1 = { username: 'agent1', displayName: '王芳' };

/** A TCP relay in front of the server that counts the socket.io connections opened through it. */
interface CountingRelay {
  url: string;
  socketConnections(): number;
  close(): Promise<void>;
}

async function startCountingRelay(targetPort: () => number): Promise<CountingRelay> {
  let socketConnections = 0;
  const open = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    open.add(client);
    client.once('data', (first: Buffer) => {
      if (first.toString('latin1').startsWith('GET /socket.io/')) socketConnections += 1;
      const upstream = net.connect(targetPort(), '127.0.0.1', () => {
        upstream.write(first);
        client.pipe(upstream).pipe(client);
      });
      open.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', end).on('close', end);
      client.on('close', end);
    });
    client.on('error', () => client.destroy());
    client.on('close', () => open.delete(client));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${String((relay.address() as net.AddressInfo).port)}`,
    socketConnections: () => socketConnections,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

describe('a workstation older than the server accepts', () => {
  const fixture = seededServerFixture('outdated', ({ port, dataDir }) => startServer({ port, dataDir, log: () => {} }));
  let relay: CountingRelay;
  let ticketId: string;

  /** A core that reaches the server through the relay. */
  const newCore = () => fixture.newCore('agent1', { serverUrl: relay.url, reconnectDelayMaxMs: RECONNECT_MAX_MS });

  function storedToken(): string {
    const settings = JSON.parse(readFileSync(path.join(fixture.dataDir(), SETTINGS_FILE), 'utf8')) as WorkstationSettings;
    return settings.session!.token;
  }

  /** The server again on its port and data, requiring `minSyncProtocolVersion` when given. */
  function restartServer(minSyncProtocolVersion?: number): Promise<RunningServer> {
    return fixture.restartServer(({ port, dataDir }) =>
      startServer({ port, dataDir, log: () => {}, ...(minSyncProtocolVersion ? { minSyncProtocolVersion } : {}) }),
    );
  }

  beforeEach(async () => {
    relay = await startCountingRelay(() => fixture.port);
    const { store } = fixture.server();
    await seedTestOrganisation(store, [{ ...AGENT1, channels: ['chat'] }]);
    ({ ticketId } = await store.ingestInbound(
      { channel: 'chat', customer: { name: '张伟', phone: '13800138000', email: '13800138000@example.cn' }, subject: '订单物流查询延迟', text: '三天没更新了' },
      { now: Date.now() },
    ));
    await assignByLead(store, ticketId, AGENT1);
  });

  afterEach(async () => {
    await relay.close();
  });

  it('is refused as outdated, stays signed in offline with its outbox, stops retrying, and its work is sent after the update', async () => {
    const core = await newCore();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const token = storedToken();

    // Work done while the server is down for its upgrade waits in the outbox.
    await fixture.stopServer();
    await waitUntil(core, 'offline', async () => (await connectionOf(core)).status === 'offline');
    const noteText = '客户同意改为明天上午送达';
    const note = await call(core, 'ticket.addNote', { ticketId, text: noteText });
    expect((await connectionOf(core)).pendingCount).toBe(1);

    // The server comes back needing a newer protocol than this core speaks.
    await restartServer(SYNC_PROTOCOL_VERSION + 1);
    await waitUntil(core, 'refused as outdated', async () => (await connectionOf(core)).lastError?.code === 'client_outdated');
    const refused = await connectionOf(core);
    expect(refused).toMatchObject({ status: 'offline', pendingCount: 1, sessionEnded: null, lastError: { code: 'client_outdated' } });
    // Not signed out: the session, its token and the cache stay.
    expect((await call(core, 'session.get', {})).user).toMatchObject({ username: 'agent1' });
    expect(storedToken()).toBe(token);
    expect((await fixture.server().store.lookupToken(token, Date.now())).status).toBe('valid');

    // Asking again would get the same answer: "retry now" (and the window's focus) does nothing,
    // and the socket is not reopened by itself, over many of its reconnect delays.
    expect(await call(core, 'connection.retryNow', {})).toEqual({ retrying: false });
    const attempts = relay.socketConnections();
    expect(attempts).toBeGreaterThanOrEqual(2); // the first connect and the refused one, at least
    await new Promise((resolve) => setTimeout(resolve, 10 * RECONNECT_MAX_MS));
    expect(relay.socketConnections()).toBe(attempts);
    expect(await connectionOf(core)).toMatchObject({ status: 'offline', pendingCount: 1, lastError: { code: 'client_outdated' } });

    // Still working from its cache: the note is there, waiting.
    const detail = await call(core, 'ticket.get', { ticketId });
    expect(detail.notes).toContainEqual(expect.objectContaining({ id: note.id, text: noteText, pending: true }));
    expect((await fixture.server().store.getTicketBundle(ticketId))!.notes.filter((n) => n.text === noteText)).toHaveLength(0);

    // The update: a new core on the same data resumes the session and sends the kept work.
    await fixture.closeCore(core);
    await restartServer();
    const updated = await newCore();
    await waitUntil(updated, 'online with the outbox sent', onlineAndIdle(updated));
    expect((await fixture.server().store.getTicketBundle(ticketId))!.notes.filter((n) => n.text === noteText)).toHaveLength(1);
  });
});
