/**
 * Administration's repository (migration 016 / PostgreSQL 007, shared/admin.ts): users as the
 * admin view lists them, creating and changing them, deactivating (their tokens go in the
 * same transaction), password resets, the policies document, and the audit row every change
 * writes in its own transaction (who, what, when, before, after). The rules an admin can
 * break (deactivating or demoting oneself, leaving no active admin, a taken username or
 * extension) are decided here, inside the write's transaction, with the active admins' rows
 * locked on PostgreSQL so two admins demoting each other at once cannot both win.
 * Plain SQL through the seam, as in store.ts.
 */
import type { User } from '../shared/domain.js';
import {
  ADMIN_ACTIONS,
  ADMIN_AUDIT_LIMIT,
  DEFAULT_POLICIES,
  policiesSchema,
  type AdminAction,
  type AdminAuditEntry,
  type AdminRefusalCode,
  type AdminUser,
  type AdminUserResult,
  type Policies,
  type PoliciesResult,
  type UserSkills,
  channelSettingsSchema,
  defaultChannelRegistry,
  type ChannelRegistry,
  type ChannelRegistryResult,
  type ChannelSetResult,
  type ChannelSettings,
  type CustomerVipSetResult,
} from '../shared/admin.js';
import { CHANNELS, type Channel } from '../shared/domain.js';
import { DEFAULT_CAPACITY, type Capacity } from '../shared/routing.js';
import { hashPassword, uuidv7 } from './credentials.js';
import type { SqlExecutor } from './db/sql.js';
import { insertUserRow, userFromRow, type UserDirectoryRow } from './userRows.js';

export interface AdminStoreInternals {
  sql: () => SqlExecutor;
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  /** ' FOR UPDATE' on PostgreSQL, '' on SQLite (one writer already). */
  forUpdate: string;
  /**
   * The policies documents this transaction has read, where they cannot change under it but by
   * its own writes (SQLite: one writer); null where each read must go to the table (outside a
   * transaction, PostgreSQL).
   */
  documents?: () => Map<string, PolicyDocumentRow | undefined> | null;
  /**
   * Inside the VIP change's transaction: tells the workstations (a `customer` change) and
   * routing (the customer's open tickets again, so a waiting one is ranked with the new tier).
   */
  customerChanged?: (customerId: string, now: number) => Promise<void>;
  /**
   * Inside the transaction that changed a user's directory entry or (de)activated them: every
   * node drops its copy of the user on commit (server/userCache.ts), so their open sockets act
   * for the user as now stored.
   */
  userChanged?: (userId: string) => Promise<void>;
}

/** A write's outcome: the user as now stored, and the token hashes it revoked (their sockets are ended after the commit). */
export type AdminWrite = { result: AdminUserResult; revokedTokenHashes: string[] };

