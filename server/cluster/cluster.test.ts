/**
 * Three real server processes (`server/main.ts`) on one PostgreSQL database and one Redis,
 * agent sockets spread over them, email contacts flowing in through all three; one node is
 * SIGKILLed mid-stream (the routing leader in one run, a follower in the other). Afterwards:
 * every acknowledged contact is stored once, no ticket is held by two agents, nobody is over
 * capacity, the dead node's agents (reconnected to another node, as a load balancer would)
 * hold exactly what the database says with no missing change, and routing resumed. The
 * figures are printed as `name=value` lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { Change, ClientToServerEvents, LiveChanges, PullResult, ServerToClientEvents } from '../../shared/sync.js';
import type { Ack } from '../../shared/sync.js';
import { DEFAULT_CAPACITY } from '../../shared/routing.js';
import { openPostgresServerStore } from '../store.js';
import { login, postJson, seedTestOrganisation, TEST_INTEGRATION_TOKEN } from '../testHarness.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { createTestRedis } from '../testing/redis.js';

const AGENTS = 30;
const CONTACTS = 120;
const root = mkdtempSync(path.join(os.tmpdir(), 'omnidesk-cluster-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Node {
  id: string;
  url: string;
  process: ChildProcess;
  output: string[];
  dead: boolean;
}

async function startNode(id: string, database: TestDatabase, redis: { url: string; prefix: string }): Promise<Node> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'main.ts')], {
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: path.join(root, id),
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      NODE_ID: id,
    },
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
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${String(code)}: ${output.join('')}`)));
  });
  return { id, url, process: child, output, dead: false };
}

function leaderOf(nodes: readonly Node[]): Node | undefined {
  // The newest "leads routing" line wins: after a failover another node says it.
  return nodes
    .filter((node) => !node.dead)
    .map((node) => ({ node, at: node.output.join('').lastIndexOf('leads routing') }))
    .filter((entry) => entry.at >= 0)[0]?.node;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUp) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** An agent's workstation as far as sync goes: pulls, then applies live batches; a gap means pull again. */
interface AgentClient {
  userId: string;
  node: Node;
  socket: ClientSocket | null;
  cursor: number;
  /** Latest assignee seen per ticket. */
  assignees: Map<string, string | null>;
  gaps: number;
  reconnects: number;
}

function ticketOf(change: Change): { id: string; assigneeId: string | null } | null {
  if (change.kind === 'customer') return null;
  return change.kind === 'bundle' ? change.bundle.ticket : change.ticket;
}

function apply(client: AgentClient, changes: readonly Change[], upTo: number): void {
  for (const change of changes) {
    const ticket = ticketOf(change);
    if (ticket) client.assignees.set(ticket.id, ticket.assigneeId);
  }
  client.cursor = Math.max(client.cursor, upTo);
}

async function pullAll(client: AgentClient, socket: ClientSocket): Promise<void> {
  for (;;) {
    const answer = await new Promise<Ack<PullResult>>((resolve) => socket.emit('sync:pull', { since: client.cursor }, resolve));
    if (!answer.ok) throw new Error(`pull failed: ${answer.error.message}`);
    const result = answer.result;
    if (result.mustRefetch) throw new Error('the change log was pruned under a live test');
    apply(client, result.changes, result.upTo);
    if (!result.more) return;
  }
}

