/**
 * Alarms (告警) and escalation approval in the window: the core pushes the list (the `alarms`
 * event, subscribed in appStore.ts, fetched from the server on every connect); leads
 * acknowledge, decide escalation requests and set backlog thresholds; an agent sees their
 * own SLA alarms and escalation requests. A desktop notification is shown once per alarm
 * raised while the window is open (store/notifications.ts). Nothing here decides an alarm:
 * they are the server's (docs/technical/alarms.md).
 */
import type { StateCreator } from 'zustand/vanilla';
import { isAlarmOpen, type Alarm, type AlarmCounts, type BacklogThresholds } from '../../../shared/alarms.js';
import type { Channel } from '../../../shared/domain.js';
import type { AlarmsState, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

export interface AlarmSlice {
  /** Newest first, as the core holds them (every waiting escalation request and open alarm, the newest closed ones, older pages loaded). */
  alarms: Alarm[];
  thresholds: BacklogThresholds;
  /** The server's open counts (null before its list arrived): the badge, whatever the list holds. */
  alarmCounts: AlarmCounts | null;
  /** Whether an older page exists: of every alarm, of the open ones. */
  alarmsHasOlder: boolean;
  alarmsHasOlderOpen: boolean;
  /** A "Load older" under way. */
  alarmsLoadingOlder: boolean;
  /** False until this session's list arrived from the server. */
  alarmsLoaded: boolean;
  /** Why the last alarm action failed. */
  alarmError: UiError | null;
  /** Alarms with an action under way (acknowledge, decide). */
  alarmsBusy: number[];
  /** Tickets whose escalation request was made offline and waits in the outbox. */
  queuedEscalations: string[];
  applyAlarms: (state: AlarmsState) => void;
  loadAlarms: () => Promise<void>;
  /** The next older page (of the open ones only when `open`), added to the list. */
  loadOlderAlarms: (open: boolean) => Promise<boolean>;
  acknowledgeAlarm: (id: number) => Promise<boolean>;
  decideEscalation: (id: number, approve: boolean, reason?: string) => Promise<boolean>;
  setBacklogThreshold: (channel: Channel, threshold: number) => Promise<boolean>;
  /** One click from an alarm to its tickets: the ticket itself, or a backlog's channel in the inbox. */
  openAlarm: (alarm: Alarm) => void;
  dismissAlarmError: () => void;
}

/** The alarm state with nobody signed in. */
export function alarmsSignedOut(): Pick<
  AlarmSlice,
  | 'alarms'
  | 'thresholds'
  | 'alarmCounts'
  | 'alarmsHasOlder'
  | 'alarmsHasOlderOpen'
  | 'alarmsLoadingOlder'
  | 'alarmsLoaded'
  | 'alarmError'
  | 'alarmsBusy'
  | 'queuedEscalations'
> {
  return {
    alarms: [],
    thresholds: {},
    alarmCounts: null,
    alarmsHasOlder: false,
    alarmsHasOlderOpen: false,
    alarmsLoadingOlder: false,
    alarmsLoaded: false,
    alarmError: null,
    alarmsBusy: [],
    queuedEscalations: [],
  };
}

/** How many alarms want someone's attention: the badge on the Alerts view. The server's count when it sent one (the list may hold only part of them). */
export function openAlarmCount(alarms: readonly Alarm[], counts: AlarmCounts | null = null): number {
  return counts ? counts.open : alarms.filter(isAlarmOpen).length;
}

/** The escalation request of a ticket still waiting for a lead (the ticket pane's approve / refuse). */
export function waitingEscalationOf(alarms: readonly Alarm[], ticketId: string): Alarm | null {
  return alarms.find((alarm) => alarm.kind === 'escalation_request' && alarm.ticketId === ticketId && alarm.decision === null) ?? null;
}

/** The newest escalation request of a ticket (the agent's view of where it stands). */
export function escalationRequestOf(alarms: readonly Alarm[], ticketId: string): Alarm | null {
  return alarms.find((alarm) => alarm.kind === 'escalation_request' && alarm.ticketId === ticketId) ?? null;
}

export function createAlarmSlice(api: WorkstationApi): StateCreator<AppState, [], [], AlarmSlice> {
  return (set, get) => {
    async function busy<T>(id: number, run: () => Promise<T>): Promise<T | null> {
      set({ alarmError: null, alarmsBusy: [...get().alarmsBusy, id] });
      try {
        return await run();
      } catch (error) {
        set({ alarmError: toUiError(error) });
        return null;
      } finally {
        set({ alarmsBusy: get().alarmsBusy.filter((busyId) => busyId !== id) });
      }
    }

    function merge(alarm: Alarm): void {
      const alarms = get().alarms;
      set({ alarms: alarms.some((a) => a.id === alarm.id) ? alarms.map((a) => (a.id === alarm.id ? alarm : a)) : [alarm, ...alarms] });
    }

    return {
      ...alarmsSignedOut(),

      applyAlarms(state) {
        set({
          alarms: state.alarms,
          thresholds: state.thresholds,
          alarmsLoaded: state.loaded,
          alarmCounts: state.counts,
          alarmsHasOlder: state.hasOlder,
          alarmsHasOlderOpen: state.hasOlderOpen,
        });
        // A request filed or decided changes which tickets the escalated filter selects.
        if (get().filters.escalated) void get().loadInbox();
      },

      async loadOlderAlarms(open) {
        if (get().alarmsLoadingOlder) return false;
        set({ alarmError: null, alarmsLoadingOlder: true });
        try {
          const state = await api.invoke('alarms.loadOlder', { open });
          if (get().user) get().applyAlarms(state);
          return true;
        } catch (error) {
          set({ alarmError: toUiError(error) });
          return false;
        } finally {
          set({ alarmsLoadingOlder: false });
        }
      },

      async loadAlarms() {
        if (!get().user) return;
        try {
          const state = await api.invoke('alarms.list', {});
          if (get().user) get().applyAlarms(state);
        } catch {
          // The core pushes the list once it has it.
        }
      },

      async acknowledgeAlarm(id) {
        const alarm = await busy(id, () => api.invoke('alarms.ack', { id }));
        if (alarm) merge(alarm);
        return alarm !== null;
      },

      async decideEscalation(id, approve, reason) {
        const text = reason?.trim() ?? '';
        if (!approve && text === '') return false;
        const alarm = await busy(id, () => api.invoke('alarms.decide', approve ? { id, approve: true } : { id, approve: false, reason: text }));
        if (alarm) merge(alarm);
        return alarm !== null;
      },

      async setBacklogThreshold(channel, threshold) {
        set({ alarmError: null });
        try {
          const { thresholds } = await api.invoke('alarms.setThreshold', { channel, threshold });
          set({ thresholds });
          return true;
        } catch (error) {
          set({ alarmError: toUiError(error) });
          return false;
        }
      },

      openAlarm(alarm) {
        get().setView('inbox');
        if (alarm.ticketId) {
          void get().openTicket(alarm.ticketId);
          return;
        }
        if (alarm.channel) get().setChannelFilter(alarm.channel);
      },

      dismissAlarmError: () => set({ alarmError: null }),
    };
  };
}
