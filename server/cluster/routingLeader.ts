/**
 * Routing across several nodes (issue 10): one node routes at a time, the leader of the
 * PostgreSQL lease (leaderLease.ts); every node answers its own sockets' routing requests
 * through a RoutingPort that runs them in this process while it leads and carries them to the
 * leader otherwise (leaderRpc.ts).
 *
 * On election the new leader rebuilds the engine from the database (createRoutingService:
 * offers in flight are cleared and their tickets routed again, so an offer is never honoured
 * by two leaders), learns every node's connected sockets (`fetchSockets` through the socket.io
 * adapter), and from then on reconciles them every `reconcileMs`: that is also how the agents
 * of a node that died without saying goodbye go offline. Each routing write checks the fence
 * (the lease's epoch) in its own transaction, so a deposed leader that has not noticed yet
 * cannot write beside the new one.
 *
 * Tickets stored on a follower are not routed there: the leader hears them on the commit
 * stream and admits them (server/routing/service.ts).
 *
 * A slow leader (docs/technical/routing.md, "When the leader is slow"): a person's request
 * (accepting an offer, a presence or capacity change, a lead's move) carries its caller's
 * deadline, and the leader will not begin its routing turn after it (the check sits in the
 * fence, inside the transaction, after the turn was won), so an agent told "nothing was done"
 * never gets the ticket behind their back. What only reports a fact (a socket connected or
 * closed, a call's state, an admin's change) has no deadline: it is true however late it
 * arrives. A disconnect that could not be forwarded is tried again, and the leader's
 * reconciliation with every node's sockets lets the agent go in the end anyway.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { User } from '../../shared/domain.js';
import {
  agentsPushSchema,
  agentsPushVerdict,
  applyAgentsPush,
  epochAfterPush,
  routingCallResultSchemas,
  type AgentsPush,
  type AgentStatus,
  type PresenceChanged,
  type RoutingAnswer,
  type RoutingCall,
  type RoutingCallResult,
  type RoutingOffer,
} from '../../shared/routing.js';
import type { SyncServer } from '../liveHub.js';
import type { TicketRouter } from '../routing.js';
import type { RoutingConfig } from '../routing/engine.js';
import type { RoutingPort } from '../routing/port.js';
import type { RoutingScheduler } from '../routing/scheduler.js';
import { createRoutingService, RoutingRefusal, type RoutingOutlet, type RoutingService } from '../routing/service.js';
import { routingOutlet } from '../routing/socket.js';
import type { ServerStore } from '../store.js';
import { SyncRefusal } from '../sync.js';
import type { CommitSource } from './commitStream.js';
import { assertEpoch, startLeaderLease, type LeaderLease } from './leaderLease.js';
import { LeaderUnavailableError, startLeaderRpc, type LeaderRpc } from './leaderRpc.js';

export interface ClusterRoutingOptions {
  io: SyncServer;
  store: ServerStore;
  commits: CommitSource;
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  nodeId: string;
  now: () => number;
  log: (line: string) => void;
  scheduler: RoutingScheduler;
  config?: Partial<RoutingConfig>;
  agentsPushThrottleMs?: number;
  /** How often a follower tries to become the leader; default 1 s. */
  leaseRetryMs?: number;
  /** How often the leader compares its connections with every node's sockets; default 2 s. */
  reconcileMs?: number;
  /** A forwarded call's whole budget (leaderRpc.ts); default 8 s, below the workstation's 10 s wait for its answer. */
  callTimeoutMs?: number;
  /** Pauses before each further try of a disconnect the leader could not take; default 1 s, 3 s. */
  disconnectRetryMs?: readonly number[];
  /**
   * Pauses before each further try of a connect the leader did not confirm; default 1 s, 3 s.
   * The answer to a connect carries the offers already waiting for the agent (another device's,
   * or the ones made to the socket they had on a node that died): without another try, a
   * reconnecting agent would not see them until they expired.
   */
  connectRetryMs?: readonly number[];
  /**
   * Fault injection for tests: runs on the leader before each call it performs and after it
   * (whatever its outcome, before the answer goes back), e.g. a delay, to play a slow leader.
   */
  leaderCallHook?: (call: RoutingCall, phase: 'before' | 'after') => Promise<void>;
}

