import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  MIN_PASSWORD_LENGTH,
  MAX_WRAP_UP_SECONDS,
  adminCreateUserRequestSchema,
  newPasswordSchema,
  policiesSchema,
  userSkillsSchema,
  type AdminUser,
  type Policies,
  type PoliciesResult,
  type UserSkills,
} from '../../../shared/admin.js';
import { CHANNELS, PRIORITIES, ROLES, TICKET_GROUPS, type Channel, type Role } from '../../../shared/domain.js';
import type { Capacity } from '../../../shared/routing.js';
import { formatDateTime, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import type { AdminOutcome } from '../store/adminSlice.js';
import type { UiError } from '../store/types.js';
import { AdminChangeLog, ChannelRegistrySection, VipTierForm } from './ChannelRegistry.js';
import { AuditLine } from './AuditLine.js';
import { AdminInvalid } from './AdminInvalid.js';
import { LabelledValues, ReadOnlyNote, ReadOnlyTable } from './AdminReadOnly.js';
import { ReportCredentialsSection } from './ReportCredentials.js';
import { errorText } from './errorText.js';
import { firstFormIssueText } from '../formIssueText.js';

/** Offline or unreachable: users and policies are the server's, so say that rather than a generic error. */
function adminErrorText(t: Translate, error: UiError): string {
  return error.code === 'offline' || error.code === 'server_unreachable' ? t('admin.needsServer') : errorText(t, error);
}

function outcomeText(t: Translate, outcome: AdminOutcome): string {
  if (outcome.kind === 'refused') return t(`admin.refusal.${outcome.refusal}`);
  if (outcome.key === 'hours.channelSaved')
    return t(outcome.key, { name: (CHANNELS as readonly string[]).includes(outcome.name) ? t(`channel.${outcome.name as Channel}`) : outcome.name });
  return outcome.key === 'admin.created' ? t(outcome.key, { username: outcome.name }) : t(outcome.key, { name: outcome.name });
}

interface SkillsDraft {
  displayName: string;
  role: Role;
  channels: Channel[];
  groups: string[];
  tier: 1 | 2;
  senior: boolean;
  languages: string;
  extension: string;
}

function draftOf(user: AdminUser | null): SkillsDraft {
  return {
    displayName: user?.displayName ?? '',
    role: user?.role ?? 'agent',
    channels: user?.channels ?? [],
    groups: user?.groups ?? [],
    tier: user?.tier ?? 1,
    senior: user?.senior ?? false,
    languages: (user?.languages ?? ['zh']).join(', '),
    extension: user?.extension ?? '',
  };
}

function skillsOf(draft: SkillsDraft): unknown {
  return {
    displayName: draft.displayName,
    role: draft.role,
    channels: draft.channels,
    groups: draft.groups,
    tier: draft.tier,
    senior: draft.senior,
    languages: draft.languages
      .split(/[,，\s]+/)
      .map((code) => code.trim())
      .filter((code) => code !== ''),
    extension: draft.extension.trim() === '' ? null : draft.extension.trim(),
  };
}

function toggle<T>(list: readonly T[], value: T, on: boolean): T[] {
  return on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value);
}

function roleLabel(t: Translate, role: Role): string {
  return t(`admin.role.${role}`);
}

/** A labelled group of checkboxes, one an option, for a skill list (channels, groups) of the user editor. */
function CheckGroup<T extends string>({
  label,
  options,
  optionLabel,
  checked,
  onToggle,
}: {
  label: string;
  options: readonly T[];
  optionLabel: (option: T) => string;
  checked: readonly string[];
  onToggle: (option: T, on: boolean) => void;
}) {
  return (
    <div className="admin-checks" role="group" aria-label={label}>
      <span>{label}</span>
      {options.map((option) => (
        <label key={option}>
          <input type="checkbox" checked={checked.includes(option)} onChange={(e) => onToggle(option, e.target.checked)} />
          {optionLabel(option)}
        </label>
      ))}
    </div>
  );
}

/** A group's name in the UI's language; a group the UI does not know by its code. */
function groupLabel(t: Translate, group: string): string {
  return (TICKET_GROUPS as readonly string[]).includes(group) ? t(`group.${group as (typeof TICKET_GROUPS)[number]}`) : group;
}

