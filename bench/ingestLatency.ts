/**
 * Phase 2: from an inbound contact to the agent's cache, under load. The real server runs
 * in its own process(es), started by a swappable setup (ingestSetups.ts: one node on
 * SQLite, one on PostgreSQL, or three on PostgreSQL + Redis), with 1,000 agent sockets
 * connected (light agents spread over several child processes, live after a `sync:pull`, on
 * phone/chat/social, accepting every offer) and
 * a few e-mail agents each running the FULL workstation core in this process. Contacts are
 * posted over HTTP at a steady rate (a paced loop, not a burst; a pool of keep-alive
 * connections like a channel gateway's), a quarter of them e-mail, to the nodes in turn.
 * Latency of an e-mail contact = the moment a measured core emits `changed` with its ticket
 * id, minus the moment just before its POST.
 * Beside it: a bare probe socket signed in as each measured agent shows when the change
 * reaches the wire, and a read-only look into each measured cache file (new rows, every
 * ~1 ms) shows when the row is stored, so the transport's share, the core's share and the
 * core's `changed` coalescing window can be told apart. The event-loop utilisation of the
 * server and of every client process says which of them was saturated, and the server's CPU
 * time per contact is set beside the same server's cost with no agent connected (measured
 * at the end, once every socket has left).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { io, type Socket } from 'socket.io-client';
import type { Channel } from '../shared/domain.js';
import type { ConnectionState } from '../shared/rpc.js';
import { workstationHandshakeAuth, type Change } from '../shared/sync.js';
import { CHANGED_DEBOUNCE_MS } from '../main/core/changeNotifier.js';
import { applyCacheKey } from '../main/core/cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile, type WorkstationCore } from '../main/core/index.js';
import { loginToServer } from '../main/core/login.js';
import {
  createCpuMeter,
  createEventLoopMeter,
  createMachineCpuMeter,
  isQuickRun,
  makeBenchDir,
  percentile,
  progress,
  removeDir,
  reportMetric,
  sleep,
  startBenchChild,
  waitUntil,
  type BenchChild,
} from './benchSupport.js';
import { MEASURED_AGENTS, type IngestFleet, type IngestServerSetup } from './ingestSetups.js';
import type { BoardPushSeen, LightAgentAssignment, LightAgentsMark } from './lightAgents.js';
import { firstContact } from './sampleContacts.js';

/** The issue's target for `ingest_to_agent_cache_ms_p99`. */
export const INGEST_P99_TARGET_MS = 50;

const CONTACTS_PER_S = 200;
/** Seconds of the measured window (the warm-up before it and the floor after it are extra). */
function measuredSeconds(): number {
  return isQuickRun() ? 2 : 15;
}

/** Contacts posted in the measured window (3,000; 400 in a quick run): the `postgres` phase's raw insert floor writes as many rows. */
export function measuredWindowContacts(): number {
  return Math.round(measuredSeconds() * CONTACTS_PER_S);
}
/**
 * Child processes sharing the light agent sockets (`BENCH_LIGHT_PROCESSES` overrides): one
 * process for all 1,000 was saturated, so the bench measured its own client.
 */
function lightAgentProcesses(): number {
  const setting = process.env.BENCH_LIGHT_PROCESSES ?? '4';
  const processes = Number(setting);
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`BENCH_LIGHT_PROCESSES must be a whole number ≥ 1, not ${setting}`);
  return processes;
}
/** One in four contacts is an e-mail (→ the measured cores); the rest go to the light agents. */
const CHANNEL_MIX: readonly Channel[] = ['email', 'phone', 'chat', 'social'];
/**
 * Connections the load generator keeps open to the server, like a channel gateway's pool:
 * when the server falls behind, contacts wait here (and that wait counts in their latency)
 * instead of opening ever more connections.
 */
const HTTP_CONNECTIONS = 32;
/** How long answers may trail the end of a sending window before they count as unanswered. */
const WARM_UP_GRACE_MS = 5_000;
const MEASURED_GRACE_MS = 10_000;

function connectSocket(url: string, token: string, clientId: string): Promise<Socket> {
  const socket = io(url, { auth: workstationHandshakeAuth(token, clientId), transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      reject(error);
    });
  });
}

