import { describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Ticket } from './domain.js';
import type { Mutation } from './sync.js';
import {
  bulkTransferCandidates,
  customerReach,
  decideMutation,
  describeRefusal,
  mutationTime,
  rejectionCodeOf,
  staticTransferFacts,
  takeRefusalFor,
  ticketRefusalSchema,
  type MutationFacts,
  type RuleActor,
} from './ticketRules.js';

const AT = Date.UTC(2024, 10, 8, 2);
const wang: RuleActor = { id: 'agent1', role: 'agent', channels: ['chat', 'phone'], displayName: '王芳', tier: 1 };
const zhang: RuleActor = { id: 'agent2', role: 'agent', channels: ['chat'], displayName: '张强', tier: 1 };
const lead: RuleActor = { id: 'lead1', role: 'lead', channels: [], displayName: '李主管', tier: 1 };

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'GD20241108001',
    customerId: 'CUS20241108001',
    channel: 'chat',
    type: 'consult',
    subject: '订单物流查询延迟',
    priority: 'normal',
    status: 'unassigned',
    assigneeId: null,
    assigneeName: null,
    assignmentReason: null,
    createdAt: AT - 60_000,
    updatedAt: AT - 60_000,
    assignedAt: null,
    firstResponseAt: null,
    dueAt: AT + 4 * 3_600_000,
    completedAt: null,
    lastMessagePreview: '快递三天没动了',
    lastMessageAt: AT - 60_000,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: { ...defaultTicketRouting(), offer: { agentId: 'agent2', agentName: '张强', offeredAt: AT - 1_000, expiresAt: AT + 29_000 } },
    ...overrides,
  };
}

const mine = (overrides: Partial<Ticket> = {}) =>
  ticket({ status: 'in_progress', assigneeId: 'agent1', assigneeName: '王芳', assignedAt: AT - 30_000, ...overrides });
const byEmail: MutationFacts = {
  wasAssignedToActor: false,
  reach: customerReach('GD20241108001', [{ ticketId: 'GD20241108001', direction: 'inbound', source: 'email', createdAt: AT - 60_000 }], {
    phone: null,
    email: 'zhang.wei@example.cn',
    identities: [],
  }),
};
const status = (to: Ticket['status']): Mutation => ({ mutationId: 'm', kind: 'setStatus', ticketId: 'GD20241108001', status: to, createdAt: AT });
const reply = (via?: string): Mutation => ({
  mutationId: 'm',
  kind: 'reply',
  ticketId: 'GD20241108001',
  messageId: 'msg',
  text: '您好',
  createdAt: AT,
  ...(via ? { via } : {}),
});

