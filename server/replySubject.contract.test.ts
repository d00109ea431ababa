/**
 * An email reply's own subject (issue 12) through the store's public API on both backends:
 * stored with the message and read back in the bundle and the change log; a subject on a
 * reply that does not leave by email is refused and stores nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const WANG = { id: 'agent1', username: 'agent1', displayName: '王芳' };

for (const backend of TEST_BACKENDS) {
  describe(`reply subjects in the store on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let wang: User;
    let n = 0;

    const route = { route: () => Promise.resolve({ assignee: WANG, reason: { code: 'assigned_by_lead' as const, byName: '李主管' } }) };
    const reply = (ticketId: string, messageId: string, subject?: string) => {
      n++;
      return store.applyMutation(
        wang,
        'desk-1',
        {
          mutationId: `m-${String(n)}`,
          kind: 'reply',
          ticketId,
          messageId,
          text: '您好，退款已原路退回。',
          createdAt: TEST_EPOCH + n,
          ...(subject ? { subject } : {}),
        },
        TEST_EPOCH + n,
      );
    };

    beforeEach(async () => {
      const opened = await openStoreOn(backend);
      store = opened.store;
      cleanup = opened.cleanup;
      wang = await store.createUser({ ...WANG, password: 'pw', role: 'agent', channels: ['email', 'chat'] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('stores the subject of an email reply and reads it back in the bundle and the change log; a reply without one has none', async () => {
      const { ticketId } = await store.ingestInbound(
        {
          channel: 'email',
          source: 'email',
          customer: { name: '张伟', email: 'zw@example.cn' },
          subject: '退款咨询',
          text: '退款什么时候到？',
          proven: ['email'],
        },
        { now: TEST_EPOCH, router: route },
      );
      expect(await reply(ticketId, '0193f4a0-0000-7000-8000-000000000001', '退款进度说明')).toMatchObject({ ok: true });
      expect(await reply(ticketId, '0193f4a0-0000-7000-8000-000000000002')).toMatchObject({ ok: true });

      const messages = (await store.getTicketBundle(ticketId))!.messages.filter((message) => message.direction === 'outbound');
      expect(messages.map((message) => message.subject ?? null)).toEqual(['退款进度说明', null]);
      const pulled = await store.pullChanges(wang, 0);
      const logged = pulled.mustRefetch ? [] : pulled.changes.flatMap((change) => (change.kind === 'message' ? [change.message] : []));
      expect(logged.find((message) => message.id === '0193f4a0-0000-7000-8000-000000000001')?.subject).toBe('退款进度说明');
    });

    it('refuses a subject on a reply that leaves by web chat (subject_not_email) and stores nothing', async () => {
      const { ticketId } = await store.ingestInbound(
        { channel: 'chat', source: 'webchat', customer: { name: '李雷', socialId: 'visitor-1' }, text: '在吗？', proven: ['socialId'] },
        { now: TEST_EPOCH, router: route },
      );
      const refused = await reply(ticketId, '0193f4a0-0000-7000-8000-000000000003', '不该有主题');
      expect(refused).toMatchObject({ ok: false, code: 'invalid', refusal: { code: 'subject_not_email', ticketId, via: 'webchat' } });
      expect((await store.getTicketBundle(ticketId))!.messages.filter((message) => message.direction === 'outbound')).toEqual([]);
    });
  });
}
