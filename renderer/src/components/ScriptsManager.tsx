import { useId, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  MAX_SCRIPT_BODY,
  MAX_SCRIPT_CATEGORY,
  MAX_SCRIPT_KEYWORD,
  MAX_SCRIPT_TITLE,
  SCRIPT_VARIABLES,
  type Script,
  type ScriptInput,
  type ScriptScope,
} from '../../../shared/scripts.js';
import type { Translate } from '../i18n.js';
import { isLeadRole } from '../store/routingSlice.js';
import { useAppStore, useT } from '../store/react.js';
import type { UiError } from '../store/types.js';
import { Dialog } from './Dialog.js';
import { errorText } from './errorText.js';

/** The refusals a script write can meet, in the agent's words; anything else as every error is said. */
function scriptErrorText(t: Translate, error: UiError): string {
  switch (error.code) {
    case 'forbidden':
      return t('scripts.error.forbidden');
    case 'not_found':
      return t('scripts.error.not_found');
    case 'conflict':
      return t('scripts.error.conflict');
    case 'rate_limited':
      return t('scripts.error.rate_limited');
    default:
      return errorText(t, error);
  }
}

/** The form's fields as typed (empty variant fields = no variant). */
interface Draft {
  id: string | undefined;
  scope: ScriptScope;
  language: 'zh' | 'en';
  title: string;
  keyword: string;
  category: string;
  body: string;
  phone: string;
  emailSubject: string;
  emailBody: string;
  chat: string;
}

function draftOf(script: Script): Draft {
  const { phone, email, chat } = script.variants;
  return {
    id: script.id,
    scope: script.scope,
    language: script.language,
    title: script.title,
    keyword: script.keyword,
    category: script.category,
    body: script.body,
    phone: phone?.text ?? '',
    emailSubject: email?.subject ?? '',
    emailBody: email?.body ?? '',
    chat: chat?.text ?? '',
  };
}

function emptyDraft(scope: ScriptScope, language: 'zh' | 'en'): Draft {
  return { id: undefined, scope, language, title: '', keyword: '', category: '', body: '', phone: '', emailSubject: '', emailBody: '', chat: '' };
}

function inputOf(draft: Draft): ScriptInput {
  const text = (value: string) => (value.trim() === '' ? null : { text: value });
  return {
    scope: draft.scope,
    language: draft.language,
    title: draft.title,
    keyword: draft.keyword,
    category: draft.category,
    body: draft.body,
    variants: {
      phone: text(draft.phone),
      email: draft.emailSubject.trim() === '' && draft.emailBody.trim() === '' ? null : { subject: draft.emailSubject, body: draft.emailBody },
      chat: text(draft.chat),
    },
  };
}