/** Pulls since 0, which makes the socket live on the server (it then receives `sync:changes`). */
async function goLive(socket: Socket): Promise<void> {
  const ack = (await socket.timeout(30_000).emitWithAck('sync:pull', { since: 0 })) as { ok: boolean; result?: { mustRefetch: boolean; more?: boolean } };
  if (!ack.ok || !ack.result || ack.result.mustRefetch || ack.result.more)
    throw new Error(`sync:pull did not make the socket live: ${JSON.stringify(ack).slice(0, 200)}`);
}

function ticketIdOf(change: Change): string | null {
  switch (change.kind) {
    case 'bundle':
      return change.bundle.ticket.id;
    case 'ticket':
    case 'message':
    case 'note':
      return change.ticket.id;
    case 'customer':
      return null;
  }
}

interface SendResult {
  sent: number;
  answered: number;
  failed: number;
  unanswered: number;
  startedAt: number;
  lastAnswerAt: number;
  httpMs: number[];
  /** Epoch ms (`performance.timeOrigin` based) of every 201 answer, in arrival order: each is just after its contact's commit. */
  answeredAt: number[];
  /** TCP connections the window's requests were the first to use: with keep-alive at most HTTP_CONNECTIONS, not one per contact. */
  connectionsOpened: number;
}

/** Every socket an inbound POST has used (the keep-alive agent's, across windows): a socket not in it is a new connection. */
const postSockets = new WeakSet<object>();

interface Observations {
  /** Ticket id → just before the POST that created it (e-mail contacts of the measured window). */
  postedAt: Map<string, number>;
  /** Ticket id → first `changed` event of a measured core naming it. */
  coreSeenAt: Map<string, number>;
  /** Ticket id → first probe socket batch carrying it. */
  wireSeenAt: Map<string, number>;
  /** Ticket id → first look that found its row in a measured cache file. */
  rowSeenAt: Map<string, number>;
}

