import { useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { reportCredentialNameSchema } from '../../../shared/admin.js';
import { formatDateTime } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';

/**
 * The Admin view's report credentials (issue 11: other systems pull the reports over HTTP):
 * admins create and revoke them, leads see the list read-only. A new secret is shown once,
 * with a copy button, until the admin dismisses it; the server cannot show it again.
 */
export function ReportCredentialsSection({ canWrite }: { canWrite: boolean }) {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      language: state.language,
      credentials: state.adminReportCredentials,
      secret: state.adminNewReportSecret,
      outcome: state.adminReportCredentialOutcome,
      busy: state.adminBusy,
      create: state.createReportCredential,
      revoke: state.revokeReportCredential,
      dismiss: state.dismissReportSecret,
    })),
  );
  const [name, setName] = useState('');
  const [copied, setCopied] = useState(false);
  const secretInput = useRef<HTMLInputElement>(null);
  const valid = reportCredentialNameSchema.safeParse(name).success;

  async function copy(secret: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      // Where the clipboard API is refused, the selected text still copies the old way.
      secretInput.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  }

  return (
    <section className="admin-report-credentials" aria-label={t('reportCred.title')}>
      <h3>{t('reportCred.title')}</h3>
      <p className="muted">
        {t('reportCred.note', { reports: 'GET /api/v1/reports', charts: 'GET /api/v1/reports/charts', header: 'Authorization: Bearer <secret>' })}
      </p>
      {canWrite ? null : <p className="muted">{t('reportCred.readOnly')}</p>}
      {s.secret ? (
        <div className="report-secret" role="status">
          <strong>{t('reportCred.secretTitle', { name: s.secret.name })}</strong>
          <p>{t('reportCred.secretOnce')}</p>
          <div className="admin-row">
            <input ref={secretInput} readOnly value={s.secret.secret} aria-label={t('reportCred.secretTitle', { name: s.secret.name })} spellCheck={false} />
            <button type="button" onClick={() => void copy(s.secret!.secret)}>
              {copied ? t('reportCred.copied') : t('reportCred.copy')}
            </button>
            <button
              type="button"
              onClick={() => {
                setCopied(false);
                s.dismiss();
              }}
            >
              {t('reportCred.done')}
            </button>
          </div>
        </div>
      ) : null}
      {s.outcome ? (
        <p className={s.outcome.kind === 'refused' ? 'admin-error' : 'admin-done'} role="status">
          {s.outcome.kind === 'refused' ? t(`reportCred.refusal.${s.outcome.refusal}`) : t('reportCred.revoked', { name: s.outcome.name })}
        </p>
      ) : null}
      {canWrite ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!valid) return;
            setCopied(false);
            void s.create(name.trim()).then((ok) => {
              if (ok) setName('');
            });
          }}
        >
          <fieldset disabled={s.busy} className="admin-row">
            <label>
              {t('reportCred.name')}
              <input name="reportCredentialName" value={name} maxLength={80} autoComplete="off" onChange={(e) => setName(e.target.value)} />
            </label>
            <button type="submit" disabled={!valid}>
              {t('reportCred.create')}
            </button>
          </fieldset>
        </form>
      ) : null}
      {s.credentials && s.credentials.length > 0 ? (
        <table className="admin-users report-credentials">
          <thead>
            <tr>
              <th>{t('reportCred.col.name')}</th>
              <th>{t('reportCred.col.createdBy')}</th>
              <th>{t('reportCred.col.createdAt')}</th>
              <th>{t('reportCred.col.lastUsed')}</th>
              {canWrite ? <th aria-hidden="true" /> : null}
            </tr>
          </thead>
          <tbody>
            {s.credentials.map((credential) => (
              <tr key={credential.id}>
                <td>{credential.name}</td>
                <td>{credential.createdByName}</td>
                <td>{formatDateTime(s.language, credential.createdAt)}</td>
                <td>{credential.lastUsedAt === null ? t('reportCred.never') : formatDateTime(s.language, credential.lastUsedAt)}</td>
                {canWrite ? (
                  <td>
                    <button
                      type="button"
                      disabled={s.busy}
                      onClick={() => {
                        if (window.confirm(t('reportCred.revokeConfirm', { name: credential.name }))) void s.revoke(credential.id);
                      }}
                    >
                      {t('reportCred.revoke')}
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : s.credentials ? (
        <p className="muted">{t('reportCred.empty')}</p>
      ) : null}
    </section>
  );
}
