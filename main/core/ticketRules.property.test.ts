/**
 * The server and the workstation core decide every mutation with the same rules
 * (shared/ticketRules.ts). This property runs random sequences of replies, notes, status,
 * priority, follow-up and field changes and transfers (转办) by two agents (tier 1 and tier 2)
 * and a lead, with a lead's reassignments in between, through the REAL server store (SQLite
 * file) and the REAL core cache (its own SQLite file per user, kept current by the store's
 * pull; a queued ticket opened from the queue view as `ticket:fetch` brings it), and shows both
 * reach the same ticket and refuse the same things with the same facts.
 */
import fc from 'fast-check';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIORITIES, TICKET_GROUPS, TICKET_STATUSES, TICKET_TYPES, isInSyncScope, type Channel, type User } from '../../shared/domain.js';
import type { Mutation } from '../../shared/sync.js';
import { staticTransferFacts } from '../../shared/ticketRules.js';
import { openServerStore, type ChannelContact, type ServerStore } from '../../server/store.js';
import { TEST_EPOCH } from '../../server/testHarness.js';
import { openCache, type Cache } from './cache/cache.js';

/**
 * The tickets every run starts from: reachable by e-mail or web chat, or by nothing written at all; queued, offered, owned,
 * and one escalated by agent1 (tier 1) that waits for tier 2.
 */
const TICKETS: ReadonlyArray<{ contact: ChannelContact; owner: 'agent1' | 'agent2' | null; offeredTo: 'agent2' | null; escalatedBy?: 'agent1' }> = [
  {
    contact: { channel: 'chat', customer: { name: '张伟', email: 'zhangwei@example.cn' }, text: '订单三天没物流', source: 'webchat:demo' },
    owner: null,
    offeredTo: 'agent2',
  },
  { contact: { channel: 'chat', customer: { name: '李娜', phone: '13912340002' }, text: '退款进度（经接口）' }, owner: 'agent1', offeredTo: null },
  {
    contact: { channel: 'email', customer: { name: '赵敏', email: 'zhaomin@example.cn' }, text: '发票抬头填错了', source: 'email' },
    owner: 'agent2',
    offeredTo: null,
  },
  { contact: { channel: 'phone', customer: { name: '刘芳', phone: '13812345678' }, text: '来电咨询退货', source: 'cti' }, owner: null, offeredTo: null },
  {
    contact: { channel: 'email', customer: { name: '陈静', email: 'chenjing@example.cn' }, text: '设备故障，需要工程师', source: 'email' },
    owner: null,
    offeredTo: null,
    escalatedBy: 'agent1',
  },
];
const ACTORS = ['agent1', 'agent2', 'lead1'] as const;
const VIAS = [undefined, 'email', 'webchat:demo', 'cti'] as const;
const FOLLOW_UPS = [null, TEST_EPOCH + 86_400_000, 42] as const;
const RESULTS = [undefined, null, '已解决', '   '] as const;
const TAG_SETS = [undefined, [], ['加急', ' 加急 ', 'VIP']] as const;
const NOTES = ['客户已核实，请跟进', '  '] as const;
const TRANSFER_TARGETS = [...TICKET_GROUPS.map((group) => ({ kind: 'group' as const, group })), ...ACTORS.map((id) => ({ kind: 'agent' as const, id }))];

type Op =
  | { kind: 'reply'; via: (typeof VIAS)[number] }
  | { kind: 'note' }
  | { kind: 'setStatus'; status: (typeof TICKET_STATUSES)[number] }
  | { kind: 'setPriority'; priority: (typeof PRIORITIES)[number] }
  | { kind: 'setFollowUp'; followUpAt: (typeof FOLLOW_UPS)[number] }
  | { kind: 'setFields'; type: (typeof TICKET_TYPES)[number] | undefined; result: (typeof RESULTS)[number]; tags: (typeof TAG_SETS)[number] }
  | { kind: 'transfer'; to: (typeof TRANSFER_TARGETS)[number]; note: (typeof NOTES)[number] };

type Step = { kind: 'mutate'; actor: number; ticket: number; op: Op } | { kind: 'assign'; ticket: number; to: 'agent1' | 'agent2' | null };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('reply' as const), via: fc.constantFrom(...VIAS) }),
  fc.record({ kind: fc.constant('note' as const) }),
  fc.record({ kind: fc.constant('setStatus' as const), status: fc.constantFrom(...TICKET_STATUSES) }),
  fc.record({ kind: fc.constant('setPriority' as const), priority: fc.constantFrom(...PRIORITIES) }),
  fc.record({ kind: fc.constant('setFollowUp' as const), followUpAt: fc.constantFrom(...FOLLOW_UPS) }),
  fc.record({
    kind: fc.constant('setFields' as const),
    type: fc.constantFrom(undefined, ...TICKET_TYPES),
    result: fc.constantFrom(...RESULTS),
    tags: fc.constantFrom(...TAG_SETS),
  }),
  fc.record({ kind: fc.constant('transfer' as const), to: fc.constantFrom(...TRANSFER_TARGETS), note: fc.constantFrom(...NOTES) }),
);

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('mutate' as const), actor: fc.nat(ACTORS.length - 1), ticket: fc.nat(TICKETS.length - 1), op: opArbitrary }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('assign' as const),
      ticket: fc.nat(TICKETS.length - 1),
      to: fc.constantFrom('agent1' as const, 'agent2' as const, null),
    }),
  },
);

