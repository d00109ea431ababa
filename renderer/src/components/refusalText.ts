import { readDeliveryError, type Message } from '../../../shared/domain.js';
import type { ReplyAlternative, TicketRefusal } from '../../../shared/ticketRules.js';
import { formatFileSize, type AttachmentRefusalCode } from '../../../shared/attachments.js';
import { channelKey, statusKey, type Translate } from '../i18n.js';
import { sourceText } from './sourceText.js';

/** "add an internal note or call the customer back", in the UI language. */
export function alternativesText(t: Translate, alternatives: readonly ReplyAlternative[]): string {
  return alternatives.map((alternative) => t(`refusal.alternative.${alternative}`)).join(t('refusal.or'));
}

/** A ticket rule's refusal (shared/ticketRules.ts) in the agent's language, from its facts. */
export function refusalText(t: Translate, refusal: TicketRefusal): string {
  switch (refusal.code) {
    case 'not_found':
      return t('refusal.not_found', { ticket: refusal.ticketId });
    case 'reassigned':
      return refusal.assigneeName === null
        ? t(refusal.meanwhile ? 'refusal.requeuedMeanwhile' : 'refusal.requeued', { ticket: refusal.ticketId, channel: t(channelKey(refusal.channel)) })
        : t(refusal.meanwhile ? 'refusal.reassignedMeanwhile' : 'refusal.reassigned', { ticket: refusal.ticketId, assignee: refusal.assigneeName });
    case 'not_owner': {
      const action = t(`refusal.action.${refusal.action}`);
      return refusal.assigneeName === null
        ? t('refusal.notOwnerQueued', { ticket: refusal.ticketId, action })
        : t('refusal.notOwner', { ticket: refusal.ticketId, assignee: refusal.assigneeName, action });
    }
    case 'take_refused':
      return t(`refusal.take_refused.${refusal.reason}`, { ticket: refusal.ticketId });
    case 'invalid_transition':
      return t(refusal.changedMeanwhile ? 'refusal.invalid_transitionMeanwhile' : 'refusal.invalid_transition', {
        ticket: refusal.ticketId,
        from: t(statusKey(refusal.from)),
        to: t(statusKey(refusal.to)),
      });
    case 'no_reply_route':
      if (refusal.via !== null && refusal.routes.length > 0) {
        return t('refusal.no_reply_routeVia', {
          via: sourceText(t, refusal.via) ?? refusal.via,
          routes: refusal.routes.map((route) => sourceText(t, route) ?? route).join(t('refusal.or')),
        });
      }
      return t('refusal.no_reply_route', { alternatives: alternativesText(t, refusal.alternatives) });
    case 'subject_not_email':
      return t('refusal.subject_not_email', { via: sourceText(t, refusal.via) ?? refusal.via });
    case 'duplicate_id':
      return t('refusal.duplicate_id', { id: refusal.id });
    case 'mutation_id_reused':
      return t('refusal.mutation_id_reused');
    case 'invalid_date':
      return t('refusal.invalid_date');
    case 'result_required':
      return t('refusal.result_required', { ticket: refusal.ticketId });
    case 'note_required':
      return t('refusal.note_required');
    case 'transfer_refused': {
      const reason = t(`transferRefusal.${refusal.reason}`);
      return refusal.agentName === null
        ? t('refusal.transfer_refused', { ticket: refusal.ticketId, reason })
        : t('refusal.transfer_refusedTo', { ticket: refusal.ticketId, agent: refusal.agentName, reason });
    }
    case 'create_refused':
      return t(`refusal.create_refused.${refusal.reason}`);
    case 'attachment_refused':
      return t('refusal.attachment_refused', { ticket: refusal.ticketId, reason: attachmentRefusalText(t, refusal) });
  }
}

/** Why a file (or a reply's files) is refused, in the agent's language, with the limit it broke. */
export function attachmentRefusalText(t: Translate, refusal: { reason: AttachmentRefusalCode; fileName: string | null; limit: number | null }): string {
  const limit = refusal.limit === null ? '' : refusal.reason === 'too_many_attachments' ? String(refusal.limit) : formatFileSize(refusal.limit);
  return t(`attach.refused.${refusal.reason}`, { name: refusal.fileName ?? '', limit });
}

/**
 * Why an outbound message has not reached the customer: the server's own reasons in the
 * agent's language, a channel's own text (a mail server's answer) as it came; null when none.
 */
export function deliveryReasonText(t: Translate, message: Pick<Message, 'deliveryError'>): string | null {
  if (message.deliveryError === null) return null;
  const known = readDeliveryError(message.deliveryError);
  if (!known) return message.deliveryError;
  const source = known.source === null ? t('delivery.unknownSource') : (sourceText(t, known.source) ?? known.source);
  return t(`delivery.${known.code}`, { source });
}
