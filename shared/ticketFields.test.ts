/** The rules of the ticket's own fields and of transfer (shared/ticketRules.ts), on plain tickets: no I/O. */
import { describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Ticket } from './domain.js';
import { maskTicket } from './masking.js';
import type { Mutation } from './sync.js';
import {
  decideMutation,
  describeRefusal,
  mayClassifyTicket,
  normaliseTags,
  staticTransferFacts,
  ticketRefusalSchema,
  transferRefusalFor,
  type MutationFacts,
  type RuleActor,
  type TransferAgentFacts,
} from './ticketRules.js';

const AT = Date.UTC(2024, 10, 8, 2, 0, 0);
const wang: RuleActor = { id: 'agent1', role: 'agent', channels: ['chat', 'email'], displayName: '王芳', tier: 1 };
const zhang: RuleActor = { id: 'agent2', role: 'agent', channels: ['chat'], displayName: '张强', tier: 1 };
const lead: RuleActor = { id: 'lead1', role: 'lead', channels: [], displayName: '李主管', tier: 1 };
const facts: MutationFacts = { wasAssignedToActor: true, reach: null };

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'GD20241108001',
    customerId: 'CUS20241108001',
    channel: 'chat',
    type: 'consult',
    subject: '订单三天没物流',
    priority: 'normal',
    status: 'in_progress',
    assigneeId: 'agent1',
    assigneeName: '王芳',
    assignmentReason: null,
    createdAt: AT - 3_600_000,
    updatedAt: AT - 60_000,
    assignedAt: AT - 30_000,
    firstResponseAt: null,
    dueAt: AT + 3_600_000,
    completedAt: null,
    lastMessagePreview: '订单三天没物流',
    lastMessageAt: AT - 60_000,
    followUpAt: null,
    routing: { ...defaultTicketRouting(), group: 'orders' },
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    ...overrides,
  };
}

const base = { mutationId: 'm', ticketId: 'GD20241108001', createdAt: AT } as const;
const setFields = (fields: Omit<Extract<Mutation, { kind: 'setFields' }>, 'kind' | 'mutationId' | 'ticketId' | 'createdAt'>): Mutation => ({
  ...base,
  kind: 'setFields',
  ...fields,
});
const toAgent = (agentId: string, note = '客户要求改地址，已核实身份'): Mutation => ({
  ...base,
  kind: 'transfer',
  to: { kind: 'agent', agentId, agentName: '张强' },
  note,
});
const toGroup = (note = '需要售后处理退货'): Mutation => ({ ...base, kind: 'transfer', to: { kind: 'group', group: 'after_sales' }, note });
const zhangFacts = (overrides: Partial<TransferAgentFacts> = {}): TransferAgentFacts => ({
  ...staticTransferFacts({ id: 'agent2', displayName: '张强', role: 'agent', channels: ['chat'], tier: 1 }),
  ...overrides,
});

