import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  VIP_TIER_MAX,
  channelSettingsSchema,
  type AdminAuditEntry,
  type AdminUser,
  type ChannelRegistryResult,
  type ChannelSettings,
} from '../../../shared/admin.js';
import { WEEKDAYS, isOpenAt, type OpenInterval, type Weekday } from '../../../shared/businessHours.js';
import { CHANNELS, customerIdSchema, type Channel } from '../../../shared/domain.js';
import type { Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { firstFormIssueText } from '../formIssueText.js';
import { useNow } from './useNow.js';
import { AdminInvalid } from './AdminInvalid.js';
import { LabelledValues, ReadOnlyNote, ReadOnlyTable } from './AdminReadOnly.js';
import { AuditLine } from './AuditLine.js';

/** "09:00-12:00, 13:00-18:00" → intervals; null when a part is not "HH:MM-HH:MM" (the schema then checks order and overlap). */
function intervalsOf(text: string): OpenInterval[] | null {
  const parts = text
    .split(/[,，;；]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const intervals: OpenInterval[] = [];
  for (const part of parts) {
    const match = /^(\d{1,2}:\d{2})\s*[-–~～至]\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!match) return null;
    const pad = (time: string) => time.padStart(5, '0');
    intervals.push({ start: pad(match[1]!), end: pad(match[2]!) });
  }
  return intervals;
}

function textOf(intervals: readonly OpenInterval[]): string {
  return intervals.map((interval) => `${interval.start}-${interval.end}`).join(', ');
}

interface ChannelDraft {
  enabled: boolean;
  ownerId: string;
  expectedDailyVolume: string;
  customerGroup: string;
  alwaysOpen: boolean;
  days: Record<Weekday, string>;
  holidays: string;
  autoReplyText: string;
}

function draftOf(settings: ChannelSettings): ChannelDraft {
  const days = {} as Record<Weekday, string>;
  for (const day of WEEKDAYS) days[day] = textOf(settings.hours.weekly[day]);
  return {
    enabled: settings.enabled,
    ownerId: settings.ownerId ?? '',
    expectedDailyVolume: String(settings.expectedDailyVolume),
    customerGroup: settings.customerGroup,
    alwaysOpen: settings.hours.alwaysOpen,
    days,
    holidays: settings.hours.holidays.join(', '),
    autoReplyText: settings.hours.autoReplyText,
  };
}

/** The draft as settings, or the first thing to fix, in the UI's language. */
function settingsOf(t: Translate, draft: ChannelDraft): { settings: ChannelSettings } | { invalid: string } {
  const weekly = {} as Record<Weekday, OpenInterval[]>;
  for (const day of WEEKDAYS) {
    const intervals = intervalsOf(draft.days[day]);
    if (!intervals) return { invalid: t('hours.invalidDay', { day: t(`hours.day.${day}`) }) };
    weekly[day] = intervals;
  }
  const parsed = channelSettingsSchema.safeParse({
    enabled: draft.enabled,
    ownerId: draft.ownerId === '' ? null : draft.ownerId,
    expectedDailyVolume: Math.floor(Number(draft.expectedDailyVolume) || 0),
    customerGroup: draft.customerGroup,
    hours: {
      alwaysOpen: draft.alwaysOpen,
      weekly,
      holidays: draft.holidays
        .split(/[,，\s]+/)
        .map((date) => date.trim())
        .filter((date) => date !== ''),
      autoReplyText: draft.autoReplyText,
    },
  });
  if (parsed.success) return { settings: parsed.data };
  // The field by its label and the problem in words (a day's periods by the day: "工作时间 · 周一：…").
  return { invalid: firstFormIssueText(t, parsed.error) };
}

/** The channel's name and whether it is open now, off-hours or switched off. */
function ChannelHeading({ channel, stored }: { channel: Channel; stored: ChannelSettings }) {
  const t = useT();
  const timeZone = useAppStore((s) => s.orgTimeZone);
  const now = useNow();
  const state = !stored.enabled ? 'off' : isOpenAt(stored.hours, now, timeZone) ? 'open' : 'closed';
  return (
    <h4>
      {t(`channel.${channel}`)} <span className={`admin-channel-state state-${state}`}>{t(`hours.state.${state}`)}</span>
    </h4>
  );
}

/** One channel's registry entry as a lead reads it: text, not the admins' form with disabled fields (see PoliciesView). */
function ChannelView({ channel, stored, users }: { channel: Channel; stored: ChannelSettings; users: AdminUser[] }) {
  const t = useT();
  const owner = stored.ownerId === null ? null : (users.find((user) => user.id === stored.ownerId) ?? null);
  const { hours } = stored;
  return (
    <section className={`admin-channel${stored.enabled ? '' : ' admin-channel-off'}`} aria-label={t(`channel.${channel}`)}>
      <ChannelHeading channel={channel} stored={stored} />
      <ReadOnlyTable
        rows={[
          { key: 'enabled', label: t('admin.channelView.enabled'), value: stored.enabled ? t('admin.channelView.on') : t('admin.channelView.off') },
          { key: 'owner', label: t('hours.owner'), value: owner ? owner.displayName : t('hours.owner.none') },
          { key: 'volume', label: t('hours.volume'), value: String(stored.expectedDailyVolume) },
          { key: 'customerGroup', wrap: true, label: t('hours.customerGroup'), value: stored.customerGroup === '' ? t('admin.none') : stored.customerGroup },
          {
            key: 'hours',
            label: t('hours.weekly'),
            value: hours.alwaysOpen ? (
              t('admin.channelView.alwaysOpen')
            ) : (
              <LabelledValues
                values={WEEKDAYS.map((day) => ({
                  key: day,
                  label: t(`hours.day.${day}`),
                  value: hours.weekly[day].length > 0 ? textOf(hours.weekly[day]) : t('admin.channelView.closed'),
                }))}
              />
            ),
          },
          {
            key: 'holidays',
            wrap: true,
            label: t('admin.channelView.holidays'),
            value: hours.holidays.length > 0 ? hours.holidays.join(t('list.separator')) : t('admin.none'),
          },
          { key: 'autoReply', wrap: true, label: t('admin.channelView.autoReply'), value: hours.autoReplyText === '' ? t('admin.none') : hours.autoReplyText },
        ]}
      />
    </section>
  );
}

/** One channel's registry entry as an admin edits it: on/off, owner, volume, customer group, hours, holidays and the auto-reply. */
function ChannelForm({ channel, stored, owners }: { channel: Channel; stored: ChannelSettings; owners: AdminUser[] }) {
  const t = useT();
  const { busy, save } = useAppStore(useShallow((s) => ({ busy: s.adminBusy, save: s.saveAdminChannel })));
  const [draft, setDraft] = useState<ChannelDraft>(() => draftOf(stored));
  const [invalid, setInvalid] = useState('');
  const name = t(`channel.${channel}`);
  const id = (field: string) => `channel-${channel}-${field}`;

  return (
    <form
      className={`admin-channel${stored.enabled ? '' : ' admin-channel-off'}`}
      aria-label={name}
      onSubmit={(e) => {
        e.preventDefault();
        const outcome = settingsOf(t, draft);
        if ('invalid' in outcome) return setInvalid(outcome.invalid);
        setInvalid('');
        void save(channel, outcome.settings);
      }}
    >
      <ChannelHeading channel={channel} stored={stored} />
      <fieldset disabled={busy}>
        <label className="admin-inline">
          <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })} />
          {t('hours.enabled')}
        </label>
        {!draft.enabled ? <p className="muted">{t('hours.offNote')}</p> : null}
        <div className="admin-row">
          <label>
            {t('hours.owner')}
            <select name="owner" value={draft.ownerId} onChange={(e) => setDraft({ ...draft, ownerId: e.target.value })}>
              <option value="">{t('hours.owner.none')}</option>
              {owners.map((user) => (
                <option key={user.id} value={user.id}>
                  {user.displayName}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('hours.volume')}
            <input
              type="number"
              name="volume"
              min={0}
              value={draft.expectedDailyVolume}
              onChange={(e) => setDraft({ ...draft, expectedDailyVolume: e.target.value })}
            />
          </label>
          <label>
            {t('hours.customerGroup')}
            <input name="customerGroup" value={draft.customerGroup} maxLength={100} onChange={(e) => setDraft({ ...draft, customerGroup: e.target.value })} />
          </label>
        </div>
        <label className="admin-inline">
          <input type="checkbox" name="alwaysOpen" checked={draft.alwaysOpen} onChange={(e) => setDraft({ ...draft, alwaysOpen: e.target.checked })} />
          {t('hours.alwaysOpen')}
        </label>
        <fieldset className="admin-hours" disabled={draft.alwaysOpen}>
          <legend>
            {t('hours.weekly')} <span className="muted">{t('hours.dayHint')}</span>
          </legend>
          {WEEKDAYS.map((day) => (
            <label key={day} htmlFor={id(day)}>
              <span>{t(`hours.day.${day}`)}</span>
              <input id={id(day)} name={day} value={draft.days[day]} onChange={(e) => setDraft({ ...draft, days: { ...draft.days, [day]: e.target.value } })} />
            </label>
          ))}
          <label className="admin-wide">
            {t('hours.holidays')}
            <input name="holidays" value={draft.holidays} onChange={(e) => setDraft({ ...draft, holidays: e.target.value })} />
          </label>
          <label className="admin-wide">
            {t('hours.autoReply')}
            <textarea
              name="autoReply"
              rows={2}
              maxLength={1000}
              value={draft.autoReplyText}
              onChange={(e) => setDraft({ ...draft, autoReplyText: e.target.value })}
            />
          </label>
        </fieldset>
        <AdminInvalid reason={invalid} />
        <button type="submit" className="primary">
          {t('hours.save', { channel: name })}
        </button>
      </fieldset>
    </form>
  );
}

