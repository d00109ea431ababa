/**
 * The client half of alarms (shared/alarms.ts) for one signed-in session: the list is fetched
 * when the socket connects (and again on every reconnect: pushes missed while offline are in
 * it), each `alarms:alarm` push is checked against its schema and merged by id, and the whole
 * list goes to the window as the `alarms` event. Acknowledging, deciding an escalation, the
 * thresholds and the escalation request itself are requests to the server (fail `offline`).
 *
 * What it holds is not only the newest page: every escalation request still waiting and every
 * open alarm (fetched page by page on connect, up to a cap each), the newest closed ones, and
 * the older pages the user asked for (`loadOlder`). Trimming drops closed alarms first. The open
 * counts are the server's (the list's and the `alarms:counts` pushes), so the badge is right
 * however much of the table is held. See docs/technical/alarms.md.
 */
import {
  ALARM_LIST_LIMIT,
  ALARM_PAGE_MAX,
  alarmCountsSchema,
  alarmResultSchema,
  alarmSchema,
  alarmsListResultSchema,
  isAlarmOpen,
  backlogThresholdsResultSchema,
  escalationRequestResultSchema,
  type Alarm,
  type AlarmAckRequest,
  type AlarmCounts,
  type AlarmsListRequest,
  type AlarmsListResult,
  type BacklogThresholdSetRequest,
  type BacklogThresholds,
  type EscalationDecideRequest,
} from '../../../shared/alarms.js';
import type { EscalateRequest } from '../../../shared/routing.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import { askServer } from '../askServer.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** Escalation requests waiting for a lead held at most (newest first); each must stay decidable, so the cap is far above any real floor. */
export const HELD_ESCALATIONS_MAX = 1000;
/** Other open alarms held at most (newest first); past it the server's count still says how many there are. */
export const HELD_OPEN_MAX = 1000;
/** Closed (acknowledged, decided) alarms held at most, however many older pages were loaded. */
export const HELD_CLOSED_MAX = 2000;

/** Nobody signed in, or no list yet. */
export function noAlarms(): RpcEvents['alarms'] {
  return { alarms: [], thresholds: {}, loaded: false, counts: null, hasOlder: false, hasOlderOpen: false };
}

function isWaitingEscalation(alarm: Alarm): boolean {
  return alarm.kind === 'escalation_request' && alarm.decision === null;
}

export interface AlarmSessionOptions {
  socket: WorkstationSocket;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  log?: (line: string) => void;
}

export interface AlarmSession {
  current(): RpcEvents['alarms'];
  acknowledge(params: AlarmAckRequest): Promise<Alarm>;
  decide(params: EscalationDecideRequest): Promise<Alarm>;
  setThreshold(params: BacklogThresholdSetRequest): Promise<BacklogThresholds>;
  escalate(params: EscalateRequest): Promise<Alarm>;
  /** The next older page (of every alarm, or of the open ones only), merged into what is held. */
  loadOlder(params: { open: boolean }): Promise<RpcEvents['alarms']>;
  stop(): void;
}

