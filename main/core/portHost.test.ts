/**
 * The core in a process of its own, as the desktop app runs it (Electron's utilityProcess),
 * here in a real Node child process (child_process.fork, testing/coreHostChild.ts) over the
 * child_process port adapter, against the real server (demo organisation): the whole agent
 * flow through the proxy, the key protector's call-backs to this process, malformed
 * messages refused on both ends, and a killed process failing its calls and being restarted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import type { CoreProcessState, RpcEventName, RpcEvents } from '../../shared/rpc.js';
import type { KeyProtector, WorkstationCore } from './api.js';
import { keyFileProtector } from './cacheKeys.js';
import { superviseCoreProcess, type SupervisedCore } from './coreSupervisor.js';
import { connectCoreOverPort, serveCoreOverPort, type PortLike } from './portHost.js';
import { call, onlineAndIdle, waitUntil } from './testing/coreCalls.js';
import { forkCoreHost, type ForkedCoreHost } from './testing/forkCoreHost.js';

/** The main process's protector, recording what the core process asked of it. */
function recordingProtector(inner: KeyProtector): KeyProtector & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    description: inner.description,
    seal: (key) => (calls.push('seal'), inner.seal(key)),
    unseal: (sealed) => (calls.push('unseal'), inner.unseal(sealed)),
    forget: () => (calls.push('forget'), inner.forget()),
  };
}

/** The first `event` (from now) whose payload passes `check`. */
function nextEvent<E extends RpcEventName>(core: WorkstationCore, event: E, check: (payload: RpcEvents[E]) => boolean = () => true): Promise<RpcEvents[E]> {
  return new Promise((resolve) => {
    const off = core.onEvent((name, payload) => {
      const received: RpcEventName = name;
      if (received === event && check(payload as unknown as RpcEvents[E])) {
        off();
        resolve(payload as unknown as RpcEvents[E]);
      }
    });
  });
}

