/**
 * Satisfaction surveys (满意度回访): when a ticket is completed the customer is asked, through
 * the channel they used, to rate four dimensions 1–5 and optionally comment. This module holds
 * the answer's schema, the link token's shape, the score arithmetic and the refusal codes the
 * rating page and the widget localise. The server keeps one survey per ticket
 * (server/csat/); see docs/technical/csat.md.
 */
import { z } from 'zod';

/** Author id of the note an answer adds to its ticket (the workstation reloads the customer's history when one arrives). */
export const CSAT_AUTHOR_ID = 'csat';

/** The four dimensions the templates rate (服务态度, 响应速度, 问题解决, 专业程度). */
export const CSAT_DIMENSIONS = ['attitude', 'speed', 'resolution', 'professionalism'] as const;
export type CsatDimension = (typeof CSAT_DIMENSIONS)[number];

/** Longest comment kept (characters). */
export const CSAT_COMMENT_MAX = 500;
/** How long a survey link can be answered after the ticket was completed (ms). */
export const CSAT_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** An answer scoring this or less alarms the leads and sets a follow-up (回访). */
export const CSAT_LOW_SCORE = 2;
/** The follow-up a low score sets is due within this (ms). */
export const CSAT_FOLLOW_UP_MS = 24 * 60 * 60 * 1000;
/** Where the server serves the rating page: `/csat/<token>`. */
export const CSAT_PATH = '/csat/';
/**
 * Stands for the rating link in the stored invitation: the link's token is minted when the
 * invitation leaves (server/csat/), so neither the database nor the agents ever hold it (an
 * agent holding it could rate in the customer's place). Readable, as the agents see it in the thread.
 */
export const CSAT_LINK_PLACEHOLDER = '【评价链接 · rating link】';

/** 32 random bytes, base64url: 256 bits, far more than the 128 the link must not be guessed under. */
export const csatTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'is not a survey token' });

const rating = z.number().int().min(1).max(5);

/** One customer's answer. The comment is plain text: every place shows it as text, never as HTML. */
export const csatAnswerSchema = z
  .object({
    attitude: rating,
    speed: rating,
    resolution: rating,
    professionalism: rating,
    comment: z.string().trim().max(CSAT_COMMENT_MAX).optional(),
  })
  .strict();
export type CsatAnswer = z.infer<typeof csatAnswerSchema>;

/** The rating page's form: every field a string, as browsers post them. */
export const csatFormSchema = z
  .object({
    attitude: z.coerce.number().pipe(rating),
    speed: z.coerce.number().pipe(rating),
    resolution: z.coerce.number().pipe(rating),
    professionalism: z.coerce.number().pipe(rating),
    comment: z.string().trim().max(CSAT_COMMENT_MAX).optional(),
  })
  .strict();

/** The widget's `webchat:rate` request. */
export const webchatRateSchema = z.object({ token: csatTokenSchema, answer: csatAnswerSchema }).strict();
export type WebchatRate = z.infer<typeof webchatRateSchema>;

/** Why an answer was not taken: unknown (or malformed) token, expired link, already answered, too many tries. */
export const CSAT_REFUSALS = ['unknown', 'expired', 'answered', 'rate_limited'] as const;
export type CsatRefusal = (typeof CSAT_REFUSALS)[number];

/**
 * What an answered survey looks like to an agent or lead (on the ticket, in the customer
 * panel's history). Validated where it crosses into the workstation (customer history).
 */
export const csatResultSchema = z
  .object({
    /** FK + China-local answer day + sequence, e.g. FK20261204001. */
    feedbackId: z.string().regex(/^FK\d{11,}$/),
    ticketId: z.string().min(1).max(40),
    ratings: z.object({ attitude: rating, speed: rating, resolution: rating, professionalism: rating }).strict(),
    /** Mean of the four ratings. */
    score: z.number().min(1).max(5),
    /** Plain text; masked (phone numbers, ids, cards) for agents like the ticket's CSAT note. */
    comment: z.string().max(CSAT_COMMENT_MAX).nullable(),
    answeredAt: z.number().int().nonnegative(),
  })
  .strict();
export type CsatResult = z.infer<typeof csatResultSchema>;

/** The sum of the four ratings (4–20): what the KPI totals add up, so their means stay exact. */
export function csatPoints(answer: Pick<CsatAnswer, CsatDimension>): number {
  return answer.attitude + answer.speed + answer.resolution + answer.professionalism;
}

/** One answer's score: the mean of its four ratings (1–5). */
export function csatScore(answer: Pick<CsatAnswer, CsatDimension>): number {
  return csatPoints(answer) / CSAT_DIMENSIONS.length;
}

/** Whether an answer alarms the leads and sets a follow-up. */
export function isLowCsat(answer: Pick<CsatAnswer, CsatDimension>): boolean {
  return csatScore(answer) <= CSAT_LOW_SCORE;
}

/** The invitation stored on the ticket (both languages: the customer's language is not known). */
export function csatInvitationText(ticketId: string): string {
  return (
    `感谢您的耐心，工单 ${ticketId} 已处理完成。请为本次服务评分（7 天内有效）：\n` +
    `Your request ${ticketId} is resolved. Please rate our service (link valid for 7 days):\n` +
    CSAT_LINK_PLACEHOLDER
  );
}

const DIMENSION_LABELS: Record<CsatDimension, string> = {
  attitude: '服务态度 attitude',
  speed: '响应速度 speed',
  resolution: '问题解决 resolution',
  professionalism: '专业程度 professionalism',
};

/** The note an answer leaves on its ticket, so the agents see it in the ticket pane (masked like any note). */
export function csatNoteText(feedbackId: string, answer: CsatAnswer): string {
  const lines = [
    `满意度回访 / CSAT ${feedbackId}: ${csatScore(answer).toFixed(2)} / 5`,
    ...CSAT_DIMENSIONS.map((dimension) => `${DIMENSION_LABELS[dimension]}: ${String(answer[dimension])}`),
  ];
  if (answer.comment) lines.push(`评价 / comment: ${answer.comment}`);
  return lines.join('\n');
}