/** The channel registry (渠道信息登记表): one form per channel, remounted whenever the registry was saved again; leads read it as text. */
export function ChannelRegistrySection({ registry, users, canWrite }: { registry: ChannelRegistryResult; users: AdminUser[]; canWrite: boolean }) {
  const t = useT();
  const timeZone = useAppStore((s) => s.orgTimeZone);
  const owners = users.filter((user) => user.active && user.role !== 'agent');
  return (
    <section className="admin-channels" aria-label={t('hours.channels')}>
      <h3>{t('hours.channels')}</h3>
      <p className="muted">{t('hours.channels.note', { zone: timeZone })}</p>
      {canWrite ? null : <ReadOnlyNote text={t('admin.channelView.readOnly')} />}
      {CHANNELS.map((channel) =>
        canWrite ? (
          <ChannelForm key={`${channel}:${JSON.stringify(registry.channels[channel])}`} channel={channel} stored={registry.channels[channel]} owners={owners} />
        ) : (
          <ChannelView key={channel} channel={channel} stored={registry.channels[channel]} users={users} />
        ),
      )}
    </section>
  );
}

/** A customer's VIP tier by customer id (admins; the customer panel offers the same for the open ticket's customer). */
export function VipTierForm() {
  const t = useT();
  const { busy, setVip } = useAppStore(useShallow((s) => ({ busy: s.adminBusy, setVip: s.setCustomerVip })));
  const [customerId, setCustomerId] = useState('');
  const [tier, setTier] = useState(1);
  const valid = customerIdSchema.safeParse(customerId.trim()).success;
  return (
    <form
      className="admin-vip"
      aria-label={t('hours.vip')}
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void setVip(customerId.trim(), tier);
      }}
    >
      <h3>{t('hours.vip')}</h3>
      <p className="muted">{t('hours.vip.note')}</p>
      <fieldset disabled={busy} className="admin-row">
        <label>
          {t('hours.vip.customerId')}
          <input name="customerId" value={customerId} autoComplete="off" onChange={(e) => setCustomerId(e.target.value)} />
        </label>
        <label>
          {t('hours.vip.tier')}
          <select name="vipTier" value={tier} onChange={(e) => setTier(Number(e.target.value))}>
            {Array.from({ length: VIP_TIER_MAX + 1 }, (_, n) => (
              <option key={n} value={n}>
                {n === 0 ? '0' : `VIP ${String(n)}`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!valid}>
          {t('hours.vip.save')}
        </button>
      </fieldset>
    </form>
  );
}

/** Every administrative change, newest first, with who, when, what and the fields it changed, before → after (users' and policies' changes too, which the audit must show). */
export function AdminChangeLog({ entries }: { entries: AdminAuditEntry[] }) {
  const t = useT();
  return (
    <section className="admin-audit admin-changes" aria-label={t('hours.changes')}>
      <h3>{t('hours.changes')}</h3>
      {entries.length === 0 ? (
        <p className="muted">{t('admin.audit.empty')}</p>
      ) : (
        <ul>
          {entries.slice(0, 50).map((entry) => {
            const subject = (entry.after as { channel?: Channel } | null)?.channel;
            const target = subject ? t(`channel.${subject}`) : (entry.targetName ?? '');
            return <AuditLine key={entry.id} entry={entry} target={target} />;
          })}
        </ul>
      )}
    </section>
  );
}
