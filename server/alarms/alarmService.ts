/**
 * Alarms on the server (shared/alarms.ts): one evaluator per node raises backlog, SLA, first-response,
 * complaint and unassigned alarms after commits (dirty-marking, as server/board/) and on a
 * timer (SLA crossings happen without any commit), whether or not anyone is connected. Each
 * pass does bounded work (at most `batchLimit` tickets per kind; a full batch asks for
 * another pass). Several nodes may evaluate at once: the database's unique key lets one
 * insert per crossing through, and only the node whose insert took pushes the alarm.
 *
 * Escalation approval (主管审核) lives here too: an agent's escalation is a request (an
 * alarm to leads); a lead approves it (the routing port's escalation as before, on whichever
 * node routes) or refuses it with a reason; a conditional UPDATE makes the first decision
 * the only one.
 */
import { CHANNELS, canUserSeeTicket, isOpenStatus, type Channel, type Ticket, type User } from '../../shared/domain.js';
import { firstResponseTargetMs, longestResolutionWindowMs } from '../../shared/admin.js';
import { UNASSIGNED_ALARM_MS, type Alarm, type AlarmCounts, type AlarmKind, type BacklogThresholds } from '../../shared/alarms.js';
import type { ServerStore } from '../store.js';
import type { RoutingPort } from '../routing/port.js';
import { IN_LIST_MAX } from '../db/sql.js';
import { createPacedJob } from '../pacedJob.js';
import { SyncRefusal } from '../sync.js';
import type { AlarmPage, AlarmWalkPosition, CandidateBatch, CandidateScope, TicketAlarmCandidate } from './alertStore.js';

export interface AlarmServiceOptions {
  store: ServerStore;
  /** Carries out approved escalations: this node's routing, or (on a cluster follower) the routing leader's. */
  router: Pick<RoutingPort, 'escalate'>;
  now: () => number;
  log: (line: string) => void;
  /** Smallest gap between two passes; default 1 s. */
  intervalMs?: number;
  /** A pass at least this often even when nothing committed; default 15 s. */
  recheckMs?: number;
  /** Most tickets one pass raises alarms for, per kind; default 200. */
  batchLimit?: number;
}

export interface AlarmService {
  /** Where raised and changed alarms go (the socket layer's pushes). */
  setOutlet(publish: (alarm: Alarm) => void): void;
  /** Pushes an alarm raised elsewhere on this node (the store, for a request from the outbox). */
  announce(alarm: Alarm): void;
  /** Something committed: a pass within the interval. */
  markDirty(): void;
  /**
   * Tickets committed (on any node): those a walk may already have passed are looked at again
   * by the next pass (a reopened ticket, a due time moved earlier, a type changed to complaint).
   */
  noteChangedTickets(tickets: ReadonlyArray<Pick<Ticket, 'id' | 'status' | 'createdAt' | 'dueAt'>>): void;
  /** One pass that starts now (after the one already running, which may have read before the caller's change); the alarms THIS node raised. */
  evaluate(): Promise<Alarm[]>;
  /** How many passes ran. */
  passes(): number;
  list(viewer: User, page?: AlarmPage): Promise<{ alarms: Alarm[]; next: number | null }>;
  /** The open alarms the user may see, counted on the server (the badge, whatever a client holds). */
  counts(viewer: Pick<User, 'id' | 'role'>): Promise<AlarmCounts>;
  acknowledge(lead: User, id: number): Promise<Alarm>;
  thresholds(): Promise<BacklogThresholds>;
  setThreshold(lead: User, channel: Channel, threshold: number): Promise<BacklogThresholds>;
  /** Files an escalation request for a ticket the actor sees; `conflict` when it is escalated or has a request waiting. */
  requestEscalation(actor: User, ticketId: string, reason: string): Promise<Alarm>;
  /** A lead's decision; `conflict` when it was decided already (by another lead or node) or the escalation no longer applies. */
  decideEscalation(lead: User, id: number, approve: boolean, reason: string | null): Promise<Alarm>;
  /** Resolves once the evaluation in flight (if any) has ended. */
  stop(): Promise<void>;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let from = 0; from < items.length; from += size) out.push(items.slice(from, from + size));
  return out;
}

function isLead(user: User): boolean {
  return user.role === 'lead' || user.role === 'admin';
}

function requireLead(user: User, what: string): void {
  if (!isLead(user)) throw new SyncRefusal('forbidden', `Only leads and admins may ${what}.`);
}

