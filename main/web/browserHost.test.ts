import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { RpcResponseEnvelope, SessionState } from '../../shared/rpc.js';
import type { WorkstationCore } from '../core/api.js';
import { createWorkstationCore } from '../core/index.js';
import { rawDataToString, resolveStaticPath, startBrowserHost, type BrowserHost } from './browserHost.js';

let root: string;
let staticDir: string;
let core: WorkstationCore;
let host: BrowserHost;

/** The `/rpc` handshake path with the launch key of `running` (the key the launch link carries). */
function rpcPath(running: BrowserHost = host): string {
  return `/rpc?k=${new URL(running.launchUrl).hash.slice('#k='.length)}`;
}

const INDEX_HTML =
  '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>全渠道工作台</title></head><body><div id="root"></div><script type="module" src="./assets/app.js"></script></body></html>';

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-host-'));
  staticDir = path.join(root, 'renderer');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("订单物流查询延迟");\n');
  writeFileSync(path.join(staticDir, 'assets', 'app.css'), 'body { font-family: "WenQuanYi Micro Hei"; }\n');
  // Outside the static folder: must never be served.
  writeFileSync(path.join(root, 'secret.txt'), '张伟的身份证号');
  // No server runs at this URL: session.get and validation need none.
  core = await createWorkstationCore({ dataDir: path.join(root, 'core'), serverUrl: 'http://127.0.0.1:9' });
  host = await startBrowserHost({ core, port: 0, staticDir });
});

