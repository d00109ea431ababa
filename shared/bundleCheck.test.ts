/**
 * The bootstrap's hand-written bundle check (bundleCheck.ts) must be as strict as
 * `ticketBundleSchema`: it may only say yes to a bundle the schema accepts and parses into an
 * equal value. Each field of bundles that use every optional part is broken in turn (wrong
 * type, out of range, missing, extra key…), and `readBundles` must give exactly what reading
 * each bundle with the schema alone gives (the refusals and their wording included).
 */
import { describe, expect, it } from 'vitest';
import { isCanonicalTicketBundle } from './bundleCheck.js';
import {
  LATEST_EPOCH_MS,
  assignmentReasonSchema,
  callInfoSchema,
  customerSchema,
  messageSchema,
  noteSchema,
  ticketBundleSchema,
  ticketRoutingSchema,
  ticketSchema,
  type AssignmentReason,
  type TicketBundle,
} from './domain.js';
import { readBundles, type UnreadableChange } from './sync.js';

const AT = Date.UTC(2024, 10, 8, 2, 0, 0);

function fullBundle(reason: AssignmentReason | null): TicketBundle {
  return {
    ticket: {
      id: 'GD20241108000123',
      customerId: 'CUS20241108000045',
      channel: 'chat',
      type: 'after_sales',
      subject: '订单物流查询延迟',
      priority: 'urgent',
      status: 'in_progress',
      assigneeId: 'agent_1',
      assigneeName: '王芳',
      assignmentReason: reason,
      createdAt: AT,
      updatedAt: AT + 5000,
      assignedAt: AT + 1000,
      firstResponseAt: AT + 2000,
      dueAt: AT + 4 * 3_600_000,
      completedAt: null,
      lastMessagePreview: '您好，我上周下的订单到现在还没有收到',
      lastMessageAt: AT + 3000,
      followUpAt: AT + 86_400_000,
      routing: {
        group: 'after_sales',
        language: 'zh',
        requiredTier: 2,
        escalation: { reason: '客户要求主管处理', byId: 'agent_2', byName: '李娜', at: AT + 100, dueAt: AT + 1_800_100 },
        pinnedAgentId: 'agent_1',
        pinnedAgentName: '王芳',
        offer: { agentId: 'agent_3', agentName: '张伟', offeredAt: AT + 200, expiresAt: AT + 30_200 },
      },
      subCategory: '物流',
      tags: ['加急', 'VIP'],
      result: null,
      handover: { note: '客户已致电三次', byId: 'agent_2', byName: '李娜', at: AT + 300, to: { kind: 'agent', agentId: 'agent_1', agentName: '王芳' } },
    },
    customer: {
      id: 'CUS20241108000045',
      name: '张伟',
      phone: '+8613800138000',
      email: 'zhang@example.com',
      socialId: 'wechat:gh_1:openid',
      vipTier: 2,
      createdAt: AT - 86_400_000,
      identities: [
        { kind: 'phone', value: '+8613800138000' },
        { kind: 'email', value: 'zhang@example.com' },
      ],
    },
    messages: [
      {
        id: 'msg_1',
        ticketId: 'GD20241108000123',
        direction: 'inbound',
        channel: 'chat',
        authorId: null,
        authorName: '张伟',
        text: '订单三天没物流',
        externalMessageId: 'ext-1',
        deliveryStatus: 'received',
        createdAt: AT,
        attachments: [{ id: 'att_1', fileName: '截图.png', contentType: 'image/png', size: 12_345 }],
        source: 'webchat:demo',
        call: null,
        deliveryError: null,
      },
      {
        id: 'msg_2',
        ticketId: 'GD20241108000123',
        direction: 'outbound',
        channel: 'phone',
        authorId: 'agent_1',
        authorName: '王芳',
        text: '回电记录',
        externalMessageId: null,
        deliveryStatus: 'failed',
        createdAt: AT + 3000,
        attachments: [],
        source: 'cti',
        call: {
          callId: 'call-1',
          outcome: 'answered',
          from: '+8613800138000',
          to: '4008001234',
          agentExtension: '8001',
          startedAt: AT + 2500,
          answeredAt: AT + 2600,
          durationSec: 95,
          endedAt: AT + 2700,
        },
        deliveryError: 'no_route(cti): no written reply can reach the customer through cti',
        subject: 'Re: 订单',
      },
    ],
    notes: [{ id: 'note_1', ticketId: 'GD20241108000123', authorId: 'agent_1', authorName: '王芳', text: '已联系物流', createdAt: AT + 4000 }],
  };
}