/** A list of names, or "—" when empty. */
function listText(t: Translate, names: readonly string[]): string {
  return names.length > 0 ? names.join(t('list.separator')) : t('admin.none');
}

/** The user list: one row per user, deactivated ones greyed; a row opens the editor. */
function UserTable({ users, selected, onSelect }: { users: AdminUser[]; selected: string | null; onSelect: (id: string) => void }) {
  const t = useT();
  return (
    <table className="admin-users">
      <thead>
        <tr>
          <th>{t('admin.col.username')}</th>
          <th>{t('admin.col.name')}</th>
          <th>{t('admin.col.role')}</th>
          <th>{t('admin.col.channels')}</th>
          <th>{t('admin.col.groups')}</th>
          <th>{t('admin.col.tier')}</th>
          <th>{t('admin.col.extension')}</th>
          <th>{t('admin.col.state')}</th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => (
          <tr key={user.id} aria-selected={selected === user.id} className={user.active ? undefined : 'admin-inactive'} onClick={() => onSelect(user.id)}>
            <td>
              <button type="button" className="link-button" onClick={() => onSelect(user.id)}>
                {user.username}
              </button>
            </td>
            <td>{user.displayName}</td>
            <td>{roleLabel(t, user.role)}</td>
            <td>
              {listText(
                t,
                user.channels.map((c) => t(`channel.${c}`)),
              )}
            </td>
            <td>
              {listText(
                t,
                user.groups.map((g) => groupLabel(t, g)),
              )}
            </td>
            <td>
              {user.tier}
              {user.senior ? ` · ${t('admin.senior')}` : ''}
            </td>
            <td>{user.extension ?? t('admin.none')}</td>
            <td>{user.active ? t('admin.active') : t('admin.inactive')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Name, role and routing skills, as an admin edits them; with a username and an initial password when creating. */
function UserEditor({ user }: { user: AdminUser | null }) {
  const t = useT();
  const { busy, createAdminUser, updateAdminUser, selectAdminUser } = useAppStore(
    useShallow((s) => ({ busy: s.adminBusy, createAdminUser: s.createAdminUser, updateAdminUser: s.updateAdminUser, selectAdminUser: s.selectAdminUser })),
  );
  const [draft, setDraft] = useState<SkillsDraft>(() => draftOf(user));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [invalid, setInvalid] = useState('');
  const creating = user === null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setInvalid('');
    if (creating) {
      const parsed = adminCreateUserRequestSchema.safeParse({ username, password, ...(skillsOf(draft) as object) });
      if (!parsed.success) return setInvalid(firstFormIssueText(t, parsed.error));
      if (await createAdminUser(parsed.data)) {
        setUsername('');
        setPassword('');
      }
      return;
    }
    const parsed = userSkillsSchema.safeParse(skillsOf(draft));
    if (!parsed.success) return setInvalid(firstFormIssueText(t, parsed.error));
    await updateAdminUser(user.id, parsed.data satisfies UserSkills);
  }

  return (
    <form
      className="admin-editor"
      onSubmit={(e) => void submit(e)}
      aria-label={creating ? t('admin.form.create') : t('admin.form.edit', { name: user.displayName })}
    >
      <h3>{creating ? t('admin.form.create') : t('admin.form.edit', { name: user.displayName })}</h3>
      <fieldset disabled={busy}>
        {creating ? (
          <>
            <label>
              {t('admin.form.username')}
              <input name="username" value={username} autoComplete="off" onChange={(e) => setUsername(e.target.value)} />
            </label>
            <label>
              {t('admin.form.password', { min: MIN_PASSWORD_LENGTH })}
              <input name="password" type="password" value={password} autoComplete="new-password" onChange={(e) => setPassword(e.target.value)} />
            </label>
          </>
        ) : null}
        <label>
          {t('admin.form.displayName')}
          <input name="displayName" value={draft.displayName} onChange={(e) => setDraft({ ...draft, displayName: e.target.value })} />
        </label>
        <label>
          {t('admin.form.role')}
          <select name="role" value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {roleLabel(t, role)}
              </option>
            ))}
          </select>
        </label>
        <CheckGroup
          label={t('admin.form.channels')}
          options={CHANNELS}
          optionLabel={(channel) => t(`channel.${channel}`)}
          checked={draft.channels}
          onToggle={(channel, on) => setDraft({ ...draft, channels: toggle(draft.channels, channel, on) })}
        />
        <CheckGroup
          label={t('admin.form.groups')}
          options={TICKET_GROUPS}
          optionLabel={(group) => t(`group.${group}`)}
          checked={draft.groups}
          onToggle={(group, on) => setDraft({ ...draft, groups: toggle(draft.groups, group, on) })}
        />
        <div className="admin-row">
          <label>
            {t('admin.form.tier')}
            <select name="tier" value={draft.tier} onChange={(e) => setDraft({ ...draft, tier: e.target.value === '2' ? 2 : 1 })}>
              <option value={1}>1</option>
              <option value={2}>2</option>
            </select>
          </label>
          <label className="admin-inline">
            <input type="checkbox" checked={draft.senior} onChange={(e) => setDraft({ ...draft, senior: e.target.checked })} />
            {t('admin.form.senior')}
          </label>
        </div>
        <div className="admin-row">
          <label>
            {t('admin.form.languages')}
            <input name="languages" value={draft.languages} onChange={(e) => setDraft({ ...draft, languages: e.target.value })} />
          </label>
          <label>
            {t('admin.form.extension')}
            <input name="extension" inputMode="numeric" value={draft.extension} onChange={(e) => setDraft({ ...draft, extension: e.target.value })} />
          </label>
        </div>
        <AdminInvalid reason={invalid} />
        <div className="admin-actions">
          <button type="submit" className="primary">
            {busy ? t('admin.form.saving') : creating ? t('admin.form.create') : t('admin.form.save')}
          </button>
          <button type="button" onClick={() => selectAdminUser(null)}>
            {t('admin.form.cancel')}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

/** A user as a lead reads them: text, not the admins' form with disabled fields (see PoliciesView). */
function UserView({ user }: { user: AdminUser }) {
  const t = useT();
  const title = t('admin.userView.title', { name: user.displayName });
  return (
    <section className="admin-editor admin-user-view" aria-label={title}>
      <h3>{title}</h3>
      <ReadOnlyNote text={t('admin.userView.readOnly')} />
      <ReadOnlyTable
        rows={[
          { key: 'username', label: t('admin.col.username'), value: user.username },
          { key: 'displayName', label: t('admin.col.name'), value: user.displayName },
          { key: 'role', label: t('admin.col.role'), value: roleLabel(t, user.role) },
          {
            key: 'channels',
            label: t('admin.col.channels'),
            value: listText(
              t,
              user.channels.map((c) => t(`channel.${c}`)),
            ),
          },
          {
            key: 'groups',
            label: t('admin.col.groups'),
            value:
              user.groups.length > 0
                ? listText(
                    t,
                    user.groups.map((g) => groupLabel(t, g)),
                  )
                : t('admin.userView.generalist'),
          },
          { key: 'tier', label: t('admin.col.tier'), value: user.senior ? `${String(user.tier)} · ${t('admin.senior')}` : String(user.tier) },
          { key: 'languages', label: t('admin.userView.languages'), value: listText(t, user.languages) },
          { key: 'extension', label: t('admin.col.extension'), value: user.extension ?? t('admin.none') },
          { key: 'state', label: t('admin.col.state'), value: user.active ? t('admin.active') : t('admin.inactive') },
        ]}
      />
    </section>
  );
}

/** Deactivate/reactivate, password reset and capacity of an existing user (admins). */
function UserActions({ user }: { user: AdminUser }) {
  const t = useT();
  const { busy, setActive, resetPassword, setCapacity } = useAppStore(
    useShallow((s) => ({ busy: s.adminBusy, setActive: s.setAdminUserActive, resetPassword: s.resetAdminPassword, setCapacity: s.setAdminCapacity })),
  );
  const [password, setPassword] = useState('');
  // The parent remounts this per user and stored capacity (its key), so the draft starts from what is stored.
  const [capacity, setCapacityDraft] = useState<Capacity>(user.capacity);
  const [invalid, setInvalid] = useState('');

  return (
    <div className="admin-user-actions">
      <div className="admin-actions">
        {user.active ? (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => {
              if (window.confirm(t('admin.confirmDeactivate', { name: user.displayName }))) void setActive(user.id, false);
            }}
          >
            {t('admin.deactivate')}
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => void setActive(user.id, true)}>
            {t('admin.reactivate')}
          </button>
        )}
      </div>
      <form
        className="admin-row"
        onSubmit={(e) => {
          e.preventDefault();
          const parsed = newPasswordSchema.safeParse(password);
          // The schema is the bare password: name the field, which its path cannot.
          if (!parsed.success) return setInvalid(firstFormIssueText(t, parsed.error, ['newPassword']));
          setInvalid('');
          void resetPassword(user.id, parsed.data).then((ok) => ok && setPassword(''));
        }}
      >
        <label>
          {t('admin.newPassword', { min: MIN_PASSWORD_LENGTH })}
          <input type="password" name="newPassword" value={password} autoComplete="new-password" onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" disabled={busy || password === ''}>
          {t('admin.resetPassword')}
        </button>
      </form>
      <form
        className="admin-capacity"
        aria-label={t('admin.form.capacity')}
        onSubmit={(e) => {
          e.preventDefault();
          void setCapacity(user.id, capacity);
        }}
      >
        <span>{t('admin.form.capacity')}</span>
        {CHANNELS.map((channel) => (
          <label key={channel}>
            {t(`channel.${channel}`)}
            <input
              type="number"
              min={0}
              max={channel === 'email' ? 200 : 100}
              value={capacity[channel]}
              onChange={(e) => setCapacityDraft({ ...capacity, [channel]: Math.max(0, Math.floor(Number(e.target.value) || 0)) })}
            />
          </label>
        ))}
        <button type="submit" disabled={busy}>
          {t('admin.form.saveCapacity')}
        </button>
      </form>
      <AdminInvalid reason={invalid} />
    </div>
  );
}

