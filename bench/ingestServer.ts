/**
 * Child process of the ingest benchmark: the real server (`startServer`, routing included)
 * on an ephemeral port over a temp folder, with an organisation seeded through the store:
 * `<light>` agents on phone/chat/social (tokens issued directly, for the bench's light
 * sockets), `<measured>` e-mail agents with a password (they sign in through a full core),
 * `BOARD_LEADS` leads (tokens issued directly: the leads' board windows of ingestLatency.ts)
 * and an integration token for `POST /api/v1/inbound`.
 *
 * `createUser` hashes every password with scrypt (~40 ms here), so the light agents are
 * created by this process and helper processes in parallel (`seed-users` mode below).
 * Command `{cmd: 'mark'}` → what the server spent since the previous mark (`IngestServerMark`).
 * This is the process of the `sqlite` setup (ingestSetups.ts), one node on SQLite, and of the
 * `postgres` setup when a `postgres://` URL follows the counts: the same seeding and server,
 * state in that database.
 * The `cluster` setup starts three: node 0 with the counts, the URL and then `<redisUrl>
 * <redisPrefix> <nodeId>` (it seeds, then runs as a cluster node), nodes 1 and 2 as
 * `join <databaseUrl> <redisUrl> <redisPrefix> <nodeId>` once node 0 is up (no seeding, so no
 * race over migrations or users; they answer `{url}` and marks like node 0).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CAPACITY } from '../shared/routing.js';
import { startServer } from '../server/app.js';
import { DEFAULT_RATE_LIMITS } from '../server/rateLimits.js';
import { openPostgresServerStore, openServerStore, type ServerStore } from '../server/store.js';
import { connectToParent, createCpuMeter, createEventLoopMeter, makeBenchDir, removeDir, scaled, type ParentLink } from './benchSupport.js';
import { countPostgresStatements } from './postgresStatements.js';
import { customerName } from './sampleContacts.js';

/** What the parent learns once the server is up. */
export interface SeededIngestServer {
  url: string;
  integrationToken: string;
  lightAgents: Array<{ userId: string; token: string }>;
  measuredAgents: Array<{ username: string; password: string }>;
  /** Leads (role `lead`, every channel's board), tokens valid on every node. */
  leads: Array<{ userId: string; token: string }>;
  /** Seeding users (scrypt) and starting the server. */
  setupMs: number;
}

/** What a `join` node (cluster nodes 1 and 2) tells the parent once it listens. */
export interface JoinedIngestNode {
  url: string;
}

/** Where a cluster node shares events, routing and counters (server/cluster/node.ts). */
interface ClusterArguments {
  redisUrl: string;
  keyPrefix: string;
  nodeId: string;
}

/** One server process's costs between two marks. */
export interface IngestServerMark {
  /** Event-loop utilisation (0..1). */
  eventLoopUtilization: number;
  /** Process CPU time, user + system, every thread. */
  cpuMs: number;
  /** The kernel's part of `cpuMs` (socket writes, fsync). */
  systemCpuMs: number;
  /** Inbound contacts this process stored (counted from its `inbound …` log lines). */
  contactsIngested: number;
  /** Statements this process sent to PostgreSQL (0 on SQLite). */
  postgresStatements: number;
  /** Times this node computed the leads' channel board (none while no lead is connected). */
  boardComputations: number;
  /** When the mark was taken, in the monotonic microseconds a `.cpuprofile` uses (BENCH_CPU_PROF_DIR): cuts a profile to a window. */
  monotonicUs: number;
}

/** The issue's 20 leads watching the board (2 in a quick run). */
export const BOARD_LEADS = scaled(20, 2);

const MEASURED_PASSWORD = '邮件坐席-bench-密码';
/** The most e-mails one agent may hold (capacitySchema's ceiling). */
const MEASURED_EMAIL_CAPACITY = 200;
const LIGHT_PASSWORD = '坐席-bench-密码';
const LEAD_PASSWORD = '组长-bench-密码';
const INTEGRATION_TOKEN = 'bench-integration-token';
const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/** Where the seeding opens the store: a `postgres://` URL, else the SQLite file's path. */
async function openSeedingStore(target: string): Promise<ServerStore> {
  return target.startsWith('postgres://') ? openPostgresServerStore({ databaseUrl: target, maxConnections: 2 }) : openServerStore({ filePath: target });
}

function lightAgentId(index: number): string {
  return `agent${String(index).padStart(4, '0')}`;
}