describe('the ticket fields', () => {
  it('sets type, sub-category, tags and result, trimmed and without repeats; the same values again change nothing', () => {
    const decided = decideMutation(
      ticket(),
      setFields({ type: 'after_sales', subCategory: ' 物流 ', tags: ['加急', ' 加急 ', '', 'VIP', 'vip'], result: ' 已补发 ' }),
      wang,
      AT,
      facts,
    );
    expect(decided).toMatchObject({
      ok: true,
      changed: true,
      ticket: { type: 'after_sales', subCategory: '物流', tags: ['加急', 'VIP'], result: '已补发', updatedAt: AT },
    });
    // An assigned ticket keeps its topic group: nobody is re-routed away from its holder.
    expect(decided.ok && decided.ticket.routing.group).toBe('orders');
    const again = decideMutation(decided.ok ? decided.ticket : ticket(), setFields({ tags: ['加急', 'VIP'], result: '已补发' }), wang, AT, facts);
    expect(again).toMatchObject({ ok: true, changed: false });
    expect(decideMutation(ticket({ result: '旧' }), setFields({ result: '   ', subCategory: null }), wang, AT, facts)).toMatchObject({
      ticket: { result: null },
    });
    expect(normaliseTags(['a', 'A', ' b '])).toEqual(['a', 'b']);
  });

  it('re-routes a queued ticket by the group rules when its type changes', () => {
    const queued = ticket({ status: 'unassigned', assigneeId: null, assigneeName: null, assignedAt: null });
    expect(decideMutation(queued, setFields({ type: 'after_sales' }), lead, AT, facts)).toMatchObject({
      ok: true,
      ticket: { routing: { group: 'after_sales' } },
    });
    expect(decideMutation(queued, setFields({ type: 'suggestion' }), lead, AT, facts)).toMatchObject({ ok: true, ticket: { routing: { group: null } } });
  });

  it('belongs to the holder and leads: another agent is refused, and on a queued ticket the result needs it taken first', () => {
    expect(decideMutation(ticket(), setFields({ result: '好' }), zhang, AT, facts)).toMatchObject({ ok: false, refusal: { code: 'reassigned' } });
    const queued = ticket({ status: 'unassigned', assigneeId: null, assigneeName: null });
    expect(decideMutation(queued, setFields({ result: '好' }), wang, AT, facts)).toEqual({
      ok: false,
      refusal: { code: 'not_owner', ticketId: 'GD20241108001', action: 'setResult', assigneeName: null },
    });
    expect(decideMutation(queued, setFields({ type: 'after_sales', result: '好' }), wang, AT, facts)).toMatchObject({
      ok: false,
      refusal: { code: 'not_owner', action: 'setResult' },
    });
    // A queued ticket that is no longer open is nobody's to classify but a lead's.
    const closed = ticket({ status: 'closed', assigneeId: null, assigneeName: null, completedAt: AT - 1_000 });
    expect(decideMutation(closed, setFields({ type: 'after_sales' }), wang, AT, facts)).toEqual({
      ok: false,
      refusal: { code: 'not_owner', ticketId: 'GD20241108001', action: 'setFields', assigneeName: null },
    });
  });

  it('lets an agent who sees a queued ticket set its type, sub-category and tags without taking it: a new type re-routes it', () => {
    const queued = ticket({ status: 'unassigned', assigneeId: null, assigneeName: null, assignedAt: null });
    const decided = decideMutation(queued, setFields({ type: 'after_sales', subCategory: '退货', tags: ['加急'] }), zhang, AT, facts);
    expect(decided).toMatchObject({
      ok: true,
      changed: true,
      ticket: { type: 'after_sales', subCategory: '退货', tags: ['加急'], assigneeId: null, status: 'unassigned', routing: { group: 'after_sales' } },
    });
    expect(mayClassifyTicket(zhang, queued)).toBe(true);
    expect(mayClassifyTicket(zhang, ticket())).toBe(false);
    // An agent of another channel does not see it at all.
    const byPhone: RuleActor = { ...zhang, id: 'agent3', channels: ['phone'] };
    expect(decideMutation(queued, setFields({ type: 'after_sales' }), byPhone, AT, { wasAssignedToActor: false, reach: null })).toEqual({
      ok: false,
      refusal: { code: 'not_found', ticketId: 'GD20241108001' },
    });
    expect(mayClassifyTicket(byPhone, queued)).toBe(false);
  });

  it('needs a result to complete, not to close', () => {
    const complete: Mutation = { ...base, kind: 'setStatus', status: 'completed' };
    expect(decideMutation(ticket(), complete, wang, AT, facts)).toEqual({ ok: false, refusal: { code: 'result_required', ticketId: 'GD20241108001' } });
    expect(decideMutation(ticket({ result: '已补发' }), complete, wang, AT, facts)).toMatchObject({ ok: true, ticket: { status: 'completed' } });
    expect(decideMutation(ticket(), { ...base, kind: 'setStatus', status: 'closed' }, wang, AT, facts)).toMatchObject({ ok: true });
  });
});