const REASONS: AssignmentReason[] = [
  { code: 'least_loaded', channel: 'chat', openTickets: 3, tieBreak: 'idle_longest' },
  { code: 'no_agent_online', channel: 'phone' },
  { code: 'taken_from_queue', channel: 'social', byName: '王芳' },
  { code: 'assigned_by_lead', byName: '王组长' },
  { code: 'vip_senior', channel: 'email', vipTier: 5, openTickets: 0 },
  { code: 'urgent_senior', channel: 'chat', openTickets: 2 },
  { code: 'returning_customer', channel: 'chat', previousTicketId: 'GD20241101000001' },
  { code: 'returning_customer', channel: 'chat', previousTicketId: null },
  { code: 'escalated_tier2', channel: 'chat', escalatedBy: '李娜', openTickets: 1 },
  { code: 'pinned', byName: '王组长' },
  { code: 'offer_accepted', channel: 'chat', basis: 'vip_senior' },
  { code: 'queued', channel: 'social', cause: 'all_at_capacity' },
  { code: 'requeued_agent_offline', channel: 'chat', agentName: '王芳' },
  { code: 'call_answered', byName: '王芳', extension: '8001' },
  { code: 'created_by_hand', byName: '王芳', queued: true },
  { code: 'transferred', byName: '李娜', group: 'billing', note: '请财务处理' },
  { code: 'transferred', byName: '李娜', group: null, note: '' },
];

/** Valid bundles using every optional part: each reason, a group handover, no nested values at all. */
function validBundles(): TicketBundle[] {
  return [...REASONS.map(fullBundle), fullBundle(null), plainBundle()];
}

function plainBundle(): TicketBundle {
  const plain = fullBundle(null);
  plain.ticket.routing = { group: null, language: null, requiredTier: 1, escalation: null, pinnedAgentId: null, pinnedAgentName: null, offer: null };
  plain.ticket.handover = { note: '', byId: 'a', byName: 'b', at: 0, to: { kind: 'group', group: 'orders' } };
  plain.ticket.tags = [];
  plain.customer.identities = [];
  plain.messages = [];
  plain.notes = [];
  return plain;
}

/** Each valid bundle broken field by field: the whole of two of them, and the assignment reason of the others. */
function allBrokenVariants(): unknown[] {
  return [
    ...brokenVariants(fullBundle(REASONS[0]!)),
    ...brokenVariants(plainBundle()),
    ...REASONS.slice(1).flatMap((reason) => brokenVariants(fullBundle(reason), ['ticket', 'assignmentReason'])),
  ];
}

const BAD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'x'.repeat(65),
  'x'.repeat(20_001),
  'GD1',
  'CUS1',
  'bad id!',
  0,
  -1,
  1.5,
  3,
  6,
  2 ** 53,
  LATEST_EPOCH_MS + 1,
  Number.NaN,
  true,
  {},
  [],
  [''],
  ['x'.repeat(31)],
  Array.from({ length: 11 }, (_, i) => `t${String(i)}`),
  { kind: 'phone' },
];

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const children = Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...prefix, Array.isArray(value) ? Number(key) : key]));
  return [prefix, ...children];
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function withValue(bundle: TicketBundle, path: Path, replacement: unknown, mode: 'set' | 'delete' | 'extra'): unknown {
  const copy = clone(bundle) as unknown as Record<string | number, unknown>;
  if (path.length === 0) {
    if (mode === 'extra') copy.extra = replacement;
    return mode === 'set' ? replacement : copy;
  }
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (mode === 'delete') delete parent[last];
  else if (mode === 'extra') {
    const target = parent[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>).extra = replacement;
    else if (Array.isArray(target)) target.push(replacement);
  } else parent[last] = replacement;
  return copy;
}

