/**
 * The Admin view's state (shared/admin.ts): users, policies and the selected user's history
 * as last loaded from the server through the core, and the writes an admin makes. A write's
 * refusal (`last_admin`, …) is kept as its code for the view to say in the UI's language;
 * after every accepted write the users (or policies) are loaded again. Leads load the same
 * data read-only; the server refuses their writes anyway.
 */
import type { StateCreator } from 'zustand/vanilla';
import type {
  AdminAuditEntry,
  AdminCreateUserRequest,
  AdminRefusalCode,
  AdminUser,
  AdminUserResult,
  ChannelRegistryResult,
  ChannelSettings,
  Policies,
  PoliciesResult,
  ReportCredential,
  UserSkills,
} from '../../../shared/admin.js';
import type { Channel } from '../../../shared/domain.js';
import type { Capacity } from '../../../shared/routing.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** What the view says after a write: a success sentence (a message key and its values) or a refusal's code. */
export type AdminOutcome =
  | {
      kind: 'done';
      key: 'admin.created' | 'admin.saved' | 'admin.deactivated' | 'admin.reactivated' | 'admin.passwordReset' | 'hours.channelSaved' | 'hours.vipSaved';
      name: string;
    }
  | { kind: 'refused'; refusal: AdminRefusalCode | 'owner_not_found' | 'customer_not_found' };

/** A report credential just created: its secret, held in memory only until the admin dismisses it. */
export interface NewReportSecret {
  name: string;
  secret: string;
}

/** What the report-credential section says after a write. */
export type ReportCredentialOutcome = { kind: 'revoked'; name: string } | { kind: 'refused'; refusal: 'name_taken' | 'not_found' };

export interface AdminSlice {
  adminUsers: AdminUser[] | null;
  adminPolicies: PoliciesResult | null;
  /** The channel registry (owner, hours, auto-reply, volume, customer group, on/off). */
  adminChannels: ChannelRegistryResult | null;
  adminAudit: AdminAuditEntry[];
  /** Every administrative change, newest first (users, policies, channels, VIP tiers). */
  adminChangeLog: AdminAuditEntry[];
  /** The user open in the editor; 'new' while creating one; null for none. */
  adminSelected: string | null;
  adminLoading: boolean;
  adminBusy: boolean;
  adminError: UiError | null;
  adminOutcome: AdminOutcome | null;
  loadAdmin: () => Promise<void>;
  selectAdminUser: (userId: string | null) => void;
  createAdminUser: (request: AdminCreateUserRequest) => Promise<boolean>;
  updateAdminUser: (userId: string, skills: UserSkills) => Promise<boolean>;
  setAdminUserActive: (userId: string, active: boolean) => Promise<boolean>;
  resetAdminPassword: (userId: string, password: string) => Promise<boolean>;
  setAdminCapacity: (userId: string, capacity: Capacity) => Promise<boolean>;
  saveAdminPolicies: (policies: Policies) => Promise<boolean>;
  saveAdminChannel: (channel: Channel, settings: ChannelSettings) => Promise<boolean>;
  setCustomerVip: (customerId: string, vipTier: number) => Promise<boolean>;
  /** The live report-reader credentials (never a secret). */
  adminReportCredentials: ReportCredential[] | null;
  /** The secret of the credential just created, shown once; null once dismissed. */
  adminNewReportSecret: NewReportSecret | null;
  adminReportCredentialOutcome: ReportCredentialOutcome | null;
  createReportCredential: (name: string) => Promise<boolean>;
  revokeReportCredential: (id: string) => Promise<boolean>;
  dismissReportSecret: () => void;
}

export function adminSignedOut(): Pick<
  AdminSlice,
  | 'adminUsers'
  | 'adminPolicies'
  | 'adminChannels'
  | 'adminAudit'
  | 'adminChangeLog'
  | 'adminSelected'
  | 'adminLoading'
  | 'adminBusy'
  | 'adminError'
  | 'adminOutcome'
  | 'adminReportCredentials'
  | 'adminNewReportSecret'
  | 'adminReportCredentialOutcome'
> {
  return {
    adminUsers: null,
    adminPolicies: null,
    adminChannels: null,
    adminAudit: [],
    adminChangeLog: [],
    adminSelected: null,
    adminLoading: false,
    adminBusy: false,
    adminError: null,
    adminOutcome: null,
    adminReportCredentials: null,
    adminNewReportSecret: null,
    adminReportCredentialOutcome: null,
  };
}

/** Back online (appStore's `onBackOnline`): an Admin view opened before the connection was up (right after sign-in) loads now. */
export function reloadAdminWhenBackOnline(state: AppState): void {
  if (state.user && state.view === 'admin' && !state.adminBusy) void state.loadAdmin();
}

