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
});
