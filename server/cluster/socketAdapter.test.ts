/**
 * Two real socket.io servers on loopback sharing one real Redis (names under a random
 * prefix): a room emit on node B reaches a client of node A, and `fetchSockets()` on
 * either node sees the sockets of both.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestRedis, type TestRedis } from '../testing/redis.js';
import { attachRedisAdapter, type RedisAdapterHandle } from './socketAdapter.js';

const EVENTUALLY = { timeout: 20_000, interval: 50 };

interface Node {
  name: string;
  http: HttpServer;
  io: Server;
  adapter: RedisAdapterHandle;
  url: string;
}

let redis: TestRedis;
const nodes: Node[] = [];
const clients: ClientSocket[] = [];

async function startNode(name: string): Promise<Node> {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  const adapter = attachRedisAdapter(io, redis.url, { keyPrefix: redis.prefix, blockTimeInMs: 200, log: () => undefined });
  io.on('connection', (socket) => {
    const room: unknown = socket.handshake.auth.room;
    if (typeof room === 'string') void socket.join(room);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const node = { name, http, io, adapter, url: `http://127.0.0.1:${String((http.address() as AddressInfo).port)}` };
  nodes.push(node);
  return node;
}

async function connect(node: Node, auth: Record<string, string>): Promise<ClientSocket> {
  const client = connectClient(node.url, { transports: ['websocket'], auth, reconnection: false });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

beforeAll(async () => {
  redis = await createTestRedis('omnidesk-test-sio');
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const node of nodes) {
    await node.io.close();
    await node.adapter.close();
  }
  await redis?.cleanup();
});

describe('socket.io over Redis streams', () => {
  it('delivers a room emit made on another node, and lists the sockets of both nodes', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    const onA = await connect(a, { room: 'agent:u-1' });
    const onB = await connect(b, { room: 'agent:u-2' });

    const received: unknown[] = [];
    onA.on('hello', (payload: unknown) => received.push(payload));
    const payload = { ticketId: 'GD20231001001', 标题: '退款' };
    // Each node starts reading the stream when its adapter has connected; until then an
    // emit may go unseen, so repeat it until it arrives (the assertion is that it arrives).
    await vi.waitFor(() => {
      if (received.length === 0) b.io.to('agent:u-1').emit('hello', payload);
      expect(received.length).toBeGreaterThan(0);
    }, EVENTUALLY);
    expect(received[0]).toEqual(payload);

    for (const node of [a, b]) {
      await vi.waitFor(async () => {
        const sockets = await node.io.fetchSockets();
        expect(sockets.map((socket) => socket.id).sort()).toEqual([onA.id, onB.id].sort());
      }, EVENTUALLY);
    }
    const inRoom = await b.io.in('agent:u-1').fetchSockets();
    expect(inRoom.map((socket) => socket.id)).toEqual([onA.id]);
  });
});

describe('closing a node while it still asks the others', () => {
  it('leaves no unhandled rejection when a fetchSockets request is in flight as the publishing client quits', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const node = await startNode('closing');
      await vi.waitFor(async () => expect(await node.adapter.client.ping()).toBe('PONG'), EVENTUALLY);
      // The adapter sends a fetchSockets request with a PUBLISH it never awaits; QUIT right behind it flushes it.
      for (let i = 0; i < 20; i += 1) void node.io.fetchSockets().catch(() => undefined);
      await node.io.close();
      await node.adapter.close();
      nodes.splice(nodes.indexOf(node), 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
