import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcError } from './errors.js';
import { loginToServer } from './login.js';

const credentials = { username: 'agent1', password: 'pw', clientId: 'ws-test' };
const servers: http.Server[] = [];

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

async function refusal(promise: Promise<unknown>): Promise<RpcError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('loginToServer failures', () => {
  it('tells a server that takes the request and stays silent apart from one that cannot be reached', async () => {
    const silent = await listen(() => undefined);
    const slow = await refusal(loginToServer(silent, credentials, 200));
    expect(slow.code).toBe('server_not_answering');
    expect(slow.message).toContain('did not answer the sign-in within 0.2 s');

    // A port nobody listens on any more: the connection itself fails.
    const gone = await listen(() => undefined);
    const last = servers.pop()!;
    await new Promise<void>((resolve) => last.close(() => resolve()));
    expect((await refusal(loginToServer(gone, credentials, 2000))).code).toBe('server_unreachable');
  });

  it('says wrong credentials for a 401 and the gateway of a server that is down for a 502', async () => {
    const refusing = await listen((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{}'));
    expect((await refusal(loginToServer(refusing, credentials))).code).toBe('bad_credentials');
    const gateway = await listen((_req, res) => res.writeHead(502).end());
    expect((await refusal(loginToServer(gateway, credentials))).code).toBe('server_unreachable');
  });

  it('signs in although the server closed the kept-alive connection the request went out on', async () => {
    // What a core busy past the server's keep-alive timeout meets: its pooled connection is
    // closed on the server's side, and the next request on it gets no answer. Here the server
    // closes a connection as its second request arrives, deterministically.
    const requestsOn = new WeakMap<object, number>();
    const user = { id: 'agent1', username: 'agent1', displayName: '李娜', role: 'agent', channels: ['email'], groups: [], tier: 1, senior: false };
    const keepsAlive = await listen((req, res) => {
      const count = (requestsOn.get(req.socket) ?? 0) + 1;
      requestsOn.set(req.socket, count);
      if (count > 1) {
        req.socket.destroy();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=60' })
        .end(JSON.stringify({ token: `token-${String(count)}`, expiresAt: 1, user }));
    });
    expect((await loginToServer(keepsAlive, credentials)).user.username).toBe('agent1');
    // undici puts the connection back in its pool a turn after the answer.
    await new Promise((resolve) => setImmediate(resolve));
    expect((await loginToServer(keepsAlive, credentials)).user.username).toBe('agent1');
  });
});