function postInbound(
  agent: http.Agent,
  url: string,
  token: string,
  body: string,
  signal: AbortSignal,
  onNewConnection: () => void,
): Promise<{ status: number; answer: { ticketId?: string } }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/api/v1/inbound`,
      {
        method: 'POST',
        agent,
        signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, answer: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ticketId?: string } });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    request.on('error', reject);
    // Counted by socket, not by `reusedSocket`: a request that waited for a busy socket is not flagged as reusing it.
    request.on('socket', (socket) => {
      if (postSockets.has(socket)) return;
      postSockets.add(socket);
      onNewConnection();
    });
    request.end(body);
  });
}

/** Posts `count` contacts at CONTACTS_PER_S to the nodes in turn, never waiting for answers before the next is due. */
async function sendContacts(
  agent: http.Agent,
  fleet: IngestFleet,
  firstIndex: number,
  count: number,
  graceMs: number,
  record: Map<string, number> | null,
): Promise<SendResult> {
  const result: SendResult = {
    sent: 0,
    answered: 0,
    failed: 0,
    unanswered: 0,
    startedAt: performance.now(),
    lastAnswerAt: 0,
    httpMs: [],
    answeredAt: [],
    connectionsOpened: 0,
  };
  const abandon = new AbortController();
  // Every request in flight listens on this one signal.
  setMaxListeners(0, abandon.signal);
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1000 / CONTACTS_PER_S;
  const report = (what: string) => {
    if (result.failed <= 3) progress(`ingest: ${what}`);
  };
  for (let k = 0; k < count; k++) {
    const waitMs = result.startedAt + k * intervalMs - performance.now();
    if (waitMs >= 1) await sleep(waitMs);
    const index = firstIndex + k;
    const channel = CHANNEL_MIX[index % CHANNEL_MIX.length]!;
    const body = JSON.stringify(firstContact(index, channel));
    const post = (async () => {
      const before = performance.now();
      const { status, answer } = await postInbound(agent, fleet.nodeUrls[index % fleet.nodeUrls.length]!, fleet.integrationToken, body, abandon.signal, () => {
        result.connectionsOpened++;
      });
      const after = performance.now();
      result.lastAnswerAt = Math.max(result.lastAnswerAt, after);
      if (status !== 201 || !answer.ticketId) {
        result.failed++;
        report(`POST answered ${String(status)}: ${JSON.stringify(answer).slice(0, 200)}`);
        return;
      }
      result.answered++;
      result.httpMs.push(after - before);
      result.answeredAt.push(performance.timeOrigin + after);
      if (record && channel === 'email') record.set(answer.ticketId, before);
    })().catch((error: unknown) => {
      if (abandon.signal.aborted) {
        result.unanswered++;
        return;
      }
      result.failed++;
      report(`POST failed: ${String(error)}`);
    });
    result.sent++;
    inFlight.add(post);
    void post.finally(() => inFlight.delete(post));
  }
  const everyAnswer = Promise.all(inFlight);
  if (await Promise.race([everyAnswer.then(() => true), sleep(graceMs).then(() => false)])) return result;
  progress(`ingest: ${String(inFlight.size)} contacts still unanswered ${String(graceMs)} ms after the window; giving up on them`);
  abandon.abort();
  await everyAnswer;
  return result;
}

/** Agent i goes to light process i mod `processes` and to node i mod (number of nodes). */
function shareLightAgents(fleet: IngestFleet, processes: number): LightAgentAssignment[][] {
  const shares: LightAgentAssignment[][] = Array.from({ length: processes }, () => []);
  fleet.lightAgents.forEach((agent, index) => {
    shares[index % processes]!.push({ url: fleet.nodeUrls[index % fleet.nodeUrls.length]!, token: agent.token, clientId: `bench-light-${String(index)}` });
  });
  return shares;
}

async function markLightAgents(children: readonly BenchChild[]): Promise<LightAgentsMark[]> {
  for (const child of children) child.send({ cmd: 'mark' });
  return Promise.all(children.map((child) => child.next<LightAgentsMark>(60_000)));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * The board windows (issue 11: "the cost of keeping 20 leads' boards live while 200 contacts/s
 * arrive"), run after the measured window on the same server with every agent still
 * connected. Each round alternates three windows of contacts at the same rate: `none` (no lead
 * connected: the board is never computed), `live` (the leads connected as a signed-in lead's
 * workstation is: the board room, and live on the sync log, so sent every change too) and
 * `board` (the same lead sockets, board room only: the board's own cost). The round's order
 * turns by one each round. Lead sockets are opened in the light agent processes before a
 * window and closed after it, outside the marks.
 */
type BoardWindowKind = 'none' | 'live' | 'board';
const BOARD_WINDOW_KINDS: readonly BoardWindowKind[] = ['none', 'live', 'board'];
/** Between the leads' connect (the board's first load on the node, the connect snapshot) and the window. */
const BOARD_SETTLE_MS = 2_000;
/** After the window's last answer: the board is computed at most once a second, so its last push comes within this. */
const BOARD_TAIL_MS = 1_500;

interface BoardWindowTotals {
  windows: number;
  cpuMs: number;
  contacts: number;
  ms: number;
  elu: number[];
  lightElu: number[];
  computations: number;
  leadBytes: number;
  boardPushes: number;
  boardBytes: number;
  syncBytes: number;
  leadsDropped: number;
  updateMs: number[];
  transitMs: number[];
  unseen: number;
  answered: number;
  sent: number;
  bytesByEvent: Record<string, number>;
  /** Per window, node 0's monotonic µs at its start and end marks (to cut a BENCH_CPU_PROF_DIR profile). */
  profileRanges: Array<[number, number]>;
}

function emptyTotals(): BoardWindowTotals {
  return {
    windows: 0,
    cpuMs: 0,
    contacts: 0,
    ms: 0,
    elu: [],
    lightElu: [],
    computations: 0,
    leadBytes: 0,
    boardPushes: 0,
    boardBytes: 0,
    syncBytes: 0,
    leadsDropped: 0,
    updateMs: [],
    transitMs: [],
    unseen: 0,
    answered: 0,
    sent: 0,
    bytesByEvent: {},
    profileRanges: [],
  };
}

/**
 * Commit → board push received, per lead: the window's answers sorted are its new tickets in
 * order, so a push whose today's volume is `base + k` is the first to show the first k of them
 * (`base`: the lead's last push before the window). Measured from the 201 answer, which the
 * server writes just after the commit, so a few ms short of the commit at most.
 */
function boardUpdateLatencies(
  before: readonly BoardPushSeen[],
  during: readonly BoardPushSeen[],
  answeredAt: readonly number[],
): { latencies: number[]; unseen: number } {
  const answers = [...answeredAt].sort((a, b) => a - b);
  const latencies: number[] = [];
  let unseen = 0;
  const leads = new Set(during.map((push) => push.lead));
  for (const lead of leads) {
    const base = before
      .filter((push) => push.lead === lead)
      .sort((a, b) => a.receivedAt - b.receivedAt)
      .at(-1)?.volume;
    if (base === undefined) continue;
    let shown = 0;
    for (const push of during.filter((seen) => seen.lead === lead).sort((a, b) => a.receivedAt - b.receivedAt)) {
      const reflected = Math.min(answers.length, push.volume - base);
      for (; shown < reflected; shown++) latencies.push(push.receivedAt - answers[shown]!);
    }
    unseen += answers.length - shown;
  }
  return { latencies, unseen };
}

async function measureBoardWindows(
  setup: IngestServerSetup,
  fleet: IngestFleet,
  lightChildren: readonly BenchChild[],
  httpAgent: http.Agent,
  firstIndex: number,
): Promise<number> {
  const metric = (name: string, value: number) => reportMetric(`${setup.metricPrefix}${name}`, value);
  const leadCount = fleet.leads.length;
  const rounds = isQuickRun() ? 2 : 3;
  const windowSeconds = isQuickRun() ? 1 : 5;
  const perWindow = Math.round(windowSeconds * CONTACTS_PER_S);
  const totals: Record<BoardWindowKind, BoardWindowTotals> = { none: emptyTotals(), live: emptyTotals(), board: emptyTotals() };
  // Lead i in light process i mod n, on node i mod (number of nodes), as the agents are.
  const leadShares: LightAgentAssignment[][] = lightChildren.map(() => []);
  fleet.leads.forEach((lead, index) => {
    leadShares[index % lightChildren.length]!.push({
      url: fleet.nodeUrls[index % fleet.nodeUrls.length]!,
      token: lead.token,
      clientId: `bench-lead-${String(index)}`,
    });
  });
  const withLeads = lightChildren.filter((_, index) => leadShares[index]!.length > 0);
  let index = firstIndex;
  progress(
    `ingest: board windows, ${String(rounds)} rounds of ${BOARD_WINDOW_KINDS.join(' / ')} (${String(leadCount)} leads), ${String(windowSeconds)} s each at ${String(CONTACTS_PER_S)} contacts/s`,
  );
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < BOARD_WINDOW_KINDS.length; turn++) {
      const kind = BOARD_WINDOW_KINDS[(turn + round) % BOARD_WINDOW_KINDS.length]!;
      if (kind !== 'none') {
        lightChildren.forEach((child, at) => {
          if (leadShares[at]!.length > 0) child.send({ cmd: 'leads', leads: leadShares[at], live: kind === 'live' });
        });
        await Promise.all(withLeads.map((child) => child.next<{ connected: number }>(120_000)));
      }
      await sleep(BOARD_SETTLE_MS);
      const opening = await setup.mark();
      const before = (await markLightAgents(lightChildren)).flatMap((mark) => mark.leads.pushes);
      const startedAt = performance.now();
      const run = await sendContacts(httpAgent, fleet, index, perWindow, MEASURED_GRACE_MS, null);
      index += perWindow;
      await sleep(BOARD_TAIL_MS);
      const server = await setup.mark();
      const crowd = await markLightAgents(lightChildren);
      const ms = performance.now() - startedAt;
      if (kind !== 'none') {
        for (const child of withLeads) child.send({ cmd: 'drop-leads' });
        await Promise.all(withLeads.map((child) => child.next<{ closed: number }>(60_000)));
      }
      const during = crowd.flatMap((mark) => mark.leads.pushes);
      const { latencies, unseen } = boardUpdateLatencies(before, during, run.answeredAt);
      const total = totals[kind];
      total.windows++;
      total.cpuMs += server.cpuMs;
      total.contacts += server.contactsIngested;
      total.ms += ms;
      total.elu.push(server.eventLoopUtilizationMax);
      total.lightElu.push(...crowd.map((mark) => mark.eventLoopUtilization));
      total.computations += server.boardComputations;
      total.leadBytes += sum(crowd.map((mark) => mark.leads.bytes));
      total.boardPushes += sum(crowd.map((mark) => mark.leads.boardPushes));
      total.boardBytes += sum(crowd.map((mark) => mark.leads.boardBytes));
      total.syncBytes += sum(crowd.map((mark) => mark.leads.syncBytes));
      total.leadsDropped += sum(crowd.map((mark) => mark.leads.dropped));
      total.updateMs.push(...latencies);
      total.transitMs.push(...during.map((push) => push.receivedAt - push.at));
      total.unseen += unseen;
      total.answered += run.answered;
      total.sent += run.sent;
      for (const mark of crowd)
        for (const [event, bytes] of Object.entries(mark.leads.bytesByEvent)) total.bytesByEvent[event] = (total.bytesByEvent[event] ?? 0) + bytes;
      total.profileRanges.push([opening.nodes[0]!.monotonicUs, server.nodes[0]!.monotonicUs]);
      progress(
        `ingest: board window ${String(round + 1)}.${String(turn + 1)} ${kind}: server ${(server.cpuMs / server.contactsIngested).toFixed(3)} ms CPU/contact, ` +
          `ELU ${server.eventLoopUtilizationMax.toFixed(2)}, ${String(server.contactsIngested)} contacts, ${String(server.boardComputations)} board computations, ` +
          `update p50/p99 ${percentile(latencies, 50).toFixed(0)}/${percentile(latencies, 99).toFixed(0)} ms`,
      );
    }
  }
  const cpuPerContact = (total: BoardWindowTotals) => total.cpuMs / total.contacts;
  const mean = (values: readonly number[]) => sum(values) / values.length;
  const none = totals.none;
  const leads = `board_live_${String(leadCount)}_leads`;
  metric('board_live_leads', leadCount);
  metric('board_live_windows_per_kind', rounds);
  metric('board_live_window_s', windowSeconds);
  metric('board_live_no_leads_server_cpu_ms_per_contact', cpuPerContact(none));
  metric('board_live_no_leads_server_event_loop_utilization', mean(none.elu));
  metric('board_live_no_leads_board_computations', none.computations);
  for (const [kind, name] of [
    ['live', leads],
    ['board', `${leads}_board_only`],
  ] as const) {
    const total = totals[kind];
    const leadSeconds = (leadCount * total.ms) / 1000;
    metric(`${name}_server_cpu_ms_per_contact`, cpuPerContact(total));
    metric(`${name}_added_server_cpu_ms_per_contact`, cpuPerContact(total) - cpuPerContact(none));
    metric(`${name}_server_event_loop_utilization`, mean(total.elu));
    metric(`${name}_update_ms_p50`, percentile(total.updateMs, 50));
    metric(`${name}_update_ms_p99`, percentile(total.updateMs, 99));
    metric(`${name}_updates_measured`, total.updateMs.length);
    metric(`${name}_updates_unseen`, total.unseen);
    metric(`${name}_push_transit_ms_p99`, percentile(total.transitMs, 99));
    metric(`${name}_kb_per_lead_per_s`, total.leadBytes / 1024 / leadSeconds);
    metric(`${name}_board_kb_per_lead_per_s`, total.boardBytes / 1024 / leadSeconds);
    metric(`${name}_sync_kb_per_lead_per_s`, total.syncBytes / 1024 / leadSeconds);
    metric(`${name}_board_pushes_per_lead_per_s`, total.boardPushes / leadSeconds);
    metric(`${name}_board_computations_per_s`, total.computations / (total.ms / 1000));
    metric(`${name}_light_processes_elu_max`, Math.max(...total.lightElu));
    metric(`${name}_dropped`, total.leadsDropped);
    progress(
      `ingest: ${name}: KB per lead per s by event: ${Object.entries(total.bytesByEvent)
        .sort(([, a], [, b]) => b - a)
        .map(([event, bytes]) => `${event} ${(bytes / 1024 / leadSeconds).toFixed(2)}`)
        .join(', ')}`,
    );
  }
  if (process.env.BENCH_CPU_PROF_DIR) {
    // For bench/profileShare.ts: the windows of each kind in node 0's profile clock.
    for (const kind of BOARD_WINDOW_KINDS)
      progress(
        `ingest: board windows ${kind}, node 0 profile ranges (us): ${totals[kind].profileRanges.map(([from, to]) => `${String(from)} ${String(to)}`).join(' ')}`,
      );
  }
  // The board's share: what the board-only windows add over none, of what the server spends with the leads as workstations subscribe.
  metric(`${leads}_board_share_of_server_cpu`, (cpuPerContact(totals.board) - cpuPerContact(none)) / cpuPerContact(totals.live));
  metric(`${leads}_share_of_server_cpu`, (cpuPerContact(totals.live) - cpuPerContact(none)) / cpuPerContact(totals.live));
  const answered = sum(BOARD_WINDOW_KINDS.map((kind) => totals[kind].answered));
  const sent = sum(BOARD_WINDOW_KINDS.map((kind) => totals[kind].sent));
  metric('board_live_contacts_answered_share', answered / sent);
  return index;
}

export interface IngestLatencyOptions {
  /** Run the leads' board windows after the measured window (the ingest phase does; postgres and cluster do not). */
  boardWindows?: boolean;
}

/** How long the server is watched with no contact arriving. */
const IDLE_WINDOW_MS = 5_000;

export async function measureIngestLatency(setup: IngestServerSetup, options: IngestLatencyOptions = {}): Promise<void> {
  const metric = (name: string, value: number) => reportMetric(`${setup.metricPrefix}${name}`, value);
  const seconds = measuredSeconds();
  const warmUpSeconds = isQuickRun() ? 0.5 : 2;
  const floorSeconds = isQuickRun() ? 1 : 5;
  const lightChildren: BenchChild[] = [];
  const probes: Socket[] = [];
  const cores: WorkstationCore[] = [];
  const coreDirs: string[] = [];
  const cacheReaders: Database.Database[] = [];
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CONNECTIONS });
  async function disconnectEveryAgent(): Promise<void> {
    await Promise.all(lightChildren.splice(0).map((child) => child.stop()));
    for (const reader of cacheReaders.splice(0)) reader.close();
    for (const core of cores.splice(0)) await core.close();
    for (const probe of probes.splice(0)) probe.disconnect();
  }
  try {
    const fleet = await setup.ready();
    metric('ingest_setup_s', fleet.setupMs / 1000);
    const nodeCount = fleet.nodeUrls.length;

    const processes = Math.max(1, Math.min(lightAgentProcesses(), fleet.lightAgents.length));
    progress(
      `ingest: connecting ${String(fleet.lightAgents.length)} light agent sockets from ${String(processes)} child processes to ${String(nodeCount)} server node(s) (setup ${setup.name})`,
    );
    const shares = shareLightAgents(fleet, processes);
    for (const share of shares) {
      const child = startBenchChild('lightAgents.ts');
      lightChildren.push(child);
      child.send({ cmd: 'connect', agents: share });
    }
    const connected = sum((await Promise.all(lightChildren.map((child) => child.next<{ connected: number }>(300_000)))).map((answer) => answer.connected));

    progress(`ingest: ${String(MEASURED_AGENTS)} full workstation cores sign in`);
    const seen: Observations = { postedAt: new Map(), coreSeenAt: new Map(), wireSeenAt: new Map(), rowSeenAt: new Map() };
    const cacheWatchers: Array<{ newRows: Database.Statement<[number], { rid: number; id: string }>; lastRid: number }> = [];
    for (const [index, agent] of fleet.measuredAgents.entries()) {
      const serverUrl = fleet.nodeUrls[index % nodeCount]!;
      const dataDir = makeBenchDir(`ingest-core${String(index)}`);
      coreDirs.push(dataDir);
      const core = await createWorkstationCore({ dataDir, serverUrl });
      cores.push(core);
      let online = false;
      core.onEvent((event, payload) => {
        if (event === 'changed') {
          const at = performance.now();
          for (const ticketId of (payload as { ticketIds: string[] }).ticketIds) if (!seen.coreSeenAt.has(ticketId)) seen.coreSeenAt.set(ticketId, at);
        } else if (event === 'connection' && (payload as ConnectionState).status === 'online') {
          online = true;
        }
      });
      const signIn = await core.invoke('session.signIn', agent);
      if (!signIn.ok) throw new Error(`${agent.username} could not sign in: ${signIn.error.message}`);
      await waitUntil(() => online, 60_000, `${agent.username}'s core to go online`);

      const login = await loginToServer(serverUrl, agent);
      const cacheReader = new Database(userCacheFile(dataDir, login.user.id), { readonly: true, fileMustExist: true });
      applyCacheKey(cacheReader, (await unlockCacheKey(dataDir, login.user.id, agent.password))!);
      cacheReaders.push(cacheReader);
      cacheWatchers.push({
        newRows: cacheReader.prepare<[number], { rid: number; id: string }>('SELECT rid, id FROM tickets WHERE rid > ? ORDER BY rid'),
        lastRid: 0,
      });
      const probe = await connectSocket(serverUrl, login.token, `bench-probe-${String(index)}`);
      probe.on('sync:changes', (batch: { changes: Change[] }) => {
        const at = performance.now();
        for (const change of batch.changes) {
          const ticketId = ticketIdOf(change);
          if (ticketId && !seen.wireSeenAt.has(ticketId)) seen.wireSeenAt.set(ticketId, at);
        }
      });
      await goLive(probe);
      probes.push(probe);
    }
    function lookIntoCaches(): void {
      const at = performance.now();
      for (const watcher of cacheWatchers) {
        for (const row of watcher.newRows.all(watcher.lastRid)) {
          watcher.lastRid = row.rid;
          if (!seen.rowSeenAt.has(row.id)) seen.rowSeenAt.set(row.id, at);
        }
      }
    }

    const warmUpCount = Math.round(warmUpSeconds * CONTACTS_PER_S);
    progress(`ingest: warm-up, ${String(warmUpSeconds)} s at ${String(CONTACTS_PER_S)} contacts/s`);
    await sendContacts(httpAgent, fleet, 0, warmUpCount, WARM_UP_GRACE_MS, null);
    await sleep(500);
    // What the server spends with everyone connected and no contact arriving: timers, pushes
    // and sockets' upkeep, a cost per second that the figure per contact below includes.
    await setup.mark();
    await sleep(IDLE_WINDOW_MS);
    const idle = await setup.mark();
    metric(`server_idle_cpu_ms_per_s_${String(fleet.lightAgents.length)}_agents`, idle.cpuMs / (IDLE_WINDOW_MS / 1000));

    const measuredCount = measuredWindowContacts();
    progress(
      `ingest: measuring, ${String(seconds)} s at ${String(CONTACTS_PER_S)} contacts/s (${String(connected)} light sockets, ${String(cores.length)} cores)`,
    );
    const opening = await setup.mark();
    await markLightAgents(lightChildren);
    const benchEventLoop = createEventLoopMeter();
    const benchCpu = createCpuMeter();
    const machineCpu = createMachineCpuMeter();
    lookIntoCaches();
    const cacheLook = setInterval(lookIntoCaches, 1);
    const run = await sendContacts(httpAgent, fleet, warmUpCount, measuredCount, MEASURED_GRACE_MS, seen.postedAt);
    await waitUntil(() => [...seen.postedAt.keys()].every((id) => seen.coreSeenAt.has(id)), 5_000, 'every e-mail ticket to reach a core').catch(
      (error: unknown) => progress(`ingest: ${String(error)}`),
    );
    clearInterval(cacheLook);
    const benchUtilization = benchEventLoop();
    const benchCpuMs = benchCpu().cpuMs;
    const machineBusy = machineCpu();
    const server = await setup.mark();
    const crowd = await markLightAgents(lightChildren);
    if (process.env.BENCH_CPU_PROF_DIR)
      progress(`ingest: measured window, node 0 profile range (us): ${String(opening.nodes[0]!.monotonicUs)} ${String(server.nodes[0]!.monotonicUs)}`);

    const cacheMs: number[] = [];
    const wireMs: number[] = [];
    const rowMs: number[] = [];
    for (const [ticketId, before] of seen.postedAt) {
      const coreAt = seen.coreSeenAt.get(ticketId);
      if (coreAt !== undefined) cacheMs.push(coreAt - before);
      const wireAt = seen.wireSeenAt.get(ticketId);
      if (wireAt !== undefined) wireMs.push(wireAt - before);
      const rowAt = seen.rowSeenAt.get(ticketId);
      if (rowAt !== undefined) rowMs.push(rowAt - before);
    }
    const crowdUtilization = crowd.map((mark) => mark.eventLoopUtilization);
    metric('ingest_server_nodes', nodeCount);
    metric('ingest_light_sockets', connected);
    metric('ingest_light_agent_processes', lightChildren.length);
    metric('ingest_measured_cores', cores.length);
    metric('ingest_contacts_sent', run.sent);
    metric('ingest_contacts_failed', run.failed);
    metric('ingest_contacts_unanswered', run.unanswered);
    metric('ingest_contacts_stored_by_server', server.contactsIngested);
    metric('ingest_contacts_per_s_achieved', run.answered / ((Math.max(run.lastAnswerAt, run.startedAt + seconds * 1000) - run.startedAt) / 1000));
    metric('ingest_http_response_ms_p50', percentile(run.httpMs, 50));
    metric('ingest_http_response_ms_p99', percentile(run.httpMs, 99));
    metric('ingest_http_connections_opened', run.connectionsOpened);
    metric('ingest_email_contacts_measured', cacheMs.length);
    metric('ingest_email_contacts_missing', seen.postedAt.size - cacheMs.length);
    metric('ingest_to_agent_socket_ms_p50', percentile(wireMs, 50));
    metric('ingest_to_agent_socket_ms_p99', percentile(wireMs, 99));
    metric('ingest_to_agent_cache_row_ms_p50', percentile(rowMs, 50));
    metric('ingest_to_agent_cache_row_ms_p99', percentile(rowMs, 99));
    metric('ingest_to_agent_cache_ms_p50', percentile(cacheMs, 50));
    metric('ingest_to_agent_cache_ms_p99', percentile(cacheMs, 99));
    metric('core_changed_debounce_ms', CHANGED_DEBOUNCE_MS);
    metric('light_socket_batches_received', sum(crowd.map((mark) => mark.batches)));
    metric('light_sockets_kb_received_per_contact', sum(crowd.map((mark) => mark.bytes)) / 1024 / server.contactsIngested);
    metric('light_socket_offers_received', sum(crowd.map((mark) => mark.offers)));
    metric('light_socket_offers_accepted', sum(crowd.map((mark) => mark.offersAccepted)));
    metric('light_sockets_dropped', sum(crowd.map((mark) => mark.dropped)));
    metric('ingest_server_event_loop_utilization', server.eventLoopUtilizationMax);
    metric('ingest_light_agents_event_loop_utilization', Math.max(...crowdUtilization));
    metric('ingest_bench_event_loop_utilization', benchUtilization);
    metric('ingest_client_elu_max', Math.max(benchUtilization, ...crowdUtilization));
    metric(`server_cpu_ms_per_contact_${String(fleet.lightAgents.length)}_agents`, server.cpuMs / server.contactsIngested);
    metric('ingest_server_cpu_system_share', server.systemCpuMs / server.cpuMs);
    metric('ingest_light_agents_cpu_ms_per_contact', sum(crowd.map((mark) => mark.cpuMs)) / server.contactsIngested);
    metric('ingest_bench_cpu_ms_per_contact', benchCpuMs / server.contactsIngested);
    metric('ingest_machine_cpu_busy', machineBusy);
    if (server.postgresStatements > 0) metric('ingest_server_statements_per_contact', server.postgresStatements / server.contactsIngested);
    progress(
      `ingest: event-loop utilisation: server ${server.nodes.map((node) => node.eventLoopUtilization.toFixed(2)).join(' ')}, ` +
        `light agent processes ${crowdUtilization.map((value) => value.toFixed(2)).join(' ')}, this process ${benchUtilization.toFixed(2)}`,
    );
    progress(
      `ingest: p99 ${percentile(cacheMs, 99).toFixed(1)} ms from POST to the core's changed event (target ≤ ${String(INGEST_P99_TARGET_MS)} ms; ` +
        `the core coalesces changed events over ${String(CHANGED_DEBOUNCE_MS)} ms)`,
    );

    let nextIndex = warmUpCount + measuredCount;
    if (options.boardWindows && fleet.leads.length > 0) nextIndex = await measureBoardWindows(setup, fleet, lightChildren, httpAgent, nextIndex);

    // The floor: the same server with nobody connected, at the same rate, so the CPU per
    // contact above can be read as "storing and routing" plus "telling the agents".
    progress(`ingest: floor, every agent disconnects; then ${String(floorSeconds)} s at ${String(CONTACTS_PER_S)} contacts/s with no agent connected`);
    await disconnectEveryAgent();
    await sleep(1000);
    await setup.mark();
    await sleep(IDLE_WINDOW_MS);
    const idleAlone = await setup.mark();
    metric('raw_server_idle_cpu_ms_per_s_no_agents', idleAlone.cpuMs / (IDLE_WINDOW_MS / 1000));
    await sendContacts(httpAgent, fleet, nextIndex, Math.round(floorSeconds * CONTACTS_PER_S), MEASURED_GRACE_MS, null);
    const alone = await setup.mark();
    metric('raw_server_cpu_ms_per_contact_no_agents', alone.cpuMs / alone.contactsIngested);
    metric('raw_server_cpu_system_share_no_agents', alone.systemCpuMs / alone.cpuMs);
    metric('raw_server_event_loop_utilization_no_agents', alone.eventLoopUtilizationMax);
    if (alone.postgresStatements > 0) metric('raw_server_statements_per_contact_no_agents', alone.postgresStatements / alone.contactsIngested);
  } finally {
    httpAgent.destroy();
    await disconnectEveryAgent();
    await setup.stop();
    for (const dir of coreDirs) removeDir(dir);
  }
}