export function createAdminSlice(api: WorkstationApi): StateCreator<AppState, [], [], AdminSlice> {
  let latestAudit = 0;

  return (set, get) => {
    async function loadAudit(userId: string | null): Promise<void> {
      const request = ++latestAudit;
      if (!userId || userId === 'new') {
        set({ adminAudit: [] });
        return;
      }
      try {
        const entries = await api.invoke('admin.audit', { userId });
        if (request === latestAudit) set({ adminAudit: entries });
      } catch {
        if (request === latestAudit) set({ adminAudit: [] });
      }
    }

    /** Runs one write: a refusal or an error is kept for the view; success reloads what changed. */
    async function write(run: () => Promise<AdminUserResult>, done: (user: AdminUser) => AdminOutcome): Promise<boolean> {
      if (get().adminBusy) return false;
      set({ adminBusy: true, adminError: null, adminOutcome: null });
      try {
        const result = await run();
        if (!result.ok) {
          set({ adminBusy: false, adminOutcome: { kind: 'refused', refusal: result.refusal } });
          return false;
        }
        set({ adminBusy: false, adminOutcome: done(result.user), adminSelected: result.user.id });
        await get().loadAdmin();
        return true;
      } catch (error) {
        set({ adminBusy: false, adminError: toUiError(error) });
        return false;
      }
    }

    return {
      ...adminSignedOut(),

      async loadAdmin() {
        if (!get().user) return;
        set({ adminLoading: true, adminError: null });
        try {
          const [users, policies, channels, changeLog, reportCredentials] = await Promise.all([
            api.invoke('admin.users', {}),
            api.invoke('admin.policies', {}),
            api.invoke('admin.channels', {}),
            api.invoke('admin.audit', {}),
            api.invoke('admin.reportCredentials', {}),
          ]);
          set({
            adminUsers: users,
            adminPolicies: policies,
            adminChannels: channels,
            adminChangeLog: changeLog,
            adminReportCredentials: reportCredentials,
            adminLoading: false,
          });
          await loadAudit(get().adminSelected);
        } catch (error) {
          set({ adminLoading: false, adminError: toUiError(error) });
        }
      },

      selectAdminUser(userId) {
        set({ adminSelected: userId, adminOutcome: null, adminError: null });
        void loadAudit(userId);
      },

      createAdminUser: (request) =>
        write(
          () => api.invoke('admin.createUser', request),
          (user) => ({ kind: 'done', key: 'admin.created', name: user.username }),
        ),

      updateAdminUser: (userId, skills) =>
        write(
          () => api.invoke('admin.updateUser', { userId, skills }),
          (user) => ({ kind: 'done', key: 'admin.saved', name: user.displayName }),
        ),

      setAdminUserActive: (userId, active) =>
        write(
          () => api.invoke('admin.setActive', { userId, active }),
          (user) => ({ kind: 'done', key: active ? 'admin.reactivated' : 'admin.deactivated', name: user.displayName }),
        ),

      resetAdminPassword: (userId, password) =>
        write(
          () => api.invoke('admin.resetPassword', { userId, password }),
          (user) => ({ kind: 'done', key: 'admin.passwordReset', name: user.displayName }),
        ),

      setAdminCapacity: (userId, capacity) =>
        write(
          () => api.invoke('admin.setCapacity', { userId, capacity }),
          (user) => ({ kind: 'done', key: 'admin.saved', name: user.displayName }),
        ),

      async saveAdminChannel(channel, settings) {
        if (get().adminBusy) return false;
        set({ adminBusy: true, adminError: null, adminOutcome: null });
        try {
          const result = await api.invoke('admin.setChannel', { channel, settings });
          if (!result.ok) {
            set({ adminBusy: false, adminOutcome: { kind: 'refused', refusal: result.refusal } });
            return false;
          }
          set({ adminBusy: false, adminChannels: result.registry, adminOutcome: { kind: 'done', key: 'hours.channelSaved', name: channel } });
          await get().loadAdmin();
          return true;
        } catch (error) {
          set({ adminBusy: false, adminError: toUiError(error) });
          return false;
        }
      },

      async setCustomerVip(customerId, vipTier) {
        if (get().adminBusy) return false;
        set({ adminBusy: true, adminError: null, adminOutcome: null });
        try {
          const result = await api.invoke('admin.setCustomerVip', { customerId, vipTier });
          if (!result.ok) {
            set({ adminBusy: false, adminOutcome: { kind: 'refused', refusal: 'customer_not_found' } });
            return false;
          }
          set({ adminBusy: false, adminOutcome: { kind: 'done', key: 'hours.vipSaved', name: `${customerId} → VIP ${String(vipTier)}` } });
          if (get().view === 'admin') await get().loadAdmin();
          return true;
        } catch (error) {
          set({ adminBusy: false, adminError: toUiError(error) });
          return false;
        }
      },

      async createReportCredential(name) {
        if (get().adminBusy) return false;
        set({ adminBusy: true, adminError: null, adminReportCredentialOutcome: null, adminNewReportSecret: null });
        try {
          const result = await api.invoke('admin.createReportCredential', { name });
          if (!result.ok) {
            set({ adminBusy: false, adminReportCredentialOutcome: { kind: 'refused', refusal: result.refusal } });
            return false;
          }
          set({ adminBusy: false, adminNewReportSecret: { name: result.credential.name, secret: result.secret } });
          await get().loadAdmin();
          return true;
        } catch (error) {
          set({ adminBusy: false, adminError: toUiError(error) });
          return false;
        }
      },

      async revokeReportCredential(id) {
        if (get().adminBusy) return false;
        const name = get().adminReportCredentials?.find((c) => c.id === id)?.name ?? id;
        set({ adminBusy: true, adminError: null, adminReportCredentialOutcome: null });
        try {
          const result = await api.invoke('admin.revokeReportCredential', { id });
          set({ adminBusy: false, adminReportCredentialOutcome: result.ok ? { kind: 'revoked', name } : { kind: 'refused', refusal: result.refusal } });
          await get().loadAdmin();
          return result.ok;
        } catch (error) {
          set({ adminBusy: false, adminError: toUiError(error) });
          return false;
        }
      },

      dismissReportSecret() {
        set({ adminNewReportSecret: null });
      },

      async saveAdminPolicies(policies) {
        if (get().adminBusy) return false;
        set({ adminBusy: true, adminError: null, adminOutcome: null });
        try {
          const saved = await api.invoke('admin.setPolicies', { policies });
          set({ adminBusy: false, adminPolicies: saved, adminOutcome: { kind: 'done', key: 'admin.saved', name: '' } });
          return true;
        } catch (error) {
          set({ adminBusy: false, adminError: toUiError(error) });
          return false;
        }
      },
    };
  };
}
