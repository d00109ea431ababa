/**
 * The ticket's own fields and its hand-over: the details editor (type, sub-category, tags,
 * result), the result prompt completing opens when none is recorded, the hand-over note the
 * receiving side reads first, and the Transfer (转办) dialog.
 */
import { useId, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  MAX_HANDOVER_NOTE_LENGTH,
  MAX_RESULT_LENGTH,
  MAX_SUB_CATEGORY_LENGTH,
  MAX_TAGS,
  TICKET_GROUPS,
  TICKET_TYPES,
  isOpenStatus,
  ticketTypeSchema,
  type Ticket,
  type TicketGroup,
} from '../../../shared/domain.js';
import type { TransferRefusalReason } from '../../../shared/routing.js';
import { isOwnerOrLead, mayClassifyTicket, normaliseTags } from '../../../shared/ticketRules.js';
import { formatDateTime, typeKey, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import type { TicketFieldsPatch } from '../store/fieldsSlice.js';
import { Dialog } from './Dialog.js';
import { errorText } from './errorText.js';

/** Tags as typed: separated by commas (either width) or new lines. */
function parseTags(text: string): string[] {
  return normaliseTags(text.split(/[,，\n]/)).slice(0, MAX_TAGS);
}

/** The hand-over note of the newest transfer, highlighted at the top of the ticket. */
export function HandoverNote({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const handover = ticket.handover;
  if (!handover) return null;
  const time = formatDateTime(language, handover.at);
  return (
    <aside className="handover-note" aria-label={t('handover.title', { by: handover.byName })}>
      <p className="handover-title">{t('handover.title', { by: handover.byName })}</p>
      <p className="handover-text">{handover.note}</p>
      <p className="handover-meta">
        {handover.to.kind === 'group'
          ? t('handover.toGroup', { group: t(`group.${handover.to.group}`), time })
          : t('handover.toAgent', { agent: handover.to.agentName, time })}
      </p>
    </aside>
  );
}

/**
 * The details editor; only what changed is sent, so a masked result is never written back over
 * the real one. On a queued ticket an agent may set the type, sub-category and tags (a new type
 * re-routes it) but not the result, which is for whoever takes it.
 */
export function TicketFieldsEditor({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const { user, savingFields, saveFields } = useAppStore(useShallow((s) => ({ user: s.user, savingFields: s.savingFields, saveFields: s.saveFields })));
  const [type, setType] = useState(ticket.type);
  const [subCategory, setSubCategory] = useState(ticket.subCategory ?? '');
  const [tags, setTags] = useState(ticket.tags.join(', '));
  const [result, setResult] = useState(ticket.result ?? '');
  const editable = user !== null && mayClassifyTicket(user, ticket);
  const resultEditable = user !== null && isOwnerOrLead(user, ticket);

  const patch: TicketFieldsPatch = {};
  if (type !== ticket.type) patch.type = type;
  if ((subCategory.trim() || null) !== ticket.subCategory) patch.subCategory = subCategory.trim() || null;
  const parsedTags = parseTags(tags);
  if (parsedTags.join('\n') !== ticket.tags.join('\n')) patch.tags = parsedTags;
  if ((result.trim() || null) !== ticket.result) patch.result = result.trim() || null;
  const changed = Object.keys(patch).length > 0;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (changed) void saveFields(patch);
  }

  return (
    <form className="ticket-fields" aria-label={t('fields.title')} onSubmit={onSubmit}>
      <h3 className="panel-title">{t('fields.title')}</h3>
      <label htmlFor={`${id}-type`}>{t('fields.type')}</label>
      {/* d: from the keyboard to the ticket's details (type… result), which a keyboard user otherwise reaches past every control of the ticket. */}
      <select
        id={`${id}-type`}
        data-shortcut="details"
        value={type}
        disabled={!editable}
        onChange={(e) => {
          const parsed = ticketTypeSchema.safeParse(e.target.value);
          if (parsed.success) setType(parsed.data);
        }}
      >
        {TICKET_TYPES.map((option) => (
          <option key={option} value={option}>
            {t(typeKey(option))}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-sub`}>{t('fields.subCategory')}</label>
      <input
        id={`${id}-sub`}
        value={subCategory}
        maxLength={MAX_SUB_CATEGORY_LENGTH}
        disabled={!editable}
        placeholder={t('fields.subCategoryPlaceholder')}
        onChange={(e) => setSubCategory(e.target.value)}
      />
      <label htmlFor={`${id}-tags`}>{t('fields.tags')}</label>
      <input id={`${id}-tags`} value={tags} disabled={!editable} placeholder={t('fields.tagsPlaceholder')} onChange={(e) => setTags(e.target.value)} />
      {ticket.tags.length > 0 ? (
        <ul className="tag-list" aria-label={t('fields.tags')}>
          {ticket.tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      ) : null}
      <label htmlFor={`${id}-result`}>{t('fields.result')}</label>
      <textarea
        id={`${id}-result`}
        rows={3}
        value={result}
        maxLength={MAX_RESULT_LENGTH}
        disabled={!resultEditable}
        placeholder={t('fields.resultPlaceholder')}
        onChange={(e) => setResult(e.target.value)}
      />
      {ticket.result === null && isOpenStatus(ticket.status) ? <p className="muted small">{t('fields.resultMissing')}</p> : null}
      {editable ? (
        <div className="ticket-fields-actions">
          <button type="submit" disabled={!changed || savingFields} aria-busy={savingFields}>
            {savingFields ? t('fields.saving') : t('fields.save')}
          </button>
        </div>
      ) : null}
    </form>
  );
}

/** Completing without a recorded result asks for it first (the rules refuse completion without one). */
export function CompletePrompt({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const [result, setResult] = useState('');
  const [missing, setMissing] = useState(false);
  const { closeCompletePrompt, completeWithResult, busy } = useAppStore(
    useShallow((s) => ({ closeCompletePrompt: s.closeCompletePrompt, completeWithResult: s.completeWithResult, busy: s.savingFields || s.settingStatus })),
  );

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (result.trim() === '') {
      setMissing(true);
      return;
    }
    void completeWithResult(result);
  }

  return (
    <Dialog title={t('complete.title', { ticket: ticket.id })} description={t('complete.prompt')} onClose={closeCompletePrompt} initialFocusSelector="textarea">
      <form onSubmit={onSubmit}>
        <label htmlFor={id}>{t('fields.result')}</label>
        <textarea
          id={id}
          rows={4}
          aria-required="true"
          aria-invalid={missing}
          maxLength={MAX_RESULT_LENGTH}
          placeholder={t('fields.resultPlaceholder')}
          value={result}
          onChange={(e) => {
            setResult(e.target.value);
            if (e.target.value.trim() !== '') setMissing(false);
          }}
        />
        {missing ? (
          <p role="alert" className="form-error">
            {t('complete.empty')}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={closeCompletePrompt}>
            {t('complete.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t('complete.confirm')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Why a colleague cannot take a ticket, in the UI's language: the Transfer dialog's words, also the bulk bar's. */
export function transferRefusalText(t: Translate, refusal: TransferRefusalReason): string {
  return t('transfer.agentCannot', { reason: t(`transferRefusal.${refusal}`) });
}

/** Opens the Transfer dialog (key `f`, forward); the holder and leads may transfer an open ticket. */
export function TransferButton({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const { user, openTransfer, awaiting } = useAppStore(
    useShallow((s) => ({ user: s.user, openTransfer: s.openTransfer, awaiting: s.lastTransfer?.ticketId === ticket.id && s.lastTransfer.awaiting })),
  );
  if (!isOpenStatus(ticket.status) || user === null || !isOwnerOrLead(user, ticket)) return null;
  return (
    // Not a second transfer while the server has yet to answer the first.
    <button type="button" data-shortcut="transfer" aria-haspopup="dialog" disabled={awaiting} onClick={() => void openTransfer()}>
      {t('transfer.open')}
    </button>
  );
}

/**
 * Transfer to a group's queue or to a colleague: the colleagues who can take the ticket can
 * be picked, the others are listed with why not; the hand-over note is required.
 */
export function TransferDialog({ ticket }: { ticket: Ticket }) {
  const t = useT();
  const id = useId();
  const s = useAppStore(
    useShallow((state) => ({
      targets: state.transferTargets,
      loading: state.transferTargetsLoading,
      targetsError: state.transferTargetsError,
      transferring: state.transferring,
      transferError: state.transferError,
      closeTransfer: state.closeTransfer,
      transfer: state.transfer,
    })),
  );
  const [kind, setKind] = useState<'group' | 'agent'>('group');
  const [group, setGroup] = useState<TicketGroup>(ticket.routing.group ?? 'orders');
  const [agentId, setAgentId] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<'note' | 'agent' | null>(null);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (note.trim() === '') {
      setProblem('note');
      return;
    }
    const agent = s.targets?.find((candidate) => candidate.userId === agentId && candidate.refusal === null);
    if (kind === 'agent' && !agent) {
      setProblem('agent');
      return;
    }
    void s.transfer(kind === 'group' ? { kind: 'group', group } : { kind: 'agent', agentId: agent!.userId, agentName: agent!.displayName }, note);
  }

  return (
    <Dialog title={t('transfer.title', { ticket: ticket.id })} onClose={s.closeTransfer} className="transfer-dialog">
      <form onSubmit={onSubmit}>
        <fieldset className="transfer-kind">
          <legend>{t('transfer.kind')}</legend>
          <label>
            <input type="radio" name={`${id}-kind`} checked={kind === 'group'} onChange={() => setKind('group')} /> {t('transfer.toGroup')}
          </label>
          <label>
            <input type="radio" name={`${id}-kind`} checked={kind === 'agent'} onChange={() => setKind('agent')} /> {t('transfer.toAgent')}
          </label>
        </fieldset>
        {kind === 'group' ? (
          <>
            <label htmlFor={`${id}-group`}>{t('transfer.group')}</label>
            <select id={`${id}-group`} value={group} onChange={(e) => setGroup(TICKET_GROUPS.find((g) => g === e.target.value) ?? group)}>
              {TICKET_GROUPS.map((option) => (
                <option key={option} value={option}>
                  {t(`group.${option}`)}
                </option>
              ))}
            </select>
          </>
        ) : (
          <fieldset className="transfer-agents">
            <legend>{t('transfer.agents')}</legend>
            {s.loading ? <p className="muted">{t('transfer.agentsLoading')}</p> : null}
            {s.targetsError ? <p className="muted">{s.targetsError.code === 'offline' ? t('transfer.agentsOffline') : errorText(t, s.targetsError)}</p> : null}
            {s.targets?.length === 0 ? <p className="muted">{t('transfer.agentsNone')}</p> : null}
            <ul className="transfer-agent-list">
              {(s.targets ?? []).map((candidate) => (
                <li key={candidate.userId} className={candidate.refusal ? 'cannot' : undefined}>
                  <label>
                    <input
                      type="radio"
                      name={`${id}-agent`}
                      value={candidate.userId}
                      disabled={candidate.refusal !== null}
                      checked={agentId === candidate.userId}
                      onChange={() => {
                        setAgentId(candidate.userId);
                        setProblem(null);
                      }}
                    />{' '}
                    <span className="transfer-agent-name">{candidate.displayName}</span> <span className="muted">{t(`presence.${candidate.presence}`)}</span>
                    {candidate.refusal ? <span className="transfer-agent-why"> — {transferRefusalText(t, candidate.refusal)}</span> : null}
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
        <label htmlFor={`${id}-note`}>{t('transfer.note')}</label>
        <textarea
          id={`${id}-note`}
          rows={4}
          aria-required="true"
          aria-invalid={problem === 'note'}
          maxLength={MAX_HANDOVER_NOTE_LENGTH}
          placeholder={t('transfer.notePlaceholder')}
          value={note}
          onChange={(e) => {
            setNote(e.target.value);
            if (e.target.value.trim() !== '') setProblem(null);
          }}
        />
        {problem ? (
          <p role="alert" className="form-error">
            {t(problem === 'note' ? 'transfer.noteMissing' : 'transfer.pickAgent')}
          </p>
        ) : null}
        {s.transferError ? (
          <p role="alert" className="form-error">
            {errorText(t, s.transferError)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={s.closeTransfer}>
            {t('transfer.cancel')}
          </button>
          <button type="submit" className="primary" disabled={s.transferring} aria-busy={s.transferring}>
            {s.transferring ? t('transfer.submitting') : t('transfer.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
