/**
 * The phone channel (CTI): call events arrive over two signed webhooks —
 * `POST /channels/cti/events` (the normalised event of shared/cti.ts, signed like every
 * OmniDesk webhook, see ../signature.ts) and `POST /channels/cti/twilio` (Twilio status
 * callbacks, `X-Twilio-Signature`) — and each change of a call is pushed to the agent whose
 * extension it rings at as `cti:call` (the screen pop), again on reconnect while it is live.
 * A refused request (bad signature, stale timestamp, unknown event) is logged and stores nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { MAX_POP_TICKETS, ctiEventSchema, twilioStatusCallbackSchema, type CtiCall, type CtiEvent } from '../../../shared/cti.js';
import { HttpError, decodeUtf8Body, invalid, readRawBody, sendJson } from '../../http.js';
import { forRole, maskCtiCall } from '../../piiMasking.js';
import { userRoom } from '../../routing/socket.js';
import type { Viewer } from '../../store.js';
import type { Channel, ChannelContext, ChannelFactory } from '../channel.js';
import { verifySignedRequest } from '../signature.js';
import { handleCallEvent, type CallEventOutcome } from './callEvents.js';
import { LIVE_CALL_WINDOW_MS, type CtiCallRecord } from './callStore.js';
import { twilioCallbackToEvent, verifyTwilioSignature } from './twilio.js';

/** Call events are small; anything bigger is not one. */
export const MAX_CTI_BODY_BYTES = 64 * 1024;

/** How the phone channel is configured (from CTI_SECRET, TWILIO_AUTH_TOKEN, TWILIO_PUBLIC_URL). */
export interface CtiChannelOptions {
  /** Secret of the signed CTI webhook; null = `/channels/cti/events` is not served. */
  secret: string | null;
  /** Twilio status callbacks; null = `/channels/cti/twilio` is not served. */
  twilio: { authToken: string; publicUrl: string | null } | null;
}

/** The body of every accepted (or repeated) call event. */
export interface CtiEventResponse {
  callId: string;
  state: CtiCallRecord['state'];
  ticketId: string | null;
  duplicate: boolean;
  /** Why a new event changed nothing (it came too late for the call's state); null otherwise. */
  ignored: string | null;
}

function describeIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
}

function peerOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown peer';
}

/** The URL Twilio signed: the configured public URL (or this request's host), with the request's path when it has none, and its query. */
export function twilioSignedUrl(req: IncomingMessage, url: URL, publicUrl: string | null): string {
  if (!publicUrl) {
    const forwarded = req.headers['x-forwarded-proto'];
    const proto = typeof forwarded === 'string' && /^https?$/.test(forwarded) ? forwarded : 'http';
    return `${proto}://${req.headers.host ?? 'localhost'}${url.pathname}${url.search}`;
  }
  const base = new URL(publicUrl);
  const path = base.pathname === '/' ? url.pathname : base.pathname;
  return `${base.origin}${path}${url.search}`;
}

