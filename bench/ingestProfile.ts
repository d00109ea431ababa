/**
 * Development tool, not a bench phase: the server's CPU per inbound contact with nobody
 * connected (what `raw_server_cpu_ms_per_contact_no_agents` measures), small enough to run
 * and profile on a loaded 2-core machine without the ingest phase's 1,000 sockets:
 *
 *   node --import tsx bench/ingestProfile.ts
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/ingestProfile.ts
 *
 * The real server (`startServer`, routing included) runs in this process over a temp folder
 * with `PROFILE_AGENTS` offline agents (default 20); a child process posts `PROFILE_CONTACTS`
 * first contacts (default 1,000) at 200/s over 32 keep-alive connections, the ingest phase's
 * channel mix, after 200 for warm-up. Prints `profile_server_cpu_ms_per_contact` (this
 * process's CPU during the window, every thread, per contact stored) and, on stderr, the
 * window in the monotonic microseconds a `.cpuprofile` uses, to cut the profile to it.
 * `PROFILE_DIRECT=1`: no HTTP; the store and routing alone, through the same group commit,
 * 10 contacts per turn (`PROFILE_PER_TURN` sets how many; 1 is what the HTTP runs' contacts get
 * at 200/s, one commit each). `PROFILE_STATEMENTS=1`: every SQLite statement counted per contact
 * with the process CPU it took (getrusage around each call, so the total is inflated).
 * `PROFILE_ONLINE=1` (direct mode): the agents are connected and available and accept every
 * offer as their batch commits, as the phase's light agents do, so routing places each contact
 * among `PROFILE_AGENTS` candidates (the phase's 1,000: `PROFILE_AGENTS=1000`).
 * `PROFILE_COMMIT_DELAY_MS`: the server's `ingestCommitDelayMs` (server/groupCommit.ts); its default if unset.
 * `PROFILE_LEAD=1`: a lead is connected to routing (no socket), so the leads' roster is pushed.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { startServer } from '../server/app.js';
import { openServerStore } from '../server/store.js';
import type { Channel } from '../shared/domain.js';
import { createGroupCommit } from '../server/groupCommit.js';
import type { ChannelContact } from '../server/store.js';
import { createCpuMeter, makeBenchDir, removeDir, sleep } from './benchSupport.js';
import { firstContact } from './sampleContacts.js';

const TOKEN = 'profile-integration-token';
const CHANNEL_MIX: readonly Channel[] = ['email', 'phone', 'chat', 'social'];

async function generate(url: string, count: number, first: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  let failed = 0;
  // Each request's time to its answer: what the group commit's delay adds to a contact's latency.
  const answerMs: number[] = [];
  // TCP connections opened (a socket seen for the first time): keep-alive holds it to the agent's 32, not one per contact.
  const sockets = new WeakSet<object>();
  let connections = 0;
  for (let k = 0; k < count; k++) {
    const wait = started + k * 5 - performance.now();
    if (wait >= 1) await sleep(wait);
    const index = first + k;
    const body = JSON.stringify(firstContact(index, CHANNEL_MIX[index % 4]!));
    const sentAt = performance.now();
    inFlight.push(
      new Promise<void>((resolve) => {
        const request = http.request(
          `${url}/api/v1/inbound`,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` },
          },
          (response) => {
            if (response.statusCode !== 201) failed++;
            response.resume();
            response.on('end', () => {
              answerMs.push(performance.now() - sentAt);
              resolve();
            });
          },
        );
        request.on('error', () => {
          failed++;
          resolve();
        });
        request.on('socket', (socket) => {
          if (sockets.has(socket)) return;
          sockets.add(socket);
          connections++;
        });
        request.end(body);
      }),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  answerMs.sort((a, b) => a - b);
  const at = (share: number) => (answerMs[Math.min(answerMs.length - 1, Math.floor(share * answerMs.length))] ?? Number.NaN).toFixed(1);
  process.stderr.write(
    `generator: ${String(count)} sent, ${String(failed)} failed, ${String(Math.round(performance.now() - started))} ms, ${String(connections)} connections; answer ms p50 ${at(0.5)} p99 ${at(0.99)}\n`,
  );
}

/** `PROFILE_STATEMENTS=1`: count every SQLite statement and the CPU it takes by its text (all connections), printed per contact. */
/** This process's CPU time in ms (user + system): unlike the wall clock, time spent preempted on a shared machine is not counted. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function watchStatements(): { reset(): void; print(contacts: number): void } {
  const spent = new Map<string, { count: number; ms: number }>();
  const add = (text: string, ms: number) => {
    const entry = spent.get(text) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += ms;
    spent.set(text, entry);
  };
  const probe = new Database(':memory:');
  const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'get', 'all'] as const) {
    const original = statementPrototype[method]!;
    statementPrototype[method] = function (this: { source: string }, ...args: unknown[]) {
      const before = cpuNow();
      try {
        return original.apply(this, args);
      } finally {
        add(this.source.replace(/\s+/g, ' ').slice(0, 140), cpuNow() - before);
      }
    };
  }
  const databasePrototype = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const exec = databasePrototype.exec!;
  databasePrototype.exec = function (this: unknown, text: unknown) {
    const before = cpuNow();
    try {
      return exec.call(this, text);
    } finally {
      add(
        `exec ${String(text)
          .replace(/sp_\d+/, 'sp_N')
          .slice(0, 60)}`,
        cpuNow() - before,
      );
    }
  };
  return {
    reset: () => spent.clear(),
    print(contacts) {
      let count = 0;
      let ms = 0;
      for (const [text, entry] of [...spent].sort((a, b) => b[1].ms - a[1].ms)) {
        count += entry.count;
        ms += entry.ms;
        process.stdout.write(
          `${(entry.count / contacts).toFixed(2).padStart(6)} per contact ${((entry.ms * 1000) / contacts).toFixed(0).padStart(5)} us  ${text}\n`,
        );
      }
      process.stdout.write(`statements per contact ${(count / contacts).toFixed(2)}, ${((ms * 1000) / contacts).toFixed(0)} us per contact\n`);
    },
  };
}

/** Counts the SQLite commits (every connection): how many contacts share one is what the group commit's delay changes. */
function countCommits(): () => number {
  let commits = 0;
  const databasePrototype = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const exec = databasePrototype.exec!;
  databasePrototype.exec = function (this: unknown, text: unknown) {
    if (String(text).startsWith('COMMIT')) commits++;
    return exec.call(this, text);
  };
  return () => commits;
}