afterAll(async () => {
  await host?.close();
  await core?.close();
  rmSync(root, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: fetch would normalise `..` and refuse to set Host. */
function rawRequest(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path: pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The status the host answers a WebSocket upgrade with (101 when accepted). */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: host.port,
      path: rpcPath(),
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Client {
  ws: WebSocket;
  call(message: unknown): Promise<RpcResponseEnvelope>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(origin = `http://127.0.0.1:${String(host.port)}`): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${String(host.port)}${rpcPath()}`, { origin });
  const responses = new Map<number, (envelope: RpcResponseEnvelope) => void>();
  ws.on('message', (data) => {
    const envelope = JSON.parse(rawDataToString(data)) as RpcResponseEnvelope | { type: 'event' };
    if (envelope.type === 'response') responses.get(envelope.id)?.(envelope);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    closed,
    call(message: unknown) {
      const id = (message as { id: number }).id;
      return new Promise((resolve) => {
        responses.set(id, resolve);
        ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      });
    },
  };
}

describe('browser host: who may connect', () => {
  test('refuses to listen on a non-loopback address', async () => {
    await expect(startBrowserHost({ core, port: 0, host: '0.0.0.0', staticDir })).rejects.toThrow(/loopback/);
  });

  test('the launch link is the host URL with a fresh 43-character key in its fragment', async () => {
    expect(host.launchUrl).toMatch(new RegExp(`^${host.url}/#k=[A-Za-z0-9_-]{43}$`));
    const again = await startBrowserHost({ core, port: 0, staticDir });
    try {
      expect(again.launchUrl.split('#k=')[1]).not.toBe(host.launchUrl.split('#k=')[1]);
    } finally {
      await again.close();
    }
  });

  test('accepts the upgrade from its own origin on 127.0.0.1 and localhost', async () => {
    expect(await upgradeStatus({ Origin: `http://127.0.0.1:${String(host.port)}`, Host: `127.0.0.1:${String(host.port)}` })).toBe(101);
    expect(await upgradeStatus({ Origin: `http://localhost:${String(host.port)}`, Host: `localhost:${String(host.port)}` })).toBe(101);
  });

  test('refuses a page from another origin with 403', async () => {
    expect(await upgradeStatus({ Origin: 'https://evil.example', Host: `127.0.0.1:${String(host.port)}` })).toBe(403);
    // Same host, different port: another local web app is another origin.
    expect(await upgradeStatus({ Origin: `http://127.0.0.1:${String(host.port + 1)}`, Host: `127.0.0.1:${String(host.port)}` })).toBe(403);
  });

  test('refuses an upgrade without an Origin header with 403', async () => {
    expect(await upgradeStatus({ Host: `127.0.0.1:${String(host.port)}` })).toBe(403);
  });

  test('refuses a DNS-rebinding request (right origin, foreign Host header) with 403', async () => {
    expect(await upgradeStatus({ Origin: `http://127.0.0.1:${String(host.port)}`, Host: `evil.example:${String(host.port)}` })).toBe(403);
    expect((await rawRequest('/', { Host: `evil.example:${String(host.port)}` })).status).toBe(403);
  });

  test('a ws client with a foreign origin is refused before it can send anything', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(host.port)}${rpcPath()}`, { origin: 'http://attacker.test' });
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('opened'));
      ws.on('error', (error) => resolve(error.message));
    });
    expect(outcome).toMatch(/Unexpected server response: 403/);
  });
});

describe('browser host: RPC over the WebSocket', () => {
  test('session.get round-trips to the real core', async () => {
    const client = await connect();
    const response = await client.call({ type: 'request', id: 1, method: 'session.get', params: {} });
    expect(response).toMatchObject({ type: 'response', id: 1, ok: true });
    const session = (response as { result: SessionState }).result;
    expect(session.user).toBeNull();
    expect(session.serverUrl).toBe('http://127.0.0.1:9');
    expect(session.connection.status).toBe('signed_out');
    client.ws.close();
  });

  test('the core validates params: bad params and unknown methods get clear errors', async () => {
    const client = await connect();
    const bad = await client.call({ type: 'request', id: 2, method: 'inbox.list', params: { channel: '微信', status: null, query: '' } });
    expect(bad).toMatchObject({ id: 2, ok: false, error: { code: 'invalid_params' } });
    const unknown = await client.call({ type: 'request', id: 3, method: 'ticket.delete', params: {} });
    expect(unknown).toMatchObject({ id: 3, ok: false, error: { code: 'unknown_method' } });
    client.ws.close();
  });

  test('a bad envelope with a usable id gets an error response and the socket stays open', async () => {
    const client = await connect();
    const response = await client.call({ type: 'reqest', id: 4, method: 'session.get' });
    expect(response).toMatchObject({ type: 'response', id: 4, ok: false, error: { code: 'invalid_params' } });
    expect((response as { error: { message: string } }).error.message).toMatch(/envelope/);
    const next = await client.call({ type: 'request', id: 5, method: 'session.get', params: {} });
    expect(next).toMatchObject({ id: 5, ok: true });
    client.ws.close();
  });

  test('a message that is not JSON closes the socket with a reason', async () => {
    const client = await connect();
    client.ws.send('{"type":"request",');
    const closed = await client.closed;
    expect(closed.code).toBe(1007);
    expect(closed.reason).toMatch(/not JSON/);
  });

  test('an envelope without an id closes the socket with a reason', async () => {
    const client = await connect();
    client.ws.send(JSON.stringify({ type: 'request', method: 'session.get', params: {} }));
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/Bad request envelope/);
  });

  test('a 1,000,000-character Chinese reply (3 MB) reaches the core and gets its answer', async () => {
    const client = await connect();
    const text = '订'.repeat(1_000_000);
    const response = await client.call({ type: 'request', id: 6, method: 'ticket.reply', params: { ticketId: 'GD20240501001', text } });
    expect(response).toMatchObject({ id: 6, ok: false, error: { code: 'invalid_params' } });
    expect((response as { error: { message: string } }).error.message).toMatch(/text: must be at most \d+ characters/);
    client.ws.close();
  });

  test('a message over 4 MiB is refused by closing the socket (1009)', async () => {
    const client = await connect();
    client.ws.send(JSON.stringify({ type: 'request', id: 7, method: 'ticket.reply', params: { text: 'x'.repeat(4 * 1024 * 1024 + 1) } }));
    const closed = await client.closed;
    expect(closed.code).toBe(1009);
  });
});

describe('browser host: static files', () => {
  test('serves index.html at / with the security headers', async () => {
    const response = await fetch(`${host.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${String(host.port)}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await response.text()).toBe(INDEX_HTML);
  });

  test('serves assets with their content types', async () => {
    const js = await fetch(`${host.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toContain('订单物流查询延迟');
    const css = await fetch(`${host.url}/assets/app.css?v=1`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  test('answers 404 for missing files and folders', async () => {
    expect((await fetch(`${host.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${host.url}/assets`)).status).toBe(404);
  });

  test('never serves a file outside the static folder', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00index.html', '/%E0%A4%A']) {
      const response = await rawRequest(attempt, { Host: `127.0.0.1:${String(host.port)}` });
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('身份证');
    }
  });

  test('refuses methods other than GET and HEAD', async () => {
    expect((await fetch(`${host.url}/`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${host.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  test('resolveStaticPath keeps every path inside the folder', () => {
    const dir = path.join(root, 'renderer');
    expect(resolveStaticPath(dir, '/')).toBe(path.join(dir, 'index.html'));
    expect(resolveStaticPath(dir, '/assets/app.js')).toBe(path.join(dir, 'assets', 'app.js'));
    expect(resolveStaticPath(dir, '/../secret.txt')).toBeNull();
    expect(resolveStaticPath(dir, '//etc/passwd')).toBe(path.join(dir, 'etc', 'passwd'));
  });
});

describe('browser host: events from a signed-in core', () => {
  test('core events reach every connected page as event envelopes', async () => {
    const { startServer } = await import('../../server/app.js');
    const server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    const liveCore = await createWorkstationCore({ dataDir: path.join(root, 'live-core'), serverUrl: server.url });
    const liveHost = await startBrowserHost({ core: liveCore, port: 0, staticDir });
    try {
      const open = async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${String(liveHost.port)}${rpcPath(liveHost)}`, { origin: `http://127.0.0.1:${String(liveHost.port)}` });
        const events: Array<{ event: string; payload: { status?: string } }> = [];
        const responses: RpcResponseEnvelope[] = [];
        ws.on('message', (data) => {
          const envelope = JSON.parse(rawDataToString(data)) as RpcResponseEnvelope | { type: 'event'; event: string; payload: { status?: string } };
          if (envelope.type === 'event') events.push(envelope);
          else responses.push(envelope);
        });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        return { ws, events, responses };
      };
      const signingIn = await open();
      const watching = await open();
      signingIn.ws.send(JSON.stringify({ type: 'request', id: 1, method: 'session.signIn', params: { username: 'agent1', password: 'demo' } }));
      await expect.poll(() => signingIn.responses.length, { timeout: 10_000 }).toBe(1);
      expect(signingIn.responses[0]).toMatchObject({ id: 1, ok: true, result: { user: { username: 'agent1' } } });
      // Both pages, not just the caller, hear the core go online and the cache fill
      // (`changed` is debounced, so it may arrive after `online`).
      for (const page of [signingIn, watching]) {
        await expect.poll(() => page.events.some((e) => e.event === 'connection' && e.payload.status === 'online'), { timeout: 15_000 }).toBe(true);
        await expect.poll(() => page.events.some((e) => e.event === 'changed'), { timeout: 5_000 }).toBe(true);
      }
      signingIn.ws.close();
      watching.ws.close();
    } finally {
      await liveHost.close();
      await liveCore.close();
      await server.close();
    }
  });
});