async function connectClient(client: AgentClient, token: string, clientId: string): Promise<void> {
  const socket: ClientSocket = connectSocket(client.node.url, { auth: { token, clientId }, reconnection: false, transports: ['websocket'] });
  let pulling: Promise<void> = Promise.resolve();
  socket.on('sync:changes', (batch: LiveChanges) => {
    pulling = pulling.then(async () => {
      if (batch.upTo <= client.cursor) return;
      if (batch.after !== client.cursor) {
        client.gaps += 1;
        await pullAll(client, socket);
        return;
      }
      apply(client, batch.changes, batch.upTo);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  pulling = pulling.then(() => pullAll(client, socket));
  await pulling;
  client.socket = socket;
}

interface RunFigures {
  lost: number;
  duplicated: number;
  doubleOwned: number;
  overCapacity: number;
  failoverSeconds: number;
  staleClients: number;
  reconnects: number;
}

async function runCluster(kill: 'leader' | 'follower'): Promise<RunFigures> {
  const database = await createTestDatabase('omnidesk_cluster');
  const redis = await createTestRedis('omnidesk-cluster');
  const nodes: Node[] = [];
  const clients: AgentClient[] = [];
  try {
    // The organisation is written before any node starts (one store opened for it, then closed).
    const seeding = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined });
    const agentIds = Array.from({ length: AGENTS }, (_, i) => `agent${String(i).padStart(2, '0')}`);
    await seedTestOrganisation(
      seeding,
      agentIds.map((username) => ({ username, displayName: username, channels: ['email'] })),
    );
    await seeding.close();
    for (const id of ['node-a', 'node-b', 'node-c']) nodes.push(await startNode(id, database, redis));
    await waitFor('a routing leader', () => leaderOf(nodes));

    // Agents spread over the nodes, as a load balancer would place them.
    for (const [i, userId] of agentIds.entries()) {
      const node = nodes[i % nodes.length]!;
      const { token } = await login(node.url, userId);
      const client: AgentClient = { userId, node, socket: null, cursor: 0, assignees: new Map(), gaps: 0, reconnects: 0 };
      const clientId = `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`;
      await connectClient(client, token, clientId);
      client.socket!.on('disconnect', () => {
        // The load balancer sends a dropped workstation to a node that is alive.
        const alive = nodes.filter((n) => !n.dead && n !== client.node);
        client.node = alive[(i + client.reconnects) % alive.length]!;
        client.reconnects += 1;
        void connectClient(client, token, clientId).catch(() => undefined);
      });
      clients.push(client);
    }

    const acknowledged: string[] = [];
    let killedAt = 0;
    const victim = kill === 'leader' ? leaderOf(nodes)! : nodes.find((node) => node !== leaderOf(nodes))!;
    for (let i = 0; i < CONTACTS; i++) {
      if (i === CONTACTS / 3) {
        victim.process.kill('SIGKILL');
        victim.dead = true;
        killedAt = Date.now();
      }
      const node = nodes.filter((n) => !n.dead)[i % nodes.filter((n) => !n.dead).length]!;
      const text = `集群测试邮件 ${String(i)}`;
      const response = await postJson(
        `${node.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'email', customer: { name: `客户${String(i)}`, email: `c${String(i)}@example.cn` }, text }),
        TEST_INTEGRATION_TOKEN,
      ).catch(() => null);
      if (response && (response.status === 200 || response.status === 201)) acknowledged.push(text);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    const reader = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined });
    try {
      // Routing resumed: every stored ticket ends with an agent (30 agents × 10 emails is room for all).
      await waitFor(
        'every ticket assigned',
        async () => ((await reader.sql.get<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE assignee_id IS NULL'))!.n === 0 ? true : undefined),
        60_000,
      );
      const rows = await reader.sql.all<{ text: string; n: number }>(
        "SELECT text, count(*)::int AS n FROM messages WHERE text LIKE '集群测试邮件 %' GROUP BY text",
      );
      const stored = new Map(rows.map((row) => [row.text, row.n]));
      const firstAfterKill = await reader.sql.get<{ at: number | null }>(
        "SELECT min(at)::bigint AS at FROM routing_audit WHERE decision = 'assigned' AND at > ?",
        [killedAt],
      );
      const owners = await reader.sql.all<{ id: string; assignee_id: string }>(
        "SELECT id, assignee_id FROM tickets WHERE status NOT IN ('completed', 'closed')",
      );
      const load = new Map<string, number>();
      for (const row of owners) load.set(row.assignee_id, (load.get(row.assignee_id) ?? 0) + 1);

      // Every live workstation holds exactly what the database says (live batches, re-pulled after a gap).
      const expected = new Map<string, Set<string>>();
      for (const row of owners) {
        let set = expected.get(row.assignee_id);
        if (!set) expected.set(row.assignee_id, (set = new Set()));
        set.add(row.id);
      }
      const held = (client: AgentClient) => new Set([...client.assignees].filter(([, assignee]) => assignee === client.userId).map(([id]) => id));
      const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((id) => b.has(id));
      await waitFor('every workstation caught up', () =>
        clients.every((client) => same(held(client), expected.get(client.userId) ?? new Set())) ? true : undefined,
      ).catch(() => undefined);
      const heldBy = new Map<string, number>();
      for (const client of clients) for (const id of held(client)) heldBy.set(id, (heldBy.get(id) ?? 0) + 1);

      return {
        lost: acknowledged.filter((text) => !stored.has(text)).length,
        duplicated: [...stored.values()].filter((n) => n > 1).length,
        doubleOwned: [...heldBy.values()].filter((n) => n > 1).length,
        overCapacity: [...load.values()].filter((n) => n > DEFAULT_CAPACITY.email).length,
        failoverSeconds: firstAfterKill?.at ? (Number(firstAfterKill.at) - killedAt) / 1000 : Number.NaN,
        staleClients: clients.filter((client) => !same(held(client), expected.get(client.userId) ?? new Set())).length,
        reconnects: clients.reduce((sum, client) => sum + client.reconnects, 0),
      };
    } finally {
      await reader.close();
    }
  } finally {
    for (const client of clients) {
      client.socket?.removeAllListeners('disconnect');
      client.socket?.disconnect();
    }
    for (const node of nodes) if (!node.dead) node.process.kill('SIGTERM');
    await Promise.all(
      nodes.map((node) =>
        node.process.exitCode !== null || node.process.signalCode !== null ? Promise.resolve() : new Promise((resolve) => node.process.once('exit', resolve)),
      ),
    );
    await redis.cleanup();
    await database.drop();
  }
}

describe('three nodes on PostgreSQL + Redis', () => {
  for (const kill of ['leader', 'follower'] as const) {
    it(`loses nothing, duplicates nothing and keeps routing when the ${kill} is SIGKILLed`, async () => {
      const figures = await runCluster(kill);
      console.log(
        [
          `cluster_kill_${kill}_lost=${String(figures.lost)}`,
          `cluster_kill_${kill}_duplicated=${String(figures.duplicated)}`,
          `cluster_kill_${kill}_double_owned=${String(figures.doubleOwned)}`,
          `cluster_kill_${kill}_over_capacity=${String(figures.overCapacity)}`,
          `cluster_kill_${kill}_failover_s=${figures.failoverSeconds.toFixed(2)}`,
          `cluster_kill_${kill}_stale_workstations=${String(figures.staleClients)}`,
          `cluster_kill_${kill}_reconnects=${String(figures.reconnects)}`,
        ].join('\n'),
      );
      expect(figures).toMatchObject({ lost: 0, duplicated: 0, doubleOwned: 0, overCapacity: 0, staleClients: 0 });
      expect(figures.reconnects).toBeGreaterThanOrEqual(AGENTS / 3);
      expect(figures.failoverSeconds).toBeLessThan(10);
    }, 240_000);
  }
});