interface World {
  dir: string;
  store: ServerStore;
  users: Map<string, User>;
  caches: Map<string, Cache>;
  ticketIds: string[];
  now: number;
}

// Every write is fsynced (synchronous = FULL); in memory-backed /dev/shm that costs nothing, so many runs stay fast.
const TEMP_ROOT = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

/** Builds the starting world once (users' passwords are hashed slowly on purpose); each run opens a copy of it. */
async function buildTemplate(): Promise<{ dir: string; ticketIds: string[] }> {
  const dir = mkdtempSync(path.join(TEMP_ROOT, 'rules-template-'));
  const store = openServerStore({ filePath: path.join(dir, 'server.sqlite'), log: () => {} });
  const users = new Map<string, User>();
  const spec: Array<{ id: string; displayName: string; role: User['role']; channels: Channel[]; tier: User['tier'] }> = [
    { id: 'agent1', displayName: '王芳', role: 'agent', channels: ['chat', 'phone', 'email'], tier: 1 },
    { id: 'agent2', displayName: '张强', role: 'agent', channels: ['chat', 'email'], tier: 2 },
    { id: 'lead1', displayName: '李主管', role: 'lead', channels: [], tier: 1 },
  ];
  for (const user of spec) users.set(user.id, await store.createUser({ ...user, username: user.id, password: 'x' }, TEST_EPOCH));
  const ticketIds: string[] = [];
  for (const [i, { contact, owner, offeredTo, escalatedBy }] of TICKETS.entries()) {
    const now = TEST_EPOCH + i;
    const { ticketId } = await store.ingestInbound(contact, {
      now,
      router: {
        route: (ticket) => {
          const agent = owner ? users.get(owner)! : null;
          const offer = offeredTo ? { agentId: offeredTo, agentName: users.get(offeredTo)!.displayName, offeredAt: now, expiresAt: now + 30_000 } : null;
          const by = escalatedBy ? users.get(escalatedBy)! : null;
          const escalation = by ? { reason: '需要二线', byId: by.id, byName: by.displayName, at: now, dueAt: now + 30 * 60_000 } : null;
          return Promise.resolve({
            assignee: agent ? { id: agent.id, username: agent.username, displayName: agent.displayName } : null,
            reason: agent ? { code: 'assigned_by_lead', byName: '李主管' } : { code: 'queued', channel: ticket.channel, cause: 'no_agent_online' },
            routing: { ...ticket.routing, offer, ...(escalation ? { requiredTier: 2 as const, escalation } : {}) },
          });
        },
      },
    });
    ticketIds.push(ticketId);
  }
  for (const user of users.values()) {
    const cache = openCache(path.join(dir, 'users', `${user.id}.sqlite`), null);
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(await store.bootstrapPage(user, null, 100), user);
    cache.close();
  }
  await store.close();
  return { dir, ticketIds };
}

async function openWorld(template: { dir: string; ticketIds: string[] }): Promise<World> {
  const dir = mkdtempSync(path.join(TEMP_ROOT, 'rules-property-'));
  cpSync(template.dir, dir, { recursive: true });
  const store = openServerStore({ filePath: path.join(dir, 'server.sqlite'), log: () => {} });
  const users = new Map<string, User>();
  for (const id of ACTORS) users.set(id, (await store.getUser(id))!);
  const caches = new Map(ACTORS.map((id) => [id, openCache(path.join(dir, 'users', `${id}.sqlite`), null)] as const));
  return { dir, store, users, caches, ticketIds: template.ticketIds, now: TEST_EPOCH + 1_000 };
}

async function closeWorld(world: World): Promise<void> {
  for (const cache of world.caches.values()) cache.close();
  await world.store.close();
  rmSync(world.dir, { recursive: true, force: true });
}

/** Brings a user's cache up to the server's log, as the sync client does with `sync:pull`. */
async function pull(world: World, user: User): Promise<void> {
  const cache = world.caches.get(user.id)!;
  for (;;) {
    const result = await world.store.pullChanges(user, cache.reader.syncState().lastSeq);
    if (result.mustRefetch) throw new Error('the change log was never pruned here');
    cache.writer.applyChanges(result.changes, result.upTo, user);
    if (!result.more) return;
  }
}

