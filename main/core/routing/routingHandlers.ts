/**
 * The routing RPC methods of shared/rpc.ts, as handlers the core's `invoke` dispatches to.
 * Params arrive already validated with the shared schemas; the session's routing half does
 * the talking to the server.
 */
import type { z } from 'zod';
import type { RpcResults, rpcParamSchemas } from '../../../shared/rpc.js';
import { RpcError } from '../errors.js';
import type { RoutingSession } from './routingSession.js';

export const ROUTING_METHODS = [
  'presence.get',
  'presence.set',
  'offer.list',
  'offer.respond',
  'ticket.audit',
  'ticket.transferTargets',
  'lead.bulkTargets',
  'lead.agents',
  'lead.reassign',
  'lead.pin',
  'lead.setPresence',
  'lead.setCapacity',
] as const;
export type RoutingMethod = (typeof ROUTING_METHODS)[number];

export type RoutingHandlers = {
  [M in RoutingMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]> | RpcResults[M];
};

/**
 * `current()` returns the signed-in session's routing half (throwing `not_signed_in` when
 * nobody is signed in), or null while the session has no connection to the server yet
 * (signed in offline): then only the read-only methods answer, the others fail `offline`.
 */
export function createRoutingHandlers(current: () => RoutingSession | null): RoutingHandlers {
  function online(): RoutingSession {
    const routing = current();
    if (!routing) throw new RpcError('offline', 'This needs a connection to the server; the workstation is offline.');
    return routing;
  }
  return {
    'presence.get': () => ({ presence: current()?.presence() ?? null }),
    'presence.set': (params) => online().setPresence(params),
    'offer.list': () => ({ offers: current()?.offers() ?? [] }),
    'offer.respond': (params) => online().respondToOffer(params),
    'ticket.audit': ({ ticketId }) => online().audit(ticketId),
    'ticket.transferTargets': ({ ticketId }) => online().transferTargets(ticketId),
    'lead.bulkTargets': ({ ticketIds }) => online().bulkTargets(ticketIds),
    'lead.agents': () => online().agents(),
    'lead.reassign': (params) => online().reassign(params),
    'lead.pin': (params) => online().pin(params),
    'lead.setPresence': (params) => online().setAgentPresence(params),
    'lead.setCapacity': (params) => online().setAgentCapacity(params),
  };
}
