/**
 * Administration over the sync socket (shared/admin.ts): leads and admins read the users, the
 * policies and the admin audit; only admins write (everyone else gets `forbidden`, checked
 * here on the server whatever the client shows), and every write spends the admin's
 * `adminWritesPerUser` budget, refused ones too. After a committed change:
 * - routing hears it through the RoutingPort (on a cluster it goes to the routing leader), so
 *   skills, role, deactivation and capacity take effect at once, never from a follower's cache;
 * - a deactivated user's or reset password's sockets are ended (`session:ended`, on every node
 *   through the token rooms), their tokens having been deleted in the same transaction;
 * - the leads' and admins' sockets are told `admin:changed`, so an open admin view fetches again.
 * Every signed-in socket (agents too) is told the organisation's time zone (`org:settings`) when
 * it connects and, on every node, whenever an admin saves the policies.
 */
import {
  adminAuditRequestSchema,
  adminCreateUserRequestSchema,
  adminResetPasswordRequestSchema,
  adminSetActiveRequestSchema,
  adminSetCapacityRequestSchema,
  adminUpdateUserRequestSchema,
  channelSetRequestSchema,
  customerVipSetRequestSchema,
  policiesSetRequestSchema,
  reportCredentialCreateRequestSchema,
  reportCredentialRevokeRequestSchema,
  type AdminUserResult,
} from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import type { OrgSettings } from '../shared/timeZone.js';
import { z } from 'zod';
import type { AdminWrite } from './adminStore.js';
import type { SyncServer } from './liveHub.js';
import type { RateLimiters } from './rateLimits.js';
import type { RoutingPort } from './routing/port.js';
import type { SessionEnds } from './sessions.js';
import type { ServerStore } from './store.js';
import { handle, SyncRefusal } from './sync.js';

export interface AdminSocketDependencies {
  store: ServerStore;
  routing: RoutingPort;
  sessions: Pick<SessionEnds, 'endToken'>;
  rateLimits: RateLimiters;
  now: () => number;
  log: (line: string) => void;
}

/** Every lead's and admin's sockets: the readers of the admin view. */
export const ADMIN_READERS_ROOM = 'admin:readers';

const emptyRequestSchema = z.object({}).strict();

