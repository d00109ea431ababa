/**
 * What each call event does, whichever adapter it came through (the signed CTI webhook,
 * Twilio's status callbacks, the Kamailio hook). One event is one store transaction: the
 * event is noted by (call, event) — a repeat changes nothing — and the call's state, its
 * ticket message and the change-log entries commit together.
 *
 * - offered / ringing: the call is ringing at the agent's extension (the screen pop).
 * - answered: the call becomes a message on the customer's phone ticket (joined or new),
 *   assigned to the agent who answered.
 * - ended: that message gets the talk time; an `ended` for a call never answered is a missed call.
 * - missed: a callback task — a phone ticket `MISSED_CALL_SUBJECT` ("未接来电，请回拨"), due for
 *   follow-up now, routed to the phone agents.
 * A call's message text is a code with its facts (`callMessageText`, shared/cti.ts): each
 * workstation says it in its agent's language; API readers get the English after the code.
 * Events that come too late for the call's state (a `ringing` after `answered`) are noted and ignored.
 * Events of one call take turns (`lockCall`), whichever node each reached.
 */
import { answeredCallSubject, callMessageText, MISSED_CALL_SUBJECT, type CtiEvent } from '../../../shared/cti.js';
import { isPlausibleTime, type AssignmentReason, type CallInfo, type User } from '../../../shared/domain.js';
import type { TicketRouter } from '../../routing.js';
import type { ChannelContact, IngestOutcome, ServerStore } from '../../store.js';
import type { CtiCallRecord } from './callStore.js';

/** What the event handler needs from the server. */
export interface CallEventDependencies {
  store: ServerStore;
  /** Stores and routes an inbound contact (the channel context's ingest). */
  ingest(contact: ChannelContact): Promise<IngestOutcome>;
  now: () => number;
}

/** What one event did. */
export interface CallEventOutcome {
  call: CtiCallRecord;
  /** True when this (call, event) had been received before: nothing changed. */
  duplicate: boolean;
  /** Why the event changed nothing although it was new (it came too late for the call's state). */
  ignored: string | null;
  /** The agents whose live-call state this event may have changed (where it rang before a transfer, and where it is now). */
  agentIds: string[];
}

function callInfoOf(call: CtiCallRecord, outcome: CallInfo['outcome']): CallInfo {
  return {
    callId: call.callId,
    outcome,
    from: call.from,
    to: call.to,
    agentExtension: call.agentExtension,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    durationSec: call.durationSec ?? 0,
    endedAt: call.endedAt,
  };
}

/** Puts a new (or still queued) ticket with the agent who answered, in the ingest transaction. */
function answeringRouter(agent: User, extension: string): TicketRouter {
  const reason: AssignmentReason = { code: 'call_answered', byName: agent.displayName, extension };
  return { route: () => Promise.resolve({ assignee: { id: agent.id, username: agent.username, displayName: agent.displayName }, reason }) };
}

