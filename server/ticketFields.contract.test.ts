/**
 * The ticket's own fields and transfer (转办) through the store's public API, on both
 * backends (the embedded SQLite file and a real PostgreSQL database): what is written reads
 * back the same, a transfer moves the ticket and its note, the routing history keeps it, and
 * every refusal leaves the ticket as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import type { Mutation } from '../shared/sync.js';
import { staticTransferFacts } from '../shared/ticketRules.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

/** A mutation without its id, ticket and time, kind by kind (Omit over the union would merge the kinds). */
type MutationBody = Mutation extends infer M ? (M extends Mutation ? Omit<M, 'mutationId' | 'ticketId' | 'createdAt'> : never) : never;

for (const backend of TEST_BACKENDS) {
  describe(`ticket fields and transfer in the store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let wang: User;
    let zhang: User;
    let stranger: User;
    let ticketId: string;
    let n = 0;

    const at = () => TEST_EPOCH + 1_000 + n;
    const apply = (actor: User, body: MutationBody) => {
      n++;
      return store.applyMutation(actor, `desk-${actor.id}`, { mutationId: `m-${String(n)}`, ticketId, createdAt: at(), ...body }, at());
    };

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      wang = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
      zhang = await store.createUser({ id: 'agent2', username: 'agent2', password: 'pw', displayName: '张强', role: 'agent', channels: ['chat'] });
      stranger = await store.createUser({ id: 'agent3', username: 'agent3', password: 'pw', displayName: '刘洋', role: 'agent', channels: ['email'] });
      ({ ticketId } = await store.ingestInbound(
        { channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '快递三天没动了' },
        {
          now: TEST_EPOCH,
          router: {
            route: () =>
              Promise.resolve({ assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' }, reason: { code: 'assigned_by_lead', byName: '李主管' } }),
          },
        },
      ));
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('stores type, sub-category, tags and result, reads them back in the ticket, the bundle and the change log; completing needs the result', async () => {
      const refused = await apply(wang, { kind: 'setStatus', status: 'completed' });
      expect(refused).toMatchObject({ ok: false, code: 'invalid', refusal: { code: 'result_required' }, ticket: { status: 'in_progress' } });
      expect(await apply(wang, { kind: 'setFields', type: 'after_sales', subCategory: '物流', tags: ['加急', '加急', 'VIP'], result: '已补发' })).toMatchObject(
        { ok: true },
      );
      const stored = (await store.getTicket(ticketId))!;
      expect(stored).toMatchObject({ type: 'after_sales', subCategory: '物流', tags: ['加急', 'VIP'], result: '已补发', handover: null });
      expect((await store.getTicketBundle(ticketId))!.ticket).toEqual(stored);
      const pulled = await store.pullChanges(wang, 0);
      expect(!pulled.mustRefetch && pulled.changes.at(-1)).toMatchObject({ kind: 'ticket', ticket: stored });
      expect(await apply(wang, { kind: 'setStatus', status: 'completed' })).toMatchObject({ ok: true });
      // Another agent cannot change the fields of a ticket that is not theirs.
      expect(await apply(zhang, { kind: 'setFields', result: '改掉' })).toMatchObject({ ok: false, refusal: { code: 'not_found' }, ticket: null });
      expect((await store.getTicket(ticketId))!.result).toBe('已补发');
    });

    it('transfers to a named agent: the ticket and its note move, the history keeps it, the former holder is told it was reassigned', async () => {
      const done = await apply(wang, {
        kind: 'transfer',
        to: { kind: 'agent', agentId: 'agent2', agentName: 'whatever the client says' },
        note: '客户要改收货地址，已核实身份',
      });
      expect(done).toMatchObject({ ok: true });
      const moved = (await store.getTicket(ticketId))!;
      expect(moved).toMatchObject({
        assigneeId: 'agent2',
        assigneeName: '张强',
        assignmentReason: { code: 'transferred', byName: '王芳', group: null, note: '客户要改收货地址，已核实身份' },
        handover: { note: '客户要改收货地址，已核实身份', byId: 'agent1', byName: '王芳', to: { kind: 'agent', agentId: 'agent2', agentName: '张强' } },
      });
      const audit = await store.routing.listAudit(ticketId);
      expect(audit.at(-1)).toMatchObject({
        decision: 'transferred',
        assigneeId: 'agent2',
        actorName: '王芳',
        reason: { code: 'transferred', note: '客户要改收货地址，已核实身份' },
      });
      // The receiver's workstation is sent the whole ticket; the former holder's no longer holds it.
      const theirs = await store.pullChanges(zhang, 0);
      expect(!theirs.mustRefetch && theirs.changes.some((c) => c.kind === 'bundle' && c.bundle.ticket.handover?.note === '客户要改收货地址，已核实身份')).toBe(
        true,
      );
      expect(await apply(wang, { kind: 'setFields', result: '我来写' })).toMatchObject({ ok: false, refusal: { code: 'reassigned', assigneeName: '张强' } });
    });

    it('transfers to a group: back in the queue, unassigned, with the group routing offers it to', async () => {
      expect(await apply(wang, { kind: 'transfer', to: { kind: 'group', group: 'after_sales' }, note: '需要售后处理退货' })).toMatchObject({ ok: true });
      expect(await store.getTicket(ticketId)).toMatchObject({
        status: 'unassigned',
        assigneeId: null,
        routing: { group: 'after_sales' },
        handover: { to: { kind: 'group', group: 'after_sales' } },
      });
      expect((await store.routing.listAudit(ticketId)).at(-1)).toMatchObject({ decision: 'transferred', assigneeId: null, reason: { group: 'after_sales' } });
    });

    it('refuses a stranger, a blank note and a target who cannot take it, and changes nothing', async () => {
      const before = await store.getTicket(ticketId);
      expect(await apply(stranger, { kind: 'transfer', to: { kind: 'group', group: 'orders' }, note: '我来转' })).toMatchObject({
        ok: false,
        code: 'not_found',
        ticket: null,
      });
      expect(await apply(wang, { kind: 'transfer', to: { kind: 'group', group: 'orders' }, note: '   ' })).toMatchObject({
        ok: false,
        refusal: { code: 'note_required' },
      });
      expect(await apply(wang, { kind: 'transfer', to: { kind: 'agent', agentId: 'agent3', agentName: '刘洋' }, note: '转给你' })).toMatchObject({
        ok: false,
        refusal: { code: 'transfer_refused', reason: 'no_channel', agentName: '刘洋' },
      });
      expect(await apply(wang, { kind: 'transfer', to: { kind: 'agent', agentId: 'nobody', agentName: '?' }, note: '转给你' })).toMatchObject({
        ok: false,
        refusal: { code: 'transfer_refused', reason: 'unknown_agent' },
      });
      // What routing knows live decides: an offline colleague cannot receive it.
      n++;
      const offline = await store.applyMutation(
        wang,
        'desk-agent1',
        {
          mutationId: `m-${String(n)}`,
          kind: 'transfer',
          ticketId,
          to: { kind: 'agent', agentId: 'agent2', agentName: '张强' },
          note: '转给你',
          createdAt: at(),
        },
        at(),
        { transferTarget: () => Promise.resolve({ ...staticTransferFacts(zhang), presence: 'offline', connected: false }) },
      );
      expect(offline).toMatchObject({ ok: false, refusal: { code: 'transfer_refused', reason: 'offline', agentName: '张强' } });
      expect(await store.getTicket(ticketId)).toEqual(before);
    });
  });
}
