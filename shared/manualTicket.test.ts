import { describe, expect, it } from 'vitest';
import { customerIdSchema, ticketIdSchema, type User } from './domain.js';
import {
  createTicketMutationSchema,
  isProvisionalCustomerId,
  isProvisionalTicketId,
  mayCreateOnChannel,
  provisionalIdsOf,
  type CreateTicketMutation,
} from './manualTicket.js';
import { mutationSchema } from './sync.js';
import { decideCreateTicket, decideMutation, describeRefusal, rejectionCodeOf } from './ticketRules.js';
import { RESOLUTION_SLA_MS } from './sla.js';

const AT = Date.UTC(2024, 10, 8, 2, 0, 0);
const agent: Pick<User, 'id' | 'role' | 'channels' | 'displayName' | 'tier'> = {
  id: 'agent1',
  role: 'agent',
  channels: ['chat'],
  displayName: '王芳',
  tier: 1,
};
const ids = provisionalIdsOf(AT, '123456789012');

function creation(overrides: Partial<CreateTicketMutation> = {}): CreateTicketMutation {
  return {
    mutationId: 'm-1',
    kind: 'createTicket',
    ticketId: ids.ticketId,
    customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: '139 0013 9000', email: null },
    channel: 'phone',
    type: 'complaint',
    priority: 'urgent',
    subject: '  停电期间来电投诉  ',
    noteId: 'n-1',
    note: '客户来电：账单重复扣费\n已记录',
    toQueue: false,
    createdAt: AT - 60_000,
    ...overrides,
  };
}

describe('provisional ids', () => {
  it('have the shape of real ids on the impossible day 00000000, so every id schema carries them, and are told apart', () => {
    expect(ids).toEqual({
      ticketId: `GD00000000${String(AT).padStart(15, '0')}123456789012`,
      customerId: `CUS00000000${String(AT).padStart(15, '0')}123456789012`,
    });
    expect(ticketIdSchema.safeParse(ids.ticketId).success).toBe(true);
    expect(customerIdSchema.safeParse(ids.customerId).success).toBe(true);
    expect(ids.ticketId.length).toBeLessThanOrEqual(40);
    expect(isProvisionalTicketId(ids.ticketId)).toBe(true);
    expect(isProvisionalTicketId('GD20241108001')).toBe(false);
    expect(isProvisionalCustomerId(ids.customerId)).toBe(true);
    expect(isProvisionalCustomerId('CUS20240501001')).toBe(false);
    expect(() => provisionalIdsOf(AT, '12')).toThrow(RangeError);
  });
});

describe('the createTicket mutation schema', () => {
  it('reads a complete creation, through the mutation union too', () => {
    expect(mutationSchema.parse(creation())).toEqual(creation());
  });

  it('refuses a new customer with neither phone nor email, a blank name, subject or note, a bad phone or email, and a GD id as the provisional id', () => {
    const bad: unknown[] = [
      creation({ customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: null, email: null } }),
      creation({ customer: { kind: 'new', customerId: ids.customerId, name: '  ', phone: '13900139000', email: null } }),
      creation({ customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: 'call me', email: null } }),
      creation({ customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: null, email: 'not-an-address' } }),
      creation({ customer: { kind: 'new', customerId: 'CUS20240501001', name: '赵敏', phone: '13900139000', email: null } }),
      creation({ customer: { kind: 'existing', customerId: ids.customerId } }),
      creation({ subject: '   ' }),
      creation({ note: '' }),
      creation({ ticketId: 'GD20241108001' }),
    ];
    for (const input of bad) expect(createTicketMutationSchema.safeParse(input).success).toBe(false);
    expect(createTicketMutationSchema.safeParse(creation({ customer: { kind: 'existing', customerId: 'CUS20240501001' } })).success).toBe(true);
  });
});

describe('decideCreateTicket', () => {
  it('makes the ticket held by its creator, in progress, due by the priority’s SLA from when it was made, with the first note', () => {
    const decision = decideCreateTicket(creation(), ids, agent, AT, { customerVisible: true });
    if (!decision.ok) throw new Error('refused');
    expect(decision.ticket).toMatchObject({
      id: ids.ticketId,
      customerId: ids.customerId,
      subject: '停电期间来电投诉',
      status: 'in_progress',
      assigneeId: 'agent1',
      assigneeName: '王芳',
      assignmentReason: { code: 'created_by_hand', byName: '王芳', queued: false },
      createdAt: AT - 60_000,
      firstResponseAt: AT - 60_000,
      dueAt: AT - 60_000 + RESOLUTION_SLA_MS.urgent,
      lastMessagePreview: '客户来电：账单重复扣费',
    });
    expect(decision.ticket.routing.group).not.toBeUndefined();
    expect(decision.note).toEqual({ id: 'n-1', ticketId: ids.ticketId, authorId: 'agent1', authorName: '王芳', text: creation().note, createdAt: AT - 60_000 });
  });

  it('queues it, unassigned, when the creator chose so; an unbelievable time becomes the decision time', () => {
    const decision = decideCreateTicket(creation({ toQueue: true, createdAt: 5 }), ids, agent, AT, { customerVisible: true });
    expect(decision).toMatchObject({
      ok: true,
      ticket: { status: 'unassigned', assigneeId: null, firstResponseAt: null, createdAt: AT, assignmentReason: { queued: true } },
    });
  });

  it('lets an agent create on their channels and on phone, leads on any; refuses a customer they may not see', () => {
    expect(mayCreateOnChannel(agent, 'chat')).toBe(true);
    expect(mayCreateOnChannel(agent, 'phone')).toBe(true);
    expect(mayCreateOnChannel(agent, 'email')).toBe(false);
    expect(mayCreateOnChannel({ role: 'lead', channels: [] }, 'email')).toBe(true);
    const channel = decideCreateTicket(creation({ channel: 'email' }), ids, agent, AT, { customerVisible: true });
    expect(channel).toEqual({ ok: false, refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'channel' } });
    const customer = decideCreateTicket(creation(), ids, agent, AT, { customerVisible: false });
    expect(customer).toEqual({ ok: false, refusal: { code: 'create_refused', ticketId: ids.ticketId, reason: 'customer' } });
    if (channel.ok || customer.ok) throw new Error('accepted');
    expect(rejectionCodeOf(channel.refusal)).toBe('forbidden');
    expect(rejectionCodeOf(customer.refusal)).toBe('not_found');
    expect(describeRefusal(channel.refusal)).toMatch(/own channels or on phone/);
  });

  it('is a no-op on the ticket it made (a rebase replays it)', () => {
    const decision = decideCreateTicket(creation(), ids, agent, AT, { customerVisible: true });
    if (!decision.ok) throw new Error('refused');
    expect(decideMutation(decision.ticket, creation(), agent, AT, { wasAssignedToActor: true, reach: null })).toEqual({
      ok: true,
      changed: false,
      ticket: decision.ticket,
    });
  });
});