/** Every single-field break of `bundle` (under `within` only, when given): each path set to each bad value, deleted, or given an extra key / element. */
function brokenVariants(bundle: TicketBundle, within: Path = []): unknown[] {
  const variants: unknown[] = [];
  for (const path of pathsOf(bundle)) {
    if (within.some((key, index) => path[index] !== key)) continue;
    for (const bad of BAD_VALUES) variants.push(withValue(bundle, path, bad, 'set'));
    variants.push(withValue(bundle, path, null, 'delete'));
    variants.push(withValue(bundle, path, 'x', 'extra'));
  }
  return variants;
}

/** What readBundles did before the check: every bundle through the schema. */
function readBundlesWithSchemaOnly(raw: readonly unknown[], at: number): { bundles: TicketBundle[]; unreadable: UnreadableChange[] } {
  const bundles: TicketBundle[] = [];
  const unreadable: UnreadableChange[] = [];
  for (const item of raw) {
    const parsed = ticketBundleSchema.safeParse(item);
    if (parsed.success) bundles.push(parsed.data);
    else unreadable.push(readBundles([item], at).unreadable[0]!);
  }
  return { bundles, unreadable };
}

describe('isCanonicalTicketBundle', () => {
  it('accepts complete valid bundles as they are, and the schema parses each into an equal value', () => {
    for (const bundle of validBundles()) {
      const wire = clone(bundle);
      expect(isCanonicalTicketBundle(wire)).toBe(true);
      expect(ticketBundleSchema.parse(wire)).toStrictEqual(wire);
    }
  });

  it('never says yes to a bundle the schema refuses or would change (every field broken in turn)', () => {
    let refusedBySchema = 0;
    let acceptedByCheck = 0;
    for (const variant of allBrokenVariants()) {
      const parsed = ticketBundleSchema.safeParse(variant);
      if (!parsed.success) refusedBySchema++;
      if (!isCanonicalTicketBundle(variant)) continue;
      acceptedByCheck++;
      expect(parsed.success, JSON.stringify(variant).slice(0, 300)).toBe(true);
      expect(parsed.data).toStrictEqual(variant);
    }
    // The sweep has teeth: most variants are refused, and some are still valid (e.g. another valid enum value).
    expect(refusedBySchema).toBeGreaterThan(5_000);
    expect(acceptedByCheck).toBeGreaterThan(0);
  });

  it('leaves old-snapshot bundles (fields absent, defaults to fill) to the schema', () => {
    const old = clone(fullBundle(null)) as unknown as {
      ticket: Record<string, unknown>;
      customer: Record<string, unknown>;
      messages: Record<string, unknown>[];
    };
    delete old.ticket.routing;
    delete old.ticket.tags;
    delete old.customer.identities;
    delete old.messages[0]!.attachments;
    expect(isCanonicalTicketBundle(old)).toBe(false);
    const { bundles, unreadable } = readBundles([old], 0);
    expect(unreadable).toEqual([]);
    expect(bundles[0]!.ticket.routing).toEqual({
      group: null,
      language: null,
      requiredTier: 1,
      escalation: null,
      pinnedAgentId: null,
      pinnedAgentName: null,
      offer: null,
    });
    expect(bundles[0]!.ticket.tags).toEqual([]);
    expect(bundles[0]!.customer.identities).toEqual([]);
    expect(bundles[0]!.messages[0]!.attachments).toEqual([]);
  });

  it('mirrors the schemas it was written from (a field added there must be checked here too)', () => {
    expect(Object.keys(ticketBundleSchema.shape)).toHaveLength(4);
    expect(Object.keys(ticketSchema.shape)).toHaveLength(24);
    expect(Object.keys(ticketRoutingSchema.shape)).toHaveLength(7);
    expect(Object.keys(customerSchema.shape)).toHaveLength(8);
    expect(Object.keys(messageSchema.shape)).toHaveLength(15);
    expect(Object.keys(callInfoSchema.shape)).toHaveLength(9);
    expect(Object.keys(noteSchema.shape)).toHaveLength(6);
    expect(assignmentReasonSchema.options).toHaveLength(15);
  });
});

describe('readBundles', () => {
  it('reads valid and broken bundles exactly as the schema alone did, refusals and their wording included', () => {
    const raw = [...validBundles().map(clone), ...allBrokenVariants()];
    expect(readBundles(raw, 42)).toStrictEqual(readBundlesWithSchemaOnly(raw, 42));
  });
});
