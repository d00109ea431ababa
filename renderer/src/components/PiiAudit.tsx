import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_PII_AUDIT_ENTRIES } from '../../../shared/pii.js';
import { formatDateTime } from '../i18n.js';
import { piiFieldKey, piiRoleKey } from '../i18nPii.js';
import { isLeadRole } from '../store/routingSlice.js';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';

/**
 * Leads only: who revealed which personal data on the open ticket (and on its customer
 * through their other tickets), newest first — "王芳（坐席）查看了电话号码 · 10:32".
 */
export function PiiAudit() {
  const t = useT();
  const id = useId();
  const { role, audit, loading, error, language, ticketId, load } = useAppStore(
    useShallow((s) => ({
      role: s.user?.role,
      audit: s.piiAudit,
      loading: s.piiAuditLoading,
      error: s.piiAuditError,
      language: s.language,
      ticketId: s.openTicketId,
      load: s.loadPiiAudit,
    })),
  );
  if (!isLeadRole(role)) return null;
  const entries = audit && audit.ticketId === ticketId ? audit.entries : null;
  return (
    <section className="pii-audit" aria-labelledby={`${id}-title`}>
      <div className="pii-audit-head">
        <h3 id={`${id}-title`} className="panel-title">
          {t('pii.audit.title')}
        </h3>
        <button type="button" className="link-button" disabled={loading} aria-busy={loading} onClick={() => void load()}>
          {t('pii.audit.refresh')}
        </button>
      </div>
      {error && !entries ? <p className="muted small">{errorText(t, error)}</p> : null}
      {!entries && !error ? <p className="muted small">{loading ? t('pii.audit.loading') : null}</p> : null}
      {entries && entries.length === 0 ? <p className="muted small">{t('pii.audit.empty')}</p> : null}
      {entries && entries.length > 0 ? (
        <ol className="pii-audit-list">
          {entries.map((entry) => (
            <li key={entry.id} className="pii-audit-entry">
              <span className="pii-audit-text">
                {t('pii.audit.entry', { name: entry.userName, role: t(piiRoleKey(entry.role)), what: t(piiFieldKey(entry.field)) })}
              </span>
              {entry.ticketId && entry.ticketId !== ticketId ? <span className="muted small">{t('pii.audit.via', { id: entry.ticketId })}</span> : null}
              <time className="muted small" dateTime={new Date(entry.at).toISOString()}>
                {formatDateTime(language, entry.at)}
              </time>
            </li>
          ))}
        </ol>
      ) : null}
      {entries && entries.length >= MAX_PII_AUDIT_ENTRIES ? <p className="muted small">{t('pii.audit.truncated', { n: MAX_PII_AUDIT_ENTRIES })}</p> : null}
    </section>
  );
}
