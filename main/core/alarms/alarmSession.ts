/**
 * The client half of alarms (shared/alarms.ts) for one signed-in session: the list is fetched
 * when the socket connects (and again on every reconnect: pushes missed while offline are in
 * it), each `alarms:alarm` push is checked against its schema and merged by id, and the whole
 * list goes to the window as the `alarms` event. Acknowledging, deciding an escalation, the
 * thresholds and the escalation request itself are requests to the server (fail `offline`).
 * See docs/technical/alarms.md.
 */
import {
  ALARM_LIST_LIMIT,
  alarmResultSchema,
  alarmSchema,
  alarmsListResultSchema,
  backlogThresholdsResultSchema,
  escalationRequestResultSchema,
  type Alarm,
  type AlarmAckRequest,
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
  stop(): void;
}

export function startAlarmSession(options: AlarmSessionOptions): AlarmSession {
  const { socket } = options;
  const alarms = new Map<number, Alarm>();
  let thresholds: BacklogThresholds = {};
  let loaded = false;
  let stopped = false;

  function snapshot(): RpcEvents['alarms'] {
    const list = [...alarms.values()].sort((a, b) => b.id - a.id).slice(0, ALARM_LIST_LIMIT);
    return { alarms: list, thresholds, loaded };
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
    // Bounded: the oldest go once the list is longer than the server would send.
    if (alarms.size > ALARM_LIST_LIMIT) alarms.delete(Math.min(...alarms.keys()));
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

  function fetchList(): void {
    askServer(socket, 'alarms:list', {}, alarmsListResultSchema, REQUEST_TIMEOUT_MS).then(
      (result) => {
        if (stopped) return;
        alarms.clear();
        for (const alarm of result.alarms) merge(alarm);
        thresholds = result.thresholds;
        loaded = true;
        announce();
      },
      (error: unknown) => options.log?.(`alarms: the list could not be fetched (${error instanceof Error ? error.message : String(error)})`),
    );
  }

  socket.on('alarms:alarm', onAlarm);
  socket.on('alarms:thresholds', onThresholds);
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
    stop() {
      if (stopped) return;
      stopped = true;
      if (announcing) clearImmediate(announcing);
      announcing = null;
      socket.off('alarms:alarm', onAlarm);
      socket.off('alarms:thresholds', onThresholds);
      socket.off('connect', fetchList);
    },
  };
}
