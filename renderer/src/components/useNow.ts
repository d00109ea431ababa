import { useSyncExternalStore } from 'react';

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

/** The local clock, updated every second while any component uses it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, snapshot);
}
