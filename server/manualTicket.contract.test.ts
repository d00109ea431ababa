/**
 * Tickets created by hand (shared/manualTicket.ts) through the store's public API, on both
 * backends (a SQLite file and a real PostgreSQL database): a creation happens once however
 * often and wherever its push is retried (two nodes at once too), later mutations naming the
 * provisional id reach the GD ticket, and the refusals spend no ticket number.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import { provisionalIdsOf, type CreateTicketMutation } from '../shared/manualTicket.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

for (const backend of TEST_BACKENDS) {
  describe(`tickets created by hand in the store on ${backend}`, () => {
    let store: ServerStore;
    let another: () => Promise<ServerStore>;
    let cleanup: () => Promise<void>;
    let wang: User;
    let zhang: User;
    let lead: User;
    let n = 0;

    const at = () => TEST_EPOCH + 1_000 + n;
    function creation(overrides: Partial<CreateTicketMutation> = {}): CreateTicketMutation {
      n++;
      const ids = provisionalIdsOf(at(), String(n).padStart(12, '7'));
      return {
        mutationId: `create-${String(n)}`,
        kind: 'createTicket',
        ticketId: ids.ticketId,
        customer: { kind: 'new', customerId: ids.customerId, name: '赵敏', phone: '139 0013 9000', email: null },
        channel: 'phone',
        type: 'after_sales',
        priority: 'urgent',
        subject: '门店来访：洗衣机漏水',
        noteId: `note-${String(n)}`,
        note: '客户到店反映洗衣机漏水，已登记上门维修',
        toQueue: false,
        createdAt: at(),
        ...overrides,
      };
    }
    const ticketCount = async () => (await store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM tickets'))!.n;

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      another = opened.another;
      cleanup = opened.cleanup;
      wang = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
      zhang = await store.createUser({ id: 'agent2', username: 'agent2', password: 'pw', displayName: '张强', role: 'agent', channels: ['chat'] });
      lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('gives the ticket the SLA target of the saved policies, not the built-in table', async () => {
      const admin = await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '系统管理员', role: 'admin', channels: [] });
      await store.admin.setPolicies(admin, { ...DEFAULT_POLICIES, slaMinutes: { urgent: 45, normal: 180, low: 600 } }, at());
      const mutation = creation();
      const result = await store.applyMutation(wang, 'desk-1', mutation, at());
      if (!result.ok || !result.created) throw new Error('not created');
      const ticket = (await store.getTicket(result.created.ticketId))!;
      expect(ticket.dueAt - ticket.createdAt).toBe(45 * 60_000);
    });

    it('creates the ticket held by its creator with a GD id, its first note and a new customer from claims; the creator is sent its bundle', async () => {
      const mutation = creation();
      const result = await store.applyMutation(wang, 'desk-1', mutation, at());
      expect(result).toMatchObject({ ok: true, created: { ticketId: expect.stringMatching(/^GD20241108\d{3}$/) as string } });
      if (!result.ok || !result.created) throw new Error('not created');
      const bundle = (await store.getTicketBundle(result.created.ticketId))!;
      expect(bundle.ticket).toMatchObject({
        channel: 'phone',
        type: 'after_sales',
        priority: 'urgent',
        subject: '门店来访：洗衣机漏水',
        status: 'in_progress',
        assigneeId: 'agent1',
        assigneeName: '王芳',
        assignmentReason: { code: 'created_by_hand', byName: '王芳', queued: false },
        customerId: result.created.customerId,
      });
      expect(bundle.notes).toEqual([expect.objectContaining({ id: mutation.noteId, text: mutation.note, authorId: 'agent1' })]);
      // What the agent typed is a claim: it fills the primary phone, proves nothing, matches nobody.
      expect(bundle.customer).toMatchObject({ name: '赵敏', phone: '+8613900139000', identities: [] });
      const claims = await store.sql.all<{ kind: string; value: string; source: string }>(
        'SELECT kind, value, source FROM customer_claims WHERE customer_id = ?',
        [bundle.customer.id],
      );
      expect(claims).toEqual([{ kind: 'phone', value: '+8613900139000', source: 'manual' }]);
      expect((await store.listRoutingAudit(bundle.ticket.id)).map((entry) => entry.decision)).toEqual(['assigned']);
      const pulled = await store.pullChanges(wang, 0);
      expect(!pulled.mustRefetch && pulled.changes.map((change) => change.kind)).toEqual(['bundle']);
      expect(await store.pullChanges(zhang, 0)).toMatchObject({ changes: [] });
    });

    it('creates once: the same push again, the draft again under another mutation id or client, and two nodes at once all answer the same GD ticket', async () => {
      const mutation = creation();
      const first = await store.applyMutation(wang, 'desk-1', mutation, at());
      expect(await store.applyMutation(wang, 'desk-1', mutation, at())).toEqual(first);
      const again = await store.applyMutation(wang, 'desk-2', { ...mutation, mutationId: 'create-again' }, at());
      expect(again).toMatchObject({ ok: true, created: first.ok ? first.created : null });
      expect(await ticketCount()).toBe(1);

      // A retried push reaching two nodes at once: the (user, draft) key decides, one ticket.
      // (Several nodes run on PostgreSQL only; on SQLite the two pushes race within one node.)
      const other = backend === 'postgres' ? await another() : store;
      try {
        const racing = creation();
        const results = await Promise.all([
          store.applyMutation(wang, 'desk-1', racing, at()),
          other.applyMutation(wang, 'desk-3', { ...racing, mutationId: 'racing-elsewhere' }, at()),
        ]);
        expect(results.every((result) => result.ok)).toBe(true);
        const [a, b] = results.map((result) => (result.ok ? result.created?.ticketId : null));
        expect(a).toBeDefined();
        expect(a).toBe(b);
        expect(await ticketCount()).toBe(2);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('translates later mutations naming the provisional id, in the same push and in a later one; another user gets not_found', async () => {
      const mutation = creation();
      const [created, note, status] = await store.withTransaction(async () => [
        await store.applyMutation(wang, 'desk-1', mutation, at()),
        await store.applyMutation(
          wang,
          'desk-1',
          { mutationId: 'n-1', kind: 'note', ticketId: mutation.ticketId, noteId: 'n-1', text: '已联系师傅', createdAt: at() },
          at(),
        ),
        await store.applyMutation(
          wang,
          'desk-1',
          { mutationId: 's-1', kind: 'setStatus', ticketId: mutation.ticketId, status: 'awaiting_customer', createdAt: at() },
          at(),
        ),
      ]);
      expect([created.ok, note.ok, status.ok]).toEqual([true, true, true]);
      const ticketId = created.ok ? created.created!.ticketId : '';
      const later = await store.applyMutation(
        wang,
        'desk-1',
        { mutationId: 'p-1', kind: 'setPriority', ticketId: mutation.ticketId, priority: 'low', createdAt: at() },
        at(),
      );
      expect(later).toMatchObject({ ok: true });
      const bundle = (await store.getTicketBundle(ticketId))!;
      expect(bundle.ticket).toMatchObject({ status: 'awaiting_customer', priority: 'low' });
      expect(bundle.notes.map((n) => n.id).sort()).toEqual([mutation.noteId, 'n-1'].sort());
      // Provisional ids are per user: someone else naming it learns nothing.
      const stranger = await store.applyMutation(
        zhang,
        'desk-9',
        { mutationId: 'x-1', kind: 'note', ticketId: mutation.ticketId, noteId: 'x-1', text: '?', createdAt: at() },
        at(),
      );
      expect(stranger).toMatchObject({ ok: false, refusal: { code: 'not_found', ticketId: mutation.ticketId }, ticket: null });
      // A provisional id that never reached the server is not_found too.
      const unknown = creation();
      expect(
        await store.applyMutation(
          wang,
          'desk-1',
          { mutationId: 'x-2', kind: 'note', ticketId: unknown.ticketId, noteId: 'x-2', text: '?', createdAt: at() },
          at(),
        ),
      ).toMatchObject({
        ok: false,
        refusal: { code: 'not_found' },
      });
    });

    it('queues the ticket when asked, for routing to offer; an existing customer may be used by whoever sees them', async () => {
      const first = await store.applyMutation(wang, 'desk-1', creation(), at());
      const customerId = first.ok ? first.created!.customerId : '';
      const queued = await store.applyMutation(wang, 'desk-1', creation({ toQueue: true, customer: { kind: 'existing', customerId } }), at());
      expect(queued).toMatchObject({ ok: true, created: { customerId } });
      const ticket = (await store.getTicket(queued.ok ? queued.created!.ticketId : ''))!;
      expect(ticket).toMatchObject({ status: 'unassigned', assigneeId: null, assignmentReason: { code: 'created_by_hand', queued: true } });
      expect(ticket.routing.group).toBe('after_sales');
      expect((await store.listRoutingAudit(ticket.id)).map((entry) => entry.decision)).toEqual(['queued']);
    });

    it('lets the creator use again a customer they made on a ticket they sent to a queue they do not see (a second call of the same caller, made offline after the first)', async () => {
      // Phone is open to all for creation; 王芳 works chat only, so the queued phone ticket is not hers to see.
      const first = await store.applyMutation(wang, 'desk-1', creation({ toQueue: true }), at());
      const customerId = first.ok ? first.created!.customerId : '';
      expect((await store.getTicket(first.ok ? first.created!.ticketId : ''))!.assigneeId).toBeNull();
      expect(await store.applyMutation(wang, 'desk-1', creation({ customer: { kind: 'existing', customerId } }), at())).toMatchObject({
        ok: true,
        created: { customerId },
      });
      // Someone else still may not: the customer is not theirs to see.
      expect(await store.applyMutation(zhang, 'desk-2', creation({ customer: { kind: 'existing', customerId } }), at())).toMatchObject({
        ok: false,
        refusal: { code: 'create_refused', reason: 'customer' },
      });
    });

    it('refuses a channel the agent does not work (phone is open to all) and a customer they cannot see, spending no ticket number', async () => {
      expect(await store.applyMutation(wang, 'desk-1', creation({ channel: 'email' }), at())).toMatchObject({
        ok: false,
        code: 'forbidden',
        refusal: { code: 'create_refused', reason: 'channel' },
        ticket: null,
      });
      expect(await store.applyMutation(lead, 'desk-l', creation({ channel: 'email' }), at())).toMatchObject({ ok: true });
      const zhangs = await store.applyMutation(zhang, 'desk-2', creation(), at());
      const hidden = zhangs.ok ? zhangs.created!.customerId : '';
      expect(await store.applyMutation(wang, 'desk-1', creation({ customer: { kind: 'existing', customerId: hidden } }), at())).toMatchObject({
        ok: false,
        refusal: { code: 'create_refused', reason: 'customer' },
      });
      expect(await store.applyMutation(wang, 'desk-1', creation({ customer: { kind: 'existing', customerId: 'CUS20991231001' } }), at())).toMatchObject({
        ok: false,
        refusal: { code: 'create_refused', reason: 'customer' },
      });
      // Two tickets were made (the lead's, 张强's): numbers 001 and 002, none spent on the refusals.
      const ids = (await store.sql.all<{ id: string }>('SELECT id FROM tickets ORDER BY id')).map((row) => row.id);
      expect(ids).toEqual(['GD20241108001', 'GD20241108002']);
    });
  });
}
