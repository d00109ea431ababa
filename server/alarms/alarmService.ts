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
import { CHANNELS, canUserSeeTicket, type Channel, type User } from '../../shared/domain.js';
import type { LiveChannelCounts } from '../../shared/board.js';
import { firstResponseTargetMs, longestResolutionWindowMs } from '../../shared/admin.js';
import type { Alarm, AlarmKind, BacklogThresholds } from '../../shared/alarms.js';
import type { ServerStore } from '../store.js';
import type { RoutingPort } from '../routing/port.js';
import { createPacedJob } from '../pacedJob.js';
import { SyncRefusal } from '../sync.js';
import type { TicketAlarmCandidate } from './alertStore.js';

export interface AlarmServiceOptions {
  store: ServerStore;
  /** Carries out approved escalations: this node's routing, or (on a cluster follower) the routing leader's. */
  router: Pick<RoutingPort, 'escalate'>;
  /** Open tickets per channel now (the board repository's). */
  liveCounts: () => Promise<Map<Channel, LiveChannelCounts>>;
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
  /** One pass now (shared with one already running); the alarms THIS node raised. */
  evaluate(): Promise<Alarm[]>;
  /** How many passes ran. */
  passes(): number;
  list(viewer: User): Promise<Alarm[]>;
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

function isLead(user: User): boolean {
  return user.role === 'lead' || user.role === 'admin';
}

function requireLead(user: User, what: string): void {
  if (!isLead(user)) throw new SyncRefusal('forbidden', `Only leads and admins may ${what}.`);
}

export function createAlarmService(options: AlarmServiceOptions): AlarmService {
  const { store, now, log } = options;
  const batchLimit = options.batchLimit ?? 200;
  let publish: (alarm: Alarm) => void = () => undefined;

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

  async function pass(): Promise<{ raised: Alarm[]; more: boolean }> {
    const at = now();
    const raised: Alarm[] = [];
    const keep = (alarm: Alarm | null) => {
      if (alarm) raised.push(alarm);
    };
    const counts = await options.liveCounts();
    const { policies } = await store.admin.getPolicies();
    // Tickets made under a longer saved SLA policy warn at 80% of their own window too.
    const longestWindowMs = longestResolutionWindowMs(policies);
    const firstResponseTargets = Object.fromEntries(CHANNELS.map((channel) => [channel, firstResponseTargetMs(policies, channel)])) as Record<Channel, number>;
    for (const channel of CHANNELS) keep(await store.alerts.evaluateBacklog(channel, counts.get(channel)?.pending ?? 0, at));
    let more = false;
    const kinds: Array<[AlarmKind, (now: number, limit: number) => Promise<TicketAlarmCandidate[]>, (t: TicketAlarmCandidate) => string, boolean]> = [
      ['sla_warning', (at, limit) => store.alerts.slaWarningsDue(at, limit, longestWindowMs), (t) => String(t.dueAt), true],
      ['sla_breach', (at, limit) => store.alerts.slaBreachesDue(at, limit), (t) => String(t.dueAt), true],
      ['complaint_unstarted', (at, limit) => store.alerts.complaintsUnstarted(at, limit), () => '1', false],
      ['unassigned', (at, limit) => store.alerts.unassignedTooLong(at, limit), () => '1', false],
    ];
    for (const [kind, due, crossing, withAssignee] of kinds) {
      const tickets = await due(at, batchLimit);
      if (tickets.length === batchLimit) more = true;
      for (const ticket of tickets) keep(await ticketAlarm(kind, ticket, crossing(ticket), withAssignee));
    }
    // A ticket is answered for the first time once: one crossing per ticket, whatever the target does later.
    const unanswered = await store.alerts.firstResponsesOverdue(at, firstResponseTargets, batchLimit);
    if (unanswered.length === batchLimit) more = true;
    for (const ticket of unanswered) {
      const targetMs = firstResponseTargets[ticket.channel];
      keep(
        await store.alerts.raise(
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
        ),
      );
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
    evaluate: async () => (await job.runNow()).raised,
    passes: () => job.runs(),
    list: (viewer) => store.alerts.list(viewer),
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
      await store.alerts.setThreshold(channel, threshold, lead, now());
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