describe('the ticket rules', () => {
  it('lets only the owner or a lead complete or close; a queued ticket must be taken first', () => {
    expect(decideMutation(ticket(), status('closed'), wang, AT, byEmail)).toEqual({
      ok: false,
      refusal: { code: 'not_owner', ticketId: 'GD20241108001', action: 'close', assigneeName: null },
    });
    expect(decideMutation(mine({ result: '已解决' }), status('completed'), wang, AT, byEmail)).toMatchObject({
      ok: true,
      ticket: { status: 'completed', completedAt: AT },
    });
    expect(decideMutation(ticket(), status('closed'), lead, AT, byEmail)).toMatchObject({ ok: true, ticket: { status: 'closed', completedAt: AT } });
    // Working on it still takes it.
    expect(decideMutation(ticket(), status('in_progress'), wang, AT, byEmail)).toMatchObject({
      ok: true,
      ticket: { status: 'in_progress', assigneeId: 'agent1' },
    });
  });

  it('takes a queued ticket on reply and ends its routing offer (as the server always did)', () => {
    const taken = decideMutation(ticket(), reply(), wang, AT, byEmail);
    expect(taken).toMatchObject({
      ok: true,
      ticket: { status: 'in_progress', assigneeId: 'agent1', routing: { offer: null } },
      message: { source: 'email', channel: 'email' },
    });
  });

  it('accepts setting the status a ticket already has, changing nothing', () => {
    expect(decideMutation(mine(), status('in_progress'), wang, AT, byEmail)).toEqual({ ok: true, changed: false, ticket: mine() });
  });

  it('refuses a reply with no way to the customer, naming what would work', () => {
    const phoneOnly: MutationFacts = {
      wasAssignedToActor: false,
      reach: customerReach('GD20241108001', [{ ticketId: 'GD20241108001', direction: 'inbound', source: 'cti', createdAt: AT }], {
        phone: '+8613800138000',
        email: null,
        identities: [],
      }),
    };
    expect(decideMutation(mine({ channel: 'phone' }), reply(), wang, AT, phoneOnly)).toEqual({
      ok: false,
      refusal: { code: 'no_reply_route', ticketId: 'GD20241108001', via: null, routes: [], alternatives: ['add_note', 'call_back', 'add_email'] },
    });
    expect(decideMutation(mine(), reply('wechat:wx1'), wang, AT, byEmail)).toMatchObject({
      ok: false,
      refusal: { code: 'no_reply_route', via: 'wechat:wx1', routes: ['email'] },
    });
  });

  it('keeps the subject on an email reply, and refuses one on a reply that does not leave by email (issue 12)', () => {
    const withSubject = (via?: string): Mutation => ({ ...(reply(via) as Extract<Mutation, { kind: 'reply' }>), subject: '发票已重开' });
    expect(decideMutation(mine({ channel: 'email' }), withSubject(), wang, AT, byEmail)).toMatchObject({
      ok: true,
      message: { subject: '发票已重开', source: 'email' },
    });
    const byWebchat: MutationFacts = {
      wasAssignedToActor: false,
      reach: customerReach('GD20241108001', [{ ticketId: 'GD20241108001', direction: 'inbound', source: 'webchat', createdAt: AT }], {
        phone: null,
        email: 'zhang.wei@example.cn',
        identities: [],
      }),
    };
    expect(decideMutation(mine(), withSubject(), wang, AT, byWebchat)).toEqual({
      ok: false,
      refusal: { code: 'subject_not_email', ticketId: 'GD20241108001', via: 'webchat' },
    });
    // The same customer answered by email instead: the subject goes with it.
    expect(decideMutation(mine(), withSubject('email'), wang, AT, byWebchat)).toMatchObject({ ok: true, message: { subject: '发票已重开' } });
  });

  it('tells a former owner who has it now, and a stranger nothing', () => {
    const his = mine({ assigneeId: 'agent2', assigneeName: '张强', assignedAt: AT + 10 });
    expect(decideMutation(his, status('awaiting_customer'), wang, AT + 20, { wasAssignedToActor: true, reach: null })).toEqual({
      ok: false,
      refusal: { code: 'reassigned', ticketId: 'GD20241108001', channel: 'chat', assigneeName: '张强', meanwhile: true },
    });
    expect(decideMutation(his, status('awaiting_customer'), wang, AT + 20, { wasAssignedToActor: false, reach: null })).toEqual({
      ok: false,
      refusal: { code: 'not_found', ticketId: 'GD20241108001' },
    });
    expect(
      decideMutation(his, { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n1', text: '离线时记下的', createdAt: AT }, wang, AT + 20, {
        wasAssignedToActor: true,
        reach: null,
      }),
    ).toMatchObject({ ok: true });
    expect(
      decideMutation(mine(), { mutationId: 'p', kind: 'setPriority', ticketId: 'GD20241108001', priority: 'urgent', createdAt: AT }, zhang, AT, byEmail),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'not_found' },
    });
  });

  it('keeps an offline time when believable and takes the decision time otherwise; refuses a follow-up outside 2000–2200', () => {
    const early = decideMutation(
      mine(),
      { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n1', text: '备注', createdAt: -62_135_596_800_000 },
      wang,
      AT,
      byEmail,
    );
    expect(early).toMatchObject({ ok: true, note: { createdAt: AT } });
    const offline = decideMutation(
      mine({ createdAt: AT - 2 * 3_600_000 }),
      { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n1', text: '备注', createdAt: AT - 3_600_000 },
      wang,
      AT,
      byEmail,
    );
    expect(offline).toMatchObject({ ok: true, note: { createdAt: AT - 3_600_000 } });
    expect(
      decideMutation(mine(), { mutationId: 'f', kind: 'setFollowUp', ticketId: 'GD20241108001', followUpAt: 0, createdAt: AT }, wang, AT, byEmail),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'invalid_date', field: 'followUpAt' },
    });
  });

  it('lets no tier-1 agent take an escalated ticket, by status or by reply, least of all the one who escalated it; tier 2 and leads may', () => {
    const escalated = (overrides: Partial<Ticket> = {}) =>
      ticket({
        routing: {
          ...defaultTicketRouting(),
          requiredTier: 2,
          escalation: { reason: '客户要求主管处理', byId: 'agent1', byName: '王芳', at: AT - 30_000, dueAt: AT + 1_770_000 },
        },
        ...overrides,
      });
    const escalatedByThem = { ok: false, refusal: { code: 'take_refused', ticketId: 'GD20241108001', reason: 'escalated_by_them', requiredTier: 2 } };
    expect(decideMutation(escalated(), status('in_progress'), wang, AT, byEmail)).toEqual(escalatedByThem);
    expect(decideMutation(escalated(), reply(), wang, AT, byEmail)).toEqual(escalatedByThem);
    // Reopening a queued ticket that was closed would take it too.
    expect(decideMutation(escalated({ status: 'closed', completedAt: AT - 1_000 }), status('in_progress'), wang, AT, byEmail)).toEqual(escalatedByThem);
    expect(decideMutation(escalated(), status('in_progress'), zhang, AT, byEmail)).toEqual({
      ok: false,
      refusal: { code: 'take_refused', ticketId: 'GD20241108001', reason: 'tier', requiredTier: 2 },
    });
    // What does not take it stays open to them: a note on the queued ticket.
    expect(
      decideMutation(
        escalated(),
        { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n1', text: '补充：客户下午有空', createdAt: AT },
        wang,
        AT,
        byEmail,
      ),
    ).toMatchObject({ ok: true, ticket: { assigneeId: null } });
    const senior: RuleActor = { ...zhang, id: 'agent5', displayName: '赵磊', tier: 2 };
    expect(decideMutation(escalated(), status('in_progress'), senior, AT, byEmail)).toMatchObject({ ok: true, ticket: { assigneeId: 'agent5' } });
    expect(decideMutation(escalated(), reply(), senior, AT, byEmail)).toMatchObject({ ok: true, ticket: { assigneeId: 'agent5', status: 'in_progress' } });
    // Leads take or assign anything, as before.
    expect(decideMutation(escalated(), status('in_progress'), lead, AT, byEmail)).toMatchObject({ ok: true, ticket: { assigneeId: 'lead1' } });
    // A tier-2 ticket the agent already holds is theirs to work on (a lead gave it to them).
    expect(
      decideMutation(escalated({ status: 'awaiting_customer', assigneeId: 'agent1', assigneeName: '王芳' }), status('in_progress'), wang, AT, byEmail),
    ).toMatchObject({
      ok: true,
    });
    expect(takeRefusalFor(wang, escalated())).toBe('escalated_by_them');
    expect(takeRefusalFor(wang, ticket())).toBeNull();
  });

  it('describes every refusal in English for logs, keeps the coarse code for older clients, and reads an unknown code leniently', () => {
    const refusal = { code: 'not_owner', ticketId: 'GD20241108001', action: 'complete', assigneeName: null } as const;
    expect(describeRefusal(refusal)).toBe('Take GD20241108001 first: only its assignee or a lead may complete it');
    expect(rejectionCodeOf(refusal)).toBe('forbidden');
    expect(ticketRefusalSchema.safeParse({ code: 'from_the_future', ticketId: 'GD20241108001' }).success).toBe(false);
    const takeBack = { code: 'take_refused', ticketId: 'GD20241108001', reason: 'escalated_by_them', requiredTier: 2 } as const;
    expect(describeRefusal(takeBack)).toBe('You cannot take GD20241108001: you escalated it, so a tier-2 agent handles it now');
    expect(describeRefusal({ ...takeBack, reason: 'tier' })).toBe('You cannot take GD20241108001: it needs a tier-2 agent');
    expect(rejectionCodeOf(takeBack)).toBe('forbidden');
    expect(ticketRefusalSchema.parse(takeBack)).toEqual(takeBack);
  });
});