/** Wires the admin requests into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachAdmin(io: SyncServer, deps: AdminSocketDependencies): void {
  const { store, routing } = deps;

  function changed(): void {
    io.to(ADMIN_READERS_ROOM).emit('admin:changed', {});
  }

  /** Ends the sockets of revoked tokens, tells routing, and announces the change; a refusal changes nothing. */
  async function afterWrite(actor: User, write: AdminWrite, routingSeesIt: boolean): Promise<AdminUserResult> {
    const { result } = write;
    if (!result.ok) return result;
    for (const tokenHash of write.revokedTokenHashes) deps.sessions.endToken(tokenHash, 'revoked');
    if (routingSeesIt) await routing.userChanged(result.user.id, actor.displayName || actor.username);
    changed();
    return result;
  }

  /** The organisation's settings every workstation shows times in, from the stored policies. */
  async function orgSettings(): Promise<OrgSettings> {
    return { timeZone: (await store.admin.getPolicies()).policies.timeZone };
  }

  io.on('connection', (socket) => {
    const { user } = socket.data;
    if (user.role !== 'agent') void socket.join(ADMIN_READERS_ROOM);
    orgSettings().then(
      (settings) => socket.emit('org:settings', settings),
      (error: unknown) => deps.log(`admin: could not read the organisation's settings for ${user.username}: ${String(error)}`),
    );

    function requireReader(): void {
      if (user.role === 'agent') throw new SyncRefusal('forbidden', 'Administration is for shift leads and administrators.');
    }

    /** Admins only, and within the admin's write budget (spent by refused writes too). */
    async function requireWriter(): Promise<void> {
      if (user.role !== 'admin') throw new SyncRefusal('forbidden', 'Only administrators change users, policies, channels, VIP tiers and report credentials.');
      const verdict = await deps.rateLimits.adminWritesPerUser.consume(user.id);
      if (!verdict.ok) {
        if (verdict.firstRefusal) deps.log(`admin: ${user.username} is over the admin write limit`);
        throw new SyncRefusal('rate_limited', `Too many administrative changes; try again in ${String(Math.ceil(verdict.retryAfterMs / 1000))} s.`);
      }
    }

    handle(socket, deps, 'admin:users', emptyRequestSchema, async () => {
      requireReader();
      return { users: await store.admin.listUsers() };
    });

    handle(socket, deps, 'admin:audit', adminAuditRequestSchema, async (request) => {
      requireReader();
      return { entries: await store.admin.listAudit(request.userId) };
    });

    handle(socket, deps, 'admin:policies', emptyRequestSchema, async () => {
      requireReader();
      return store.admin.getPolicies();
    });

    handle(
      socket,
      deps,
      'admin:createUser',
      adminCreateUserRequestSchema,
      async ({ username, password, ...skills }) => {
        await requireWriter();
        const write = await store.admin.createUser(user, { username, password, ...skills }, deps.now());
        if (write.result.ok) deps.log(`admin: ${user.username} created user ${username} (${skills.role})`);
        return afterWrite(user, write, false);
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:updateUser',
      adminUpdateUserRequestSchema,
      async ({ userId, skills }) => {
        await requireWriter();
        return afterWrite(user, await store.admin.updateUser(user, userId, skills, deps.now()), true);
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:setActive',
      adminSetActiveRequestSchema,
      async ({ userId, active }) => {
        await requireWriter();
        const write = await store.admin.setActive(user, userId, active, deps.now());
        if (write.result.ok) deps.log(`admin: ${user.username} ${active ? 'reactivated' : 'deactivated'} ${write.result.user.username}`);
        return afterWrite(user, write, true);
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:resetPassword',
      adminResetPasswordRequestSchema,
      async ({ userId, password }) => {
        await requireWriter();
        const write = await store.admin.resetPassword(user, userId, password, deps.now());
        if (write.result.ok) deps.log(`admin: ${user.username} reset the password of ${write.result.user.username}`);
        return afterWrite(user, write, false);
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:setCapacity',
      adminSetCapacityRequestSchema,
      async ({ userId, capacity }): Promise<AdminUserResult> => {
        await requireWriter();
        const before = await store.admin.getUser(userId);
        if (!before) return { ok: false, refusal: 'not_found', message: `No user ${userId}.` };
        // Capacity lives with presence in routing's settings: the routing leader writes it.
        await routing.setCapacity(userId, capacity, undefined);
        await store.admin.auditCapacity(user, userId, before.capacity, capacity, deps.now());
        changed();
        return { ok: true, user: (await store.admin.getUser(userId))! };
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:setPolicies',
      policiesSetRequestSchema,
      async ({ policies }) => {
        await requireWriter();
        const result = await store.admin.setPolicies(user, policies, deps.now());
        deps.log(`admin: ${user.username} changed the policies`);
        // The offer timeout is the routing leader's to apply; SLA targets are read by each new ticket.
        await routing.policiesChanged();
        changed();
        // Every socket on every node (the adapter carries it): agents' workstations show times in the new zone.
        io.emit('org:settings', { timeZone: result.policies.timeZone });
        return result;
      },
      { logRefusals: true },
    );

    handle(socket, deps, 'admin:channels', emptyRequestSchema, async () => {
      requireReader();
      return store.admin.getChannels();
    });

    handle(
      socket,
      deps,
      'admin:setChannel',
      channelSetRequestSchema,
      async ({ channel, settings }) => {
        await requireWriter();
        // Every node reads the registry from the database at each contact, so nothing else needs telling.
        const result = await store.admin.setChannel(user, channel, settings, deps.now());
        if (result.ok) {
          deps.log(
            `admin: ${user.username} changed the ${channel} channel (${settings.enabled ? 'on' : 'OFF'}, ${settings.hours.alwaysOpen ? 'around the clock' : 'business hours'})`,
          );
          changed();
        }
        return result;
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:setCustomerVip',
      customerVipSetRequestSchema,
      async ({ customerId, vipTier }) => {
        await requireWriter();
        // The store announces the customer (workstations) and their open tickets (routing) in the same transaction.
        const result = await store.admin.setCustomerVip(user, customerId, vipTier, deps.now());
        if (result.ok) {
          deps.log(`admin: ${user.username} set the VIP tier of ${customerId} to ${String(vipTier)}`);
          changed();
        }
        return result;
      },
      { logRefusals: true },
    );

    handle(socket, deps, 'admin:reportCredentials', emptyRequestSchema, async () => {
      requireReader();
      return { credentials: await store.reportCredentials.list() };
    });

    handle(
      socket,
      deps,
      'admin:createReportCredential',
      reportCredentialCreateRequestSchema,
      async ({ name }) => {
        await requireWriter();
        const result = await store.reportCredentials.create(user, name, deps.now());
        if (result.ok) {
          // The name only: the secret is in the answer to this admin and nowhere else.
          deps.log(`admin: ${user.username} created report credential ${JSON.stringify(name)} (${result.credential.id})`);
          changed();
        }
        return result;
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'admin:revokeReportCredential',
      reportCredentialRevokeRequestSchema,
      async ({ id }) => {
        await requireWriter();
        // The row is what every node reads on every report request: nothing else needs telling.
        const result = await store.reportCredentials.revoke(user, id, deps.now());
        if (result.ok) {
          deps.log(`admin: ${user.username} revoked report credential ${id}`);
          changed();
        }
        return result;
      },
      { logRefusals: true },
    );
  });
}
