/**
 * Alarms that reach people (告警) and escalation approval (主管审核): the alarm record the
 * server keeps for every alarm it raises, the socket requests around it, and the thresholds.
 * Alarms are computed on the server only (server/alarms/), raised ONCE per crossing whatever
 * the number of nodes or workstations (the database's unique key (kind, subject, crossing)
 * decides), pushed live to leads (and to the agent concerned by an SLA alarm or an escalation
 * request) and fetched on connect. See docs/technical/alarms.md.
 */
import { z } from 'zod';
import { channelSchema, entityIdSchema, prioritySchema, ticketIdSchema, type Channel } from './domain.js';
import { DEFAULT_BACKLOG_THRESHOLD } from './board.js';

/**
 * backlog: a channel's pending count went over its threshold. sla_warning / sla_breach: an
 * open ticket reached 80% of its resolution target / passed it. complaint_unstarted: a
 * complaint (投诉) nobody answered within an hour. unassigned: a ticket nobody took within 10
 * minutes. escalation_request: an agent asks a lead to escalate a ticket to tier 2.
 * csat_low: a customer rated a completed ticket 2 or less (shared/csat.ts), once per answer.
 * first_response_breach: an open ticket nobody answered within its channel's first-response
 * target (policies.firstResponseMinutes), once per ticket.
 */
export const ALARM_KINDS = [
  'backlog',
  'sla_warning',
  'sla_breach',
  'complaint_unstarted',
  'unassigned',
  'escalation_request',
  'csat_low',
  'first_response_breach',
] as const;
export const alarmKindSchema = z.enum(ALARM_KINDS);
export type AlarmKind = z.infer<typeof alarmKindSchema>;

/** The share of a ticket's resolution window after which its SLA warning fires. */
export const SLA_WARNING_FRACTION = 0.8;
/** A complaint must be started (first reply) within this (ms). */
export const COMPLAINT_START_MS = 60 * 60 * 1000;
/** An unassigned ticket older than this alarms (the seeds' assignment target, ms). */
export const UNASSIGNED_ALARM_MS = 10 * 60 * 1000;
/** Smallest and largest backlog threshold a lead may set. */
export const MAX_BACKLOG_THRESHOLD = 100_000;

/** What made the alarm fire: only the fields of its kind are present. */
export const alarmFactsSchema = z
  .object({
    /** backlog: the pending count seen and the threshold it went over. */
    pending: z.number().int().nonnegative(),
    threshold: z.number().int().positive(),
    /** SLA alarms: the target the ticket is measured against (first_response_breach: when the first reply was due). */
    dueAt: z.number().int().nonnegative(),
    /** first_response_breach: the channel's first-response target when it fired, minutes. */
    firstResponseMinutes: z.number().int().positive(),
    priority: prioritySchema,
    /** complaint / unassigned: when the ticket was created. */
    createdAt: z.number().int().nonnegative(),
    /** unassigned, a ticket sent back to the queue: when it went back (its wait counts from there). */
    requeuedAt: z.number().int().nonnegative(),
    /** escalation_request: the agent's reason and who asked. */
    reason: z.string().max(500),
    requestedByName: z.string().max(100),
    /** csat_low: the feedback id and its score (mean of the four dimensions). */
    feedbackId: z.string().max(32),
    score: z.number().min(1).max(5),
  })
  .partial();
export type AlarmFacts = z.infer<typeof alarmFactsSchema>;

/** A lead's answer to an escalation request. */
export const escalationDecisionSchema = z.object({
  outcome: z.enum(['approved', 'refused']),
  /** Why it was refused (required then); null when approved. */
  reason: z.string().max(500).nullable(),
  byId: entityIdSchema,
  byName: z.string().max(100),
  at: z.number().int().nonnegative(),
});
export type EscalationDecision = z.infer<typeof escalationDecisionSchema>;

export const alarmSchema = z.object({
  id: z.number().int().positive(),
  kind: alarmKindSchema,
  /** The channel (backlog) or the ticket id (the others). */
  subject: z.string().max(64),
  ticketId: ticketIdSchema.nullable(),
  channel: channelSchema.nullable(),
  /** The agent concerned besides the leads: the assignee of an SLA alarm, the requester of an escalation. */
  agentId: entityIdSchema.nullable(),
  raisedAt: z.number().int().nonnegative(),
  facts: alarmFactsSchema,
  ackedById: entityIdSchema.nullable(),
  ackedByName: z.string().max(100).nullable(),
  ackedAt: z.number().int().nonnegative().nullable(),
  /** escalation_request only: null while it waits for a lead. */
  decision: escalationDecisionSchema.nullable(),
});
export type Alarm = z.infer<typeof alarmSchema>;

