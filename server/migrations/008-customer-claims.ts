/**
 * Identities become proven or claimed. `customer_identities` keeps only what a channel
 * proved (the From address of a mail, a caller's number, a WeChat openid, a signed site's
 * user, a web chat visitor's own random id): only those match a contact to a customer.
 * What a contact merely said about themselves (an address typed into the web chat's
 * offline form, the phone in a webhook payload, the fields of an inbound API call) goes to
 * the new `customer_claims`: shown to agents as unverified and used to suggest "possibly
 * the same customer", never to join tickets.
 *
 * Existing data: before this step, web chat addresses were recorded as identities although
 * nothing proved them (the offline form's email, and a signed visitor's email, which the
 * old signature did not cover). An email identity of a customer known by a `webchat:`
 * social id who never wrote a mail (no inbound message with source `email`) can only have
 * come from there: it moves to the claims, with the web chat's source. Other identities
 * stay (they came from channels that prove them, or from integrations this step cannot
 * tell apart); the primary fields of `customers` are untouched.
 */
import type { Migration } from './migration.js';

export const migration008CustomerClaims: Migration = {
  version: 8,
  name: 'customer-claims',
  up(db) {
    db.exec(`
      CREATE TABLE customer_claims (
        customer_id TEXT NOT NULL REFERENCES customers(id),
        kind TEXT NOT NULL CHECK (kind IN ('phone', 'email', 'social')),
        value TEXT NOT NULL,
        -- The message source that carried the claim: 'webchat:<site>', 'webhook:<platform>', 'api', …
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (customer_id, kind, value)
      );
      CREATE INDEX customer_claims_value ON customer_claims(kind, value);
    `);

    const unproven = db
      .prepare(
        `SELECT i.rowid AS rid, i.value, i.customer_id, i.created_at,
           (SELECT m.source FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE t.customer_id = i.customer_id AND m.direction = 'inbound' AND m.source LIKE 'webchat:%'
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS source
         FROM customer_identities i
         WHERE i.kind = 'email'
           AND EXISTS (SELECT 1 FROM customer_identities w WHERE w.customer_id = i.customer_id AND w.kind = 'social' AND w.value LIKE 'webchat:%')
           AND NOT EXISTS (SELECT 1 FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE t.customer_id = i.customer_id AND m.direction = 'inbound' AND m.source = 'email')
         ORDER BY i.created_at, i.rowid`,
      )
      .all() as Array<{ rid: number; value: string; customer_id: string; created_at: number; source: string | null }>;
    const claim = db.prepare("INSERT OR IGNORE INTO customer_claims (customer_id, kind, value, source, created_at) VALUES (?, 'email', ?, ?, ?)");
    const drop = db.prepare('DELETE FROM customer_identities WHERE rowid = ?');
    for (const row of unproven) {
      claim.run(row.customer_id, row.value, row.source ?? 'webchat', row.created_at);
      drop.run(row.rid);
    }
  },
};
