/**
 * Attacks on the ticket rules (shared/ticketRules.ts) and on the dates that cross the
 * boundary, as a table: each row is one thing someone tries and the refusal they get.
 * Online rows go through the REAL server store (the same call a push makes) or its HTTP API;
 * offline rows through the REAL workstation cache, which decides with the same rules before
 * anything is queued. Add a row for each new attack.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiErrorBody } from '../shared/httpApi.js';
import type { Mutation, MutationResult } from '../shared/sync.js';
import type { Channel, User } from '../shared/domain.js';
import { openCache } from '../main/core/cache/cache.js';
import { handleCallEvent } from './channels/cti/callEvents.js';
import type { ChannelContact } from './store.js';
import { TEST_INTEGRATION_TOKEN, makeTempDir, postJson, seedTestOrganisation, startTestServer, type TestServer } from './testHarness.js';

let t: TestServer;
let n = 0;

beforeAll(async () => {
  t = await startTestServer();
  await seedTestOrganisation(t.store, [
    { username: 'agent1', displayName: '王芳', channels: ['chat', 'phone', 'email'] },
    { username: 'agent2', displayName: '张强', channels: ['chat'] },
    { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
  ]);
});
afterAll(async () => t.stop());

const user = async (id: string): Promise<User> => (await t.store.getUser(id))!;

/** A fresh ticket for one row: from the HTTP API unless a source is given; owned by `owner`, or queued. */
async function ticketFor(options: { owner?: string; channel?: Channel; source?: string; email?: boolean } = {}): Promise<string> {
  n++;
  const contact: ChannelContact = {
    channel: options.channel ?? 'chat',
    customer: { name: `客户${String(n)}`, phone: `1380000${String(n).padStart(4, '0')}`, ...(options.email ? { email: `c${String(n)}@example.cn` } : {}) },
    text: '订单三天没有物流更新',
    ...(options.source ? { source: options.source } : {}),
  };
  const { ticketId } = await t.store.ingestInbound(contact, { now: t.clock.now() });
  if (options.owner) {
    const owner = await user(options.owner);
    await t.store.assignTicket({
      ticketId,
      assignee: { id: owner.id, username: owner.username, displayName: owner.displayName },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: t.clock.now(),
    });
  }
  return ticketId;
}

/** A mutation as a row writes it: the id is made here, the time defaults to now. */
type MutationInput = Mutation extends infer M ? (M extends Mutation ? Omit<M, 'mutationId' | 'createdAt'> & { createdAt?: number } : never) : never;

async function push(actor: string, mutation: MutationInput): Promise<MutationResult> {
  n++;
  return await t.store.applyMutation(
    await user(actor),
    `desk-${actor}`,
    { createdAt: t.clock.now(), ...mutation, mutationId: `m-${String(n)}` },
    t.clock.now(),
  );
}