/** The ticket kinds whose candidates are walked in key order (a first-response walk per channel). */
type WalkedKind = 'sla_breach' | 'complaint_unstarted' | 'unassigned' | 'unassigned_requeued' | 'first_response_breach';

/** Changed tickets looked at again by id in one pass, at most; past that many, the walks go back to the earliest of the others instead. */
const RECHECK_LIMIT = 2000;
/** Ids per recheck query. */
const RECHECK_CHUNK = IN_LIST_MAX;

export function createAlarmService(options: AlarmServiceOptions): AlarmService {
  const { store, now, log } = options;
  const batchLimit = options.batchLimit ?? 200;
  let publish: (alarm: Alarm) => void = () => undefined;
  /**
   * How far each walk has got (kind, or `first_response_breach:<channel>`). A pass reads only
   * what crossed since, so one over 100,000 old tickets does not read them all again each
   * second; empty (a start, too many changes) means from the beginning. Per node: any node's
   * walk raises each crossing once (the unique key).
   */
  const walkedTo = new Map<string, AlarmWalkPosition>();
  const recheck = new Set<string>();
  /** The earliest due and creation times of changed tickets beyond RECHECK_LIMIT (a big commit, seeding): the walks go back there. */
  let rewind: { dueAt: number; createdAt: number } | null = null;
  /** The shortest wait after creation before any walk keyed on creation time can take a ticket (the smallest first-response target, the unassigned wait). */
  let shortestCreatedWaitMs = 0;

  function reportFailure(error: unknown): void {
    log(`alarm evaluation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  function ticketAlarm(kind: AlarmKind, ticket: TicketAlarmCandidate, crossing: string, withAssignee: boolean) {
    return store.alerts.raise(
      {
        kind,
        subject: ticket.id,
        crossing,
        ticketId: ticket.id,
        channel: ticket.channel,
        agentId: withAssignee ? ticket.assigneeId : null,
        facts: { priority: ticket.priority, dueAt: ticket.dueAt, createdAt: ticket.createdAt },
      },
      now(),
    );
  }

  /** A ticket back in the queue: once per wait, the wait named by when it went back. */
  function requeuedAlarm(ticket: TicketAlarmCandidate, at: number) {
    const requeuedAt = ticket.requeuedAt ?? ticket.createdAt;
    return store.alerts.raise(
      {
        kind: 'unassigned',
        subject: ticket.id,
        crossing: `requeued:${String(requeuedAt)}`,
        ticketId: ticket.id,
        channel: ticket.channel,
        agentId: null,
        facts: { priority: ticket.priority, dueAt: ticket.dueAt, createdAt: ticket.createdAt, requeuedAt },
      },
      at,
    );
  }

  function firstResponseAlarm(ticket: TicketAlarmCandidate, targetMs: number, at: number) {
    return store.alerts.raise(
      {
        kind: 'first_response_breach',
        subject: ticket.id,
        crossing: '1',
        ticketId: ticket.id,
        channel: ticket.channel,
        agentId: ticket.assigneeId,
        facts: {
          priority: ticket.priority,
          createdAt: ticket.createdAt,
          dueAt: ticket.createdAt + targetMs,
          firstResponseMinutes: Math.round(targetMs / 60_000),
        },
      },
      at,
    );
  }

  async function pass(): Promise<{ raised: Alarm[]; more: boolean }> {
    const at = now();
    const raised: Alarm[] = [];
    const keep = (alarm: Alarm | null) => {
      if (alarm) raised.push(alarm);
    };
    const inOneTransaction = async (tickets: TicketAlarmCandidate[], raise: (ticket: TicketAlarmCandidate) => Promise<Alarm | null>) => {
      if (tickets.length === 0) return;
      const alarms = await store.withTransaction(async () => {
        const inserted: Array<Alarm | null> = [];
        for (const ticket of tickets) inserted.push(await raise(ticket));
        return inserted;
      });
      for (const alarm of alarms) keep(alarm);
    };
    const { policies } = await store.admin.getPolicies();
    // Tickets made under a longer saved SLA policy warn at 80% of their own window too.
    const longestWindowMs = longestResolutionWindowMs(policies);
    const firstResponseTargets = Object.fromEntries(CHANNELS.map((channel) => [channel, firstResponseTargetMs(policies, channel)])) as Record<Channel, number>;
    for (const channel of CHANNELS) keep(await store.alerts.evaluateBacklog(channel, at));
    let more = false;
    const warnings = await store.alerts.slaWarningsDue(at, batchLimit, longestWindowMs);
    if (warnings.length === batchLimit) more = true;
    await inOneTransaction(warnings, (ticket) => ticketAlarm('sla_warning', ticket, String(ticket.dueAt), true));
    shortestCreatedWaitMs = Math.min(...Object.values(firstResponseTargets), UNASSIGNED_ALARM_MS);

    const query = (kind: WalkedKind, scope: CandidateScope, channel?: Channel): Promise<CandidateBatch> => {
      // Every changed ticket is raised at once: the walks will not come back for them.
      const limit = 'ids' in scope ? scope.ids.length : batchLimit;
      if (kind === 'sla_breach') return store.alerts.slaBreachesDue(at, limit, scope);
      if (kind === 'complaint_unstarted') return store.alerts.complaintsUnstarted(at, limit, scope);
      if (kind === 'unassigned') return store.alerts.unassignedTooLong(at, limit, scope);
      if (kind === 'unassigned_requeued') return store.alerts.requeuedTooLong(at, limit, scope);
      return store.alerts.firstResponsesOverdue(at, firstResponseTargets, limit, 'ids' in scope ? scope : { after: scope.after, channel: channel! });
    };
    // One transaction per batch: on SQLite each insert on its own was a commit (and an fsync) per alarm.
    const raiseAll = (kind: WalkedKind, tickets: TicketAlarmCandidate[]) =>
      inOneTransaction(tickets, (ticket) =>
        kind === 'first_response_breach'
          ? firstResponseAlarm(ticket, firstResponseTargets[ticket.channel], at)
          : kind === 'unassigned_requeued'
            ? requeuedAlarm(ticket, at)
            : ticketAlarm(kind, ticket, kind === 'sla_breach' ? String(ticket.dueAt) : '1', kind === 'sla_breach'),
      );
    const walked: WalkedKind[] = ['sla_breach', 'complaint_unstarted', 'unassigned', 'unassigned_requeued', 'first_response_breach'];
    // Changed tickets the walks may have passed; what a failed pass did not look at stays for the next.
    const changed = [...recheck];
    recheck.clear();
    try {
      for (const ids of chunks(changed, RECHECK_CHUNK)) {
        for (const kind of walked) await raiseAll(kind, (await query(kind, { ids })).tickets);
      }
    } catch (error) {
      for (const id of changed) recheck.add(id);
      throw error;
    }
    if (rewind) {
      for (const [name, position] of walkedTo) {
        const key = name === 'sla_breach' ? rewind.dueAt : rewind.createdAt;
        if (key <= position.key) walkedTo.set(name, { key: key - 1, id: '' });
      }
      rewind = null;
    }
    const walks: Array<[string, WalkedKind, Channel | undefined]> = [
      ['sla_breach', 'sla_breach', undefined],
      ['complaint_unstarted', 'complaint_unstarted', undefined],
      ['unassigned', 'unassigned', undefined],
      // Keyed on requeued_at; a rewind takes it back to a creation time, which is earlier still.
      ['unassigned_requeued', 'unassigned_requeued', undefined],
      // A ticket is answered for the first time once: one crossing per ticket, whatever the target does later.
      ...CHANNELS.map((channel): [string, WalkedKind, Channel] => [`first_response_breach:${channel}`, 'first_response_breach', channel]),
    ];
    for (const [name, kind, channel] of walks) {
      const batch = await query(kind, { after: walkedTo.get(name) ?? null }, channel);
      await raiseAll(kind, batch.tickets);
      // Moved on only once what it found is raised: a pass that failed half-way walks that stretch again.
      if (batch.walkedTo) walkedTo.set(name, batch.walkedTo);
      if (batch.tickets.length === batchLimit) more = true;
    }
    return { raised, more };
  }

  const job = createPacedJob({
    run: pass,
    after: ({ raised, more }) => {
      for (const alarm of raised) publish(alarm);
      return more;
    },
    onError: reportFailure,
    intervalMs: options.intervalMs ?? 1000,
    recheckMs: options.recheckMs ?? 15_000,
  });
  const markDirty = () => job.markDirty();

  async function requireAlarm(id: number): Promise<Alarm> {
    const alarm = await store.alerts.get(id);
    if (!alarm) throw new SyncRefusal('not_found', `No alarm ${String(id)}.`);
    return alarm;
  }

  return {
    setOutlet(outlet) {
      publish = outlet;
    },
    announce: (alarm) => publish(alarm),
    markDirty,
    noteChangedTickets(tickets) {
      const at = now();
      for (const ticket of tickets) {
        // Only a ticket inside some walk's range now can lie behind it (a new ticket's crossings are all ahead).
        if (!isOpenStatus(ticket.status) || (ticket.dueAt > at && ticket.createdAt > at - shortestCreatedWaitMs)) continue;
        if (recheck.size < RECHECK_LIMIT) recheck.add(ticket.id);
        else
          rewind = {
            dueAt: Math.min(rewind?.dueAt ?? ticket.dueAt, ticket.dueAt),
            createdAt: Math.min(rewind?.createdAt ?? ticket.createdAt, ticket.createdAt),
          };
      }
    },
    evaluate: async () => (await job.runFresh()).raised,
    passes: () => job.runs(),
    list: (viewer, page) => store.alerts.list(viewer, page),
    counts: (viewer) => store.alerts.counts(viewer),
    async acknowledge(lead, id) {
      requireLead(lead, 'acknowledge alarms');
      await requireAlarm(id);
      const alarm = (await store.alerts.acknowledge(id, lead, now()))!;
      publish(alarm);
      return alarm;
    },
    thresholds: () => store.alerts.thresholds(),
    async setThreshold(lead, channel, threshold) {
      requireLead(lead, 'change backlog thresholds');
      const at = now();
      // Audited with the write, in its transaction: who changed which channel's threshold from what to what.
      await store.withTransaction(async () => {
        const before = (await store.alerts.thresholds())[channel];
        await store.alerts.setThreshold(channel, threshold, lead, at);
        await store.admin.recordAudit(
          { id: lead.id, name: lead.displayName || lead.username },
          'backlog_threshold_set',
          null,
          { channel, backlogThreshold: before },
          { channel, backlogThreshold: threshold },
          at,
        );
      });
      markDirty();
      return store.alerts.thresholds();
    },
    async requestEscalation(actor, ticketId, reason) {
      const ticket = await store.getTicket(ticketId);
      if (!ticket || !canUserSeeTicket(actor, ticket)) throw new SyncRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      if (ticket.status === 'completed' || ticket.status === 'closed') throw new SyncRefusal('conflict', `Ticket ${ticketId} is ${ticket.status}`);
      if (ticket.routing.requiredTier === 2) throw new SyncRefusal('conflict', `Ticket ${ticketId} is already escalated to tier 2`);
      const request = await store.alerts.fileEscalationRequest(actor, ticket, reason, now());
      if (!request) throw new SyncRefusal('conflict', `Ticket ${ticketId} already has an escalation request waiting for a lead`);
      publish(request);
      return request;
    },
    async decideEscalation(lead, id, approve, reason) {
      requireLead(lead, 'decide escalation requests');
      const request = await requireAlarm(id);
      if (request.kind !== 'escalation_request' || !request.ticketId) throw new SyncRefusal('not_found', `Alarm ${String(id)} is not an escalation request.`);
      const ticketId = request.ticketId;
      await store.withTransaction(async () => {
        // The conditional UPDATE first: of two leads (or nodes) deciding at once, the second waits on the row and finds it decided.
        if (!(await store.alerts.decide(id, lead, approve ? 'approved' : 'refused', approve ? null : reason, now()))) {
          throw new SyncRefusal('conflict', `The escalation request of ${ticketId} was already decided`);
        }
        if (!approve) return;
        const requester = request.agentId ? await store.getUser(request.agentId) : null;
        // Exactly what a direct escalation did, in the requester's name (the audit and the ticket
        // say who asked). A refusal of it undoes the decision too: the request stays open.
        try {
          await options.router.escalate(requester ?? lead, ticketId, request.facts.reason ?? '');
        } catch (error) {
          if (error instanceof SyncRefusal && error.code === 'not_found') {
            throw new SyncRefusal(
              'conflict',
              `${requester?.displayName ?? 'The requester'} no longer holds ${ticketId}; refuse the request or reassign the ticket`,
            );
          }
          throw error;
        }
      });
      const decided = await requireAlarm(id);
      publish(decided);
      return decided;
    },
    stop: () => job.stop(),
  };
}
