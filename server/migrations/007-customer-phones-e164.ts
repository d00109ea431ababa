/**
 * Phones become E.164 (`+8613800138000`), the form customer matching now looks them up in.
 * Before, a Chinese mobile was kept as its 11 digits and anything else as the digits given
 * (`01065529988`, `+14155550100`), in `customers.phone` and in `customer_identities`.
 * The conversion is written out here, not shared with the live matching, so what this step
 * does never changes after it shipped.
 *
 * Nothing is lost: when two stored forms of one number meet (`01012345678` and
 * `+861012345678`), a duplicate of the same customer's identity is dropped, and one that
 * belongs to another customer keeps its old form (an agent can merge the two customers).
 * Customers created after migration 005 by a server that did not record identities get
 * their phone, email and social id recorded as identities too.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Migration } from './migration.js';

function toE164(stored: string): string {
  const parsed = parsePhoneNumberFromString(stored, 'CN');
  return parsed?.isPossible() ? parsed.number : stored;
}

export const migration007CustomerPhonesE164: Migration = {
  version: 7,
  name: 'customer-phones-e164',
  up(db) {
    const customers = db.prepare('SELECT id, phone FROM customers WHERE phone IS NOT NULL').all() as Array<{ id: string; phone: string }>;
    const setPhone = db.prepare('UPDATE customers SET phone = ? WHERE id = ?');
    for (const row of customers) {
      const e164 = toE164(row.phone);
      if (e164 !== row.phone) setPhone.run(e164, row.id);
    }

    const identities = db
      .prepare("SELECT rowid AS rid, value, customer_id FROM customer_identities WHERE kind = 'phone' ORDER BY created_at, rowid")
      .all() as Array<{ rid: number; value: string; customer_id: string }>;
    const owner = db.prepare("SELECT customer_id FROM customer_identities WHERE kind = 'phone' AND value = ?");
    const rename = db.prepare('UPDATE customer_identities SET value = ? WHERE rowid = ?');
    const drop = db.prepare('DELETE FROM customer_identities WHERE rowid = ?');
    for (const row of identities) {
      const e164 = toE164(row.value);
      if (e164 === row.value) continue;
      const taken = owner.get(e164) as { customer_id: string } | undefined;
      if (!taken) rename.run(e164, row.rid);
      else if (taken.customer_id === row.customer_id) drop.run(row.rid);
    }

    db.exec(`
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'phone', phone, id, created_at FROM customers WHERE phone IS NOT NULL AND merged_into IS NULL ORDER BY created_at, id;
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'email', email, id, created_at FROM customers WHERE email IS NOT NULL AND merged_into IS NULL ORDER BY created_at, id;
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'social', social_id, id, created_at FROM customers WHERE social_id IS NOT NULL AND merged_into IS NULL ORDER BY created_at, id;
    `);
  },
};