/** Backlog threshold per channel (a missing channel has the default). */
export const backlogThresholdsSchema = z.partialRecord(channelSchema, z.number().int().positive().max(MAX_BACKLOG_THRESHOLD));
export type BacklogThresholds = Partial<Record<Channel, number>>;

export function backlogThresholdOf(thresholds: BacklogThresholds, channel: Channel): number {
  return thresholds[channel] ?? DEFAULT_BACKLOG_THRESHOLD;
}

/** Whether a lead still has to act on the alarm: not acknowledged, or an escalation nobody decided. */
export function isAlarmOpen(alarm: Alarm): boolean {
  return alarm.kind === 'escalation_request' ? alarm.decision === null : alarm.ackedAt === null;
}

/** The alarms an agent hears about (besides the leads) when they concern the agent's own ticket. */
export const AGENT_ALARM_KINDS = ['sla_warning', 'sla_breach', 'first_response_breach', 'escalation_request'] as const satisfies readonly AlarmKind[];

/** Whether the alarm is about the agent's own ticket missing a target (the desktop notification kind "SLA warnings on my tickets"). */
export function isTicketTargetAlarm(alarm: Pick<Alarm, 'kind'>): boolean {
  return alarm.kind === 'sla_warning' || alarm.kind === 'sla_breach' || alarm.kind === 'first_response_breach';
}

/** Alarms one `alarms:list` page answers when the request names no limit (newest first). */
export const ALARM_LIST_LIMIT = 200;
/** Most alarms one `alarms:list` page may ask for. */
export const ALARM_PAGE_MAX = 500;

/**
 * The open alarms the user may see, counted by the server over the whole table (not only what a
 * client holds): `open` every alarm still open (isAlarmOpen), `escalations` the escalation
 * requests waiting for a decision among them.
 */
export const alarmCountsSchema = z.object({ open: z.number().int().nonnegative(), escalations: z.number().int().nonnegative() });
export type AlarmCounts = z.infer<typeof alarmCountsSchema>;

// ---------------------------------------------------------------------------------------
// Requests (client → server socket events with acks; the RPC methods take the same params)

/**
 * One page of the alarms the user may see, newest first (keyset on the id): `open` only the open
 * ones, `kind` only one kind, `before` only alarms older than that id (the previous page's `next`).
 */
export const alarmsListRequestSchema = z
  .object({
    open: z.boolean().optional(),
    kind: alarmKindSchema.optional(),
    before: z.number().int().positive().optional(),
    limit: z.number().int().positive().max(ALARM_PAGE_MAX).optional(),
  })
  .strict();
export type AlarmsListRequest = z.infer<typeof alarmsListRequestSchema>;
export const alarmsListResultSchema = z.object({
  alarms: z.array(alarmSchema),
  thresholds: backlogThresholdsSchema,
  /** The `before` of the next (older) page; null when this page reached the oldest. */
  next: z.number().int().positive().nullable(),
  counts: alarmCountsSchema,
});
export type AlarmsListResult = z.infer<typeof alarmsListResultSchema>;

export const alarmAckRequestSchema = z.object({ id: z.number().int().positive() }).strict();
export type AlarmAckRequest = z.infer<typeof alarmAckRequestSchema>;

export const alarmResultSchema = z.object({ alarm: alarmSchema });
export type AlarmResult = z.infer<typeof alarmResultSchema>;

const reasonText = z
  .string()
  .max(500)
  .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

/** A lead approves an escalation request, or refuses it with a reason the agent sees. */
export const escalationDecideRequestSchema = z.discriminatedUnion('approve', [
  z.object({ id: z.number().int().positive(), approve: z.literal(true) }).strict(),
  z.object({ id: z.number().int().positive(), approve: z.literal(false), reason: reasonText }).strict(),
]);
export type EscalationDecideRequest = z.infer<typeof escalationDecideRequestSchema>;

export const backlogThresholdSetRequestSchema = z
  .object({ channel: channelSchema, threshold: z.number().int().positive().max(MAX_BACKLOG_THRESHOLD) })
  .strict();
export type BacklogThresholdSetRequest = z.infer<typeof backlogThresholdSetRequestSchema>;
export const backlogThresholdsResultSchema = z.object({ thresholds: backlogThresholdsSchema });
export type BacklogThresholdsResult = z.infer<typeof backlogThresholdsResultSchema>;

/** `ticket:escalate` now files a request: the ticket is unchanged until a lead approves. */
export const escalationRequestResultSchema = z.object({ request: alarmSchema });
export type EscalationRequestResult = z.infer<typeof escalationRequestResultSchema>;
