/**
 * The server process in one call: SQLite store, HTTP API and socket.io sync on one port,
 * routing over live presence, and the fan-out of every committed change.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Server } from 'socket.io';
import type { Channel, ChannelContext, ChannelFactory } from './channels/channel.js';
import { attachCollision, viewingByUser } from './collisionSocket.js';
import { attachCustomers } from './customerSocket.js';
import { createDeliveryDispatcher, type ChannelSenders, type DeliveryDispatcher } from './channels/delivery.js';
import { seedDemoOrganisation } from './demo.js';
import { clientAddress, createRequestHandler, peerAddress, type ChannelRoute } from './http.js';
import { attachConnectionLimits, DEFAULT_CONNECTION_LIMITS, type AddressConnections, type ConnectionLimitConfig } from './connectionLimits.js';
import { createLiveHub, type SyncServer } from './liveHub.js';
import type { RoutingConfig } from './routing/engine.js';
import type { RoutingCall } from '../shared/routing.js';
import { createRealScheduler, type RoutingScheduler } from './routing/scheduler.js';
import { createRoutingService, type RoutingService } from './routing/service.js';
import { transferFactsOf } from './routing/transfer.js';
import { attachRouting, routingOutlet } from './routing/socket.js';
import { createGroupCommit } from './groupCommit.js';
import { MAX_UNAUTHENTICATED_FRAME_BYTES } from './frameLimits.js';
import { attachPii } from './piiSocket.js';
import { attachKnowledge } from './knowledgeSocket.js';
import { attachScripts } from './scriptSocket.js';
import { attachAdmin } from './adminSocket.js';
import { createRateLimiters, type RateLimitConfig } from './rateLimits.js';
import { attachBoard, type BoardPublisher } from './board/boardPublisher.js';
import { startAlarms, type AlarmOptions } from './alarms/startAlarms.js';
import { csatPrepare, csatRoutes } from './csat/csatRoutes.js';
import type { AlarmService } from './alarms/alarmService.js';
import { createLiveBoardRepository } from './board/liveBoard.js';
import { createReportRepository } from './reports/reportRepository.js';
import { createSessionEnds } from './sessions.js';
import { defaultNodeId } from './cluster/config.js';
import { joinCluster } from './cluster/node.js';
import type { CommitSource } from './cluster/commitStream.js';
import { createMemorySharedState } from './cluster/sharedState.js';
import { attachRedisAdapter } from './cluster/socketAdapter.js';
import { startClusterRouting } from './cluster/routingLeader.js';
import { localRoutingPort, type RoutingPort } from './routing/port.js';
import type { TicketRouter } from './routing.js';
import { openPostgresServerStore, openServerStore, type ChannelContact, type ServerStore } from './store.js';
import { startQueueSummary, type QueueSummaryPublisher } from './queueSummary.js';
import { startHistoryRetention, type HistoryRetention, type HistoryRetentionConfig } from './retention.js';
import { attachSync } from './sync.js';
import { createUserCache, type UserChangeSource } from './userCache.js';

/** How to start a server. */
export interface ServerOptions {
  /** 0 = an ephemeral port. */
  port: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** The SQLite file lives at <dataDir>/server.sqlite (created if missing), unless `databaseUrl` is given. */
  dataDir: string;
  /** postgres://… : keep the state in PostgreSQL instead (docs/technical/deployment.md). */
  databaseUrl?: string;
  /** This node's name (claims on queued replies, logs); default hostname-pid. */
  nodeId?: string;
  /**
   * One of several nodes on the same PostgreSQL database (`databaseUrl` required) sharing
   * events, routing requests, rate limits and channel state through Redis
   * (docs/technical/deployment.md).
   */
  cluster?: ClusterNodeOptions;
  /** Seed the demo organisation when the database has no users. */
  demo?: boolean;
  /** Injectable clock; default Date.now. */
  now?: () => number;
  /** Lifetime of a user's bearer token; default 12 h. */
  tokenTtlMs?: number;
  /** Default: console.log with an ISO timestamp. */
  log?: (line: string) => void;
  /** Routing knobs (offer timeout, disconnect grace, pacing…); defaults in server/routing/engine.ts. */
  routing?: Partial<RoutingConfig>;
  /** The server's timers (routing, the end of each socket's token); default real timers against `now`. Tests pass a manual one. */
  scheduler?: RoutingScheduler;
  /** Pacing of the leads' board pushes; default 500 ms. */
  agentsPushThrottleMs?: number;
  /** Smallest gap between two queue summaries pushed to agents (server/queueSummary.ts); default 1 s. */
  queueSummaryIntervalMs?: number;
  /** Smallest gap between two computations of the leads' channel board (server/board/); default 1 s. */
  boardIntervalMs?: number;
  /** How often the board is recomputed while leads watch though nothing changed (server/board/); default 15 s. Tests lengthen it. */
  boardRecheckMs?: number;
  /** Alarm evaluation pacing (server/alarms/); defaults there. */
  alarms?: AlarmOptions;
  /** The real channels to run (email, web chat, WeChat, webhooks, CTI); none by default. */
  channels?: readonly ChannelFactory[];
  /** Delivery retry pacing (first delay, doubled per attempt); default 2 s. */
  deliveryRetryDelayMs?: number;
  /** How long a node's claim on a queued reply lasts before another node may send it (server/channels/delivery.ts); default 2 min. Tests shorten it. */
  deliveryClaimMs?: number;
  /** Rate limits; default DEFAULT_RATE_LIMITS (server/rateLimits.ts). */
  rateLimits?: RateLimitConfig;
  /**
   * The server is reached only through one reverse proxy: a client's address is the last
   * entry of `X-Forwarded-For` (which that proxy appends), not the proxy's. Default false.
   */
  trustProxy?: boolean;
  /** Concurrent connections per client address that have not signed in, and web chat visitors'; default DEFAULT_CONNECTION_LIMITS (server/connectionLimits.ts). */
  connectionLimits?: Partial<ConnectionLimitConfig>;
  /** The oldest sync protocol version a workstation may speak (shared/sync.ts); default MIN_SYNC_PROTOCOL_VERSION. Tests raise it to play an outdated core. */
  minSyncProtocolVersion?: number;
  /** How long this node uses its copy of a user without word of a change (server/userCache.ts); default USER_CACHE_TTL_MS. Tests raise it so only the notification can refresh it. */
  userCacheTtlMs?: number;
  /** How long the change log, idempotency records, expired tokens and rating links are kept, and how often they are pruned; defaults in server/retention.ts, windows from the environment in server/main.ts. */
  retention?: Partial<HistoryRetentionConfig>;
  /**
   * Longest an inbound contact's commit waits for more contacts to share it (server/groupCommit.ts),
   * when the recent arrival rate says more are coming; 0 never waits. Default DEFAULT_INGEST_COMMIT_DELAY_MS.
   */
  ingestCommitDelayMs?: number;
  /** Tests: runs once a socket's handshake accepted it, before it is connected (server/sync.ts), to act in that window. */
  afterSocketHandshake?: (userId: string) => Promise<void>;
}

