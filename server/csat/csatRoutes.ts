/**
 * The satisfaction survey on a running server: the rating page's routes (`/csat/<token>`, GET
 * shows the form, POST answers it), the delivery dispatcher's `prepare` that mints a link for
 * each invitation as it leaves, and the answer shared with the web chat widget. Every request
 * spends the per-address budget `csatPerAddress` first, so tokens cannot be guessed at speed
 * (they are 256-bit anyway); nothing is written for a refused request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CSAT_LINK_PLACEHOLDER, CSAT_PATH, csatAnswerSchema, csatFormSchema, csatTokenSchema, type CsatAnswer } from '../../shared/csat.js';
import { clientAddress, type ChannelRoute } from '../http.js';
import { PermanentDeliveryError } from '../channels/delivery.js';
import type { QueuedDelivery, ServerStore } from '../store.js';
import type { RateLimiters } from '../rateLimits.js';
import type { CsatAnswerOutcome } from './csatStore.js';
import { pageLanguage, renderRatingForm, renderRefusal, renderThanks } from './csatPage.js';

/** Largest form body read (four digits and a 500-character comment, url-encoded, fit easily). */
const MAX_FORM_BYTES = 16 * 1024;

export interface CsatDeps {
  store: ServerStore;
  rateLimits: RateLimiters;
  now: () => number;
  log: (line: string) => void;
  trustProxy: boolean;
}

/** The link a customer opens. */
export function csatLink(publicUrl: string, token: string): string {
  return `${publicUrl}${CSAT_PATH}${token}`;
}

/**
 * The dispatcher's `prepare`: an invitation gets a freshly minted link in place of the
 * placeholder (a retry mints another; every minted link works until the survey closes). An
 * invitation whose survey was answered or expired meanwhile does not leave.
 */
export function csatPrepare(store: ServerStore, publicUrl: () => string, now: () => number): (delivery: QueuedDelivery) => Promise<QueuedDelivery> {
  return async (delivery) => {
    if (delivery.message.direction !== 'outbound' || !delivery.message.text.includes(CSAT_LINK_PLACEHOLDER)) return delivery;
    const minted = await store.csat.mintToken(delivery.message.id, now());
    if (minted === 'none') return delivery;
    if (minted === 'closed')
      throw new PermanentDeliveryError('满意度回访已评价或已过期 / The survey was answered or has expired; the invitation was not sent.');
    return { ...delivery, message: { ...delivery.message, text: delivery.message.text.replace(CSAT_LINK_PLACEHOLDER, csatLink(publicUrl(), minted.token)) } };
  };
}

/** The one answer, for the page and the widget alike: refused when the address is over its budget. */
export async function answerSurvey(
  deps: Pick<CsatDeps, 'store' | 'rateLimits' | 'now' | 'log'>,
  address: string,
  token: string,
  answer: CsatAnswer,
): Promise<CsatAnswerOutcome> {
  const verdict = await deps.rateLimits.csatPerAddress.consume(address);
  if (!verdict.ok) {
    if (verdict.firstRefusal) deps.log(`csat: too many survey requests from ${address}`);
    return { ok: false, refusal: 'rate_limited' };
  }
  const outcome = await deps.store.csat.answer(token, answer, deps.now());
  if (outcome.ok) {
    deps.log(
      `csat: ${outcome.result.ticketId} rated ${outcome.result.score.toFixed(2)} (${outcome.result.feedbackId})${outcome.alarm ? '; low score alarm raised' : ''}`,
    );
  }
  return outcome;
}

function sendPage(req: IncomingMessage, res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The token is in the path: never leaked to another site as a Referer.
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function csatRoutes(deps: CsatDeps): ChannelRoute[] {
  const pattern = new RegExp(`^${CSAT_PATH}([^/]*)$`);
  return [
    {
      pattern,
      methods: {
        GET: async (req, res, url, params) => {
          const language = pageLanguage(url.searchParams.get('lang'), req.headers['accept-language']);
          const verdict = await deps.rateLimits.csatPerAddress.consume(clientAddress(req, deps.trustProxy));
          if (!verdict.ok) return sendPage(req, res, 429, renderRefusal(language, 'rate_limited'));
          const token = csatTokenSchema.safeParse(params[0]);
          const checked = token.success ? await deps.store.csat.check(token.data, deps.now()) : ({ ok: false, refusal: 'unknown' } as const);
          if (!checked.ok) return sendPage(req, res, checked.refusal === 'unknown' ? 404 : 410, renderRefusal(language, checked.refusal));
          sendPage(req, res, 200, renderRatingForm(language, checked.survey.ticketId, url.pathname, false));
        },
        POST: async (req, res, url, params) => {
          const language = pageLanguage(url.searchParams.get('lang'), req.headers['accept-language']);
          const address = clientAddress(req, deps.trustProxy);
          const token = csatTokenSchema.safeParse(params[0]);
          const form = await readForm(req);
          const parsed = form ? csatFormSchema.safeParse(Object.fromEntries(form)) : null;
          if (!token.success) {
            await deps.rateLimits.csatPerAddress.consume(address);
            return sendPage(req, res, 404, renderRefusal(language, 'unknown'));
          }
          if (!parsed?.success) {
            const verdict = await deps.rateLimits.csatPerAddress.consume(address);
            if (!verdict.ok) return sendPage(req, res, 429, renderRefusal(language, 'rate_limited'));
            const checked = await deps.store.csat.check(token.data, deps.now());
            if (!checked.ok) return sendPage(req, res, checked.refusal === 'unknown' ? 404 : 410, renderRefusal(language, checked.refusal));
            return sendPage(req, res, 400, renderRatingForm(language, checked.survey.ticketId, url.pathname, true));
          }
          const answer = csatAnswerSchema.parse(parsed.data);
          const outcome = await answerSurvey(deps, address, token.data, answer);
          if (!outcome.ok) {
            const status = outcome.refusal === 'rate_limited' ? 429 : outcome.refusal === 'unknown' ? 404 : 409;
            return sendPage(req, res, status, renderRefusal(language, outcome.refusal));
          }
          sendPage(req, res, 200, renderThanks(language, outcome.result.feedbackId));
        },
      },
    },
  ];
}
