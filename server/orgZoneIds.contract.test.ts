/**
 * New ticket and customer ids take their day part (GD/CUS + YYYYMMDD + sequence) from the
 * organisation's time zone as the policies say at the moment of creation, on both backends;
 * after a zone change the per-day counters carry on, so an id is never handed out twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreOn } from './testing/stores.js';

const HOUR = 3_600_000;

for (const backend of TEST_BACKENDS) {
  describe(`ids in the organisation's time zone on ${backend}`, () => {
    let store: ServerStore;
    let cleanup: () => Promise<void>;
    let admin: User;
    let n = 0;

    beforeEach(async () => {
      ({ store, cleanup } = await openStoreOn(backend));
      admin = await store.createUser({ id: 'admin1', username: 'admin1', password: 'pw', displayName: '管理员一', role: 'admin', channels: [] });
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    async function ingest(at: number): Promise<{ ticketId: string; customerId: string }> {
      n += 1;
      const { ticketId } = await store.ingestInbound(
        { channel: 'chat', customer: { name: `客户${String(n)}`, email: `zone${String(n)}@example.cn` }, text: '我的订单还没到' },
        { now: at },
      );
      return { ticketId, customerId: (await store.getTicket(ticketId))!.customerId };
    }

    async function setZone(timeZone: string, at: number): Promise<void> {
      await store.admin.setPolicies(admin, { ...DEFAULT_POLICIES, timeZone }, at);
    }

    it('takes the day of the zone set now, and carries the day’s counter on across a change', async () => {
      // TEST_EPOCH is 02:00 UTC on 2024-11-08: 10:00 on 11-08 in Shanghai, 21:00 on 11-07 in New York (UTC−5).
      // 20 h earlier (06:00 UTC on 11-07) it is 14:00 on 11-07 in Shanghai.
      expect(await ingest(TEST_EPOCH - 20 * HOUR)).toEqual({ ticketId: 'GD20241107001', customerId: 'CUS20241107001' });
      expect(await ingest(TEST_EPOCH)).toEqual({ ticketId: 'GD20241108001', customerId: 'CUS20241108001' });
      await setZone('America/New_York', TEST_EPOCH);
      // New York's 11-07 is a day Shanghai's clock already numbered: its counter goes on, no id is reused.
      expect(await ingest(TEST_EPOCH + 1)).toEqual({ ticketId: 'GD20241107002', customerId: 'CUS20241107002' });
      await setZone('Asia/Shanghai', TEST_EPOCH + 2);
      expect(await ingest(TEST_EPOCH + 3)).toEqual({ ticketId: 'GD20241108002', customerId: 'CUS20241108002' });
    });
  });
}
