/**
 * The satisfaction survey's contract on both backends (server/csat/csatStore.ts through the
 * public ServerStore): a survey per completed ticket, created once (a retried completion, a
 * reopen and a second completion), queued through the customer's channel or recorded not sent;
 * a link minted per send, stored hashed; one answer (FK id, note, low-score follow-up and
 * alarm), and the refusals beside it — unknown, expired, second answer — writing nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../../shared/domain.js';
import { CSAT_FOLLOW_UP_MS, CSAT_LINK_PLACEHOLDER, CSAT_LINK_TTL_MS } from '../../shared/csat.js';
import type { Mutation } from '../../shared/sync.js';
import { hashToken } from '../credentials.js';
import type { ServerStore } from '../store.js';
import { TEST_BACKENDS, TEST_EPOCH } from '../testHarness.js';
import { openStoreOn } from '../testing/stores.js';

type MutationBody = Mutation extends infer M ? (M extends Mutation ? Omit<M, 'mutationId' | 'ticketId' | 'createdAt'> : never) : never;

const good = { attitude: 5, speed: 4, resolution: 5, professionalism: 4, comment: '<script>alert(1)</script> 很好' };
const bad = { attitude: 2, speed: 1, resolution: 2, professionalism: 3 };

for (const backend of TEST_BACKENDS) {
  describe(`csat store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let agent: User;
    let mutations = 0;

    const apply = (ticketId: string, body: MutationBody, now: number) =>
      store.applyMutation(agent, 'client-1', { mutationId: `m${String(++mutations)}`, ticketId, createdAt: now, ...body }, now);

    async function completedTicket(source: string, now: number): Promise<string> {
      const { ticketId } = await store.ingestInbound(
        { channel: source === 'cti' ? 'phone' : 'email', customer: { name: '张伟', email: 'zw@example.cn' }, text: '订单没到', source },
        { now },
      );
      await store.assignTicket({
        ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: now + 1,
      });
      expect(await apply(ticketId, { kind: 'setFields', result: '已补发' }, now + 2)).toMatchObject({ ok: true });
      expect(await apply(ticketId, { kind: 'setStatus', status: 'completed' }, now + 3)).toMatchObject({ ok: true });
      return ticketId;
    }

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      agent = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['email', 'phone'] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('creates one survey on completion, queued as an invitation through the channel the customer used', async () => {
      const ticketId = await completedTicket('email', TEST_EPOCH);
      const survey = (await store.csat.forTicket(ticketId))!;
      expect(survey).toMatchObject({
        ticketId,
        via: 'email',
        status: 'queued',
        createdAt: TEST_EPOCH + 3,
        expiresAt: TEST_EPOCH + 3 + CSAT_LINK_TTL_MS,
        result: null,
      });
      const invite = (await store.getTicketBundle(ticketId))!.messages.find((m) => m.id === survey.inviteMessageId)!;
      // The stored text holds no link: the token is minted as it leaves.
      expect(invite).toMatchObject({ direction: 'outbound', deliveryStatus: 'queued', source: 'email' });
      expect(invite.text).toContain(CSAT_LINK_PLACEHOLDER);
      // The dispatcher's claim path sees it like any reply.
      expect(
        (await store.claimQueuedDeliveries(['email'], 10, { by: 'node-a', until: TEST_EPOCH + 60_000, now: TEST_EPOCH + 4 })).map((d) => d.message.id),
      ).toEqual([invite.id]);

      // Reopened by the agent and completed again: still the one survey, no second invitation.
      expect(await apply(ticketId, { kind: 'setStatus', status: 'in_progress' }, TEST_EPOCH + 10)).toMatchObject({ ok: true });
      expect(await apply(ticketId, { kind: 'setStatus', status: 'completed' }, TEST_EPOCH + 11)).toMatchObject({ ok: true });
      expect((await store.csat.forTicket(ticketId))!.id).toBe(survey.id);
      expect((await store.getTicketBundle(ticketId))!.messages.filter((m) => m.text.includes(CSAT_LINK_PLACEHOLDER))).toHaveLength(1);

      await store.setDeliveryStatus(invite.id, { status: 'sent' }, TEST_EPOCH + 20);
      expect(await store.csat.forTicket(ticketId)).toMatchObject({ status: 'sent', sentAt: TEST_EPOCH + 20 });
    });

    it('records a phone ticket’s survey as not sent, with the reason', async () => {
      const ticketId = await completedTicket('cti', TEST_EPOCH);
      expect(await store.csat.forTicket(ticketId)).toMatchObject({ status: 'not_sent', notSentReason: 'no_written_channel', via: null, inviteMessageId: null });
    });

    it('takes one answer per ticket: FK id, a note, and nothing written for a second, expired or unknown token', async () => {
      const ticketId = await completedTicket('email', TEST_EPOCH);
      const survey = (await store.csat.forTicket(ticketId))!;
      const minted = await store.csat.mintToken(survey.inviteMessageId!, TEST_EPOCH + 5);
      if (typeof minted === 'string') throw new Error(`no token: ${minted}`);
      expect(minted.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Stored hashed only.
      const stored = await store.sql.all<{ token_hash: string }>('SELECT token_hash FROM csat_tokens');
      expect(stored).toEqual([{ token_hash: hashToken(minted.token) }]);

      expect(await store.csat.check('A'.repeat(43), TEST_EPOCH + 6)).toEqual({ ok: false, refusal: 'unknown' });
      expect(await store.csat.check(minted.token, TEST_EPOCH + 6)).toMatchObject({ ok: true, survey: { ticketId } });
      const outcome = await store.csat.answer(minted.token, good, TEST_EPOCH + 6);
      expect(outcome).toMatchObject({ ok: true, alarm: null, result: { ticketId, score: 4.5, comment: good.comment } });
      if (!outcome.ok) throw new Error('refused');
      // FK + the China-local day of the answer (TEST_EPOCH is 2024-11-08 10:00 China time) + sequence.
      expect(outcome.result.feedbackId).toBe('FK20241108001');
      const seqAfter = (await store.changeLogBounds()).maxSeq;

      expect(await store.csat.answer(minted.token, bad, TEST_EPOCH + 7)).toEqual({ ok: false, refusal: 'answered' });
      expect(await store.csat.answer('B'.repeat(43), bad, TEST_EPOCH + 7)).toEqual({ ok: false, refusal: 'unknown' });
      expect((await store.changeLogBounds()).maxSeq).toBe(seqAfter);
      const bundle = (await store.getTicketBundle(ticketId))!;
      const notes = bundle.notes.filter((n) => n.authorId === 'csat');
      expect(notes).toHaveLength(1);
      expect(notes[0]!.text).toContain(outcome.result.feedbackId);
      expect(notes[0]!.text).toContain('4.50 / 5');
      expect(bundle.ticket.followUpAt).toBeNull();
      // The survey is closed now: no more links are minted for it.
      expect(await store.csat.mintToken(survey.inviteMessageId!, TEST_EPOCH + 8)).toBe('closed');

      const late = await completedTicket('email', TEST_EPOCH + 100);
      const lateSurvey = (await store.csat.forTicket(late))!;
      const lateToken = await store.csat.mintToken(lateSurvey.inviteMessageId!, TEST_EPOCH + 105);
      if (typeof lateToken === 'string') throw new Error(`no token: ${lateToken}`);
      expect(await store.csat.answer(lateToken.token, good, lateSurvey.expiresAt)).toEqual({ ok: false, refusal: 'expired' });
      expect((await store.csat.forTicket(late))!.result).toBeNull();
    });

    it('a score of 2 or less sets a follow-up within 24 hours and raises one csat_low alarm', async () => {
      const ticketId = await completedTicket('email', TEST_EPOCH);
      const survey = (await store.csat.forTicket(ticketId))!;
      const minted = await store.csat.mintToken(survey.inviteMessageId!, TEST_EPOCH + 5);
      if (typeof minted === 'string') throw new Error(`no token: ${minted}`);
      const raised: string[] = [];
      store.alerts.onDidRaise((alarm) => raised.push(alarm.kind));
      const outcome = await store.csat.answer(minted.token, bad, TEST_EPOCH + 50);
      expect(outcome).toMatchObject({ ok: true, result: { score: 2 }, alarm: { kind: 'csat_low', ticketId, facts: { score: 2 } } });
      expect(raised).toEqual(['csat_low']);
      expect((await store.getTicket(ticketId))!.followUpAt).toBe(TEST_EPOCH + 50 + CSAT_FOLLOW_UP_MS);
      const alarms = await store.sql.all<{ kind: string }>("SELECT kind FROM alerts WHERE kind = 'csat_low'");
      expect(alarms).toHaveLength(1);
    });
  });
}