export interface AdminStore {
  listUsers(): Promise<AdminUser[]>;
  getUser(userId: string): Promise<AdminUser | null>;
  /** Whether the user may sign in and use a token (false for an unknown id). */
  isActive(userId: string): Promise<boolean>;
  createUser(actor: User, input: UserSkills & { username: string; password: string }, now: number): Promise<AdminWrite>;
  updateUser(actor: User, userId: string, skills: UserSkills, now: number): Promise<AdminWrite>;
  setActive(actor: User, userId: string, active: boolean, now: number): Promise<AdminWrite>;
  resetPassword(actor: User, userId: string, password: string, now: number): Promise<AdminWrite>;
  /**
   * Writes one audit row in the caller's transaction when one is open (else its own): for changes
   * made outside this store that must be audited with their write (a lead's capacity or presence
   * in routing, a backlog threshold in the alarms).
   */
  recordAudit(
    actor: { id: string; name: string },
    action: AdminAction,
    target: { id: string | null; name: string } | null,
    before: unknown,
    after: unknown,
    now: number,
  ): Promise<void>;
  /** Audits a capacity change routing made (the capacity lives in agent_settings, written by routing). */
  auditCapacity(actor: User, userId: string, before: Capacity, after: Capacity, now: number): Promise<void>;
  /** Open tickets a user holds (assigned), for putting them back in the queue. */
  openTicketIdsOf(userId: string): Promise<string[]>;
  listAudit(userId: string | undefined): Promise<AdminAuditEntry[]>;
  getPolicies(): Promise<PoliciesResult>;
  setPolicies(actor: User, policies: Policies, now: number): Promise<PoliciesResult>;
  /** The channel registry (owner, hours, auto-reply, volume, customer group, on/off), defaults where never set. */
  getChannels(): Promise<ChannelRegistryResult>;
  /** One channel's entry as stored (or its default): what the ingest reads for every contact. */
  channelSettings(channel: Channel): Promise<ChannelSettings>;
  /** Replaces one channel's entry; audited with that channel's before and after. */
  setChannel(actor: User, channel: Channel, settings: ChannelSettings, now: number): Promise<ChannelSetResult>;
  /** Sets a customer's VIP tier; audited; the workstations and routing hear of it in the same transaction. */
  setCustomerVip(actor: User, customerId: string, vipTier: number, now: number): Promise<CustomerVipSetResult>;
}

interface AdminUserRow extends UserDirectoryRow {
  deactivated_at: number | null;
  capacity_json: string | null;
}

interface AuditRow {
  id: number;
  at: number;
  actor_id: string;
  actor_name: string;
  action: string;
  target_id: string | null;
  target_name: string | null;
  before_json: string | null;
  after_json: string | null;
}

const ADMIN_USER_SELECT = `SELECT u.id, u.username, u.display_name, u.role, u.channels, u.groups_json, u.tier, u.senior, u.languages_json,
  u.extension, u.deactivated_at, s.capacity_json FROM users u LEFT JOIN agent_settings s ON s.user_id = u.id`;

/** A row of the policies table: one JSON document per key. */
export interface PolicyDocumentRow {
  key: string;
  value_json: string;
  updated_at: number;
  updated_by_name: string;
}

/** The one policies document's key. */
const POLICIES_KEY = 'service';
/** The channel registry's key in the same table: one JSON document, one entry per channel. */
const CHANNELS_KEY = 'channels';

function adminUserOf(row: AdminUserRow): AdminUser {
  return {
    ...userFromRow(row),
    active: row.deactivated_at === null,
    deactivatedAt: row.deactivated_at === null ? null : Number(row.deactivated_at),
    capacity: { ...DEFAULT_CAPACITY, ...(row.capacity_json ? (JSON.parse(row.capacity_json) as Partial<Capacity>) : {}) },
  };
}

/** What the audit keeps of a user: the directory fields, never the password. */
function auditedUser(user: AdminUser): Record<string, unknown> {
  const { id: _id, capacity: _capacity, deactivatedAt: _deactivatedAt, ...rest } = user;
  return rest;
}

function refused(refusal: AdminRefusalCode, message: string): AdminWrite {
  return { result: { ok: false, refusal, message }, revokedTokenHashes: [] };
}

/**
 * `parse(raw)` remembered for the last `raw` seen, deeply frozen because every caller shares it.
 * The policies and the channel registry are read (and were parsed with zod) for every inbound
 * contact, yet change only when an administrator saves them: the row is still read each time,
 * so a change made on any node is seen at once, but an unchanged document is not parsed again.
 */
