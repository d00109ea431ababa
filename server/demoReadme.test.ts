/**
 * The README's "Demo organisation" table is how a new user learns who to sign in as: it must
 * list every user the demo seeds, with their role (the walk of a new user found admin1, the only
 * way into 系统管理 / Admin, missing from it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_USERS } from './demo.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The rows of the table under "## Demo organisation": username and role, as written. */
function readmeDemoRows(): Map<string, string> {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('## Demo organisation'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('|')));
  const rows = new Map<string, string>();
  for (const line of table.split('\n')) {
    const match = /^\| `([a-z0-9]+)` \| ([a-z]+)/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe('README demo organisation', () => {
  it('lists every seeded demo user with their role', () => {
    const rows = readmeDemoRows();
    for (const user of DEMO_USERS) expect(rows.get(user.username), user.username).toBe(user.role);
    expect(rows.size).toBe(DEMO_USERS.length);
  });
});