/** Every message the host posts, and a wait for the first one that passes a check. */
function listen(port: PortLike) {
  const received: unknown[] = [];
  const waiters: Array<() => void> = [];
  port.on('message', (message: unknown) => {
    received.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    received,
    async until(check: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      for (;;) {
        const found = received.find((m) => m !== null && typeof m === 'object' && check(m as Record<string, unknown>));
        if (found) return found as Record<string, unknown>;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('the workstation core in its own process', () => {
  let root: string;
  let server: RunningServer;
  const started: ForkedCoreHost[] = [];
  const cores: SupervisedCore[] = [];

  function supervise(dataDir: string, serverUrl: string, keyProtector: KeyProtector, limits: { maxRestarts?: number } = {}): SupervisedCore {
    const core = superviseCoreProcess({
      start: () => {
        const host = forkCoreHost(dataDir, serverUrl);
        started.push(host);
        return host;
      },
      keyProtector,
      maxRestarts: limits.maxRestarts ?? 3,
      restartDelayMs: () => 0,
      log: () => {},
    });
    cores.push(core);
    return core;
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-port-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    for (const core of cores) await core.close();
    for (const host of started) if (host.child.exitCode === null && host.child.signalCode === null) host.kill();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'signs in, bootstraps, opens a ticket and sends a reply through the proxy; the cache key is sealed and unsealed by this process',
    { timeout: 90_000 },
    async () => {
      const dataDir = path.join(root, 'agent1');
      const protector = recordingProtector(keyFileProtector(path.join(root, 'main-keys')));
      const core = supervise(dataDir, server.url, protector);
      await core.ready;
      expect(started.at(-1)!.child.pid).not.toBe(process.pid);

      const session = await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
      expect(session.user?.username).toBe('agent1');
      await waitUntil(core, 'agent1 is online with the cache bootstrapped', onlineAndIdle(core), 60_000);
      expect(protector.calls).toContain('seal');

      const response = await fetch(`${server.url}/api/v1/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo-token' },
        body: JSON.stringify({
          channel: 'email',
          customer: { name: '李娜', phone: '+86 139 0000 5678', email: 'lina@example.cn' },
          subject: '发票开具',
          text: '请问发票什么时候能开好？',
        }),
      });
      expect(response.status).toBe(201);
      const { ticketId } = (await response.json()) as { ticketId: string };
      // An agent is sent what they hold (the demo gives agent1 a full chat load): the lead gives them this mail.
      const lead = (await server.store.getUserByUsername('lead1'))!;
      expect(await server.routing.reassign(lead, [ticketId], 'agent1')).toEqual([expect.objectContaining({ ok: true })]);
      await waitUntil(core, 'the inbound ticket reaches the cache', async () => (await core.invoke('ticket.get', { ticketId })).ok);
      const inbox = await call(core, 'inbox.list', { channel: null, status: null, query: '发票' });
      expect(inbox.rows.map((row) => row.id)).toContain(ticketId);
      const detail = await call(core, 'ticket.get', { ticketId });
      expect(detail.messages.map((m) => m.text)).toEqual(['请问发票什么时候能开好？']);

      const replied = await call(core, 'ticket.reply', { ticketId, text: '您好，发票将在三个工作日内开具' });
      if (replied.kind !== 'sent') throw new Error('an online reply must be sent, not kept as a draft');
      await waitUntil(core, 'the reply is acknowledged by the server', async () => {
        const now = await call(core, 'ticket.get', { ticketId });
        return now.messages.some((m) => m.id === replied.message.id && !m.pending);
      });

      // A clean close ends the process with code 0; a new process resumes the session through the key call-back.
      const first = started.at(-1)!;
      await core.close();
      expect(await first.exited).toEqual({ code: 0, signal: null });

      const resumed = supervise(dataDir, server.url, protector);
      await resumed.ready;
      expect(protector.calls.filter((c) => c === 'unseal')).toHaveLength(1);
      expect((await call(resumed, 'session.get', {})).user?.username).toBe('agent1');
      const again = await call(resumed, 'ticket.get', { ticketId });
      expect(again.messages.map((m) => m.text)).toContain('您好，发票将在三个工作日内开具');

      await call(resumed, 'session.signOut', {});
      await waitUntil(resumed, 'the core told main to forget the sealed key', () => protector.calls.includes('forget'));
    },
  );

  it('refuses malformed and unknown messages with an error envelope and keeps answering', { timeout: 60_000 }, async () => {
    const host = forkCoreHost(path.join(root, 'malformed'), server.url);
    started.push(host);
    const messages = listen(host.port);
    await messages.until((m) => m.type === 'ready');

    host.port.postMessage('not an envelope');
    host.port.postMessage({ type: 'request', id: 7, method: 42, params: {} });
    host.port.postMessage({ type: 'bogus', id: 3 });
    host.port.postMessage({ type: 'keyResult', id: 'x', ok: true });
    host.port.postMessage({ type: 'close', now: true });
    host.port.postMessage({ type: 'request', id: 8, method: 'no.such.method', params: {} });
    host.port.postMessage({ type: 'request', id: 9, method: 'ticket.get', params: { ticketId: 42 } });
    host.port.postMessage({ type: 'request', id: 10, method: 'session.get', params: {} });
    await messages.until((m) => m.type === 'response' && m.id === 10);

    const protocolErrors = messages.received.filter((m) => (m as { type?: string }).type === 'protocolError') as Array<{
      error: { code: string; message: string };
    }>;
    expect(protocolErrors.map((m) => m.error.code)).toEqual(['invalid_params', 'invalid_params', 'invalid_params', 'invalid_params']);
    expect(protocolErrors[0]!.error.message).toContain('type must be one of request, keyResult, close, got no type');
    expect(protocolErrors[1]!.error.message).toContain('got "bogus"');
    expect(protocolErrors[2]!.error.message).toMatch(/^Bad key result: id:/);
    expect(protocolErrors[3]!.error.message).toMatch(/^Bad close message/);
    type Answer = { ok: boolean; result?: unknown; error?: { code: string; message: string } };
    const response = (id: number) => messages.received.find((m) => (m as { id?: number }).id === id && (m as { type?: string }).type === 'response') as Answer;
    expect(response(7)).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    expect(response(7).error?.message).toContain('method');
    expect(response(8)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(response(9)).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
    expect(response(10)).toMatchObject({ ok: true, result: { user: null } });
    expect(host.child.exitCode).toBeNull();

    host.port.postMessage({ type: 'close' });
    await messages.until((m) => m.type === 'closed');
    host.port.close?.();
    expect(await host.exited).toEqual({ code: 0, signal: null });
  });

  it('on the main side, ignores what the core process should never send and still gets the answers (worker_threads ports)', async () => {
    const { port1, port2 } = new MessageChannel();
    const logged: string[] = [];
    const proxy = connectCoreOverPort(port1, { keyProtector: keyFileProtector(path.join(root, 'unused-keys')), log: (line) => logged.push(line) });
    const hostSide = listen(port2);
    const served = serveCoreOverPort(
      {
        invoke: (method) => Promise.resolve({ ok: true, result: { echoed: method } }),
        onEvent: () => () => {},
        close: () => Promise.resolve(),
      },
      port2,
    );
    await proxy.ready;
    port2.postMessage({ type: 'response', id: 'one', ok: true });
    port2.postMessage({ type: 'event', event: 'noSuchEvent', payload: {} });
    port2.postMessage({ type: 'keyRequest', id: 1, op: 'steal' });
    expect(await proxy.invoke('session.get', {})).toEqual({ ok: true, result: { echoed: 'session.get' } });
    expect(logged).toHaveLength(3);
    expect(logged.every((line) => line.includes('not one we know'))).toBe(true);
    expect(hostSide.received.some((m) => (m as { type?: string }).type === 'keyResult')).toBe(false);
    await proxy.close();
    await served.closed;
    port1.close();
  });

  it("reads Electron's {data, ports} message events on both ends", async () => {
    const { port1, port2 } = new MessageChannel();
    // What MessagePortMain and process.parentPort hand their listeners.
    const electronStyle = (port: typeof port1): PortLike => ({
      postMessage: (message) => port.postMessage(message),
      on: (event: 'message' | 'close', listener: (message?: unknown) => void) =>
        event === 'message' ? port.on('message', (data: unknown) => listener({ data, ports: [] })) : port.on('close', () => listener()),
      close: () => port.close(),
    });
    const served = serveCoreOverPort(
      { invoke: (method, params) => Promise.resolve({ ok: true, result: { method, params } }), onEvent: () => () => {}, close: () => Promise.resolve() },
      electronStyle(port2),
    );
    const proxy = connectCoreOverPort(electronStyle(port1), { keyProtector: keyFileProtector(path.join(root, 'unused-keys')), log: () => {} });
    await proxy.ready;
    expect(await proxy.invoke('ticket.get', { ticketId: 'GD20241108000001' })).toEqual({
      ok: true,
      result: { method: 'ticket.get', params: { ticketId: 'GD20241108000001' } },
    });
    await proxy.close();
    await served.closed;
    port1.close();
  });

  it('fails the calls a killed process had not answered, restarts it and tells the window, and gives up after the limit', { timeout: 60_000 }, async () => {
    // A server that accepts and never answers: a sign-in stays in flight until the process dies.
    const sockets: Socket[] = [];
    let connected!: () => void;
    const signInReachedServer = new Promise<void>((resolve) => (connected = resolve));
    const silent: Server = createServer((socket) => {
      sockets.push(socket);
      connected();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${String((silent.address() as { port: number }).port)}`;
    try {
      const core = supervise(path.join(root, 'killed'), silentUrl, keyFileProtector(path.join(root, 'killed-keys')), { maxRestarts: 1 });
      const states: CoreProcessState[] = [];
      core.onEvent((event, payload) => {
        if (event === 'coreProcess') states.push(payload as CoreProcessState);
      });
      await core.ready;

      const pending = core.invoke('session.signIn', { username: 'agent1', password: 'demo' });
      await signInReachedServer;
      const restarted = nextEvent(core, 'coreProcess', (s) => s.status === 'running');
      const reloaded = nextEvent(core, 'changed', (c) => c.ticketIds.length === 0);
      started.at(-1)!.kill();
      const outcome = await pending;
      expect(outcome).toEqual({
        ok: false,
        error: { code: 'core_unavailable', message: 'The workstation core process stopped (signal SIGKILL) before it answered session.signIn' },
      });
      expect(await restarted).toEqual({ status: 'running', restarts: 1, exitCode: null });
      await reloaded;
      expect(states.map((s) => s.status)).toEqual(['restarting', 'running']);
      expect((await call(core, 'session.get', {})).user).toBeNull();

      // A second death within the window exceeds the limit of one restart: no more processes, calls fail at once.
      const failed = nextEvent(core, 'coreProcess', (s) => s.status === 'failed');
      const before = started.length;
      started.at(-1)!.kill();
      expect(await failed).toEqual({ status: 'failed', restarts: 2, exitCode: null });
      expect(await core.invoke('session.get', {})).toMatchObject({ ok: false, error: { code: 'core_unavailable' } });
      expect(started.length).toBe(before);
      expect(core.state().status).toBe('failed');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
