/**
 * Satisfaction surveys' rows (migration 015, shared/csat.ts). Opened by the server store on its
 * connection (like the alarms), so every write joins the caller's transaction: the survey is
 * created in the very transaction that completes the ticket, and an answer writes the survey,
 * the ticket's note, its follow-up and the low-score alarm together, or nothing.
 *
 * Once-only rests on the database: `ticket_id` is UNIQUE (a retried completion, or the same
 * completion on a second node, inserts nothing), and an answer is a conditional UPDATE
 * (`WHERE answered_at IS NULL`) on the row locked FOR UPDATE, so of two answers one wins.
 * Link tokens are random (256 bits), minted when the invitation leaves and stored as hashes.
 */
import {
  CSAT_FOLLOW_UP_MS,
  CSAT_AUTHOR_ID,
  CSAT_LINK_TTL_MS,
  csatInvitationText,
  csatNoteText,
  csatPoints,
  csatScore,
  isLowCsat,
  type CsatAnswer,
  type CsatRefusal,
  type CsatResult,
} from '../../shared/csat.js';
import type { Alarm } from '../../shared/alarms.js';
import type { Message, Note, Ticket } from '../../shared/domain.js';
import { dayKey, formatFeedbackId } from '../../shared/ids.js';
import type { ChangeBody } from '../../shared/sync.js';
import { hashToken, newToken, uuidv7 } from '../credentials.js';
import type { SqlExecutor } from '../db/sql.js';
import type { AlarmCandidate } from '../alarms/alertStore.js';

/** Source families a survey invitation can be sent through: a written message with a link. */
export const SURVEY_FAMILIES: readonly string[] = ['email', 'webchat', 'wechat'];
/** Why a survey was recorded but not sent (see docs/technical/csat.md). */
export const NOT_SENT_NO_WRITTEN_CHANNEL = 'no_written_channel';
/** The author of the invitation and of the answer's note (not a user). */
export { CSAT_AUTHOR_ID };
export const CSAT_AUTHOR_NAME = '满意度回访 / CSAT';

export type CsatDeliveryStatus = 'queued' | 'sent' | 'failed' | 'not_sent';

/** A survey as the server keeps it. */
export interface CsatSurvey {
  id: number;
  ticketId: string;
  channel: string;
  via: string | null;
  status: CsatDeliveryStatus;
  notSentReason: string | null;
  inviteMessageId: string | null;
  createdAt: number;
  sentAt: number | null;
  expiresAt: number;
  result: CsatResult | null;
}

export type CsatAnswerOutcome = { ok: true; result: CsatResult; alarm: Alarm | null } | { ok: false; refusal: CsatRefusal };
export type CsatTokenCheck = { ok: true; survey: CsatSurvey } | { ok: false; refusal: CsatRefusal };

export interface CsatStore {
  /**
   * In the completing transaction: the ticket's survey, unless it has one (a reopened ticket
   * completed again keeps its first). Through the customer's newest written channel on this
   * ticket, an invitation is queued as an outbound message; otherwise it is recorded not sent.
   */
  onCompleted(ticket: Ticket, now: number): Promise<CsatSurvey | null>;
  /** A fresh link token for the survey this invitation carries; null when it has none, or is answered or expired. */
  mintToken(inviteMessageId: string, now: number): Promise<{ token: string; survey: CsatSurvey } | 'none' | 'closed'>;
  /** The invitation's delivery changed (in setDeliveryStatus's transaction). */
  deliveryChanged(messageId: string, status: 'sent' | 'failed' | 'queued', now: number): Promise<void>;
  /** What a token opens, without writing anything. */
  check(token: string, now: number): Promise<CsatTokenCheck>;
  /** The one answer of the survey a token opens (in the caller's transaction). */
  answer(token: string, answer: CsatAnswer, now: number): Promise<CsatAnswerOutcome>;
  forTicket(ticketId: string): Promise<CsatSurvey | null>;
  /** The answered surveys of these tickets (one query), by ticket id: for the customer panel's history. */
  answersForTickets(ticketIds: readonly string[]): Promise<Map<string, CsatResult>>;
}

interface SurveyRow {
  id: number | string;
  ticket_id: string;
  channel: string;
  via: string | null;
  status: CsatDeliveryStatus;
  not_sent_reason: string | null;
  invite_message_id: string | null;
  created_at: number | string;
  sent_at: number | string | null;
  expires_at: number | string;
  feedback_id: string | null;
  attitude: number | string | null;
  speed: number | string | null;
  resolution: number | string | null;
  professionalism: number | string | null;
  comment: string | null;
  answered_at: number | string | null;
}