export interface ClusterRouting {
  port: RoutingPort;
  /** This node's routing service while it leads, else null. */
  leading(): RoutingService | null;
  /** Routes an inbound contact in its own transaction while this node leads; null on a follower (the leader admits it). */
  router(): TicketRouter | null;
  stop(): Promise<void>;
}

/** How often the leader sends the other nodes the whole roster (between two, only what changed). */
const ROSTER_REFRESH_MS = 10_000;

/** The leader's roster push to the other nodes: `seq` counts the pushes of one node's run as leader (`from`). */
const rosterBroadcastSchema = z.object({ from: z.string(), seq: z.number().int().positive(), push: agentsPushSchema });

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A person's request, answered to someone waiting: not begun once they gave up. The others
 * report facts (connections, call state, directory changes) that must reach routing however late.
 */
const OPS_WITH_DEADLINE: ReadonlySet<RoutingCall['op']> = new Set(['setPresence', 'setCapacity', 'respond', 'escalate', 'reassign', 'pin']);

/** A person's request being performed on the leader: its deadline (this node's wall clock), and how far it got. */
interface CallAttempt {
  deadline: number;
  /** The caller was answered 'expired': the routing turn must not begin. */
  gaveUp: boolean;
  /** The routing turn began (past the fence): the answer waits for the outcome. */
  begun: boolean;
}

/** The call's deadline passed before its routing turn began: nothing was done. */
class CallerGaveUp extends Error {
  constructor() {
    super('the caller had given up before the routing turn began');
    this.name = 'CallerGaveUp';
  }
}

