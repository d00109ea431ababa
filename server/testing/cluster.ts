/**
 * Server nodes in this process sharing one throwaway PostgreSQL database and one Redis key
 * prefix, for the cluster tests (routing leader, scripts, knowledge base): the nodes' common
 * settings, sockets to any node, and one `stop()` that closes sockets, nodes, Redis keys and
 * the database in that order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { InboundContact, InboundResponse } from '../../shared/httpApi.js';
import type { PresenceChanged, RoutingOffer } from '../../shared/routing.js';
import { ackSchema, type Ack, type ServerToClientEvents } from '../../shared/sync.js';
import type { ClusterNodeOptions, ServerOptions } from '../app.js';
import { postJson, startTestServer, TEST_INTEGRATION_TOKEN, type TestServer } from '../testHarness.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { createTestRedis, type TestRedis } from './redis.js';
import type { ListeningClient } from './libraries.js';
import { askSocket, openTestSocket, recordPushes, type SocketOptions, type TestSocket } from './sockets.js';

/** A node in its own process (`server/main.ts`), so a test can SIGKILL it: nothing of it runs on. */
export interface SpawnedNode {
  id: string;
  url: string;
  process: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: string[];
}

/**
 * `server/main.ts` in a child process on `databaseUrl` and `redis`, as `npm run server` runs it;
 * resolves once it listens, rejects with its output if it exits first.
 */
export async function spawnServerNode(nodeId: string, dataDir: string, databaseUrl: string, redis: { url: string; prefix: string }): Promise<SpawnedNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'main.ts')], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, NODE_ID: nodeId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const listening = /server listening on (http:\/\/[^ ]+) /.exec(output.join(''));
      if (listening) resolve(listening[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`node ${nodeId} exited with ${String(code)}: ${output.join('')}`)));
  });
  return { id: nodeId, url, process: child, output };
}

/** What a node adds to (or changes in) the cluster's settings; `cluster` merges into the shared Redis settings. */
export type TestNodeOptions = Omit<Partial<ServerOptions>, 'cluster'> & { cluster?: Omit<ClusterNodeOptions, 'redisUrl' | 'keyPrefix'> };

export interface TestCluster {
  database: TestDatabase;
  redis: TestRedis;
  /** Every node started, in order; `stop()` stops them all. */
  nodes: TestServer[];
  /** Starts a node on the shared database and Redis: the cluster's defaults, then `options`. */
  startNode(nodeId: string, options?: TestNodeOptions): Promise<TestServer>;
  /** Starts a node in a child process on the shared database and Redis (its defaults: `npm run server`'s); `stop()` kills it if still alive. */
  spawnNode(nodeId: string): Promise<SpawnedNode>;
  /** A signed-in socket on `node` (see `openTestSocket`); closed by `stop()`. */
  connect(node: Pick<TestServer, 'url'>, username: string, options?: SocketOptions): Promise<TestSocket>;
  /** Closes the sockets, stops the nodes (a node already stopped is fine), deletes the Redis keys and drops the database. */
  stop(): Promise<void>;
}

/**
 * A fresh database (`omnidesk_<name>_…`) and Redis prefix (`omnidesk-<name>…`); nodes get a fast
 * lease retry and reconcile (200 ms, 300 ms), `Date.now`, then `defaults`, then their own options.
 */
export async function createTestCluster(name: string, defaults: TestNodeOptions = {}): Promise<TestCluster> {
  const database = await createTestDatabase(`omnidesk_${name}`);
  const redis = await createTestRedis(`omnidesk-${name}`);
  const nodes: TestServer[] = [];
  const sockets: TestSocket[] = [];
  const spawned: SpawnedNode[] = [];
  let dataRoot: string | null = null;
  return {
    database,
    redis,
    nodes,
    async startNode(nodeId, options = {}) {
      const node = await startTestServer({
        now: Date.now,
        ...defaults,
        ...options,
        databaseUrl: database.url,
        nodeId,
        cluster: { leaseRetryMs: 200, reconcileMs: 300, ...defaults.cluster, ...options.cluster, redisUrl: redis.url, keyPrefix: redis.prefix },
      });
      nodes.push(node);
      return node;
    },
    async spawnNode(nodeId) {
      dataRoot ??= mkdtempSync(path.join(os.tmpdir(), 'omnidesk-cluster-'));
      const node = await spawnServerNode(nodeId, path.join(dataRoot, nodeId), database.url, redis);
      spawned.push(node);
      return node;
    },
    async connect(node, username, options = {}) {
      const socket = await openTestSocket(node.url, username, options);
      sockets.push(socket);
      return socket;
    },
    async stop() {
      for (const socket of sockets.splice(0)) socket.disconnect();
      await Promise.allSettled(nodes.splice(0).map((node) => node.stop()));
      await Promise.allSettled(
        spawned.splice(0).map(({ process: child }) => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          return exited;
        }),
      );
      if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
      await redis.cleanup();
      await database.drop();
    },
  };
}

/** A socket on a cluster node and every `event` pushed to it; acks wait up to 10 s (two nodes on a busy machine). */
export async function connectListeningOnNode<E extends 'kb:changed' | 'scripts:changed'>(
  cluster: TestCluster,
  node: TestServer,
  username: string,
  event: E,
  clientId?: string,
): Promise<ListeningClient<Parameters<ServerToClientEvents[E]>[0]>> {
  const changes: Parameters<ServerToClientEvents[E]>[0][] = [];
  const socket = await cluster.connect(node, username, { clientId, listen: recordPushes(event, changes) });
  return { ask: (name, payload) => askSocket(socket, name, payload, 10_000), changes };
}

/** A routing agent's socket on a cluster node and the offers and presence changes pushed to it. */
export interface RoutingClient {
  socket: TestSocket;
  offers: RoutingOffer[];
  presence: PresenceChanged[];
}

export async function connectRoutingClient(cluster: TestCluster, node: TestServer, username: string): Promise<RoutingClient> {
  const offers: RoutingOffer[] = [];
  const presence: PresenceChanged[] = [];
  const socket = await cluster.connect(node, username, {
    listen: (opened) => {
      opened.on('routing:offer', (offer) => offers.push(offer));
      opened.on('presence:changed', (change) => presence.push(change));
    },
  });
  return { socket, offers, presence };
}

/** Emits a routing request and parses the ack with the result's schema (15 s: the leader may be on the other node). */
export async function askRouting<T extends z.ZodType>(client: RoutingClient, event: string, request: unknown, schema: T): Promise<Ack<z.infer<T>>> {
  const raw = await askSocket<unknown>(client.socket, event, request, 15_000);
  return ackSchema(schema).parse(raw) as Ack<z.infer<T>>;
}

/** A contact through the integration API of `node`; anything but 200/201 fails the test. */
export async function postInbound(node: TestServer, contact: InboundContact): Promise<InboundResponse> {
  const response = await postJson<InboundResponse>(`${node.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
  if (response.status !== 201 && response.status !== 200) throw new Error(`inbound failed: ${String(response.status)}`);
  return response.body as InboundResponse;
}
