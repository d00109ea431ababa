import { useSyncExternalStore } from 'react';
import { serverTimeOf } from '../serverClock.js';
import { useAppStore } from '../store/react.js';

/**
 * One shared one-second clock for every SLA countdown on screen, so a hundred rows cost
 * one timer, and all of them tick together.
 */
const subscribers = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
let now = Date.now();

function subscribe(onTick: () => void): () => void {
  subscribers.add(onTick);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const tick of subscribers) tick();
    }, 1000);
  }
  return () => {
    subscribers.delete(onTick);
    if (subscribers.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

function snapshot(): number {
  return now;
}

/**
 * The server's time, updated every second while any component uses it: this workstation's
 * clock plus the offset the core measured. Every deadline on screen (SLA, offers, wrap-up,
 * escalation) is the server's, and the core's overdue filter judges them by the same clock,
 * so a badge never says "due in 5 min" on a ticket the filter already lists as overdue.
 */
export function useNow(): number {
  const local = useSyncExternalStore(subscribe, snapshot, snapshot);
  const offsetMs = useAppStore((s) => s.connection.serverClockOffsetMs);
  return serverTimeOf(offsetMs, local);
}
