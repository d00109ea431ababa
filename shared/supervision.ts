/**
 * Which socket events are the supervisors' (issue 11): every `lead:`, `admin:` and `board:`
 * event of ClientToServerEvents, and the alarms' lead actions. The server refuses them to an
 * agent before anything else (server/sync.ts `handle`, which also refuses to register an event
 * of these prefixes that is not classified here), and server/rbac.security.test.ts asks every
 * one of them as an agent. A new event of these prefixes does not compile until it is listed.
 */
import type { ClientToServerEvents } from './sync.js';

/** The event names that must be classified: derived from the event map, never written by hand. */
export type SupervisoryEvent =
  Extract<keyof ClientToServerEvents, `lead:${string}` | `admin:${string}` | `board:${string}`> | 'alarms:ack' | 'alarms:decide' | 'alarms:setThreshold';

/**
 * Who may use each: `supervisor` = leads and admins; `admin` = admins only (their handlers refuse
 * leads; leads may read the administration, not change it).
 */
export const SUPERVISORY_EVENTS = {
  'lead:agents': 'supervisor',
  'lead:reassign': 'supervisor',
  'lead:pin': 'supervisor',
  'lead:setPresence': 'supervisor',
  'lead:setCapacity': 'supervisor',
  'board:get': 'supervisor',
  'alarms:ack': 'supervisor',
  'alarms:decide': 'supervisor',
  'alarms:setThreshold': 'supervisor',
  'admin:users': 'supervisor',
  'admin:audit': 'supervisor',
  'admin:policies': 'supervisor',
  'admin:channels': 'supervisor',
  'admin:createUser': 'admin',
  'admin:updateUser': 'admin',
  'admin:setActive': 'admin',
  'admin:resetPassword': 'admin',
  'admin:setCapacity': 'admin',
  'admin:setPolicies': 'admin',
  'admin:setChannel': 'admin',
  'admin:setCustomerVip': 'admin',
  'admin:reportCredentials': 'supervisor',
  'admin:createReportCredential': 'admin',
  'admin:revokeReportCredential': 'admin',
} as const satisfies Record<SupervisoryEvent, 'supervisor' | 'admin'>;

/** Prefixes whose events must be in SUPERVISORY_EVENTS (the server checks at registration). */
export const SUPERVISORY_PREFIXES = ['lead:', 'admin:', 'board:'] as const;

/** The supervisors' class of `event`, or null for an event agents may use. */
export function supervisoryClassOf(event: string): 'supervisor' | 'admin' | null {
  return Object.hasOwn(SUPERVISORY_EVENTS, event) ? SUPERVISORY_EVENTS[event as SupervisoryEvent] : null;
}

/** An event the server must not register unclassified: a supervisory prefix without an entry above. */
export function isUnclassifiedSupervisoryEvent(event: string): boolean {
  return SUPERVISORY_PREFIXES.some((prefix) => event.startsWith(prefix)) && supervisoryClassOf(event) === null;
}