describe('transfer', () => {
  it('hands the ticket to a named agent who can take it, with the note first and the reason recorded', () => {
    const decided = decideMutation(ticket(), toAgent('agent2'), wang, AT, { ...facts, transferTarget: zhangFacts() });
    expect(decided).toMatchObject({
      ok: true,
      ticket: {
        assigneeId: 'agent2',
        assigneeName: '张强',
        status: 'in_progress',
        assignmentReason: { code: 'transferred', byName: '王芳', group: null, note: '客户要求改地址，已核实身份' },
        handover: { note: '客户要求改地址，已核实身份', byId: 'agent1', byName: '王芳', at: AT, to: { kind: 'agent', agentId: 'agent2' } },
      },
    });
  });

  it('puts the ticket back in a group queue, unassigned, for routing to offer; pins and offers are over', () => {
    const pinned = ticket({ routing: { ...defaultTicketRouting(), group: 'orders', pinnedAgentId: 'agent1', pinnedAgentName: '王芳' } });
    expect(decideMutation(pinned, toGroup(), wang, AT, facts)).toMatchObject({
      ok: true,
      ticket: {
        assigneeId: null,
        status: 'unassigned',
        routing: { group: 'after_sales', pinnedAgentId: null, offer: null },
        assignmentReason: { code: 'transferred', group: 'after_sales' },
        handover: { to: { kind: 'group', group: 'after_sales' } },
      },
    });
  });

  it('refuses a blank note, a stranger, a closed ticket, and an agent who cannot take it, with the reason', () => {
    expect(decideMutation(ticket(), toGroup('  \n '), wang, AT, facts)).toEqual({ ok: false, refusal: { code: 'note_required', ticketId: 'GD20241108001' } });
    expect(decideMutation(ticket(), toGroup(), zhang, AT, { wasAssignedToActor: false, reach: null })).toEqual({
      ok: false,
      refusal: { code: 'not_found', ticketId: 'GD20241108001' },
    });
    expect(decideMutation(ticket({ status: 'completed', result: '好' }), toGroup(), wang, AT, facts)).toMatchObject({
      ok: false,
      refusal: { code: 'transfer_refused', reason: 'not_open' },
    });
    const refusedFor = (target: TransferAgentFacts | null, t: Ticket = ticket()) => {
      const decided = decideMutation(t, toAgent('agent2'), wang, AT, { ...facts, transferTarget: target });
      return decided.ok ? 'accepted' : decided.refusal.code === 'transfer_refused' ? decided.refusal.reason : decided.refusal.code;
    };
    expect(refusedFor(null)).toBe('unknown_agent');
    expect(refusedFor(zhangFacts({ role: 'lead' }))).toBe('unknown_agent');
    expect(refusedFor(zhangFacts({ channels: ['email'] }))).toBe('no_channel');
    expect(refusedFor(zhangFacts({ presence: 'offline' }))).toBe('offline');
    expect(refusedFor(zhangFacts({ connected: false }))).toBe('offline');
    expect(refusedFor(zhangFacts({ load: { phone: 0, chat: 3, social: 0, email: 0 } }))).toBe('at_capacity');
    expect(refusedFor(zhangFacts({ onCall: true, phoneBlocksChat: true }))).toBe('on_call');
    // A tier-1 agent never takes back the ticket they escalated; others of tier 1 lack the tier.
    const escalated = ticket({
      routing: { ...defaultTicketRouting(), requiredTier: 2, escalation: { reason: '投诉升级', byId: 'agent2', byName: '张强', at: AT, dueAt: AT + 1 } },
    });
    expect(refusedFor(zhangFacts(), escalated)).toBe('escalated_by_them');
    expect(transferRefusalFor(escalated, zhangFacts({ userId: 'agent3' }))).toBe('tier');
    expect(transferRefusalFor(ticket(), { ...zhangFacts(), userId: 'agent1' })).toBe('already_holder');
    // Offline in the core (no facts): the copy is made, the server decides.
    expect(decideMutation(ticket(), toAgent('agent2'), wang, AT, facts)).toMatchObject({ ok: true, ticket: { assigneeId: 'agent2' } });
    expect(decideMutation(ticket(), toAgent('agent1'), wang, AT, facts)).toMatchObject({ ok: false, refusal: { reason: 'already_holder' } });
  });

  it('says every new refusal in English and reads it back through the schema', () => {
    const refusals = [
      { code: 'result_required', ticketId: 'GD20241108001' },
      { code: 'note_required', ticketId: 'GD20241108001' },
      { code: 'transfer_refused', ticketId: 'GD20241108001', reason: 'at_capacity', agentName: '张强' },
    ] as const;
    expect(refusals.map((r) => describeRefusal(ticketRefusalSchema.parse(r)))).toEqual([
      'Record the result of GD20241108001 before completing it',
      'A transfer of GD20241108001 needs a handover note',
      'GD20241108001 cannot be transferred to 张强: they are at capacity on its channel',
    ]);
  });
});

describe('masking for agents', () => {
  it('masks personal data in the result and the hand-over note, as in the subject', () => {
    const handover = { note: '客户手机 13812345678，请回电', byId: 'agent1', byName: '王芳', at: AT, to: { kind: 'group', group: 'orders' } } as const;
    const masked = maskTicket(
      ticket({
        result: '已致电 13812345678 确认',
        handover,
        assignmentReason: { code: 'transferred', byName: '王芳', group: 'orders', note: handover.note },
      }),
    );
    expect(masked.result).not.toContain('13812345678');
    expect(masked.handover?.note).not.toContain('13812345678');
    expect(masked.handover?.note).toContain('请回电');
    expect(masked.assignmentReason?.code === 'transferred' && masked.assignmentReason.note).not.toContain('13812345678');
  });
});