function surveyFromRow(row: SurveyRow): CsatSurvey {
  const answered = row.feedback_id !== null && row.answered_at !== null;
  const ratings = {
    attitude: Number(row.attitude),
    speed: Number(row.speed),
    resolution: Number(row.resolution),
    professionalism: Number(row.professionalism),
  };
  return {
    id: Number(row.id),
    ticketId: row.ticket_id,
    channel: row.channel,
    via: row.via,
    status: row.status,
    notSentReason: row.not_sent_reason,
    inviteMessageId: row.invite_message_id,
    createdAt: Number(row.created_at),
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
    expiresAt: Number(row.expires_at),
    result: answered
      ? {
          feedbackId: row.feedback_id!,
          ticketId: row.ticket_id,
          ratings,
          score: csatScore(ratings),
          comment: row.comment,
          answeredAt: Number(row.answered_at),
        }
      : null,
  };
}

export interface CsatStoreInternals {
  sql: () => SqlExecutor;
  forUpdate: string;
  nextSequence(scope: string, day: string): Promise<number>;
  getTicketForUpdate(id: string): Promise<Ticket | null>;
  updateTicket(ticket: Ticket): Promise<void>;
  insertMessage(message: Message): Promise<void>;
  insertNote(note: Note): Promise<void>;
  /** The survey's ticket contributes differently to the reports now (its rollup is refreshed before the commit). */
  ticketRollupChanged(ticketId: string): Promise<void>;
  appendTicketChange(before: Ticket | null, after: Ticket, body: ChangeBody, now: number): Promise<number>;
  raiseAlarm(candidate: AlarmCandidate, at: number): Promise<Alarm | null>;
}