export function ctiChannel(options: CtiChannelOptions): ChannelFactory {
  return (ctx: ChannelContext): Channel => {
    const { store, log } = ctx;

    /** The pop as `viewer` may see it: the caller's other tickets only where the viewer may see them. */
    async function popOf(call: CtiCallRecord, viewer: Viewer): Promise<CtiCall> {
      const customer = await store.findCustomerByPhone(call.from);
      return {
        callId: call.callId,
        state: call.state,
        from: call.from,
        to: call.to,
        agentExtension: call.agentExtension,
        startedAt: call.startedAt,
        answeredAt: call.answeredAt,
        endedAt: call.endedAt,
        durationSec: call.durationSec,
        customer,
        recentTickets: customer ? await store.listCustomerTickets(viewer, customer.id, MAX_POP_TICKETS) : [],
        ticketId: call.ticketId,
        updatedAt: call.updatedAt,
      };
    }

    async function process(event: CtiEvent, source: string, res: ServerResponse): Promise<void> {
      const outcome: CallEventOutcome = await handleCallEvent({ store, ingest: ctx.ingest, now: ctx.now }, event, source);
      const { call } = outcome;
      if (outcome.duplicate) {
        log(`cti: call ${call.callId} ${event.event} again (${source}); already handled, nothing changed`);
      } else {
        log(
          `cti: call ${call.callId} ${event.event} (${source}) → ${call.state}` +
            (call.ticketId ? ` on ${call.ticketId}` : '') +
            (call.agentExtension ? ` at extension ${call.agentExtension}${call.agentId ? ` (${call.agentId})` : ' (no such agent)'}` : '') +
            (outcome.ignored ? `; ignored: ${outcome.ignored}` : ''),
        );
        // After the commit: the agent's workstation has the ticket (sync) before the pop names it.
        const agent = call.agentId && !outcome.ignored ? await store.getUser(call.agentId) : null;
        if (agent) ctx.io.to(userRoom(agent.id)).emit('cti:call', forRole(agent.role, await popOf(call, agent), maskCtiCall));
        // Routing gives no chats to an agent while a call is live on their extension.
        // A call this agent answered that has just ended puts them in wrap-up (话后处理); a missed one does not.
        const talkEnded = call.state === 'ended' && call.answeredAt !== null;
        for (const agentId of outcome.agentIds) await ctx.callStateChanged(agentId, talkEnded && agentId === call.agentId);
      }
      const body: CtiEventResponse = {
        callId: call.callId,
        state: call.state,
        ticketId: call.ticketId,
        duplicate: outcome.duplicate,
        ignored: outcome.ignored,
      };
      sendJson(res, 200, body);
    }

    async function onEvent(req: IncomingMessage, res: ServerResponse, secret: string): Promise<void> {
      const raw = await readRawBody(req, MAX_CTI_BODY_BYTES);
      const check = verifySignedRequest(req, raw, secret, ctx.now());
      if (!check.ok) {
        log(`cti: refused a call event from ${peerOf(req)}: ${check.reason}`);
        throw new HttpError(401, 'unauthorized', `The call event is not signed correctly: ${check.reason}.`);
      }
      let body: unknown;
      try {
        body = JSON.parse(decodeUtf8Body(raw));
      } catch {
        log(`cti: refused a call event from ${peerOf(req)}: the body is not UTF-8 JSON`);
        throw invalid('The call event is not valid JSON.');
      }
      const parsed = ctiEventSchema.safeParse(body);
      if (!parsed.success) {
        const fields = describeIssues(parsed.error);
        log(`cti: refused a call event from ${peerOf(req)}: ${fields.map((f) => `${f.path} ${f.message}`).join('; ')}`);
        throw invalid('The call event is not valid.', fields);
      }
      await process(parsed.data, 'cti', res);
    }

    async function onTwilio(req: IncomingMessage, res: ServerResponse, url: URL, twilio: { authToken: string; publicUrl: string | null }): Promise<void> {
      const raw = await readRawBody(req, MAX_CTI_BODY_BYTES);
      const signature = req.headers['x-twilio-signature'];
      const params = new Map<string, string>();
      let repeated: string | null = null;
      for (const [name, value] of new URLSearchParams(decodeUtf8Body(raw))) {
        if (params.has(name)) repeated = name;
        params.set(name, value);
      }
      const signedUrl = twilioSignedUrl(req, url, twilio.publicUrl);
      if (typeof signature !== 'string' || repeated !== null || !verifyTwilioSignature(twilio.authToken, signedUrl, params, signature)) {
        const reason =
          typeof signature !== 'string'
            ? 'the X-Twilio-Signature header is missing'
            : repeated
              ? `the parameter ${repeated} is repeated`
              : `the signature does not match (signed URL ${signedUrl})`;
        log(`cti: refused a Twilio callback from ${peerOf(req)}: ${reason}`);
        throw new HttpError(401, 'unauthorized', `The Twilio callback is not signed correctly: ${reason}.`);
      }
      const callback = twilioStatusCallbackSchema.safeParse(Object.fromEntries(params));
      const parsed = callback.success ? ctiEventSchema.safeParse(twilioCallbackToEvent(callback.data, url.searchParams, ctx.now())) : callback;
      if (!parsed.success) {
        const fields = describeIssues(parsed.error);
        log(`cti: refused a Twilio callback from ${peerOf(req)}: ${fields.map((f) => `${f.path} ${f.message}`).join('; ')}`);
        throw invalid('The Twilio status callback is not a call status this server understands.', fields);
      }
      await process(parsed.data, 'twilio', res);
    }

    const routes: Channel['routes'] = [
      ...(options.secret !== null
        ? [{ pattern: /^\/channels\/cti\/events$/, methods: { POST: (req: IncomingMessage, res: ServerResponse) => onEvent(req, res, options.secret!) } }]
        : []),
      ...(options.twilio !== null
        ? [
            {
              pattern: /^\/channels\/cti\/twilio$/,
              methods: { POST: (req: IncomingMessage, res: ServerResponse, url: URL) => onTwilio(req, res, url, options.twilio!) },
            },
          ]
        : []),
    ];

    // An agent who reconnects (or restarts the workstation) mid-call gets the call's card back.
    ctx.io.on('connection', (socket) => {
      const user = socket.data.user;
      void (async () => {
        for (const call of await store.cti.liveCallsOf(user.id, ctx.now() - LIVE_CALL_WINDOW_MS))
          socket.emit('cti:call', forRole(user.role, await popOf(call, user), maskCtiCall));
      })().catch((error: unknown) =>
        log(`cti: the live calls of ${user.username} could not be sent: ${error instanceof Error ? error.message : String(error)}`),
      );
    });

    // No sender: a written reply cannot go by phone, and the ticket rules refuse one (shared/ticketRules.ts).
    return { name: 'cti', routes };
  };
}

/** The demo organisation's CTI secret (`--demo` without CTI_SECRET). */
export const DEMO_CTI_SECRET = 'demo-cti-secret';

/**
 * The phone channel's configuration from the environment: CTI_SECRET (demo default
 * `demo-cti-secret`), TWILIO_AUTH_TOKEN and TWILIO_PUBLIC_URL; null when none is set outside demo mode.
 */
export function ctiOptionsFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): CtiChannelOptions | null {
  const secret = env.CTI_SECRET || (options.demo ? DEMO_CTI_SECRET : null);
  const authToken = env.TWILIO_AUTH_TOKEN || null;
  if (!secret && !authToken) return null;
  return { secret, twilio: authToken ? { authToken, publicUrl: env.TWILIO_PUBLIC_URL || null } : null };
}
