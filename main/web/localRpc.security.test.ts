/**
 * The workstation's local RPC (the browser host's WebSocket) as an attacker on the same
 * machine sees it: one row per attack, each against a REAL core signed in to a REAL demo
 * server as agent1, so "refused" means the attacker read no inbox and sent no reply.
 * Issue 9 item 2: a local process forged `Origin: http://127.0.0.1:<port>` and drove the
 * agent's session. Add a row for every new way in.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../server/app.js';
import type { RpcResponseEnvelope } from '../../shared/rpc.js';
import type { WorkstationCore } from '../core/api.js';
import { createWorkstationCore } from '../core/index.js';
import { call, onlineAndIdle, waitUntil } from '../core/testing/coreCalls.js';
import { rawDataToString, startBrowserHost, type BrowserHost } from './browserHost.js';

let root: string;
let server: RunningServer;
let core: WorkstationCore;
let host: BrowserHost;
/** This launch's key, as only the launch link carries it. */
let key: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'omnidesk-local-rpc-'));
  const staticDir = path.join(root, 'renderer');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>全渠道工作台</title><script type="module" src="./app.js"></script>');
  writeFileSync(path.join(staticDir, 'app.js'), 'console.log("工作台");\n');
  server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  core = await createWorkstationCore({ dataDir: path.join(root, 'core'), serverUrl: server.url });
  await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
  await waitUntil(core, 'agent1 is online', onlineAndIdle(core));
  host = await startBrowserHost({ core, port: 0, staticDir });
  key = new URL(host.launchUrl).hash.replace(/^#k=/, '');
}, 60_000);

afterAll(async () => {
  await host?.close();
  await core?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Handshake {
  /** `/rpc` plus its query. */
  path?: string;
  origin?: string | null;
  host?: string;
  headers?: Record<string, string>;
}

const own = () => `http://127.0.0.1:${String(host.port)}`;
const rpcWith = (presented: string) => `/rpc?k=${encodeURIComponent(presented)}`;

/**
 * Opens the RPC socket as the attacker would and, if it opens, reads the agent's inbox.
 * Resolves `refused <status>` or `read N inbox rows`.
 */
function attempt(handshake: Handshake): Promise<string> {
  const headers: Record<string, string> = { Host: handshake.host ?? `127.0.0.1:${String(host.port)}`, ...handshake.headers };
  const origin = handshake.origin === undefined ? own() : handshake.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${String(host.port)}${handshake.path ?? '/rpc'}`, { headers, ...(origin === null ? {} : { origin }) });
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve(`refused ${String(response.statusCode)}`);
      ws.terminate();
    });
    ws.on('error', (error) => resolve(`error ${error.message}`));
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'request', id: 1, method: 'inbox.list', params: { channel: null, status: null, query: '' } }));
    });
    ws.on('message', (data) => {
      const envelope = JSON.parse(rawDataToString(data)) as RpcResponseEnvelope | { type: 'event' };
      if (envelope.type !== 'response') return;
      resolve(envelope.ok ? `read ${(envelope.result as { rows: unknown[] }).rows.length > 0 ? 'the' : 'an empty'} inbox` : `error ${envelope.error.code}`);
      ws.close();
    });
  });
}

/** Everything a plain HTTP GET returns (status line, headers and body) as one string. */
function getEverything(pathname: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path: pathname, headers: { Host: `127.0.0.1:${String(host.port)}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(`${String(res.statusCode)} ${JSON.stringify(res.headers)} ${Buffer.concat(chunks).toString('utf8')}`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A key of the same length that differs from the real one in its last character only. */
function almostTheKey(): string {
  const last = key.at(-1) === 'A' ? 'B' : 'A';
  return `${key.slice(0, -1)}${last}`;
}

interface AttackRow {
  attack: string;
  run: () => Promise<string>;
  expect: string;
}

const rows: AttackRow[] = [
  {
    attack: 'a local process forges the Origin and Host headers but has no key (issue 9)',
    run: () => attempt({}),
    expect: 'refused 401',
  },
  {
    attack: 'a local process guesses a key',
    run: () => attempt({ path: rpcWith('bm90LXRoZS1rZXktbm90LXRoZS1rZXktbm90LXRoZS1rZXk') }),
    expect: 'refused 401',
  },
  {
    attack: 'a key of the right length that differs in its last character',
    run: () => attempt({ path: rpcWith(almostTheKey()) }),
    expect: 'refused 401',
  },
  {
    attack: 'a prefix of the key, and an empty key',
    run: async () => `${await attempt({ path: rpcWith(key.slice(0, 20)) })}, ${await attempt({ path: '/rpc?k=' })}`,
    expect: 'refused 401, refused 401',
  },
  {
    attack: 'the key in a header or a cookie instead of the handshake query',
    run: async () =>
      `${await attempt({ headers: { 'X-Launch-Key': key, Authorization: `Bearer ${key}` } })}, ${await attempt({ headers: { Cookie: `k=${key}` } })}`,
    expect: 'refused 401, refused 401',
  },
  {
    attack: 'the key, but a foreign Origin (a web page that learned it)',
    run: () => attempt({ path: rpcWith(key), origin: 'https://evil.example' }),
    expect: 'refused 403',
  },
  {
    attack: 'the key, but the Origin of another local port (another local web app)',
    run: () => attempt({ path: rpcWith(key), origin: `http://127.0.0.1:${String(host.port + 1)}` }),
    expect: 'refused 403',
  },
  {
    attack: 'the key, but no Origin at all',
    run: () => attempt({ path: rpcWith(key), origin: null }),
    expect: 'refused 403',
  },
  {
    attack: 'the key, but a DNS-rebinding Host header',
    run: () => attempt({ path: rpcWith(key), host: `evil.example:${String(host.port)}` }),
    expect: 'refused 403',
  },
  {
    attack: 'the key in a cross-site request (a page elsewhere opening our socket with it)',
    run: () => attempt({ path: rpcWith(key), origin: 'http://evil.example', headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'websocket' } }),
    expect: 'refused 403',
  },
  {
    attack: 'reading the key from what the host serves (GET /, /index.html, /app.js, /rpc, /?k=, a 404) with the right Host',
    run: async () => {
      const served = await Promise.all(['/', '/index.html', '/app.js', '/rpc', `/?k=guess`, '/launch', '/missing'].map((p) => getEverything(p)));
      return served.some((text) => text.includes(key)) ? 'the key was served' : 'the key is nowhere';
    },
    expect: 'the key is nowhere',
  },
  {
    attack: '(control) the page opened from the launch link: own Origin, own Host, the key',
    run: () => attempt({ path: rpcWith(key) }),
    expect: 'read the inbox',
  },
  {
    attack: '(control) the same page on localhost',
    run: () => attempt({ path: rpcWith(key), origin: `http://localhost:${String(host.port)}`, host: `localhost:${String(host.port)}` }),
    expect: 'read the inbox',
  },
];

describe('local RPC: attacks and the expected refusals', () => {
  it.each(rows)('$attack → $expect', async (row) => {
    expect(await row.run()).toBe(row.expect);
  });
});