export async function startClusterRouting(options: ClusterRoutingOptions): Promise<ClusterRouting> {
  const { io, store, log } = options;
  const reconcileMs = options.reconcileMs ?? 2_000;
  const callTimeoutMs = options.callTimeoutMs ?? 8_000;
  const replyMarginMs = Math.min(1_500, callTimeoutMs / 2);
  const rpc: LeaderRpc = await startLeaderRpc({
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    log,
    timeoutMs: callTimeoutMs,
    replyMarginMs,
  });
  /** The call being performed with a deadline, read by the fence inside its routing transaction. */
  const callAttempt = new AsyncLocalStorage<CallAttempt>();
  /** Calls still running after their caller was answered 'expired' (they end at the fence). */
  const lateWork = new Set<Promise<unknown>>();
  let electing: Promise<void> | null = null;
  let reconciling: Promise<void> | null = null;
  let service: RoutingService | null = null;
  let reconcileTimer: ReturnType<typeof setInterval> | null = null;
  let stopped = false;
  /** This node's sockets whose connect is on its way to routing; a socket that closes meanwhile is dropped, ending its tries. */
  const connecting = new Set<string>();
  /**
   * The leader's latest agent statuses, for this node's leads and web chat: the leader sends
   * the changes as they happen and the whole roster every ROSTER_REFRESH_MS. A change heard
   * out of turn (a push missed while Redis reconnected, a new leader) is not applied: the
   * roster heard stays as it was until the next complete one. A push of an older epoch than
   * the roster heard (a deposed leader that had not noticed yet) is dropped and changes
   * nothing, so it cannot stop the new leader's diffs from applying either.
   */
  let agentsHeard = new Map<string, AgentStatus>();
  let agentsHeardList: AgentStatus[] = [];
  /** Whose pushes `agentsHeard` follows (a node's run as leader) and the last one applied; null: waiting for a complete push. */
  let heardFrom: string | null = null;
  let heardSeq = 0;
  /** The leader epoch of the roster heard (null: none known). */
  let heardEpoch: number | null = null;
  /** This node's pushes as leader: numbered, so a follower knows when it missed one. */
  const broadcastFrom = `${options.nodeId}:${randomUUID()}`;
  let broadcastSeq = 0;
  let lastCompleteBroadcast = 0;

  rpc.onBroadcast((raw) => {
    try {
      const message = rosterBroadcastSchema.safeParse(JSON.parse(raw));
      if (!message.success) {
        log('cluster routing: a malformed agents push was ignored');
        return;
      }
      const { from, seq, push } = message.data;
      const verdict = agentsPushVerdict(heardEpoch, push);
      if (verdict === 'stale') return;
      if (verdict === 'needs_complete' || (!push.complete && (from !== heardFrom || seq !== heardSeq + 1))) {
        // Out of turn: applying it would leave a roster missing what came between; the next complete one mends it.
        heardFrom = null;
        return;
      }
      agentsHeard = applyAgentsPush(agentsHeard, push);
      agentsHeardList = [...agentsHeard.values()];
      heardFrom = from;
      heardSeq = seq;
      heardEpoch = epochAfterPush(heardEpoch, push);
    } catch {
      log('cluster routing: an agents push that is not JSON was ignored');
    }
  });

  const rooms = routingOutlet(io);
  function broadcastAgents(push: AgentsPush): void {
    if (push.complete) lastCompleteBroadcast = push.at;
    broadcastSeq += 1;
    rpc
      .broadcast(JSON.stringify({ from: broadcastFrom, seq: broadcastSeq, push }))
      .catch((error: unknown) => log(`cluster routing: agents push failed: ${messageOf(error)}`));
  }
  const outlet: RoutingOutlet = {
    ...rooms,
    // The other nodes' copy serves web chat ("is anyone there") and transfers with or without a lead watching.
    followsRoster: true,
    agents(push, watched) {
      rooms.agents(push, watched);
      broadcastAgents(push);
    },
  };

  async function requireUser(userId: string): Promise<User> {
    const user = await store.getUser(userId);
    if (!user) throw new RoutingRefusal('not_found', `No user ${userId}`);
    return user;
  }

  async function execute(current: RoutingService, call: RoutingCall): Promise<unknown> {
    switch (call.op) {
      case 'connect': {
        const user = await requireUser(call.userId);
        let offers: RoutingOffer[] = [];
        await current.connect(user, call.connectionId, (open) => (offers = open));
        return { offers, presence: current.presenceOf(user.id) };
      }
      case 'disconnect': {
        const user = await store.getUser(call.userId);
        if (user) await current.disconnect(user, call.connectionId);
        return null;
      }
      case 'setPresence':
        return current.setPresence(call.userId, call.presence, call.cause, call.byName, call.awayReason, call.auditBy);
      case 'setCapacity':
        return current.setCapacity(call.userId, call.capacity, call.phoneBlocksChat, call.auditBy);
      case 'respond':
        return current.respond(call.agentId, call.ticketId, call.accept);
      case 'escalate':
        return current.escalate(await requireUser(call.actorId), call.ticketId, call.reason);
      case 'reassign':
        return current.reassign(await requireUser(call.leadId), call.ticketIds, call.to);
      case 'pin':
        return current.pin(await requireUser(call.leadId), call.ticketId, call.agentId);
      case 'callStateChanged':
        await current.callStateChanged(call.agentId, call.afterTalk);
        return null;
      case 'userChanged':
        return current.userChanged(call.userId, call.byName);
      case 'policiesChanged':
        await current.policiesChanged();
        return null;
    }
  }

  /** Performs a call on this node's routing service; 'expired' when its deadline passed before its routing turn began. */
  /**
   * Performs a call on this node's routing service. With a deadline (a person's request): at
   * the deadline, a call that has not begun its routing turn is answered 'expired' at once, so
   * the caller hears "nothing was done" while it still listens; the fence then refuses the turn
   * whenever the call gets there (`gaveUp`, set in the same event-loop turn as the answer).
   */
  async function perform(current: RoutingService, call: RoutingCall, deadline: number | null): Promise<RoutingAnswer | 'expired'> {
    if (deadline === null || !OPS_WITH_DEADLINE.has(call.op)) return performNow(current, call, null);
    const attempt: CallAttempt = { deadline, gaveUp: false, begun: false };
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<'expired'>((resolve) => {
      timer = setTimeout(
        () => {
          if (attempt.begun) return;
          attempt.gaveUp = true;
          resolve('expired');
        },
        Math.max(0, deadline - Date.now()),
      );
    });
    const work = performNow(current, call, attempt);
    // Still tracked after an early answer: shutdown waits for it (service.idle() covers its routing turn).
    lateWork.add(work);
    void work.finally(() => lateWork.delete(work));
    try {
      return await Promise.race([work, giveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function performNow(current: RoutingService, call: RoutingCall, attempt: CallAttempt | null): Promise<RoutingAnswer | 'expired'> {
    try {
      await options.leaderCallHook?.(call, 'before');
      if (attempt && (attempt.gaveUp || Date.now() > attempt.deadline)) return 'expired';
      const value = attempt ? await callAttempt.run(attempt, () => execute(current, call)) : await execute(current, call);
      return { ok: true, value };
    } catch (error) {
      if (error instanceof CallerGaveUp) return 'expired';
      // Routing never refuses for a rate limit (only script writes do), nor as unavailable (only this file does, for a caller), so those codes have no place in its answers.
      if (error instanceof SyncRefusal && error.code !== 'rate_limited' && error.code !== 'unavailable' && error.code !== 'unconfirmed')
        return { ok: false, code: error.code, message: error.message };
      log(`routing ${call.op} failed on the leader: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { ok: false, code: 'internal', message: `routing ${call.op} failed on the leader (logged there)` };
    } finally {
      await options.leaderCallHook?.(call, 'after');
    }
  }

  /**
   * Runs a call here while leading, else on the leader; the answer is checked against its schema
   * either way. A leader that could not take it in time is a refusal the agent can act on:
   * `unavailable` (nothing was done) or `unconfirmed` (it may have been done).
   */
  async function run<Op extends RoutingCall['op']>(call: Extract<RoutingCall, { op: Op }>): Promise<RoutingCallResult<Op>> {
    // Sockets stay up while the node closes (server/app.ts): what they ask meanwhile is refused cleanly, nothing done.
    if (stopped) throw new RoutingRefusal('unavailable', 'This server node is shutting down; nothing was done. Try again in a moment.');
    const current = service;
    let answer: RoutingAnswer | 'expired';
    try {
      // The leader's own sockets keep the same promise as a follower's: no turn begun after the caller would have given up.
      answer = current ? await perform(current, call, Date.now() + callTimeoutMs - replyMarginMs) : await rpc.call(call);
    } catch (error) {
      if (!(error instanceof LeaderUnavailableError)) throw error;
      log(`routing ${call.op} forwarded to the leader: ${error.why}${error.mayHaveRun ? ' (outcome unknown)' : ' (not done)'}`);
      throw new RoutingRefusal(error.mayHaveRun ? 'unconfirmed' : 'unavailable', error.message);
    }
    if (answer === 'expired') throw new RoutingRefusal('unavailable', new LeaderUnavailableError('busy').message);
    if (!answer.ok) throw answer.code === 'internal' ? new Error(answer.message) : new RoutingRefusal(answer.code, answer.message);
    return routingCallResultSchemas[call.op].parse(answer.value) as RoutingCallResult<Op>;
  }

  /**
   * A socket closed: routing must hear it, or the agent stays "available" while gone. Tried
   * again when the leader could not take it (a disconnect is idempotent per connection, so a
   * try that may have run is safe to repeat); the leader's reconciliation is the last resort.
   */
  async function forwardDisconnect(user: User, connectionId: string): Promise<void> {
    const pauses = options.disconnectRetryMs ?? [1_000, 3_000];
    for (let attemptNo = 0; ; attemptNo++) {
      try {
        await run({ op: 'disconnect', userId: user.id, connectionId });
        return;
      } catch (error) {
        const retryable = error instanceof RoutingRefusal && (error.code === 'unavailable' || error.code === 'unconfirmed');
        const pause = pauses[attemptNo];
        if (!retryable || stopped) throw error;
        if (pause === undefined) {
          log(`routing disconnect of ${user.username} not confirmed after ${String(attemptNo + 1)} tries; the leader's reconciliation of sockets lets it go`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** The services (one per election) whose first reconciliation has told the connected agents their presence. */
  const toldAgents = new WeakSet<RoutingService>();
  /** Every node's sockets, as the leader's connections. */
  async function reconcile(): Promise<void> {
    const current = service;
    if (!current) return;
    const since = options.now();
    const live = new Map<string, User>();
    for (const socket of await io.fetchSockets()) if (socket.data.user) live.set(socket.id, socket.data.user);
    if (service !== current) return;
    await current.reconcileConnections(live, since);
    // Leadership may have moved during that wait: a deposed service tells nobody anything.
    if (service !== current) return;
    if (!toldAgents.has(current)) {
      // A workstation still connected shows what the previous leader said (a wrap-up counting
      // down, say): once per election each connected agent hears what this leader holds instead.
      toldAgents.add(current);
      const told = new Set<string>();
      for (const user of live.values()) {
        if (user.role !== 'agent' || told.has(user.id)) continue;
        told.add(user.id);
        const presence = current.presenceOf(user.id);
        if (presence) outlet.presence(user.id, presence);
      }
    }
    // Followers starting (or having missed a change) learn the whole roster again.
    if (since - lastCompleteBroadcast >= ROSTER_REFRESH_MS)
      broadcastAgents({ agents: current.agents(), at: since, complete: true, removed: [], ...(current.epoch !== null ? { epoch: current.epoch } : {}) });
  }

  async function elected(epoch: number): Promise<void> {
    const next = await createRoutingService({
      store,
      now: options.now,
      log,
      scheduler: options.scheduler,
      commits: options.commits,
      admitsOthersContacts: true,
      epoch,
      fence: async () => {
        await assertEpoch(store.sql, epoch);
        // After the routing turn was won (a slow leader waits here): a caller who gave up gets nothing done behind their back.
        const attempt = callAttempt.getStore();
        if (attempt && !attempt.begun) {
          if (attempt.gaveUp || Date.now() > attempt.deadline) throw new CallerGaveUp();
          attempt.begun = true;
        }
      },
      ...(options.config ? { config: options.config } : {}),
      ...(options.agentsPushThrottleMs !== undefined ? { agentsPushThrottleMs: options.agentsPushThrottleMs } : {}),
    });
    if (stopped || lease.epoch() !== epoch) {
      next.stop();
      return;
    }
    next.setOutlet(outlet);
    service = next;
    await rpc.serve((call, deadline) =>
      service ? perform(service, call, deadline) : Promise.resolve({ ok: false, code: 'internal', message: 'no longer the leader' }),
    );
    log(`${options.nodeId} leads routing (epoch ${String(epoch)})`);
    const tick = (): Promise<void> => {
      // One round at a time; stop() waits for the one in flight.
      if (reconciling || stopped) return reconciling ?? Promise.resolve();
      const round = reconcile()
        .catch((error: unknown) =>
          // A node that died is still counted by the adapter until its heartbeat times out: the next round succeeds.
          log(`routing could not read every node's sockets yet: ${messageOf(error)}`),
        )
        .finally(() => {
          if (reconciling === round) reconciling = null;
        });
      reconciling = round;
      return round;
    };
    await tick();
    if (stopped || service !== next) return;
    reconcileTimer = setInterval(() => void tick(), reconcileMs);
    reconcileTimer.unref();
  }

  function deposed(reason: string): void {
    const current = service;
    service = null;
    if (reconcileTimer) clearInterval(reconcileTimer);
    reconcileTimer = null;
    if (!current) return;
    current.stop();
    void rpc.serve(null).catch(() => undefined);
    log(`${options.nodeId} stopped leading routing (${reason})`);
  }

  const lease: LeaderLease = startLeaderLease({
    databaseUrl: options.databaseUrl,
    nodeId: options.nodeId,
    retryMs: options.leaseRetryMs ?? 1_000,
    log,
    onElected: (epoch) => {
      const start = elected(epoch)
        .catch((error: unknown) => log(`routing leader start failed: ${messageOf(error)}`))
        .finally(() => {
          if (electing === start) electing = null;
        });
      electing = start;
    },
    onDeposed: deposed,
  });

  /**
   * A socket connected: routing must count it, and the socket must get the offers already
   * waiting for its agent, which only the connect's answer carries. A connect the leader did
   * not confirm (slow, or an election) is tried again: the leader tracks connections by socket
   * id, so a try that already ran counts nothing twice and answers the open offers again.
   * Tries end when the socket closes or this node stops; after the last one, the leader's
   * reconciliation of every node's sockets still counts it (presence), but without its offers.
   */
  async function forwardConnect(user: User, connectionId: string): Promise<{ offers: RoutingOffer[]; presence: PresenceChanged | null }> {
    const pauses = options.connectRetryMs ?? [1_000, 3_000];
    connecting.add(connectionId);
    try {
      for (let attemptNo = 0; ; attemptNo++) {
        try {
          return await run({ op: 'connect', userId: user.id, connectionId });
        } catch (error) {
          if (!(error instanceof RoutingRefusal && (error.code === 'unavailable' || error.code === 'unconfirmed'))) throw error;
          const pause = pauses[attemptNo];
          // The socket closed (its disconnect went on its way) or this node is closing: nobody to answer.
          if (stopped || !connecting.has(connectionId)) return { offers: [], presence: null };
          if (pause === undefined) {
            // Not lost: the leader's reconciliation counts every node's sockets (and pushes the agent's presence to their room).
            log(
              `routing connect of ${user.username} not confirmed by the leader after ${String(attemptNo + 1)} tries; its reconciliation of sockets counts it`,
            );
            return { offers: [], presence: null };
          }
          log(`routing connect of ${user.username} not confirmed by the leader (${error.code}); trying again`);
          await new Promise((resolve) => setTimeout(resolve, pause));
          if (stopped || !connecting.has(connectionId)) return { offers: [], presence: null };
        }
      }
    } finally {
      connecting.delete(connectionId);
    }
  }

  let stopping: Promise<void> | null = null;
  const port: RoutingPort = {
    connect: forwardConnect,
    disconnect: async (user, connectionId) => {
      // A connect still being tried for this socket stops: it would count a socket that is gone.
      connecting.delete(connectionId);
      // This node is closing: the leader lets its sockets go when it reconciles.
      if (!stopped) await forwardDisconnect(user, connectionId);
    },
    agents: () => service?.agents() ?? agentsHeardList,
    rosterEpoch: () => (service ? service.epoch : heardEpoch),
    setPresence: (userId, presence, cause, byName, awayReason, auditBy) =>
      run({ op: 'setPresence', userId, presence, cause, byName, awayReason: awayReason ?? null, auditBy: auditBy ?? null }),
    setCapacity: (userId, capacity, phoneBlocksChat, auditBy) =>
      run({ op: 'setCapacity', userId, capacity, ...(phoneBlocksChat !== undefined ? { phoneBlocksChat } : {}), auditBy: auditBy ?? null }),
    respond: (agentId, ticketId, accept) => run({ op: 'respond', agentId, ticketId, accept }),
    escalate: (actor, ticketId, reason) => run({ op: 'escalate', actorId: actor.id, ticketId, reason }),
    reassign: (lead, ticketIds, to) => run({ op: 'reassign', leadId: lead.id, ticketIds: [...ticketIds], to }),
    pin: (lead, ticketId, agentId) => run({ op: 'pin', leadId: lead.id, ticketId, agentId }),
    callStateChanged: async (agentId, afterTalk) => void (await run({ op: 'callStateChanged', agentId, afterTalk: afterTalk === true })),
    userChanged: (userId, byName) => run({ op: 'userChanged', userId, byName }),
    policiesChanged: async () => void (await run({ op: 'policiesChanged' })),
  };

  return {
    port,
    leading: () => service,
    router: () => service,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        // Leader work ends before the store and Redis close (server/app.ts closes those next):
        // first no new forwarded calls (their callers retry on the next leader), then the ones
        // being answered finish, an election half-done settles, and the engine's operations and
        // the reconciliation round in flight end.
        await rpc.serve(null).catch(() => undefined);
        await rpc.answered();
        while (lateWork.size > 0) await Promise.allSettled([...lateWork]);
        await electing;
        const current = service;
        deposed('stopping');
        await reconciling;
        await current?.idle();
        await lease.stop();
        await rpc.close();
      })();
      return stopping;
    },
  };
}