function AuditList() {
  const t = useT();
  const entries = useAppStore((s) => s.adminAudit);
  return (
    <section className="admin-audit" aria-label={t('admin.audit')}>
      <h4>{t('admin.audit')}</h4>
      {entries.length === 0 ? (
        <p className="muted">{t('admin.audit.empty')}</p>
      ) : (
        <ul>
          {entries.map((entry) => (
            <AuditLine key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** The policies as stored, once loaded; the form is remounted whenever they were saved again. Leads read them as text. */
function PoliciesSection({ canWrite }: { canWrite: boolean }) {
  const stored = useAppStore((s) => s.adminPolicies);
  if (!stored) return null;
  return canWrite ? <PoliciesForm key={String(stored.updatedAt)} stored={stored} /> : <PoliciesView stored={stored} />;
}

/** Who last changed the policies, or that they are the defaults. */
function PoliciesUpdated({ stored }: { stored: PoliciesResult }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  return (
    <p className="muted">
      {stored.updatedAt !== null && stored.updatedByName !== null
        ? t('admin.policies.updated', { name: stored.updatedByName, at: formatDateTime(language, stored.updatedAt) })
        : t('admin.policies.defaults')}
    </p>
  );
}

/**
 * The policies as a lead reads them: text, not a form. Disabled inputs looked like live ones
 * (a lead typed into them and wondered why nothing saved), so the values are shown with their
 * units and a note says who can change them.
 */
function PoliciesView({ stored }: { stored: PoliciesResult }) {
  const t = useT();
  const { policies } = stored;
  const minutes = (n: number) => t('admin.policies.view.minutes', { n });
  const seconds = (n: number) => t('admin.policies.view.seconds', { n });
  const perChannel = (values: Record<Channel, number>, format: (n: number) => string) =>
    CHANNELS.map((channel) => ({ key: channel, label: t(`channel.${channel}`), value: format(values[channel]) }));
  return (
    <section className="admin-policies admin-policies-view" aria-label={t('admin.policies')}>
      <h3>{t('admin.policies')}</h3>
      <PoliciesUpdated stored={stored} />
      <ReadOnlyNote text={t('admin.policies.readOnly')} />
      <ReadOnlyTable
        rows={[
          {
            key: 'sla',
            label: t('admin.policies.view.sla'),
            value: (
              <LabelledValues
                values={PRIORITIES.map((priority) => ({
                  key: priority,
                  label: t(`admin.policies.priority.${priority}`),
                  value: minutes(policies.slaMinutes[priority]),
                }))}
              />
            ),
          },
          {
            key: 'complaint',
            label: t('admin.policies.view.complaint'),
            value: policies.complaintSlaMinutes === null ? t('admin.policies.view.byPriority') : minutes(policies.complaintSlaMinutes),
          },
          {
            key: 'firstResponse',
            label: t('admin.policies.view.firstResponse'),
            value: <LabelledValues values={perChannel(policies.firstResponseMinutes, minutes)} />,
          },
          { key: 'offerTimeout', label: t('admin.policies.view.offerTimeout'), value: seconds(policies.offerTimeoutSeconds) },
          {
            key: 'wrapUp',
            label: t('admin.policies.view.wrapUp'),
            value: <LabelledValues values={perChannel(policies.wrapUpSeconds, (n) => (n === 0 ? t('admin.policies.view.none') : seconds(n)))} />,
          },
          { key: 'timeZone', label: t('admin.policies.view.timeZone'), value: policies.timeZone },
        ]}
      />
      <p className="muted">{t('admin.policies.note')}</p>
    </section>
  );
}

/** SLA targets, first-response targets, the offer timeout, wrap-up and the time zone, as an admin edits them. */
function PoliciesForm({ stored }: { stored: PoliciesResult }) {
  const t = useT();
  const { busy, save } = useAppStore(useShallow((s) => ({ busy: s.adminBusy, save: s.saveAdminPolicies })));
  const [draft, setDraft] = useState<Policies>(stored.policies);
  const [invalid, setInvalid] = useState('');
  const minutes = (value: string) => Math.floor(Number(value) || 0);

  return (
    <form
      className="admin-policies"
      aria-label={t('admin.policies')}
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = policiesSchema.safeParse(draft);
        if (!parsed.success) return setInvalid(firstFormIssueText(t, parsed.error));
        setInvalid('');
        void save(parsed.data);
      }}
    >
      <h3>{t('admin.policies')}</h3>
      <PoliciesUpdated stored={stored} />
      <fieldset disabled={busy}>
        <div className="admin-capacity" role="group" aria-label={t('admin.policies.sla')}>
          <span>{t('admin.policies.sla')}</span>
          {PRIORITIES.map((priority) => (
            <label key={priority}>
              {t(`admin.policies.priority.${priority}`)}
              <input
                type="number"
                name={`sla-${priority}`}
                min={1}
                value={draft.slaMinutes[priority]}
                onChange={(e) => setDraft({ ...draft, slaMinutes: { ...draft.slaMinutes, [priority]: minutes(e.target.value) } })}
              />
            </label>
          ))}
        </div>
        <label>
          {t('admin.policies.complaint')}
          <input
            type="number"
            name="complaint"
            min={1}
            value={draft.complaintSlaMinutes ?? ''}
            onChange={(e) => setDraft({ ...draft, complaintSlaMinutes: e.target.value === '' ? null : minutes(e.target.value) })}
          />
        </label>
        <div className="admin-capacity" role="group" aria-label={t('admin.policies.firstResponse')}>
          <span>{t('admin.policies.firstResponse')}</span>
          {CHANNELS.map((channel) => (
            <label key={channel}>
              {t(`channel.${channel}`)}
              <input
                type="number"
                min={1}
                value={draft.firstResponseMinutes[channel]}
                onChange={(e) => setDraft({ ...draft, firstResponseMinutes: { ...draft.firstResponseMinutes, [channel]: minutes(e.target.value) } })}
              />
            </label>
          ))}
        </div>
        <label>
          {t('admin.policies.offerTimeout')}
          <input
            type="number"
            name="offerTimeout"
            min={5}
            max={120}
            value={draft.offerTimeoutSeconds}
            onChange={(e) => setDraft({ ...draft, offerTimeoutSeconds: minutes(e.target.value) })}
          />
        </label>
        <div className="admin-capacity" role="group" aria-label={t('admin.policies.wrapUp')}>
          <span>{t('admin.policies.wrapUp')}</span>
          {CHANNELS.map((channel) => (
            <label key={channel}>
              {t(`channel.${channel}`)}
              <input
                type="number"
                name={`wrapUp-${channel}`}
                min={0}
                max={MAX_WRAP_UP_SECONDS}
                value={draft.wrapUpSeconds[channel]}
                onChange={(e) => setDraft({ ...draft, wrapUpSeconds: { ...draft.wrapUpSeconds, [channel]: minutes(e.target.value) } })}
              />
            </label>
          ))}
        </div>
        <label>
          {t('admin.policies.timeZone')}
          <input
            type="text"
            name="timeZone"
            spellCheck={false}
            autoComplete="off"
            value={draft.timeZone}
            onChange={(e) => setDraft({ ...draft, timeZone: e.target.value })}
          />
        </label>
        <p className="muted">{t('admin.policies.note')}</p>
        <AdminInvalid reason={invalid} />
        <button type="submit" className="primary">
          {t('admin.policies.save')}
        </button>
      </fieldset>
    </form>
  );
}

/**
 * The Admin view (系统管理): users on the left with the selected one's editor, actions and
 * history beside them, the policies below. Admins write; leads read the same as text.
 * Every refusal is a code said in the UI's language.
 */
export function AdminView() {
  const t = useT();
  const { users, channels, changeLog, selected, loading, error, outcome, role, selectAdminUser, loadAdmin } = useAppStore(
    useShallow((s) => ({
      users: s.adminUsers,
      channels: s.adminChannels,
      changeLog: s.adminChangeLog,
      selected: s.adminSelected,
      loading: s.adminLoading,
      error: s.adminError,
      outcome: s.adminOutcome,
      role: s.user?.role,
      selectAdminUser: s.selectAdminUser,
      loadAdmin: s.loadAdmin,
    })),
  );
  const canWrite = role === 'admin';
  const current = users?.find((u) => u.id === selected) ?? null;

  return (
    <section className="admin-view" aria-label={t('admin.title')}>
      <div className="admin-toolbar">
        <h2>{t('admin.title')}</h2>
        {canWrite ? (
          <button type="button" onClick={() => selectAdminUser('new')}>
            {t('admin.newUser')}
          </button>
        ) : (
          <p className="muted">{t('admin.readOnly')}</p>
        )}
        <button type="button" onClick={() => void loadAdmin()} disabled={loading}>
          {loading ? t('admin.loading') : t('reports.refresh')}
        </button>
      </div>
      {error ? (
        <p className="admin-error" role="alert">
          {adminErrorText(t, error)}
        </p>
      ) : null}
      {outcome ? (
        <p className={outcome.kind === 'refused' ? 'admin-error' : 'admin-done'} role="status">
          {outcomeText(t, outcome)}
        </p>
      ) : null}
      <div className="admin-columns">
        <div className="admin-list">
          <h3>{t('admin.users')}</h3>
          {users ? <UserTable users={users} selected={selected} onSelect={selectAdminUser} /> : loading ? <p className="muted">{t('admin.loading')}</p> : null}
        </div>
        <div className="admin-detail">
          {selected === 'new' && canWrite ? <UserEditor key="new" user={null} /> : null}
          {current ? (
            <>
              {canWrite ? <UserEditor key={`${current.id}:${current.role}:${current.displayName}`} user={current} /> : <UserView user={current} />}
              {canWrite ? <UserActions key={`${current.id}:${JSON.stringify(current.capacity)}`} user={current} /> : null}
              <AuditList />
            </>
          ) : null}
          <PoliciesSection canWrite={canWrite} />
        </div>
      </div>
      {channels && users ? <ChannelRegistrySection registry={channels} users={users} canWrite={canWrite} /> : null}
      <div className="admin-columns">
        {canWrite ? <VipTierForm /> : null}
        <AdminChangeLog entries={changeLog} />
      </div>
      <ReportCredentialsSection canWrite={canWrite} />
    </section>
  );
}