export function startAlarmSession(options: AlarmSessionOptions): AlarmSession {
  const { socket } = options;
  const alarms = new Map<number, Alarm>();
  let thresholds: BacklogThresholds = {};
  let counts: AlarmCounts | null = null;
  let loaded = false;
  let stopped = false;
  /** The `before` of the next older page (the server's `next`): of every alarm, and of the open ones; null at the oldest. */
  let olderAll: number | null = null;
  let olderOpen: number | null = null;
  /** Closed alarms kept: the newest page's worth, plus what older pages the user loaded brought. */
  let closedBudget = ALARM_LIST_LIMIT;

  /** Within the caps: waiting escalation requests, other open alarms and closed ones, each newest first (closed ones are the first to go). */
  function trim(): void {
    const byNewest = [...alarms.values()].sort((a, b) => b.id - a.id);
    const kept = { escalations: 0, open: 0, closed: 0 };
    for (const alarm of byNewest) {
      const group = isWaitingEscalation(alarm) ? 'escalations' : isAlarmOpen(alarm) ? 'open' : 'closed';
      const cap = group === 'escalations' ? HELD_ESCALATIONS_MAX : group === 'open' ? HELD_OPEN_MAX : closedBudget;
      kept[group] += 1;
      if (kept[group] > cap) alarms.delete(alarm.id);
    }
  }

  function snapshot(): RpcEvents['alarms'] {
    trim();
    const list = [...alarms.values()].sort((a, b) => b.id - a.id);
    return { alarms: list, thresholds, loaded, counts, hasOlder: olderAll !== null, hasOlderOpen: olderOpen !== null };
  }

  // One `alarms` event per burst: the server pushes one alarm per ticket crossing a threshold,
  // often hundreds read in one go, and each event carries the whole list (up to 200 alarms)
  // that the window parses and puts in its store. Announced once the pushes read together
  // are merged (setImmediate: after this turn's I/O callbacks), so no later than before.
  let announcing: ReturnType<typeof setImmediate> | null = null;

  function announce(): void {
    if (stopped || announcing) return;
    announcing = setImmediate(() => {
      announcing = null;
      if (!stopped) options.emit('alarms', snapshot());
    });
  }

  function merge(alarm: Alarm): void {
    alarms.set(alarm.id, alarm);
  }

  function onAlarm(raw: unknown): void {
    if (stopped) return;
    const parsed = alarmSchema.safeParse(raw);
    if (!parsed.success) {
      options.log?.(`alarms: ignored a push that is not an alarm (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    merge(parsed.data);
    announce();
  }

  function onThresholds(raw: unknown): void {
    const parsed = backlogThresholdsResultSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    thresholds = parsed.data.thresholds;
    announce();
  }

  function onCounts(raw: unknown): void {
    const parsed = alarmCountsSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    counts = parsed.data;
    announce();
  }

  function page(request: AlarmsListRequest): Promise<AlarmsListResult> {
    return askServer(socket, 'alarms:list', request, alarmsListResultSchema, REQUEST_TIMEOUT_MS);
  }

  /** Pages of `request` after the first answer until `held` of them or the oldest; the last answer's `next`. */
  async function pagesUpTo(request: AlarmsListRequest, into: Alarm[], held: number, next: number | null): Promise<number | null> {
    let before = next;
    let found = into.filter((alarm) => (request.kind ? isWaitingEscalation(alarm) : isAlarmOpen(alarm))).length;
    while (before !== null && found < held && !stopped) {
      const result = await page({ ...request, before, limit: ALARM_PAGE_MAX });
      into.push(...result.alarms);
      found += result.alarms.length;
      before = result.next;
    }
    return before;
  }

  /**
   * The newest page, then — when the server counts more open alarms than that page holds — the
   * waiting escalation requests and the open alarms page by page (each up to its cap): a request
   * older than the newest 200 stays in the lead's hands.
   */
  async function fetchAll(): Promise<void> {
    const first = await page({ limit: ALARM_LIST_LIMIT });
    const fetched = [...first.alarms];
    const openHeld = first.alarms.filter(isAlarmOpen).length;
    let nextOpen: number | null = null;
    if (first.counts.escalations > first.alarms.filter(isWaitingEscalation).length) {
      const escalations: Alarm[] = [];
      await pagesUpTo({ open: true, kind: 'escalation_request' }, escalations, HELD_ESCALATIONS_MAX, first.alarms.length ? Number.MAX_SAFE_INTEGER : null);
      fetched.push(...escalations);
    }
    if (first.counts.open > openHeld && first.next !== null) {
      const open = first.alarms.filter(isAlarmOpen);
      // The open ones after the newest page: the first page held the newest of them already.
      nextOpen = await pagesUpTo({ open: true }, open, HELD_OPEN_MAX, first.next);
      fetched.push(...open);
    }
    if (stopped) return;
    alarms.clear();
    for (const alarm of fetched) merge(alarm);
    thresholds = first.thresholds;
    counts = first.counts;
    olderAll = first.next;
    olderOpen = nextOpen;
    closedBudget = ALARM_LIST_LIMIT;
    loaded = true;
    announce();
  }

  function fetchList(): void {
    fetchAll().catch((error: unknown) => options.log?.(`alarms: the list could not be fetched (${error instanceof Error ? error.message : String(error)})`));
  }

  socket.on('alarms:alarm', onAlarm);
  socket.on('alarms:thresholds', onThresholds);
  socket.on('alarms:counts', onCounts);
  socket.on('connect', fetchList);
  if (socket.connected) fetchList();

  function request<T>(run: () => Promise<T>): Promise<T> {
    if (stopped || !socket.connected) return Promise.reject(new RpcError('offline', 'This needs a connection to the server; the workstation is offline.'));
    return run();
  }

  return {
    current: snapshot,
    acknowledge: (params) =>
      request(async () => {
        const { alarm } = await askServer(socket, 'alarms:ack', params, alarmResultSchema, REQUEST_TIMEOUT_MS);
        merge(alarm);
        announce();
        return alarm;
      }),
    decide: (params) =>
      request(async () => {
        const { alarm } = await askServer(socket, 'alarms:decide', params, alarmResultSchema, REQUEST_TIMEOUT_MS);
        merge(alarm);
        announce();
        return alarm;
      }),
    setThreshold: (params) =>
      request(async () => {
        const result = await askServer(socket, 'alarms:setThreshold', params, backlogThresholdsResultSchema, REQUEST_TIMEOUT_MS);
        thresholds = result.thresholds;
        announce();
        return thresholds;
      }),
    escalate: (params) =>
      request(async () => {
        const { request: filed } = await askServer(socket, 'ticket:escalate', params, escalationRequestResultSchema, REQUEST_TIMEOUT_MS);
        merge(filed);
        announce();
        return filed;
      }),
    loadOlder: ({ open }) =>
      request(async () => {
        const before = open ? olderOpen : olderAll;
        if (before === null) return snapshot();
        const result = await page({ ...(open ? { open: true } : {}), before, limit: ALARM_LIST_LIMIT });
        for (const alarm of result.alarms) merge(alarm);
        // What the user asked for stays: the closed ones of the page widen what is kept.
        closedBudget = Math.min(HELD_CLOSED_MAX, closedBudget + result.alarms.filter((alarm) => !isAlarmOpen(alarm)).length);
        if (open) olderOpen = result.next;
        else olderAll = result.next;
        counts = result.counts;
        const state = snapshot();
        options.emit('alarms', state);
        return state;
      }),
    stop() {
      if (stopped) return;
      stopped = true;
      if (announcing) clearImmediate(announcing);
      announcing = null;
      socket.off('alarms:alarm', onAlarm);
      socket.off('alarms:thresholds', onThresholds);
      socket.off('alarms:counts', onCounts);
      socket.off('connect', fetchList);
    },
  };
}
