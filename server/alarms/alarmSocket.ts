/**
 * The socket.io side of alarms (shared/alarms.ts): the list on request (clients fetch it on
 * connect), acknowledgement, escalation requests and decisions, backlog thresholds; and the
 * live pushes: every raised or changed alarm to the leads' room, and to the room of the agent
 * it concerns (an SLA alarm's assignee, an escalation's requester). socket.io's rooms reach
 * the sockets of every node when an adapter joins them, so the node that raised it pushes once.
 */
import { alarmAckRequestSchema, alarmsListRequestSchema, backlogThresholdSetRequestSchema, escalationDecideRequestSchema } from '../../shared/alarms.js';
import type { Alarm } from '../../shared/alarms.js';
import { maskPiiInText } from '../../shared/masking.js';
import { escalateRequestSchema } from '../../shared/routing.js';
import { forRole } from '../piiMasking.js';
import type { SyncServer } from '../liveHub.js';
import { userRoom } from '../routing/socket.js';
import { handle } from '../sync.js';
import type { AlarmService } from './alarmService.js';

/** The room of the alarm pushes every lead and admin gets. */
export const ALARMS_ROOM = 'alarms:leads';

export interface AlarmSocketDependencies {
  service: AlarmService;
  now: () => number;
  log: (line: string) => void;
}

/** What an agent may read of an alarm: the reasons can quote the customer (a phone number), as a ticket's escalation reason can. */
export function maskAlarm(alarm: Alarm): Alarm {
  const { facts, decision } = alarm;
  return {
    ...alarm,
    facts: facts.reason === undefined ? facts : { ...facts, reason: maskPiiInText(facts.reason) },
    decision: decision?.reason ? { ...decision, reason: maskPiiInText(decision.reason) } : decision,
  };
}

/** Wires alarms into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachAlarms(io: SyncServer, deps: AlarmSocketDependencies): void {
  const { service } = deps;
  // The open counts follow the pushes, once per burst (a pass raises up to hundreds): the leads'
  // (everyone in the room counts the same), and each concerned agent's own.
  let countsDue: { agents: Set<string> } | null = null;
  function pushCountsSoon(agentId: string | null): void {
    if (!countsDue) {
      const due = (countsDue = { agents: new Set<string>() });
      setImmediate(() => {
        countsDue = null;
        void pushCounts(due.agents).catch((error: unknown) => deps.log(`alarms: the open counts could not be pushed (${String(error)})`));
      });
    }
    if (agentId) countsDue.agents.add(agentId);
  }
  async function pushCounts(agents: ReadonlySet<string>): Promise<void> {
    io.to(ALARMS_ROOM).emit('alarms:counts', await service.counts({ id: '', role: 'lead' }));
    for (const agentId of agents)
      io.to(userRoom(agentId))
        .except(ALARMS_ROOM)
        .emit('alarms:counts', await service.counts({ id: agentId, role: 'agent' }));
  }

  service.setOutlet((alarm) => {
    io.to(ALARMS_ROOM).emit('alarms:alarm', alarm);
    // The agent concerned gets it masked (a lead among them already had it clear).
    if (alarm.agentId) io.to(userRoom(alarm.agentId)).except(ALARMS_ROOM).emit('alarms:alarm', maskAlarm(alarm));
    pushCountsSoon(alarm.agentId);
  });

  io.on('connection', (socket) => {
    const { user } = socket.data;
    if (user.role !== 'agent') void socket.join(ALARMS_ROOM);
    handle(socket, deps, 'alarms:list', alarmsListRequestSchema, async (request) => {
      const page = await service.list(user, request);
      return {
        alarms: page.alarms.map((alarm) => forRole(user.role, alarm, maskAlarm)),
        thresholds: await service.thresholds(),
        next: page.next,
        counts: await service.counts(user),
      };
    });
    handle(socket, deps, 'alarms:ack', alarmAckRequestSchema, async (request) => ({ alarm: await service.acknowledge(user, request.id) }), {
      logRefusals: true,
    });
    handle(
      socket,
      deps,
      'alarms:decide',
      escalationDecideRequestSchema,
      async (request) => ({
        alarm: forRole(user.role, await service.decideEscalation(user, request.id, request.approve, request.approve ? null : request.reason.trim()), maskAlarm),
      }),
      { logRefusals: true },
    );
    handle(
      socket,
      deps,
      'alarms:setThreshold',
      backlogThresholdSetRequestSchema,
      async (request) => {
        const thresholds = await service.setThreshold(user, request.channel, request.threshold);
        io.to(ALARMS_ROOM).emit('alarms:thresholds', { thresholds });
        return { thresholds };
      },
      { logRefusals: true },
    );
    // An escalation is a request to the leads now (主管审核): the ticket changes only when one approves.
    handle(socket, deps, 'ticket:escalate', escalateRequestSchema, async (request) => ({
      request: forRole(user.role, await service.requestEscalation(user, request.ticketId, request.reason.trim()), maskAlarm),
    }));
  });
}