export interface ClusterNodeOptions {
  redisUrl: string;
  /** Starts every Redis name this deployment uses; default `omnidesk:`. */
  keyPrefix?: string;
  /** How often a follower tries to become the routing leader; default 1 s. */
  leaseRetryMs?: number;
  /** How often the routing leader compares its connections with every node's sockets; default 2 s. */
  reconcileMs?: number;
  /** A routing call forwarded to the leader gives up after this long; default 8 s (server/cluster/leaderRpc.ts). */
  callTimeoutMs?: number;
  /** Pauses before each further try of a disconnect the leader could not take; default [1 s, 3 s]. */
  disconnectRetryMs?: readonly number[];
  /** Pauses before each further try of a connect the leader did not confirm (its open offers come with the answer); default [1 s, 3 s]. */
  connectRetryMs?: readonly number[];
  /** Fault injection for tests only: runs on the routing leader before and after each routing call it performs. */
  leaderCallHook?: (call: RoutingCall, phase: 'before' | 'after') => Promise<void>;
}

/** A started server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:4780 */
  url: string;
  port: number;
  store: ServerStore;
  /** This node's routing service; on a cluster node that does not lead routing right now, reading it throws. */
  readonly routing: RoutingService;
  /** Whether this node routes (always on one node; the lease holder among several). */
  isRoutingLeader(): boolean;
  /** The leads' channel board: how many times it was computed (once per interval for all leads, none while no lead watches). */
  board: Pick<BoardPublisher, 'computations'>;
  /** The agents' queue summary: how many times it was computed (none while no agent of this node listens). */
  queueSummary: Pick<QueueSummaryPublisher, 'computations'>;
  /** Alarms and escalation requests (server/alarms/): `evaluate()` runs a pass now. */
  alarms: AlarmService;
  /** The channels as started, by name. */
  channels: ReadonlyMap<string, Channel>;
  /** History retention (server/retention.ts): `runNow()` prunes now instead of at the next hourly run. */
  retention: Pick<HistoryRetention, 'runNow'>;
  /**
   * Drops every socket.io connection at once (the server keeps running; clients reconnect
   * with their backoff). For operations, and for tests that cut the link at an exact point,
   * e.g. from an `onDidCommitChanges` listener: after a push committed, before its ack.
   */
  disconnectClients(): number;
  /** This node's connections counted against the per-address caps, by client address (server/connectionLimits.ts); an address with none is not listed. */
  connectionsByAddress(): ReadonlyMap<string, Readonly<AddressConnections>>;
  /** This node's signed-in connections by user id (server/connectionLimits.ts, `signedInPerUser`); a user with none is not listed. */
  connectionsByUser(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * Off: on a quiet machine 10 ms met the ingest latency target (`ingest_to_agent_cache_ms_p99`
 * ≤ 50 ms) in one run of three, 0 in all three, for ~0.3 ms of CPU per contact; a saturated
 * server batches by itself, since contacts pile up within one turn (benchmarks.md, 2026-12-07).
 */
export const DEFAULT_INGEST_COMMIT_DELAY_MS = 0;

function defaultLog(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const now = options.now ?? Date.now;
  const log = options.log ?? defaultLog;
  const host = options.host ?? '127.0.0.1';
  const store = options.databaseUrl
    ? await openPostgresServerStore({ databaseUrl: options.databaseUrl, log, announceCommits: options.cluster !== undefined })
    : openServerStore({ filePath: path.join(options.dataDir, 'server.sqlite'), log });
  // Once per database (migration 035 / PostgreSQL 026): rows stored before attack-10 that no workstation could read.
  await store.repairUnreadableRows(now);
  if (options.demo && (await seedDemoOrganisation(store, now()))) log('seeded the demo organisation');

  const hub = createLiveHub(now);
  const nodeId = options.nodeId ?? defaultNodeId();
  const cluster = options.cluster ? await joinCluster(options.cluster, options.databaseUrl, store, log) : null;
  const commits: CommitSource = cluster?.commits ?? store;
  // The fan-out listens first, so a decision the routing service writes from its own
  // commit listener reaches clients after the batch that caused it (seq order).
  const stopFanOut = commits.onDidCommitChanges((batch) => hub.fanOut(batch));
  const scheduler = options.scheduler ?? createRealScheduler(now);
  const sessions = createSessionEnds({ scheduler, log });
  const rateLimits = createRateLimiters(
    options.rateLimits,
    cluster ? { kind: 'redis', client: cluster.redis, keyPrefix: `${cluster.keyPrefix}rl:` } : undefined,
  );
  const reports = createReportRepository(store.sql);
  // The satisfaction survey's rating page (server/csat/): served by every node, answered once in the database.
  const channelRoutes: ChannelRoute[] = [...csatRoutes({ store, rateLimits, now, log, trustProxy: options.trustProxy ?? false })];
  let routing: { port: RoutingPort; router(): TicketRouter | null; leading(): RoutingService | null; stop(): Promise<void> } | null = null;
  const ingest = (contact: ChannelContact) => store.ingestInbound(contact, { now: now(), router: routing?.router() ?? undefined });
  const httpServer = http.createServer(
    createRequestHandler({
      store,
      now,
      tokenTtlMs: options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS,
      startedAt: now(),
      nodeHealth: async () => ({
        node: nodeId,
        routingLeader: routing?.leading() != null,
        redis: cluster ? ((await cluster.redisAnswers()) ? 'ok' : 'unreachable') : null,
      }),
      log,
      channelRoutes,
      rateLimits,
      trustProxy: options.trustProxy ?? false,
      sessions,
      reports,
      ingest: createGroupCommit((fn) => store.withTransaction(fn), ingest, {
        commitDelayMs: options.ingestCommitDelayMs ?? DEFAULT_INGEST_COMMIT_DELAY_MS,
      }),
    }),
  );
  // Every connection starts small, whoever it is; a socket signed in on the sync namespace raises
  // its own connection to what a push needs (server/frameLimits.ts). engine.io applies this to
  // every connection before any token is seen: at 16 MiB, anyone who can reach the web chat
  // widget could make the server buffer and parse 16 MiB frames.
  const io: SyncServer = new Server(httpServer, { serveClient: false, maxHttpBufferSize: MAX_UNAUTHENTICATED_FRAME_BYTES });
  // Each feature attaches its own `connection` listener (sync, routing, scripts, knowledge, …): more than Node's default warning count of 10, by design.
  io.of('/').setMaxListeners(32);
  // Before anything else sees a connection: an address over its cap is refused before engine.io allocates one.
  const connectionLimits = attachConnectionLimits(io, {
    config: { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits },
    clientAddress: (req) => clientAddress(req, options.trustProxy ?? false),
    log,
  });
  const adapter = cluster ? attachRedisAdapter(io, cluster.redisUrl, { keyPrefix: cluster.keyPrefix, log }) : null;
  const routingOptions = {
    ...(options.routing ? { config: options.routing } : {}),
    ...(options.agentsPushThrottleMs !== undefined ? { agentsPushThrottleMs: options.agentsPushThrottleMs } : {}),
  };
  if (cluster) {
    routing = await startClusterRouting({
      io,
      store,
      commits,
      databaseUrl: cluster.databaseUrl,
      redisUrl: cluster.redisUrl,
      keyPrefix: cluster.keyPrefix,
      nodeId,
      now,
      log,
      scheduler,
      ...routingOptions,
      ...(options.cluster?.leaseRetryMs !== undefined ? { leaseRetryMs: options.cluster.leaseRetryMs } : {}),
      ...(options.cluster?.reconcileMs !== undefined ? { reconcileMs: options.cluster.reconcileMs } : {}),
      ...(options.cluster?.callTimeoutMs !== undefined ? { callTimeoutMs: options.cluster.callTimeoutMs } : {}),
      ...(options.cluster?.disconnectRetryMs !== undefined ? { disconnectRetryMs: options.cluster.disconnectRetryMs } : {}),
      ...(options.cluster?.connectRetryMs !== undefined ? { connectRetryMs: options.cluster.connectRetryMs } : {}),
      ...(options.cluster?.leaderCallHook !== undefined ? { leaderCallHook: options.cluster.leaderCallHook } : {}),
    });
  } else {
    const service = await createRoutingService({ store, now, log, scheduler, ...routingOptions });
    service.setOutlet(routingOutlet(io));
    routing = {
      port: localRoutingPort(service),
      router: () => service,
      leading: () => service,
      stop: async () => {
        service.stop();
        // Operations in flight write through the store: they end before it closes.
        await service.idle();
      },
    };
  }
  const { port: routingPort } = routing;
  const queueSummary = startQueueSummary(io, {
    store,
    now,
    log,
    ...(options.queueSummaryIntervalMs !== undefined ? { intervalMs: options.queueSummaryIntervalMs } : {}),
  });
  const stopQueueSummary = commits.onDidCommitChanges(() => queueSummary.markDirty());
  // A transfer's target is decided with what routing knows of them now (presence, load), on any node.
  const mutationContext = { transferTarget: (agentId: string) => transferFactsOf(store, routingPort.agents(), agentId) };
  // On several nodes the commit stream hears every node's user changes (this node's too); on one, the store its own.
  const userChanges: UserChangeSource = cluster?.commits ?? store;
  const users = createUserCache({
    read: (userId) => store.getUser(userId),
    now,
    ...(options.userCacheTtlMs !== undefined ? { ttlMs: options.userCacheTtlMs } : {}),
  });
  const socketUsers = attachSync(io, {
    store,
    hub,
    queueSummary,
    rateLimits,
    now,
    log,
    mutationContext,
    minProtocolVersion: options.minSyncProtocolVersion,
    users,
    userChanges,
    sessions,
    connectionLimits,
    clientAddress: (socket) => peerAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for'], options.trustProxy ?? false),
    ...(options.afterSocketHandshake ? { afterHandshake: options.afterSocketHandshake } : {}),
  });
  socketUsers.onSocketUserChanged((socket, before) => queueSummary.followUser(socket, before));
  sessions.attach(io);
  attachRouting(io, { port: routingPort, store, now, log });
  attachCustomers(io, { store, rateLimits, now, log });
  attachPii(io, { store, now, log });
  attachScripts(io, { store, rateLimits, now, log });
  attachKnowledge(io, { store, rateLimits, now, log });
  attachAdmin(io, { store, routing: routingPort, sessions, rateLimits, now, log });
  // Kept in memory on this node from every node's commits (liveBoard.ts): a snapshot costs what changed, not the open tickets.
  const liveBoard = createLiveBoardRepository({ sql: store.sql, commits, clock: now, policies: async () => (await store.admin.getPolicies()).policies });
  const board = attachBoard(io, {
    board: liveBoard,
    now,
    log,
    viewing: () => viewingByUser(io),
    acrossNodes: cluster !== null,
    ...(options.boardIntervalMs !== undefined ? { intervalMs: options.boardIntervalMs } : {}),
    ...(options.boardRecheckMs !== undefined ? { recheckMs: options.boardRecheckMs } : {}),
  });
  const stopBoard = commits.onDidCommitChanges(() => board.markDirty());
  // Opening another ticket is no commit: every node's leads see it within the board interval (the other nodes are told; their pushes reach their own leads only).
  const collision = attachCollision(io, { store, now, log, onViewingChanged: () => board.viewingChanged() });
  const alarms = startAlarms(io, { store, commits, router: routingPort, now, log, ...options.alarms });
  // The change log, idempotency records and expired tokens kept to their windows (every node may run it: each batch is idempotent).
  const retention = startHistoryRetention({ store, now, log, ...(options.retention ? { config: options.retention } : {}) });

  /**
   * Everything started above, stopped in reverse (a failed start, and close). Each stop waits
   * for its work in flight, so nothing reads the database or Redis once close() closes them:
   * paced jobs, routing (leader work and forwarded calls), and last the commit stream
   * (cluster.close), whose listeners are gone by then.
   */
  const stopAll = async () => {
    stopFanOut();
    stopQueueSummary();
    stopBoard();
    liveBoard.stop();
    await Promise.allSettled([collision.stop(), alarms.stop(), queueSummary.stop(), board.stop(), retention.stop()]);
    await routing?.stop();
  };

  let url = '';
  const channels = new Map<string, Channel>();
  let delivery: DeliveryDispatcher | null = null;
  let senders: ChannelSenders | null = null;
  const stopChannels = async () => {
    await delivery?.stop();
    // Through an async function each: a stop that throws at once settles as a rejection too, and the others still stop.
    await Promise.allSettled(
      [...channels.values()].map(async (channel) => {
        await channel.stop?.();
      }),
    );
  };
  try {
    const context: ChannelContext = {
      store,
      io,
      now,
      log,
      publicUrl: () => url,
      agents: () => routingPort.agents(),
      callStateChanged: (agentId, afterTalk) => routingPort.callStateChanged(agentId, afterTalk),
      sender: (family) => senders?.[family],
      ingest,
      clientAddress: (handshake) => peerAddress(handshake.address, handshake.headers['x-forwarded-for'], options.trustProxy ?? false),
      rateLimits,
      connectionLimits,
      sharedState: cluster?.sharedState ?? createMemorySharedState(now),
      onSocketUserChanged: (listener) => socketUsers.onSocketUserChanged(listener),
    };
    for (const factory of options.channels ?? []) {
      const channel = await factory(context);
      if (channels.has(channel.name)) throw new Error(`Two channels are named ${channel.name}.`);
      channels.set(channel.name, channel);
      channelRoutes.push(...(channel.routes ?? []));
    }
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    const { port } = httpServer.address() as AddressInfo;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
    for (const channel of channels.values()) await channel.start?.();
    senders = Object.assign({}, ...[...channels.values()].map((channel) => channel.senders ?? {})) as ChannelSenders;
    delivery = createDeliveryDispatcher({
      store,
      // Every node's queued replies, so a reply another node claimed and never sent (it died) is taken over here.
      commits,
      nodeId,
      senders,
      now,
      log,
      prepare: csatPrepare(store, () => url, now),
      ...(options.deliveryRetryDelayMs !== undefined ? { retryDelayMs: options.deliveryRetryDelayMs } : {}),
      ...(options.deliveryClaimMs !== undefined ? { claimMs: options.deliveryClaimMs } : {}),
    });
  } catch (error) {
    await stopChannels();
    await stopAll();
    await new Promise<void>((resolve) => (httpServer.listening ? httpServer.close(() => resolve()) : resolve()));
    await io.close();
    await adapter?.close();
    await cluster?.close();
    await store.close();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  log(
    `server listening on ${url} (data: ${store.filePath ?? 'PostgreSQL'}${cluster ? `; cluster node ${nodeId}` : ''})${channels.size > 0 ? `; channels: ${[...channels.keys()].join(', ')}` : ''}`,
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    store,
    get routing() {
      const service = routing?.leading();
      if (!service) throw new Error(`node ${nodeId} does not lead routing right now`);
      return service;
    },
    isRoutingLeader: () => routing?.leading() != null,
    board,
    queueSummary,
    alarms: alarms.service,
    channels,
    retention: { runNow: () => retention.runNow() },
    disconnectClients() {
      const sockets = [...io.sockets.sockets.values()];
      // close = true: the transport goes too, so nothing queued on it (an ack) is delivered.
      for (const socket of sockets) socket.disconnect(true);
      return sockets.length;
    },
    connectionsByAddress: () => connectionLimits.byAddress(),
    connectionsByUser: () => connectionLimits.byUser(),
    close() {
      closing ??= (async () => {
        await stopChannels();
        await stopAll();
        // io.close() disconnects the sockets and closes the HTTP server; in-flight
        // keep-alive connections are cut so closing never waits for their timeout.
        const ioClosed = io.close();
        httpServer.closeAllConnections();
        await ioClosed;
        await adapter?.close();
        await cluster?.close();
        await store.close();
      })();
      return closing;
    },
  };
}
