/**
 * Real calls: Debian's Kamailio proxies SIP calls between two SIPp instances on loopback (a
 * customer's phone and the agent's phone at extension 8001/8002) and reports each call to
 * the real server's signed CTI webhook through cti-hook.mjs (kamailio.cfg, exec module).
 * Needs `kamailio` and `sipp` (Debian kamailio, sip-tester; .ci/run installs them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MISSED_CALL_SUBJECT, type CtiCall } from '../../../shared/cti.js';
import { workstationHandshakeAuth, type ClientToServerEvents, type ServerToClientEvents } from '../../../shared/sync.js';
import { TEST_PASSWORD, createTestClock, login, makeTempDir, startTestServer, type TestServer } from '../../testHarness.js';
import { ctiChannel } from './ctiChannel.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KAMAILIO_DIR = path.join(HERE, 'kamailio');
const SECRET = 'kamailio-cti-secret';
const KAMAILIO = '/usr/sbin/kamailio';

let t: TestServer;
let workDir: string;
const children: ChildProcess[] = [];
const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];

/** A free UDP port on loopback (bound, then released for the child). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Exit {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(command, args, { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.once('exit', (code) => resolve({ code, output }));
  });
  return { child, exited };
}

/** Starts Kamailio in the foreground on `port`, forwarding to the agent phone at `phonePort`; resolves once it listens. */
async function startKamailio(port: number, phonePort: number): Promise<{ output: () => string }> {
  const config = fs
    .readFileSync(path.join(KAMAILIO_DIR, 'kamailio.cfg'), 'utf8')
    .replaceAll('LISTEN_PORT', String(port))
    .replaceAll('AGENT_PHONE', `127.0.0.1:${String(phonePort)}`)
    .replaceAll('HOOK', `${process.execPath} ${path.join(KAMAILIO_DIR, 'cti-hook.mjs')}`);
  const file = path.join(workDir, 'kamailio.cfg');
  fs.writeFileSync(file, config);
  const { child, exited } = run(KAMAILIO, ['-f', file, '-DD', '-E', '-w', workDir], {
    ...process.env,
    CTI_URL: `${t.url}/channels/cti/events`,
    CTI_SECRET: SECRET,
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    // "Listening on udp: 127.0.0.1 [127.0.0.1]:<port>" goes to stdout, the log to stderr.
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(`[127.0.0.1]:${String(port)}`)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((exit) => reject(new Error(`kamailio exited (${String(exit.code)}) before it listened:\n${exit.output}`)));
  });
  await ready;
  return { output: () => output };
}

function sipp(args: string[]): Promise<Exit> {
  return run('sipp', [...args, '-i', '127.0.0.1', '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error']).exited;
}

async function connectAs(username: string): Promise<CtiCall[]> {
  const { token } = await login(t.url, username);
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(t.url, {
    auth: workstationHandshakeAuth(token, `kamailio-${username}`),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  const calls: CtiCall[] = [];
  socket.on('cti:call', (call) => calls.push(call));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return calls;
}

beforeEach(async () => {
  workDir = makeTempDir('omnidesk-kamailio-');
  // The hook signs with the real time; the server's clock starts there (the 5-minute window holds).
  t = await startTestServer({ clock: createTestClock(Date.now()), channels: [ctiChannel({ secret: SECRET, twilio: null })] });
  await t.store.createUser({
    id: 'agent1',
    username: 'agent1',
    password: TEST_PASSWORD,
    displayName: '王芳',
    role: 'agent',
    channels: ['phone'],
    extension: '8001',
  });
  await t.store.createUser({
    id: 'agent2',
    username: 'agent2',
    password: TEST_PASSWORD,
    displayName: '张强',
    role: 'agent',
    channels: ['phone'],
    extension: '8002',
  });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
  }
  await t.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('Kamailio + SIPp posting to the CTI webhook', () => {
  it('a customer calls extension 8001, the agent answers, they talk two seconds and hang up', async () => {
    const wang = await connectAs('agent1');
    const [proxyPort, phonePort, callerPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const kamailio = await startKamailio(proxyPort, phonePort);
    const agentPhone = sipp(['-sn', 'uas', '-p', String(phonePort)]);
    const caller = await sipp([
      '-sf',
      path.join(KAMAILIO_DIR, 'caller.xml'),
      '-s',
      '8001',
      `127.0.0.1:${String(proxyPort)}`,
      '-p',
      String(callerPort),
      '-d',
      '2000',
    ]);
    expect(caller.code, caller.output).toBe(0);
    expect((await agentPhone).code).toBe(0);

    const call = await onlyCall(t);
    expect(call, kamailio.output()).toMatchObject({ state: 'ended', from: '13800138000', to: '8001', agentExtension: '8001', agentId: 'agent1' });
    expect(call!.durationSec).toBeGreaterThanOrEqual(2);
    expect(call!.durationSec).toBeLessThan(30);
    const bundle = (await t.store.getTicketBundle(call!.ticketId!))!;
    expect(bundle.ticket).toMatchObject({ channel: 'phone', assigneeId: 'agent1', assignmentReason: { code: 'call_answered', extension: '8001' } });
    expect(bundle.customer.phone).toBe('+8613800138000');
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({ source: 'cti', call: { callId: call!.callId, outcome: 'answered', durationSec: call!.durationSec } });
    // The agent's screen popped and followed the call (SIP retransmissions were deduplicated on the way).
    await vi.waitFor(() => expect(wang.at(-1)?.state).toBe('ended'));
    expect([...new Set(wang.map((pop) => pop.state))]).toEqual(['ringing', 'answered', 'ended']);
  });

  it('the agent phone at 8002 is busy: the call becomes a callback task', async () => {
    const [proxyPort, phonePort, callerPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const kamailio = await startKamailio(proxyPort, phonePort);
    const agentPhone = sipp(['-sf', path.join(KAMAILIO_DIR, 'agent-phone-busy.xml'), '-p', String(phonePort)]);
    const caller = await sipp(['-sf', path.join(KAMAILIO_DIR, 'caller-busy.xml'), '-s', '8002', `127.0.0.1:${String(proxyPort)}`, '-p', String(callerPort)]);
    expect(caller.code, caller.output).toBe(0);
    expect((await agentPhone).code).toBe(0);

    const call = await onlyCall(t);
    expect(call, kamailio.output()).toMatchObject({ state: 'missed', from: '13912340002', agentId: 'agent2' });
    expect(await t.store.getTicket(call!.ticketId!)).toMatchObject({
      channel: 'phone',
      subject: MISSED_CALL_SUBJECT,
      priority: 'normal',
      followUpAt: t.clock.now(),
    });
  });
});

/** The one call of a test, found through the one phone ticket it made. */
async function onlyCall(server: TestServer) {
  const { tickets } = await server.store.listTickets({ id: 'lead', role: 'lead', channels: [] }, { channel: 'phone', limit: 10 });
  expect(tickets).toHaveLength(1);
  const callId = (await server.store.getTicketBundle(tickets[0]!.id))!.messages[0]?.call?.callId;
  return callId ? await server.store.cti.getCall(callId) : null;
}