async function createLightAgents(store: ServerStore, from: number, to: number): Promise<void> {
  for (let index = from; index < to; index++) {
    const id = lightAgentId(index);
    await store.createUser({
      id,
      username: id,
      password: LIGHT_PASSWORD,
      displayName: `${customerName(index)}${String(index)}`,
      role: 'agent',
      channels: ['phone', 'chat', 'social'],
    });
  }
}

function runHelper(target: string, from: number, to: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const helper = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'seed-users', target, String(from), String(to)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    helper.once('error', reject);
    helper.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`user seeding helper exited with ${String(code)}`))));
  });
}

/** Starts the real server on an ephemeral port and answers the parent's marks with what it spent since the previous one. */
async function startMeasuredServer(
  parent: ParentLink,
  dataDir: string,
  databaseUrl: string | undefined,
  cluster: ClusterArguments | undefined,
): Promise<{ server: Awaited<ReturnType<typeof startServer>>; answerMarks(): void }> {
  let contactsIngested = 0;
  // Read through a function: the server is assigned below, before any mark asks.
  let boardComputations = () => 0;
  const server = await startServer({
    port: 0,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(cluster ? { nodeId: cluster.nodeId, cluster: { redisUrl: cluster.redisUrl, keyPrefix: cluster.keyPrefix } } : {}),
    tokenTtlMs: TOKEN_TTL_MS,
    // No pacing: it spreads a backlog over agents who arrive later (2 tickets per agent per 5 s),
    // which would hold most of the measured e-mails in the queue, where agents are not sent them.
    // On a cluster every node gets it, so whichever node takes the routing lease routes the same way.
    routing: { perAgentPerTick: Number.MAX_SAFE_INTEGER },
    // The windows together post more than a token's default minute budget (6,000): a 429 is the
    // rate limit working, not the ingest path the phase measures.
    rateLimits: { ...DEFAULT_RATE_LIMITS, inboundPerToken: { points: 1_000_000, durationSec: 60 } },
    // The server's own variable, so a run can compare commit delays (server/groupCommit.ts).
    ...(process.env.INGEST_COMMIT_DELAY_MS ? { ingestCommitDelayMs: Number(process.env.INGEST_COMMIT_DELAY_MS) } : {}),
    // One line per contact would swamp the pipe; anything unusual still goes to stderr.
    // The `inbound …` line comes once per stored contact, so it also counts them.
    log: (line) => {
      if (line.startsWith('inbound ')) contactsIngested++;
      else if (!line.startsWith('sign-in') && !line.startsWith('server listening'))
        process.stderr.write(`[server${cluster ? ` ${cluster.nodeId}` : ''}] ${line}\n`);
    },
  });
  boardComputations = () => server.board.computations();
  return {
    server,
    // Called once the parent has its ready answer, so the first mark's window starts there.
    answerMarks() {
      const eventLoopSinceMark = createEventLoopMeter();
      const cpuSinceMark = createCpuMeter();
      const statements = countPostgresStatements();
      let contactsAtMark = contactsIngested;
      let statementsAtMark = statements.read();
      let boardAtMark = boardComputations();
      parent.onCommand(() => {
        const cpu = cpuSinceMark();
        const mark: IngestServerMark = {
          eventLoopUtilization: eventLoopSinceMark(),
          cpuMs: cpu.cpuMs,
          systemCpuMs: cpu.systemMs,
          contactsIngested: contactsIngested - contactsAtMark,
          postgresStatements: statements.read() - statementsAtMark,
          boardComputations: boardComputations() - boardAtMark,
          monotonicUs: Number(process.hrtime.bigint() / 1000n),
        };
        for (const [text, count] of statements.takeTop(25)) {
          process.stderr.write(`[ingestServer] ${(count / Math.max(1, mark.contactsIngested)).toFixed(2)} per contact: ${text}\n`);
        }
        contactsAtMark = contactsIngested;
        statementsAtMark = statements.read();
        boardAtMark = boardComputations();
        parent.send(mark);
      });
    },
  };
}

