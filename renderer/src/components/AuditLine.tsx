import { useShallow } from 'zustand/react/shallow';
import type { AdminAuditEntry } from '../../../shared/admin.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { auditChangeText } from '../auditChanges.js';

/** The fields a change changed, before → after, under its line; nothing when none differ. */
function AuditDetail({ before, after }: { before: unknown; after: unknown }) {
  const t = useT();
  const { users, language } = useAppStore(useShallow((s) => ({ users: s.adminUsers, language: s.language })));
  const detail = auditChangeText(
    t,
    { userName: (id) => users?.find((user) => user.id === id)?.displayName, dateTime: (ms) => formatDateTime(language, ms) },
    before,
    after,
  );
  if (detail === '') return null;
  return (
    <div className="admin-change-detail" title={`${t('hours.changes.before')} → ${t('hours.changes.after')}`}>
      {detail}
    </div>
  );
}

/**
 * One audited change as both the Admin view's audit list and the change log show it: when, who and
 * what, then what it was done to (when the list names it) and the fields it changed, before → after.
 */
export function AuditLine({ entry, target = '' }: { entry: AdminAuditEntry; target?: string }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  return (
    <li>
      {t('admin.auditLine', { at: formatDateTime(language, entry.at), actor: entry.actorName, action: t(`admin.action.${entry.action}`) })}
      {target ? ` · ${target}` : ''}
      <AuditDetail before={entry.before} after={entry.after} />
    </li>
  );
}