export function createCsatStore(internals: CsatStoreInternals): CsatStore {
  const { sql, forUpdate } = internals;

  async function forTicket(ticketId: string): Promise<CsatSurvey | null> {
    const row = await sql().get<SurveyRow>('SELECT * FROM csat_surveys WHERE ticket_id = ?', [ticketId]);
    return row ? surveyFromRow(row) : null;
  }

  async function answersForTickets(ticketIds: readonly string[]): Promise<Map<string, CsatResult>> {
    const answers = new Map<string, CsatResult>();
    if (ticketIds.length === 0) return answers;
    const rows = await sql().all<SurveyRow>(
      `SELECT * FROM csat_surveys WHERE ticket_id IN (${ticketIds.map(() => '?').join(', ')}) AND answered_at IS NOT NULL`,
      [...ticketIds],
    );
    for (const row of rows) {
      const { result } = surveyFromRow(row);
      if (result) answers.set(row.ticket_id, result);
    }
    return answers;
  }

  async function byToken(token: string, lock: boolean): Promise<SurveyRow | undefined> {
    const found = await sql().get<{ survey_id: number | string }>('SELECT survey_id FROM csat_tokens WHERE token_hash = ?', [hashToken(token)]);
    if (!found) return undefined;
    return sql().get<SurveyRow>(`SELECT * FROM csat_surveys WHERE id = ?${lock ? forUpdate : ''}`, [found.survey_id]);
  }

  function refusalOf(row: SurveyRow | undefined, now: number): CsatRefusal | null {
    if (!row) return 'unknown';
    if (row.answered_at !== null) return 'answered';
    if (now >= Number(row.expires_at)) return 'expired';
    return null;
  }

  return {
    forTicket,
    answersForTickets,
    async onCompleted(ticket, now) {
      if (await sql().get('SELECT 1 FROM csat_surveys WHERE ticket_id = ?', [ticket.id])) return null;
      // The customer's newest written contact on this ticket names the channel they used.
      const route = await sql().get<{ source: string }>(
        `SELECT source FROM messages WHERE ticket_id = ? AND direction = 'inbound' AND source IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1`,
        [ticket.id],
      );
      const via = route && SURVEY_FAMILIES.includes(route.source.split(':', 1)[0]!) ? route.source : null;
      const invite: Message | null = via
        ? {
            id: uuidv7(now),
            ticketId: ticket.id,
            direction: 'outbound',
            channel: ticket.channel,
            authorId: null,
            authorName: CSAT_AUTHOR_NAME,
            text: csatInvitationText(ticket.id),
            externalMessageId: null,
            deliveryStatus: 'queued',
            createdAt: now,
            attachments: [],
            source: via,
            call: null,
            deliveryError: null,
          }
        : null;
      if (invite) await internals.insertMessage(invite);
      // A second completion racing this one (another node) inserts nothing; its own invitation rolls back with it.
      const row = await sql().get<SurveyRow>(
        `INSERT INTO csat_surveys (ticket_id, channel, via, status, not_sent_reason, invite_message_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING RETURNING *`,
        [
          ticket.id,
          ticket.channel,
          via,
          invite ? 'queued' : 'not_sent',
          invite ? null : NOT_SENT_NO_WRITTEN_CHANNEL,
          invite?.id ?? null,
          now,
          now + CSAT_LINK_TTL_MS,
        ],
      );
      if (!row) {
        if (invite) await sql().run('DELETE FROM messages WHERE id = ?', [invite.id]);
        return null;
      }
      await internals.ticketRollupChanged(ticket.id);
      if (invite) await internals.appendTicketChange(ticket, ticket, { kind: 'message', message: invite, ticket }, now);
      return surveyFromRow(row);
    },
    async mintToken(inviteMessageId, now) {
      const row = await sql().get<SurveyRow>('SELECT * FROM csat_surveys WHERE invite_message_id = ?', [inviteMessageId]);
      if (!row) return 'none';
      if (refusalOf(row, now) !== null) return 'closed';
      const token = newToken();
      await sql().run('INSERT INTO csat_tokens (token_hash, survey_id, created_at) VALUES (?, ?, ?)', [hashToken(token), row.id, now]);
      return { token, survey: surveyFromRow(row) };
    },
    async deliveryChanged(messageId, status, now) {
      const surveys = await sql().all<{ ticket_id: string }>(
        `UPDATE csat_surveys SET status = ?, sent_at = CASE WHEN ? = 'sent' THEN COALESCE(sent_at, ?) ELSE sent_at END WHERE invite_message_id = ? RETURNING ticket_id`,
        [status, status, now, messageId],
      );
      // A survey counts as sent from its first accepted delivery on (the report's response rate).
      for (const survey of surveys) await internals.ticketRollupChanged(survey.ticket_id);
    },
    async check(token, now) {
      const row = await byToken(token, false);
      const refusal = refusalOf(row, now);
      return refusal === null ? { ok: true, survey: surveyFromRow(row!) } : { ok: false, refusal };
    },
    async answer(token, answer, now) {
      const row = await byToken(token, true);
      const refusal = refusalOf(row, now);
      if (refusal !== null) return { ok: false, refusal };
      const survey = surveyFromRow(row!);
      const day = dayKey(now);
      const feedbackId = formatFeedbackId(day, await internals.nextSequence('feedback', day));
      const comment = answer.comment && answer.comment.length > 0 ? answer.comment : null;
      const { changes } = await sql().run(
        `UPDATE csat_surveys SET feedback_id = ?, attitude = ?, speed = ?, resolution = ?, professionalism = ?, comment = ?, answered_at = ?
         WHERE id = ? AND answered_at IS NULL`,
        [feedbackId, answer.attitude, answer.speed, answer.resolution, answer.professionalism, comment, now, survey.id],
      );
      if (changes !== 1) return { ok: false, refusal: 'answered' };
      const before = (await internals.getTicketForUpdate(survey.ticketId))!;
      // The answer may arrive days after the ticket's day: the rollup row of that day takes it.
      await internals.ticketRollupChanged(survey.ticketId);
      const note: Note = {
        id: uuidv7(now),
        ticketId: before.id,
        authorId: CSAT_AUTHOR_ID,
        authorName: CSAT_AUTHOR_NAME,
        text: csatNoteText(feedbackId, { ...answer, ...(comment ? { comment } : {}) }),
        createdAt: now,
      };
      await internals.insertNote(note);
      let after = before;
      let alarm: Alarm | null = null;
      if (isLowCsat(answer)) {
        // A follow-up (回访) within 24 h; one already due sooner is kept.
        const due = now + CSAT_FOLLOW_UP_MS;
        after = { ...before, followUpAt: before.followUpAt === null ? due : Math.min(before.followUpAt, due), updatedAt: now };
        await internals.updateTicket(after);
        alarm = await internals.raiseAlarm(
          {
            kind: 'csat_low',
            subject: before.id,
            crossing: feedbackId,
            ticketId: before.id,
            channel: before.channel,
            agentId: null,
            facts: { feedbackId, score: csatScore(answer) },
          },
          now,
        );
      }
      await internals.appendTicketChange(before, after, { kind: 'note', note, ticket: after }, now);
      const result: CsatResult = {
        feedbackId,
        ticketId: before.id,
        ratings: { attitude: answer.attitude, speed: answer.speed, resolution: answer.resolution, professionalism: answer.professionalism },
        score: csatPoints(answer) / 4,
        comment,
        answeredAt: now,
      };
      return { ok: true, result, alarm };
    },
  };
}