async function main(): Promise<void> {
  const parent = connectToParent();
  const lightCount = Number(process.argv[2] ?? '1000');
  const measuredCount = Number(process.argv[3] ?? '4');
  const databaseUrl = process.argv[4];
  const [redisUrl, keyPrefix, nodeId] = process.argv.slice(5);
  const cluster = redisUrl && keyPrefix && nodeId && databaseUrl ? { redisUrl, keyPrefix, nodeId } : undefined;
  const dataDir = makeBenchDir('ingest-server');
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  parent.onShutdown(async () => {
    await server?.close();
    removeDir(dataDir);
  });

  const setupStart = performance.now();
  const target = databaseUrl ?? path.join(dataDir, 'server.sqlite');
  const seeding = await openSeedingStore(target);
  await seeding.createIntegrationToken('bench', INTEGRATION_TOKEN);
  const measuredAgents: SeededIngestServer['measuredAgents'] = [];
  for (let index = 1; index <= measuredCount; index++) {
    const username = `email${String(index).padStart(2, '0')}`;
    await seeding.createUser({
      id: username,
      username,
      password: MEASURED_PASSWORD,
      displayName: `邮件坐席${customerName(index)}`,
      role: 'agent',
      channels: ['email'],
    });
    // An agent is sent the tickets they hold, not their channel's queue: the measured agents take
    // as many e-mails as the contract allows, so the run's e-mails are routed to them, not queued.
    await seeding.routing.saveAgentSettings(
      username,
      {
        presence: 'offline',
        presenceCause: 'disconnected',
        presenceSince: 0,
        awayReason: null,
        capacity: { ...DEFAULT_CAPACITY, email: MEASURED_EMAIL_CAPACITY },
        phoneBlocksChat: true,
      },
      0,
    );
    measuredAgents.push({ username, password: MEASURED_PASSWORD });
  }
  for (let index = 1; index <= BOARD_LEADS; index++) {
    const id = `lead${String(index).padStart(2, '0')}`;
    await seeding.createUser({ id, username: id, password: LEAD_PASSWORD, displayName: `组长${customerName(index)}`, role: 'lead', channels: [] });
  }
  const streams = Math.max(2, os.availableParallelism());
  const share = Math.ceil(lightCount / streams);
  const helpers: Array<Promise<void>> = [];
  for (let stream = 1; stream < streams; stream++) {
    const from = stream * share;
    const to = Math.min(lightCount, from + share);
    if (from < to) helpers.push(runHelper(target, from, to));
  }
  await createLightAgents(seeding, 0, Math.min(lightCount, share));
  await Promise.all(helpers);
  await seeding.close();

  const started = await startMeasuredServer(parent, dataDir, databaseUrl, cluster);
  server = started.server;
  const { store } = server;
  // Tokens live in the database, so on a cluster they are valid on every node.
  const lightAgents = await store.withTransaction(async () => {
    const issued: Array<{ userId: string; token: string }> = [];
    for (let index = 0; index < lightCount; index++) {
      const userId = lightAgentId(index);
      issued.push({ userId, token: (await store.issueUserToken(userId, Date.now(), TOKEN_TTL_MS)).token });
    }
    return issued;
  });
  const leads: SeededIngestServer['leads'] = [];
  for (let index = 1; index <= BOARD_LEADS; index++) {
    const userId = `lead${String(index).padStart(2, '0')}`;
    leads.push({ userId, token: (await store.issueUserToken(userId, Date.now(), TOKEN_TTL_MS)).token });
  }
  const ready: SeededIngestServer = {
    url: server.url,
    integrationToken: INTEGRATION_TOKEN,
    lightAgents,
    measuredAgents,
    leads,
    setupMs: performance.now() - setupStart,
  };
  parent.send(ready);
  started.answerMarks();
}

/** Cluster nodes 1 and 2: the organisation node 0 seeded, the same database and Redis, no seeding of their own. */
async function join(databaseUrl: string, cluster: ClusterArguments): Promise<void> {
  const parent = connectToParent();
  const dataDir = makeBenchDir(`ingest-${cluster.nodeId}`);
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  parent.onShutdown(async () => {
    await server?.close();
    removeDir(dataDir);
  });
  const started = await startMeasuredServer(parent, dataDir, databaseUrl, cluster);
  server = started.server;
  const joined: JoinedIngestNode = { url: server.url };
  parent.send(joined);
  started.answerMarks();
}

if (process.argv[2] === 'seed-users') {
  const [target, from, to] = process.argv.slice(3);
  const store = await openSeedingStore(target!);
  await createLightAgents(store, Number(from), Number(to));
  await store.close();
} else if (process.argv[2] === 'join') {
  const [databaseUrl, redisUrl, keyPrefix, nodeId] = process.argv.slice(3);
  if (!databaseUrl || !redisUrl || !keyPrefix || !nodeId) throw new Error('join needs <databaseUrl> <redisUrl> <redisPrefix> <nodeId>');
  await join(databaseUrl, { redisUrl, keyPrefix, nodeId });
} else {
  await main();
}