function ScriptEditor({ initial, onDone }: { initial: Draft; onDone: () => void }) {
  const t = useT();
  const id = useId();
  const [draft, setDraft] = useState(initial);
  const [localError, setLocalError] = useState<string | null>(null);
  const { saving, error, saveScript } = useAppStore(useShallow((s) => ({ saving: s.savingScript, error: s.scriptError, saveScript: s.saveScript })));
  const field = (name: keyof Draft) => ({
    id: `${id}-${name}`,
    value: draft[name] ?? '',
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if ((draft.emailSubject.trim() === '') !== (draft.emailBody.trim() === '')) {
      setLocalError(t('scripts.error.emailPair'));
      return;
    }
    setLocalError(null);
    if (await saveScript(draft.id, inputOf(draft))) onDone();
  }

  return (
    <form className="script-editor" onSubmit={(e) => void onSubmit(e)}>
      <div className="script-editor-row">
        <label htmlFor={`${id}-title`}>{t('scripts.field.title')}</label>
        <input {...field('title')} required maxLength={MAX_SCRIPT_TITLE} />
        <label htmlFor={`${id}-keyword`}>{t('scripts.field.keyword')}</label>
        <input {...field('keyword')} maxLength={MAX_SCRIPT_KEYWORD} pattern="\S*" />
      </div>
      <div className="script-editor-row">
        <label htmlFor={`${id}-category`}>{t('scripts.field.category')}</label>
        <input {...field('category')} maxLength={MAX_SCRIPT_CATEGORY} />
        <label htmlFor={`${id}-language`}>{t('scripts.field.language')}</label>
        <select {...field('language')}>
          <option value="zh">{t('scripts.language.zh')}</option>
          <option value="en">{t('scripts.language.en')}</option>
        </select>
      </div>
      <label htmlFor={`${id}-body`}>{t('scripts.field.body')}</label>
      <textarea {...field('body')} rows={3} required maxLength={MAX_SCRIPT_BODY} />
      <p className="muted script-variables">{t('scripts.variables', { list: SCRIPT_VARIABLES.map((name) => `{${name}}`).join(' ') })}</p>
      <label htmlFor={`${id}-phone`}>{t('scripts.field.phone')}</label>
      <textarea {...field('phone')} rows={2} maxLength={MAX_SCRIPT_BODY} />
      <label htmlFor={`${id}-emailSubject`}>{t('scripts.field.emailSubject')}</label>
      <input {...field('emailSubject')} maxLength={MAX_SCRIPT_TITLE} />
      <label htmlFor={`${id}-emailBody`}>{t('scripts.field.emailBody')}</label>
      <textarea {...field('emailBody')} rows={2} maxLength={MAX_SCRIPT_BODY} />
      <label htmlFor={`${id}-chat`}>{t('scripts.field.chat')}</label>
      <input {...field('chat')} maxLength={MAX_SCRIPT_BODY} />
      {localError || error ? (
        <p className="error" role="alert">
          {localError ?? (error ? scriptErrorText(t, error) : '')}
        </p>
      ) : null}
      <div className="script-editor-actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? t('scripts.saving') : t('scripts.save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('scripts.cancel')}
        </button>
      </div>
    </form>
  );
}

/** The manage screen (话术库): leads and admins edit the team library, everyone their own scripts. */
export function ScriptsManager() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      open: state.scriptsManagerOpen,
      scripts: state.scripts,
      isLead: isLeadRole(state.user?.role),
      language: state.language,
      error: state.scriptError,
      saving: state.savingScript,
      close: state.closeScriptsManager,
      deleteScript: state.deleteScript,
    })),
  );
  const [tab, setTab] = useState<ScriptScope>('team');
  const [editing, setEditing] = useState<Draft | null>(null);
  if (!s.open) return null;
  const writable = tab === 'personal' || s.isLead;
  const language = s.language === 'en' ? 'en' : 'zh';
  // The UI language's scripts first, then by category and title.
  const shown = s.scripts
    .filter((script) => script.scope === tab)
    .sort(
      (a, b) => Number(a.language !== language) - Number(b.language !== language) || a.category.localeCompare(b.category) || a.title.localeCompare(b.title),
    );

  return (
    <Dialog title={t('scripts.managerTitle')} description={t('scripts.managerDescription')} onClose={s.close} className="scripts-manager">
      <div className="scripts-tabs" role="tablist">
        {(['team', 'personal'] as const).map((scope) => (
          <button
            key={scope}
            type="button"
            role="tab"
            aria-selected={tab === scope}
            onClick={() => {
              setTab(scope);
              setEditing(null);
            }}
          >
            {t(`scripts.tab.${scope}`)}
          </button>
        ))}
      </div>
      {editing ? (
        <ScriptEditor key={editing.id ?? 'new'} initial={editing} onDone={() => setEditing(null)} />
      ) : (
        <div role="tabpanel" className="scripts-list">
          {writable ? (
            <button type="button" className="primary" onClick={() => setEditing(emptyDraft(tab, language))}>
              {t('scripts.new')}
            </button>
          ) : (
            <p className="muted">{t('scripts.teamReadOnly')}</p>
          )}
          {s.error ? (
            <p className="error" role="alert">
              {scriptErrorText(t, s.error)}
            </p>
          ) : null}
          {shown.length === 0 ? <p className="muted">{t('scripts.empty')}</p> : null}
          <ul>
            {shown.map((script) => (
              <li key={script.id} className="script-item">
                <div className="script-item-head">
                  <strong>{script.title}</strong>
                  {script.keyword ? <kbd>/{script.keyword}</kbd> : null}
                  {script.category ? <span className="script-category">{script.category}</span> : null}
                  <span className="script-variants">
                    {script.variants.phone ? <span>{t('channel.phone')}</span> : null}
                    {script.variants.email ? <span>{t('channel.email')}</span> : null}
                    {script.variants.chat ? <span>{t('channel.chat')}</span> : null}
                  </span>
                  <span className="muted">{t('scripts.updated', { name: script.updatedByName })}</span>
                </div>
                <p className="script-body">{script.body}</p>
                {writable ? (
                  <div className="script-item-actions">
                    <button type="button" onClick={() => setEditing(draftOf(script))}>
                      {t('scripts.edit')}
                    </button>
                    <button
                      type="button"
                      disabled={s.saving}
                      onClick={() => {
                        if (window.confirm(t('scripts.confirmDelete', { title: script.title }))) void s.deleteScript(script.id);
                      }}
                    >
                      {t('scripts.delete')}
                    </button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="scripts-footer">
        <button type="button" onClick={s.close}>
          {t('scripts.close')}
        </button>
      </div>
    </Dialog>
  );
}