async function main(): Promise<void> {
  const commitsSoFar = countCommits();
  const statements = process.env.PROFILE_STATEMENTS === '1' ? watchStatements() : null;
  const agents = Number(process.env.PROFILE_AGENTS ?? '20');
  const contacts = Number(process.env.PROFILE_CONTACTS ?? '1000');
  const dataDir = makeBenchDir('ingest-profile');
  const seeding = openServerStore({ filePath: path.join(dataDir, 'server.sqlite') });
  await seeding.createIntegrationToken('bench', TOKEN);
  const agentIds = Array.from({ length: agents }, (_, index) => `agent${String(index).padStart(4, '0')}`);
  if (agents > 0)
    await seeding.createUser({
      id: agentIds[0],
      username: agentIds[0]!,
      password: 'profile-密码',
      displayName: agentIds[0]!,
      role: 'agent',
      channels: ['phone', 'chat', 'social', 'email'],
    });
  await seeding.close();
  // The others share the first one's password hash: scrypt for 1,000 users would take a minute of CPU before the run.
  const raw = new Database(path.join(dataDir, 'server.sqlite'));
  const copy = raw.prepare(
    `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at, languages_json, extension)
     SELECT ?, ?, ?, role, channels, groups_json, tier, senior, password_hash, created_at, languages_json, extension FROM users WHERE id = ?`,
  );
  for (const id of agentIds.slice(1)) copy.run(id, id, id, agentIds[0]);
  raw.close();
  let stored = 0;
  const server = await startServer({
    port: 0,
    dataDir,
    routing: { perAgentPerTick: Number.MAX_SAFE_INTEGER },
    ...(process.env.PROFILE_COMMIT_DELAY_MS !== undefined ? { ingestCommitDelayMs: Number(process.env.PROFILE_COMMIT_DELAY_MS) } : {}),
    log: (line) => {
      if (line.startsWith('inbound ')) stored++;
      else if (!line.startsWith('server listening')) process.stderr.write(`[server] ${line}\n`);
    },
  });
  const online = process.env.PROFILE_ONLINE === '1';
  if (online) {
    for (const id of agentIds) {
      const user = await server.store.getUser(id);
      if (!user) throw new Error(`no user ${id}`);
      await server.routing.connect(user, `profile-${id}`);
      await server.routing.setPresence(id, 'available', 'self', null);
    }
  }
  if (process.env.PROFILE_LEAD === '1') {
    // Routing counts a lead as watching the roster; no socket here, so this is the server's side of the push (build, diff, encode), not its writes.
    const lead = await server.store.createUser({
      id: 'profile-lead',
      username: 'profile-lead',
      password: 'profile-lead-password',
      displayName: 'Lead',
      role: 'lead',
      channels: [],
    });
    await server.routing.connect(lead, 'profile-lead');
  }
  const accepts: Array<Promise<unknown>> = [];
  const run = (count: number, first: number) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'generate', server.url, String(count), String(first)], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${String(code)}`))));
    });
  // Warm-up: JIT and statement caches, like the phase's warm-up window.
  await run(200, 1_000_000);
  const storedBefore = stored;
  statements?.reset();
  const commitsBefore = commitsSoFar();
  const windowStartUs = process.hrtime.bigint() / 1000n;
  const cpu = createCpuMeter();
  if (process.env.PROFILE_DIRECT === '1') {
    // The store and routing alone, no HTTP: batches of `perTurn` contacts share a group commit.
    const ingest = createGroupCommit(
      (fn) => server.store.withTransaction(fn),
      (contact: ChannelContact) => server.store.ingestInbound(contact, { now: Date.now(), router: server.routing }),
    );
    const perTurn = Number(process.env.PROFILE_PER_TURN ?? '10');
    for (let k = 0; k < contacts; k += perTurn) {
      await Promise.all(
        Array.from({ length: perTurn }, (_, i) =>
          ingest({ ...firstContact(k + i, CHANNEL_MIX[(k + i) % 4]!), claimScope: 'api:bench' }).then(({ ticket }) => {
            stored++;
            const offer = ticket.routing.offer;
            // Like the phase's light agents: every offer is accepted, once its contact is stored.
            if (online && offer) accepts.push(server.routing.respond(offer.agentId, ticket.id, true));
          }),
        ),
      );
    }
    await Promise.all(accepts);
  } else await run(contacts, 0);
  const spent = cpu();
  process.stderr.write(`profile window (monotonic us, as in a .cpuprofile): ${String(windowStartUs)} ${String(process.hrtime.bigint() / 1000n)}\n`);
  const counted = stored - storedBefore;
  statements?.print(counted);
  process.stdout.write(`profile_contacts_stored=${String(counted)}\n`);
  process.stdout.write(`profile_commits_per_contact=${((commitsSoFar() - commitsBefore) / counted).toFixed(3)}\n`);
  process.stdout.write(`profile_server_cpu_ms_per_contact=${(spent.cpuMs / counted).toFixed(3)}\n`);
  process.stdout.write(`profile_server_system_ms_per_contact=${(spent.systemMs / counted).toFixed(3)}\n`);
  await server.close();
  removeDir(dataDir);
}

if (process.argv[2] === 'generate') {
  await generate(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
} else {
  await main();
}