export function handleCallEvent(deps: CallEventDependencies, given: CtiEvent, source: string): Promise<CallEventOutcome> {
  const { store } = deps;
  return store.withTransaction(async (): Promise<CallEventOutcome> => {
    const now = deps.now();
    // The CTI's clock is believed when plausible (its own times give the talk time, a little ahead
    // of ours included); a call "at 0001-01-01" or next year happened when we heard of it.
    const event: CtiEvent = { ...given, at: isPlausibleTime(given.at, now) ? given.at : now };
    // Before reading it: another event of this call (on another node) is decided after this one commits, from what it wrote.
    await store.cti.lockCall(event.callId);
    const existing = await store.cti.getCall(event.callId);
    if (!(await store.cti.recordEvent(event.callId, event.event, event.at, now, source))) {
      // Recorded before, so the call exists (both are written in the same transaction).
      return { call: existing!, duplicate: true, ignored: null, agentIds: [] };
    }
    const extension = event.agentExtension ?? null;
    let call: CtiCallRecord = existing ?? {
      callId: event.callId,
      state: 'ringing',
      from: event.from,
      to: event.to,
      agentExtension: extension,
      agentId: extension ? await store.cti.userIdByExtension(extension) : null,
      ticketId: null,
      messageId: null,
      startedAt: event.at,
      answeredAt: null,
      endedAt: null,
      durationSec: null,
      updatedAt: now,
    };
    // A call can ring at one extension and be answered at another (a transfer, a hunt group).
    if (extension && extension !== call.agentExtension && (call.state === 'ringing' || call.state === 'answered')) {
      call = { ...call, agentExtension: extension, agentId: await store.cti.userIdByExtension(extension) };
    }
    call = { ...call, updatedAt: now };
    let ignored: string | null = null;

    const answer = async (at: number): Promise<void> => {
      call = { ...call, state: 'answered', answeredAt: Math.max(at, call.startedAt) };
      const agent = call.agentId ? await store.getUser(call.agentId) : null;
      const known = await store.findCustomerByPhone(call.from);
      const info = callInfoOf(call, 'answered');
      const contact: ChannelContact = {
        channel: 'phone',
        customer: { phone: call.from },
        subject: answeredCallSubject(known?.name || call.from),
        text: callMessageText(info),
        externalMessageId: `cti:${call.callId}`,
        receivedAt: new Date(call.answeredAt!).toISOString(),
        source: 'cti',
        // The carrier's caller number (CLI): what the CTI proves.
        proven: ['phone'],
        call: info,
      };
      let outcome: IngestOutcome;
      if (agent && call.agentExtension) {
        // An agent of ours took the call: that is the ticket's first response.
        outcome = await store.ingestInbound({ ...contact, firstResponseAt: call.answeredAt! }, { now, router: answeringRouter(agent, call.agentExtension) });
        // A joined ticket that someone else had: the agent on the call takes it over.
        if (outcome.ticket.assigneeId !== agent.id) {
          await store.assignTicket({
            ticketId: outcome.ticketId,
            assignee: { id: agent.id, username: agent.username, displayName: agent.displayName },
            reason: { code: 'call_answered', byName: agent.displayName, extension: call.agentExtension },
            now,
          });
        }
      } else {
        outcome = await deps.ingest(contact);
      }
      call = { ...call, ticketId: outcome.ticketId, messageId: outcome.messageId };
    };

    const end = async (at: number, durationSec: number | undefined): Promise<void> => {
      const answeredAt = call.answeredAt ?? at;
      const duration = durationSec ?? Math.max(0, Math.round((at - answeredAt) / 1000));
      call = { ...call, state: 'ended', endedAt: Math.max(at, answeredAt), durationSec: duration };
      if (call.messageId) {
        const info = callInfoOf(call, 'answered');
        await store.updateCallMessage(call.messageId, info, callMessageText(info), now);
      }
    };

    const miss = async (at: number): Promise<void> => {
      call = { ...call, state: 'missed', endedAt: Math.max(at, call.startedAt), durationSec: 0 };
      const info = callInfoOf(call, 'missed');
      const outcome = await deps.ingest({
        channel: 'phone',
        customer: { phone: call.from },
        subject: MISSED_CALL_SUBJECT,
        text: callMessageText(info),
        externalMessageId: `cti:${call.callId}`,
        receivedAt: new Date(call.endedAt!).toISOString(),
        source: 'cti',
        proven: ['phone'],
        call: info,
        priority: 'normal',
        followUpAt: now,
      });
      call = { ...call, ticketId: outcome.ticketId, messageId: outcome.messageId };
    };

    switch (event.event) {
      case 'offered':
      case 'ringing':
        if (call.state !== 'ringing') ignored = `the call is already ${call.state}`;
        break;
      case 'answered':
        if (call.state === 'ringing') await answer(event.at);
        else ignored = `the call is already ${call.state}`;
        break;
      case 'ended':
        if (call.state === 'answered') await end(event.at, event.durationSec);
        else if (call.state === 'ringing' && (event.durationSec ?? 0) > 0) {
          // The `answered` event never came, but the CTI measured talk time: it was answered.
          await answer(event.at - event.durationSec! * 1000);
          await end(event.at, event.durationSec);
        } else if (call.state === 'ringing') await miss(event.at);
        else ignored = `the call is already ${call.state}`;
        break;
      case 'missed':
        if (call.state === 'ringing') await miss(event.at);
        else ignored = `the call is already ${call.state}`;
        break;
    }
    await store.cti.saveCall(call);
    const agentIds = [...new Set([existing?.agentId ?? null, call.agentId])].filter((id): id is string => id !== null);
    return { call, duplicate: false, ignored, agentIds };
  });
}