function mutationOf(op: Op, ticketId: string, n: number, at: number, users: Map<string, User>): Mutation {
  const base = { mutationId: `m-${String(n)}`, ticketId, createdAt: at };
  switch (op.kind) {
    case 'reply':
      return { ...base, kind: 'reply', messageId: `msg-${String(n)}`, text: `第${String(n)}条回复`, ...(op.via ? { via: op.via } : {}) };
    case 'note':
      return { ...base, kind: 'note', noteId: `note-${String(n)}`, text: `第${String(n)}条备注` };
    case 'setStatus':
      return { ...base, kind: 'setStatus', status: op.status };
    case 'setPriority':
      return { ...base, kind: 'setPriority', priority: op.priority };
    case 'setFollowUp':
      return { ...base, kind: 'setFollowUp', followUpAt: op.followUpAt };
    case 'setFields':
      return {
        ...base,
        kind: 'setFields',
        ...(op.type ? { type: op.type } : {}),
        ...(op.result !== undefined ? { result: op.result } : {}),
        ...(op.tags ? { tags: [...op.tags] } : {}),
      };
    case 'transfer':
      return {
        ...base,
        kind: 'transfer',
        note: op.note,
        to: op.to.kind === 'group' ? op.to : { kind: 'agent', agentId: op.to.id, agentName: users.get(op.to.id)!.displayName },
      };
  }
}

describe('the ticket rules on the server and in the core', () => {
  let template: { dir: string; ticketIds: string[] };
  beforeAll(async () => {
    template = await buildTemplate();
  });
  afterAll(() => rmSync(template.dir, { recursive: true, force: true }));

  it('reach the same ticket and the same refusals for any sequence of mutations and reassignments', async () => {
    let decided = 0;
    const refusedCodes = new Set<string>();
    // A fixed seed by default: the check below that the runs met every refusal must not depend on
    // chance (a random seed missed result_required once in a while). RULES_SEED explores others.
    const seed = Number(process.env.RULES_SEED ?? 20_261_205);
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 5, maxLength: 30 }), async (steps) => {
        const world = await openWorld(template);
        try {
          for (const [n, step] of steps.entries()) {
            world.now += 1_000;
            const ticketId = world.ticketIds[step.ticket]!;
            if (step.kind === 'assign') {
              const to = step.to ? world.users.get(step.to)! : null;
              await world.store.assignTicket({
                ticketId,
                assignee: to ? { id: to.id, username: to.username, displayName: to.displayName } : null,
                reason: { code: 'assigned_by_lead', byName: '李主管' },
                now: world.now,
              });
              continue;
            }
            const user = world.users.get(ACTORS[step.actor]!)!;
            const cache = world.caches.get(user.id)!;
            await pull(world, user);
            // A queued ticket of their channels the agent opens from the queue view (ticket:fetch), fresh;
            // one opened before and gone stale is dropped first, as a queue refresh does.
            cache.writer.dropFetched(user);
            const opened = await world.store.getTicketBundle(ticketId);
            if (opened && !cache.reader.ticket(ticketId)) cache.writer.storeFetchedBundle(opened, user);
            // The workstation offers only what its cache holds: a ticket out of sight cannot be acted on.
            if (!cache.reader.ticket(ticketId)) continue;
            const mutation = mutationOf(step.op, ticketId, n, world.now, world.users);
            // A store without routing knows a transfer target by their user row; the workstation is given the same facts.
            const target = mutation.kind === 'transfer' && mutation.to.kind === 'agent' ? world.users.get(mutation.to.agentId)! : null;
            const local = cache.writer.recordMutation(mutation, user, target ? { transferTarget: staticTransferFacts(target) } : {});
            const server = await world.store.applyMutation(user, `desk-${user.id}`, mutation, world.now);
            decided++;
            if (!local.ok || !server.ok) {
              expect({ step, local: local.ok ? 'accepted' : local.refusal }).toEqual({ step, local: server.ok ? 'accepted' : server.refusal });
              if (!server.ok) refusedCodes.add(server.refusal!.code);
              continue;
            }
            expect({ step, ticket: local.effect.ticket }).toEqual({ step, ticket: await world.store.getTicket(ticketId) });
            // The server's answer clears the pending rows; the next pull brings the same snapshot.
            cache.writer.applyPushResults([server], user, world.now);
            await pull(world, user);
            cache.writer.dropFetched(user);
            // A ticket transferred away (to a colleague, or back to a queue) leaves this workstation's scope.
            const onServer = (await world.store.getTicket(ticketId))!;
            expect(cache.reader.ticket(ticketId)).toEqual(isInSyncScope(user, onServer) ? onServer : null);
          }
        } finally {
          await closeWorld(world);
        }
      }),
      { numRuns: Number(process.env.RULES_RUNS ?? 60), seed },
    );
    // The runs did decide things, and met the refusals this property is about.
    expect(decided).toBeGreaterThan(200);
    expect([...refusedCodes].sort(), `refusals met with seed ${String(seed)}`).toEqual(
      expect.arrayContaining([
        'invalid_date',
        'invalid_transition',
        'no_reply_route',
        'not_owner',
        'note_required',
        'result_required',
        'take_refused',
        'transfer_refused',
      ]),
    );
    // 60 worlds copied and played on two stores: ~10 s on an idle machine, over the default 30 s on a loaded one.
  }, 120_000);
});