function lastParsed<T extends object>(parse: (raw: string) => T): (raw: string) => T {
  let last: { raw: string; value: T } | null = null;
  return (raw) => {
    if (last?.raw !== raw) last = { raw, value: deepFreeze(parse(raw)) };
    return last.value;
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export function createAdminStore(internals: AdminStoreInternals): AdminStore {
  const { sql, transaction, forUpdate } = internals;
  // A document written by a newer server (more fields) or damaged by hand falls back to the defaults field by field.
  const parsedPolicies = lastParsed((raw): Policies => {
    const parsed = policiesSchema.safeParse({ ...DEFAULT_POLICIES, ...(JSON.parse(raw) as object) });
    return parsed.success ? parsed.data : { ...DEFAULT_POLICIES };
  });
  /** The stored registry, channel by channel: an entry missing or failing the schema (hand-edited, newer server) is that channel's default. */
  const parsedRegistry = lastParsed((raw): ChannelRegistry => {
    const registry = defaultChannelRegistry();
    const stored = JSON.parse(raw) as Partial<Record<Channel, unknown>>;
    for (const channel of CHANNELS) {
      const parsed = channelSettingsSchema.safeParse(stored[channel]);
      if (parsed.success) registry[channel] = parsed.data;
    }
    return registry;
  });
  const defaultRegistry = deepFreeze(defaultChannelRegistry());

  async function getUser(userId: string): Promise<AdminUser | null> {
    const row = await sql().get<AdminUserRow>(`${ADMIN_USER_SELECT} WHERE u.id = ?`, [userId]);
    return row ? adminUserOf(row) : null;
  }

  async function audit(actor: User, action: AdminAction, target: { id: string | null; name: string } | null, before: unknown, after: unknown, now: number) {
    await auditAs({ id: actor.id, name: actor.displayName || actor.username }, action, target, before, after, now);
  }

  async function auditAs(
    actor: { id: string; name: string },
    action: AdminAction,
    target: { id: string | null; name: string } | null,
    before: unknown,
    after: unknown,
    now: number,
  ) {
    await sql().run(
      'INSERT INTO admin_audit (at, actor_id, actor_name, action, target_id, target_name, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        now,
        actor.id,
        actor.name,
        action,
        target?.id ?? null,
        target?.name ?? null,
        before === null ? null : JSON.stringify(before),
        after === null ? null : JSON.stringify(after),
      ],
    );
  }

  /** The active admins, their rows locked until the transaction ends (PostgreSQL). */
  async function activeAdminIds(): Promise<string[]> {
    const rows = await sql().all<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL ORDER BY id${forUpdate}`);
    return rows.map((row) => row.id);
  }

  /** Deletes every user token of the user and says which (their sockets are ended after the commit). */
  async function revokeTokens(userId: string): Promise<string[]> {
    const rows = await sql().all<{ token_hash: string }>("SELECT token_hash FROM tokens WHERE user_id = ? AND kind = 'user'", [userId]);
    await sql().run("DELETE FROM tokens WHERE user_id = ? AND kind = 'user'", [userId]);
    return rows.map((row) => row.token_hash);
  }

  async function extensionTaken(extension: string | null, exceptUserId: string | null): Promise<boolean> {
    if (extension === null) return false;
    const row = await sql().get<{ id: string }>('SELECT id FROM users WHERE extension = ? AND id <> ?', [extension, exceptUserId ?? '']);
    return row !== undefined;
  }

  /**
   * A policies document as this transaction sees it. An inbound contact reads both (its channel's
   * settings, then the SLA policies): where the transaction may keep them, one statement reads
   * both, and a batch of contacts reads them once.
   */
  async function readDocument(key: string, lock: boolean): Promise<PolicyDocumentRow | undefined> {
    const documents = lock ? null : (internals.documents?.() ?? null);
    if (!documents)
      return sql().get<PolicyDocumentRow>(`SELECT key, value_json, updated_at, updated_by_name FROM policies WHERE key = ?${lock ? forUpdate : ''}`, [key]);
    if (!documents.has(key)) {
      const rows = await sql().all<PolicyDocumentRow>('SELECT key, value_json, updated_at, updated_by_name FROM policies WHERE key IN (?, ?)', [
        POLICIES_KEY,
        CHANNELS_KEY,
      ]);
      for (const documentKey of [POLICIES_KEY, CHANNELS_KEY])
        documents.set(
          documentKey,
          rows.find((row) => row.key === documentKey),
        );
    }
    return documents.get(key);
  }

  /** After this transaction writes a document: what it kept is stale. */
  function documentsWritten(): void {
    internals.documents?.()?.clear();
  }

  async function readPolicies(): Promise<PoliciesResult> {
    const row = await readDocument(POLICIES_KEY, false);
    if (!row) return { policies: { ...DEFAULT_POLICIES }, updatedAt: null, updatedByName: null };
    return { policies: parsedPolicies(row.value_json), updatedAt: Number(row.updated_at), updatedByName: row.updated_by_name };
  }

  async function readChannels(lock: boolean): Promise<{ registry: ChannelRegistry; updatedAt: number | null; updatedByName: string | null }> {
    const row = await readDocument(CHANNELS_KEY, lock);
    // A fresh registry object each time (callers replace entries in it); the entries themselves are shared and frozen.
    if (!row) return { registry: { ...defaultRegistry }, updatedAt: null, updatedByName: null };
    return { registry: { ...parsedRegistry(row.value_json) }, updatedAt: Number(row.updated_at), updatedByName: row.updated_by_name };
  }

  async function channelsResult(): Promise<ChannelRegistryResult> {
    const { registry, updatedAt, updatedByName } = await readChannels(false);
    const ownerIds = [...new Set(CHANNELS.map((c) => registry[c].ownerId).filter((id): id is string => id !== null))];
    const names = new Map<string, string>();
    if (ownerIds.length > 0) {
      const rows = await sql().all<{ id: string; display_name: string }>(
        `SELECT id, display_name FROM users WHERE id IN (${ownerIds.map(() => '?').join(', ')})`,
        ownerIds,
      );
      for (const row of rows) names.set(row.id, row.display_name);
    }
    const ownerName = (channel: Channel) => {
      const id = registry[channel].ownerId;
      return id === null ? null : (names.get(id) ?? null);
    };
    return {
      channels: registry,
      ownerNames: { phone: ownerName('phone'), chat: ownerName('chat'), social: ownerName('social'), email: ownerName('email') },
      updatedAt,
      updatedByName,
    };
  }

  return {
    async listUsers() {
      return (await sql().all<AdminUserRow>(`${ADMIN_USER_SELECT} ORDER BY u.username`)).map(adminUserOf);
    },

    getUser,

    async isActive(userId) {
      const row = await sql().get<{ deactivated_at: number | null }>('SELECT deactivated_at FROM users WHERE id = ?', [userId]);
      return row !== undefined && row.deactivated_at === null;
    },

    createUser(actor, input, now) {
      return transaction(async () => {
        const taken = await sql().get<{ id: string }>('SELECT id FROM users WHERE lower(username) = lower(?)', [input.username]);
        if (taken) return refused('username_taken', `The username ${input.username} is taken.`);
        if (await extensionTaken(input.extension, null)) return refused('extension_taken', `Extension ${String(input.extension)} belongs to another user.`);
        const id = `u_${uuidv7(now).replace(/-/g, '')}`;
        const { password, ...skills } = input;
        await insertUserRow(sql(), { id, ...skills }, hashPassword(password), now);
        const user = (await getUser(id))!;
        await audit(actor, 'user_created', { id, name: user.displayName }, null, auditedUser(user), now);
        return { result: { ok: true, user }, revokedTokenHashes: [] };
      });
    },

    updateUser(actor, userId, skills, now) {
      return transaction(async () => {
        const admins = await activeAdminIds();
        const before = await getUser(userId);
        if (!before) return refused('not_found', `No user ${userId}.`);
        if (before.role === 'admin' && skills.role !== 'admin') {
          if (userId === actor.id) return refused('self_demotion', 'You cannot take away your own admin role.');
          if (before.active && admins.length <= 1) return refused('last_admin', 'This is the last active admin.');
        }
        if (await extensionTaken(skills.extension, userId)) return refused('extension_taken', `Extension ${String(skills.extension)} belongs to another user.`);
        await sql().run(
          'UPDATE users SET display_name = ?, role = ?, channels = ?, groups_json = ?, tier = ?, senior = ?, languages_json = ?, extension = ? WHERE id = ?',
          [
            skills.displayName,
            skills.role,
            JSON.stringify(skills.channels),
            JSON.stringify(skills.groups),
            skills.tier,
            skills.senior ? 1 : 0,
            JSON.stringify(skills.languages),
            skills.extension,
            userId,
          ],
        );
        const after = (await getUser(userId))!;
        await internals.userChanged?.(userId);
        await audit(actor, 'user_updated', { id: userId, name: after.displayName }, auditedUser(before), auditedUser(after), now);
        // A socket keeps the role it signed in as (its rooms, what it is sent unmasked): a new role
        // applies at once only by ending their sessions. New skills reach routing at once
        // (RoutingPort.userChanged) and their open sockets on every node on commit (internals.userChanged).
        const rightsChanged = before.role !== after.role;
        return { result: { ok: true, user: after }, revokedTokenHashes: rightsChanged ? await revokeTokens(userId) : [] };
      });
    },

    setActive(actor, userId, active, now) {
      return transaction(async () => {
        const admins = await activeAdminIds();
        const before = await getUser(userId);
        if (!before) return refused('not_found', `No user ${userId}.`);
        if (before.active === active) return { result: { ok: true, user: before }, revokedTokenHashes: [] };
        if (!active) {
          if (userId === actor.id) return refused('self_deactivation', 'You cannot deactivate yourself.');
          if (before.role === 'admin' && admins.length <= 1) return refused('last_admin', 'This is the last active admin.');
        }
        await sql().run('UPDATE users SET deactivated_at = ? WHERE id = ?', [active ? null : now, userId]);
        const revokedTokenHashes = active ? [] : await revokeTokens(userId);
        await internals.userChanged?.(userId);
        const after = (await getUser(userId))!;
        await audit(
          actor,
          active ? 'user_reactivated' : 'user_deactivated',
          { id: userId, name: after.displayName },
          { active: before.active },
          { active },
          now,
        );
        return { result: { ok: true, user: after }, revokedTokenHashes };
      });
    },

    resetPassword(actor, userId, password, now) {
      return transaction(async () => {
        const before = await getUser(userId);
        if (!before) return refused('not_found', `No user ${userId}.`);
        await sql().run('UPDATE users SET password_hash = ? WHERE id = ?', [hashPassword(password), userId]);
        const revokedTokenHashes = await revokeTokens(userId);
        // The workstations that knew the old password (perhaps whoever made the reset necessary) lose their own failure budget.
        await sql().run('DELETE FROM sign_in_devices WHERE user_id = ?', [userId]);
        // Heard on every node on commit, as a deactivation is: a socket still in its handshake
        // with one of the tokens just revoked looks it up again and is refused (server/sync.ts).
        await internals.userChanged?.(userId);
        // Who and when only: the audit never holds a password or its hash.
        await audit(actor, 'password_reset', { id: userId, name: before.displayName }, null, { sessionsEnded: revokedTokenHashes.length }, now);
        return { result: { ok: true, user: before }, revokedTokenHashes };
      });
    },

    async recordAudit(actor, action, target, before, after, now) {
      await transaction(() => auditAs(actor, action, target, before, after, now));
    },

    async auditCapacity(actor, userId, before, after, now) {
      const user = await getUser(userId);
      await transaction(() => audit(actor, 'capacity_set', { id: userId, name: user?.displayName ?? userId }, before, after, now));
    },

    async openTicketIdsOf(userId) {
      const rows = await sql().all<{ id: string }>(
        "SELECT id FROM tickets WHERE assignee_id = ? AND status IN ('unassigned', 'in_progress', 'awaiting_customer') ORDER BY id",
        [userId],
      );
      return rows.map((row) => row.id);
    },

    async listAudit(userId) {
      const rows = await sql().all<AuditRow>(
        `SELECT id, at, actor_id, actor_name, action, target_id, target_name, before_json, after_json FROM admin_audit
         ${userId ? 'WHERE target_id = ?' : ''} ORDER BY id DESC LIMIT ${String(ADMIN_AUDIT_LIMIT)}`,
        userId ? [userId] : [],
      );
      return rows.map((row) => ({
        id: Number(row.id),
        at: Number(row.at),
        actorId: row.actor_id,
        actorName: row.actor_name,
        action: (ADMIN_ACTIONS as readonly string[]).includes(row.action) ? (row.action as AdminAction) : 'user_updated',
        targetId: row.target_id,
        targetName: row.target_name,
        before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
        after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
      }));
    },

    getPolicies: readPolicies,

    setPolicies(actor, policies, now) {
      return transaction(async () => {
        const before = await readPolicies();
        const name = actor.displayName || actor.username;
        await sql().run(
          `INSERT INTO policies (key, value_json, updated_at, updated_by_name) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at, updated_by_name = excluded.updated_by_name`,
          [POLICIES_KEY, JSON.stringify(policies), now, name],
        );
        documentsWritten();
        await audit(actor, 'policies_set', null, before.policies, policies, now);
        return { policies, updatedAt: now, updatedByName: name };
      });
    },

    getChannels: channelsResult,

    async channelSettings(channel) {
      return (await readChannels(false)).registry[channel];
    },

    async setChannel(actor, channel, settings, now) {
      const written = await transaction(async (): Promise<ChannelSetResult | null> => {
        if (settings.ownerId !== null) {
          const owner = await sql().get<{ id: string }>("SELECT id FROM users WHERE id = ? AND role IN ('lead', 'admin') AND deactivated_at IS NULL", [
            settings.ownerId,
          ]);
          if (!owner) return { ok: false, refusal: 'owner_not_found', message: `No active shift lead or administrator ${settings.ownerId}.` };
        }
        const name = actor.displayName || actor.username;
        // The document exists before it is locked, so two admins changing two channels at once both keep their change.
        await sql().run('INSERT INTO policies (key, value_json, updated_at, updated_by_name) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING', [
          CHANNELS_KEY,
          JSON.stringify(defaultChannelRegistry()),
          now,
          name,
        ]);
        documentsWritten();
        const { registry } = await readChannels(true);
        const before = registry[channel];
        const after: ChannelRegistry = { ...registry, [channel]: settings };
        await sql().run('UPDATE policies SET value_json = ?, updated_at = ?, updated_by_name = ? WHERE key = ?', [
          JSON.stringify(after),
          now,
          name,
          CHANNELS_KEY,
        ]);
        documentsWritten();
        await audit(actor, 'channel_set', null, { channel, ...before }, { channel, ...settings }, now);
        return null;
      });
      return written ?? { ok: true, registry: await channelsResult() };
    },

    setCustomerVip(actor, customerId, vipTier, now) {
      return transaction(async (): Promise<CustomerVipSetResult> => {
        const row = await sql().get<{ name: string; vip_tier: number; merged_into: string | null }>(
          `SELECT name, vip_tier, merged_into FROM customers WHERE id = ?${forUpdate}`,
          [customerId],
        );
        if (!row) return { ok: false, refusal: 'not_found', message: `No customer ${customerId}.` };
        if (row.merged_into !== null)
          return { ok: false, refusal: 'not_found', message: `Customer ${customerId} was merged into ${row.merged_into}; set the tier there.` };
        const before = Number(row.vip_tier);
        if (before !== vipTier) {
          await sql().run('UPDATE customers SET vip_tier = ? WHERE id = ?', [vipTier, customerId]);
          // admin_audit.target_id names users; a customer is named in target_name and in before/after.
          await audit(
            actor,
            'customer_vip_set',
            { id: null, name: `${row.name} (${customerId})` },
            { customerId, vipTier: before },
            { customerId, vipTier },
            now,
          );
          await internals.customerChanged?.(customerId, now);
        }
        return { ok: true, customerId, vipTier };
      });
    },
  };
}