describe('the time a mutation is recorded at (mutationTime, clock-1)', () => {
  const question = AT - 2_000;

  it('keeps a plausible client time, never later than its receipt; a broken one is the receipt', () => {
    expect(mutationTime(AT - 5_000, AT, null)).toBe(AT - 5_000);
    expect(mutationTime(AT + 60_000, AT, null)).toBe(AT);
    expect(mutationTime(0, AT, undefined)).toBe(AT);
  });

  it('never dates a mutation at or before the entry it follows (a clock behind the server)', () => {
    // Written right after the question on a clock ten minutes behind.
    expect(mutationTime(AT - 10 * 60_000, AT, question)).toBe(question + 1);
    // A tie would leave the order to the ids.
    expect(mutationTime(question, AT, question)).toBe(question + 1);
    expect(mutationTime(AT - 1_000, AT, question)).toBe(AT - 1_000);
  });

  it('keeps an offline write before what arrived while it was offline: only what the client had is a floor', () => {
    const seenBeforeGoingOffline = AT - 10 * 60_000;
    const writtenOffline = AT - 5 * 60_000;
    // The customer wrote at AT − 1 min; the client never had it, so it does not name it.
    const recorded = mutationTime(writtenOffline, AT, seenBeforeGoingOffline);
    expect(recorded).toBe(writtenOffline);
    expect(recorded).toBeLessThan(AT - 60_000);
  });

  it('dates the reply, the note and the handover by it on both sides (decideMutation with followsAt)', () => {
    const behind = AT - 10 * 60_000;
    const mineWithQuestion = mine({ lastMessageAt: question });
    const answer: Mutation = {
      mutationId: 'm',
      kind: 'reply',
      ticketId: 'GD20241108001',
      messageId: 'msg',
      text: '您好',
      createdAt: behind,
      follows: 'question',
    };
    const answered = decideMutation(mineWithQuestion, answer, wang, AT, { ...byEmail, followsAt: question });
    expect(answered).toMatchObject({ ok: true, message: { createdAt: question + 1 }, ticket: { lastMessageAt: question + 1 } });
    const noted = decideMutation(
      mineWithQuestion,
      { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n', text: '已核实', createdAt: behind, follows: 'question' },
      wang,
      AT,
      { ...byEmail, followsAt: question },
    );
    expect(noted).toMatchObject({ ok: true, note: { createdAt: question + 1 } });
    const handedOver = decideMutation(
      mineWithQuestion,
      { mutationId: 't', kind: 'transfer', ticketId: 'GD20241108001', to: { kind: 'group', group: 'orders' }, note: '请跟进', createdAt: behind },
      wang,
      AT,
      { ...byEmail, followsAt: question },
    );
    expect(handedOver).toMatchObject({ ok: true, ticket: { handover: { at: question + 1 } } });
    // Without the entry (not named, or not on this ticket here) the old rule stands.
    const earlier = mine({ lastMessageAt: question, createdAt: behind - 60_000 });
    expect(decideMutation(earlier, { ...reply(), createdAt: behind }, wang, AT, byEmail)).toMatchObject({ message: { createdAt: behind } });
  });

  it('never dates a mutation before the ticket was created, whatever time the client sends (attack-8)', () => {
    const opened = mine({ createdAt: AT - 60_000 });
    const backdated = Date.UTC(2001, 0, 1);
    expect(decideMutation(opened, { ...reply(), createdAt: backdated }, wang, AT, byEmail)).toMatchObject({ message: { createdAt: AT - 60_000 } });
    const note: Mutation = { mutationId: 'n', kind: 'note', ticketId: 'GD20241108001', noteId: 'n', text: '已核实', createdAt: backdated };
    expect(decideMutation(opened, note, wang, AT, byEmail)).toMatchObject({ note: { createdAt: AT - 60_000 } });
    // A time after the ticket's creation is kept as before.
    expect(decideMutation(opened, { ...reply(), createdAt: AT - 30_000 }, wang, AT, byEmail)).toMatchObject({ message: { createdAt: AT - 30_000 } });
  });
});

describe("the bulk bar's target list (bulkTransferCandidates)", () => {
  const agent = (id: string, displayName: string, channels: Ticket['channel'][], tier: 1 | 2 = 1) =>
    staticTransferFacts({ id, displayName, role: 'agent', channels, tier });
  const chat = (id: string, overrides: Partial<Ticket> = {}) => ticket({ id, channel: 'chat', ...overrides });

  it('lists who can take every ticked ticket first, and says of the others how many they could take and why not', () => {
    const tickets = [chat('GD1'), chat('GD2'), ticket({ id: 'GD3', channel: 'email' })];
    const candidates = bulkTransferCandidates(tickets, [agent('a2', '张强', ['chat']), agent('a1', '王芳', ['chat', 'email']), agent('a3', '赵磊', ['phone'])]);
    expect(candidates.map((c) => [c.displayName, c.canTake, c.of, c.refusal])).toEqual([
      ['王芳', 3, 3, null],
      ['张强', 2, 3, 'no_channel'],
      ['赵磊', 0, 3, 'no_channel'],
    ]);
  });

  it('counts the tickets already given against the room left, as a reassignment fills it one by one', () => {
    const base = agent('a1', '王芳', ['chat']);
    // Chat capacity 3 (the default), 2 held: room for one more.
    const nearlyFull = { ...base, load: { ...base.load, chat: 2 } };
    const [candidate] = bulkTransferCandidates([chat('GD1'), chat('GD2'), chat('GD3')], [nearlyFull]);
    expect(candidate).toMatchObject({ canTake: 1, of: 3, refusal: 'at_capacity' });
  });

  it('gives the commonest refusal, and the tier rule of an escalated ticket', () => {
    const escalation = { reason: '赔偿', byId: 'a1', byName: '王芳', at: AT, dueAt: AT + 1_800_000 };
    const tier2 = { ...defaultTicketRouting(), requiredTier: 2 as const, escalation };
    const tickets = [chat('GD1', { routing: tier2 }), chat('GD2', { routing: tier2 }), chat('GD3', { status: 'closed' })];
    const [byThem, tier1, tier2Agent] = [agent('a1', '王芳', ['chat']), agent('a2', '张强', ['chat']), agent('a5', '赵磊', ['chat'], 2)];
    const result = bulkTransferCandidates(tickets, [byThem, tier1, tier2Agent]);
    expect(result.find((c) => c.userId === 'a1')).toMatchObject({ canTake: 0, refusal: 'escalated_by_them' });
    expect(result.find((c) => c.userId === 'a2')).toMatchObject({ canTake: 0, refusal: 'tier' });
    expect(result[0]).toMatchObject({ userId: 'a5', canTake: 2, of: 3, refusal: 'not_open' });
  });
});