/** What a workstation decides offline: its own cache, filled from the server, asked before anything is queued. */
async function offline(actor: string, mutation: MutationInput) {
  const dir = makeTempDir('rules-offline-');
  const cache = openCache(path.join(dir, `${actor}.sqlite`), null);
  try {
    cache.writer.beginBootstrap();
    cache.writer.applyBootstrapPage(await t.store.bootstrapPage(await user(actor), null, 1000), await user(actor));
    // A queued ticket reaches an agent's cache only when they open it from the queue view (ticket:fetch).
    const opened = await t.store.getTicketBundle(mutation.ticketId);
    if (opened) cache.writer.storeFetchedBundle(opened, await user(actor));
    n++;
    const outcome = cache.writer.recordMutation({ createdAt: t.clock.now(), ...mutation, mutationId: `o-${String(n)}` }, await user(actor));
    return { ...outcome, queued: cache.reader.outboxCount() };
  } finally {
    cache.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (result: MutationResult) => (result.ok ? { ok: true } : { ok: false, code: result.code, refusal: result.refusal });

interface Row {
  attack: string;
  run: () => unknown;
  expect: unknown;
}

const rows: Row[] = [
  {
    attack: 'an agent closes a queued ticket they never took (online)',
    run: async () => {
      const ticketId = await ticketFor();
      return { result: summary(await push('agent1', { kind: 'setStatus', ticketId, status: 'closed' })), status: (await t.store.getTicket(ticketId))!.status };
    },
    expect: { result: { ok: false, code: 'forbidden', refusal: { code: 'not_owner', action: 'close', assigneeName: null } }, status: 'unassigned' },
  },
  {
    attack: 'an agent closes a queued ticket they never took (offline, refused at once, nothing queued)',
    run: async () => offline('agent1', { kind: 'setStatus', ticketId: await ticketFor(), status: 'closed' }),
    expect: { ok: false, refusal: { code: 'not_owner', action: 'close' }, queued: 0 },
  },
  {
    attack: 'an agent completes a ticket that is another agent’s',
    run: async () => summary(await push('agent2', { kind: 'setStatus', ticketId: await ticketFor({ owner: 'agent1' }), status: 'completed' })),
    expect: { ok: false, code: 'not_found', refusal: { code: 'not_found' } },
  },
  {
    attack: 'an agent completes a queued ticket (it must be taken first)',
    run: async () => summary(await push('agent1', { kind: 'setStatus', ticketId: await ticketFor(), status: 'completed' })),
    expect: { ok: false, code: 'invalid_transition', refusal: { code: 'invalid_transition', from: 'unassigned', to: 'completed' } },
  },
  {
    attack: 'a former owner closes a ticket a lead gave to someone else meanwhile',
    run: async () => {
      const ticketId = await ticketFor({ owner: 'agent1' });
      const writtenOffline = t.clock.now();
      t.clock.advance(1_000);
      const zhang = await user('agent2');
      await t.store.assignTicket({
        ticketId,
        assignee: { id: zhang.id, username: zhang.username, displayName: zhang.displayName },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: t.clock.now(),
      });
      return summary(await push('agent1', { kind: 'setStatus', ticketId, status: 'closed', createdAt: writtenOffline }));
    },
    expect: { ok: false, code: 'forbidden', refusal: { code: 'reassigned', assigneeName: '张强', meanwhile: true } },
  },
  {
    attack: 'an agent changes the priority of a queued ticket they never took',
    run: async () => summary(await push('agent1', { kind: 'setPriority', ticketId: await ticketFor(), priority: 'low' })),
    expect: { ok: false, code: 'forbidden', refusal: { code: 'not_owner', action: 'setPriority' } },
  },
  {
    attack: 'an agent changes the priority of another agent’s ticket',
    run: async () => summary(await push('agent2', { kind: 'setPriority', ticketId: await ticketFor({ owner: 'agent1' }), priority: 'low' })),
    expect: { ok: false, code: 'not_found', refusal: { code: 'not_found' } },
  },
  {
    attack: 'a lead closes a queued ticket (allowed: leads may end any work)',
    run: async () => summary(await push('lead1', { kind: 'setStatus', ticketId: await ticketFor(), status: 'closed' })),
    expect: { ok: true },
  },
  {
    attack: 'a reply on a ticket from the HTTP API, whose customer left no address',
    run: async () => {
      const ticketId = await ticketFor({ owner: 'agent1' });
      return {
        result: summary(await push('agent1', { kind: 'reply', ticketId, messageId: `r-${String(n)}`, text: '您好' })),
        messages: (await t.store.getTicketBundle(ticketId))!.messages.length,
      };
    },
    expect: {
      result: { ok: false, code: 'invalid', refusal: { code: 'no_reply_route', via: null, routes: [], alternatives: ['add_note', 'call_back', 'add_email'] } },
      messages: 1,
    },
  },
  {
    attack: 'a written reply on a phone call (offline too: refused before it is queued)',
    run: async () =>
      offline('agent1', {
        kind: 'reply',
        ticketId: await ticketFor({ owner: 'agent1', channel: 'phone', source: 'cti' }),
        messageId: `r-${String(n)}`,
        text: '您好',
      }),
    expect: { ok: false, refusal: { code: 'no_reply_route', routes: [] }, queued: 0 },
  },
  {
    attack: 'a reply forced through a channel the customer never used',
    run: async () =>
      summary(
        await push('agent1', {
          kind: 'reply',
          ticketId: await ticketFor({ owner: 'agent1', email: true }),
          messageId: `r-${String(n)}`,
          text: '您好',
          via: 'wechat:wx0123456789abcdef',
        }),
      ),
    expect: { ok: false, refusal: { code: 'no_reply_route', via: 'wechat:wx0123456789abcdef', routes: ['email'] } },
  },
  {
    attack: 'a reply reusing the id of a message already stored',
    run: async () => {
      const ticketId = await ticketFor({ owner: 'agent1', email: true });
      const taken = (await t.store.getTicketBundle(ticketId))!.messages[0]!.id;
      return summary(await push('agent1', { kind: 'reply', ticketId, messageId: taken, text: '您好' }));
    },
    expect: { ok: false, refusal: { code: 'duplicate_id' } },
  },
  {
    attack: 'an inbound contact over HTTP dated 0001-01-01 (it once stopped every workstation syncing)',
    run: async () => {
      const response = await postJson<ApiErrorBody>(
        `${t.url}/api/v1/inbound`,
        JSON.stringify({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '你好', receivedAt: '0001-01-01T00:00:00Z' }),
        TEST_INTEGRATION_TOKEN,
      );
      return { status: response.status, fields: response.body.error.fields?.map((field) => field.path) };
    },
    expect: { status: 400, fields: ['receivedAt'] },
  },
  {
    attack: 'a channel dates a contact 0001-01-01 (a mail’s Date header): stored at the time it arrived',
    run: async () => {
      const { messageId, ticketId } = await t.store.ingestInbound(
        { channel: 'email', customer: { email: `old${String(n)}@example.cn` }, text: '旧邮件', source: 'email', receivedAt: '0001-01-01T00:00:00Z' },
        { now: t.clock.now() },
      );
      return (await t.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)!.createdAt === t.clock.now();
    },
    expect: true,
  },
  {
    attack: 'a CTI event at epoch 0: the call starts when it was heard of',
    run: async () => {
      const outcome = await handleCallEvent(
        { store: t.store, ingest: async (contact) => await t.store.ingestInbound(contact, { now: t.clock.now() }), now: t.clock.now },
        { callId: `call-${String(++n)}`, event: 'offered', at: 0, from: '13800138000', to: '4008001234' },
        'test',
      );
      return outcome.call.startedAt === t.clock.now();
    },
    expect: true,
  },
  {
    attack: 'a mutation dated year 1 (a broken clock): kept, at the server’s time',
    run: async () => {
      const ticketId = await ticketFor({ owner: 'agent1' });
      const result = await push('agent1', {
        kind: 'note',
        ticketId,
        noteId: `note-${String(n)}`,
        text: '时钟坏了',
        createdAt: Date.parse('0001-01-01T00:00:00Z'),
      });
      return { ok: result.ok, at: (await t.store.getTicketBundle(ticketId))!.notes[0]!.createdAt === t.clock.now() };
    },
    expect: { ok: true, at: true },
  },
  {
    attack: 'a follow-up set for 1970',
    run: async () => summary(await push('agent1', { kind: 'setFollowUp', ticketId: await ticketFor({ owner: 'agent1' }), followUpAt: 42 })),
    expect: { ok: false, code: 'invalid', refusal: { code: 'invalid_date', field: 'followUpAt' } },
  },
];

describe('ticket rules and dates: attacks and their refusals', () => {
  it.each(rows)('$attack', async ({ run, expect: expected }) => {
    t.clock.advance(1_000);
    expect(await run()).toMatchObject(expected as object);
  });
});
