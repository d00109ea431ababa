/**
 * Administration on the workstation (shared/admin.ts): the admin view's requests go to the
 * server over the session's socket and every answer is parsed before it is trusted. Nothing
 * is cached or queued: users and policies are the server's, so offline these fail `offline`.
 * The server decides who may (leads read, admins write); its `forbidden` reaches the renderer
 * as an RpcError, and an admin's refusals (`last_admin`, …) come back as results to localise.
 */
import type { z } from 'zod';
import {
  adminAuditResultSchema,
  adminUserResultSchema,
  adminUsersResultSchema,
  channelRegistryResultSchema,
  channelSetResultSchema,
  customerVipSetResultSchema,
  policiesResultSchema,
  reportCredentialCreateResultSchema,
  reportCredentialRevokeResultSchema,
  reportCredentialsResultSchema,
} from '../../../shared/admin.js';
import type { RpcResults, rpcParamSchemas } from '../../../shared/rpc.js';
import { askServer } from '../askServer.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

export const ADMIN_METHODS = [
  'admin.users',
  'admin.audit',
  'admin.policies',
  'admin.createUser',
  'admin.updateUser',
  'admin.setActive',
  'admin.resetPassword',
  'admin.setCapacity',
  'admin.setPolicies',
  'admin.channels',
  'admin.setChannel',
  'admin.setCustomerVip',
  'admin.reportCredentials',
  'admin.createReportCredential',
  'admin.revokeReportCredential',
] as const;
export type AdminMethod = (typeof ADMIN_METHODS)[number];

export type AdminHandlers = {
  [M in AdminMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]>;
};

/** How long an admin request waits for the server (a deactivation re-routes the user's tickets first). */
export const ADMIN_REQUEST_TIMEOUT_MS = 15_000;

/** `current()` throws `not_signed_in` when nobody is; `socket` is null while the session has none (signed in offline). */
export function createAdminHandlers(options: { current(): { socket: WorkstationSocket | null; online: boolean } }): AdminHandlers {
  async function request<S extends z.ZodType>(event: string, payload: unknown, resultSchema: S): Promise<z.output<S>> {
    const { socket, online } = options.current();
    if (!socket || !online || !socket.connected) {
      throw new RpcError('offline', 'You are offline: users and policies are managed on the server and can be changed once the connection is back.');
    }
    return askServer(socket, event, payload, resultSchema, ADMIN_REQUEST_TIMEOUT_MS);
  }

  return {
    'admin.users': async () => (await request('admin:users', {}, adminUsersResultSchema)).users,
    'admin.audit': async (params) => (await request('admin:audit', params, adminAuditResultSchema)).entries,
    'admin.policies': () => request('admin:policies', {}, policiesResultSchema),
    'admin.createUser': (params) => request('admin:createUser', params, adminUserResultSchema),
    'admin.updateUser': (params) => request('admin:updateUser', params, adminUserResultSchema),
    'admin.setActive': (params) => request('admin:setActive', params, adminUserResultSchema),
    'admin.resetPassword': (params) => request('admin:resetPassword', params, adminUserResultSchema),
    'admin.setCapacity': (params) => request('admin:setCapacity', params, adminUserResultSchema),
    'admin.setPolicies': (params) => request('admin:setPolicies', params, policiesResultSchema),
    'admin.channels': () => request('admin:channels', {}, channelRegistryResultSchema),
    'admin.setChannel': (params) => request('admin:setChannel', params, channelSetResultSchema),
    'admin.setCustomerVip': (params) => request('admin:setCustomerVip', params, customerVipSetResultSchema),
    'admin.reportCredentials': async () => (await request('admin:reportCredentials', {}, reportCredentialsResultSchema)).credentials,
    // The secret passes through once, to the renderer that shows it; the core keeps nothing.
    'admin.createReportCredential': (params) => request('admin:createReportCredential', params, reportCredentialCreateResultSchema),
    'admin.revokeReportCredential': (params) => request('admin:revokeReportCredential', params, reportCredentialRevokeResultSchema),
  };
}
